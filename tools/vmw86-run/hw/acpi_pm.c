// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI fixed hardware (ACPI 6.3, chapter 4.8 "ACPI Hardware Features"), as
 * the FADT built by acpi.c describes it:
 *
 *   0x600  PM1a_EVT_BLK: PM1_STS (2 bytes, write 1 to clear), PM1_EN (2)
 *   0x604  PM1a_CNT_BLK: PM1_CNT (2): SCI_EN, SLP_TYP, SLP_EN
 *   0x608  PM_TMR_BLK: the 32-bit power management timer, 3.579545 MHz
 *   0xcf9  the Reset Control Register the FADT's RESET_REG names
 *
 * Writing SLP_EN with the \_S5 SLP_TYP (4.8.3.2.1, 7.4.2.6) ends the VM
 * with EXIT_POWEROFF; writing RESET_VALUE to 0xcf9 (4.8.3.6) ends it with
 * EXIT_REBOOT. Other sleep types are not offered in the DSDT, and a guest
 * that asks for one anyway keeps running.
 *
 * The PM timer counts CLOCK_MONOTONIC since launch at 3.579545 MHz
 * (4.8.3.3), computed on each read like the PIT's counters. TMR_STS is
 * set whenever bit 31 of the count has changed since the guest last cleared
 * it; the timer's overflow interrupt (TMR_EN) is not generated, nor is any
 * other SCI: nothing here has an event to report (no power or sleep button,
 * no RTC alarm, no GPE block).
 *
 * Called with the platform lock held (ioport.c), like every device.
 */
#include "../vmw86-run.h"

#define PM_TMR_HZ	3579545ULL
#define NS_PER_SEC	1000000000ULL

/* PM1_STS and PM1_EN bits (4.8.3.1, tables 4-16 and 4-17). */
#define PM1_TMR_STS	(1u << 0)
#define PM1_EN_MASK	0x0721	/* TMR, GBL, PWRBTN, SLPBTN, RTC enables */

/* PM1_CNT bits (4.8.3.2.1, table 4-18). */
#define PM1_SCI_EN	(1u << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN	(1u << 13)

/* Reset Control Register bits (Intel ICH/PCH datasheets, "CF9h"). */
#define RST_CNT_SYS_RST	0x02
#define RST_CNT_RST_CPU	0x04
#define RST_CNT_FULL_RST 0x08

struct acpi_pm {
	u16 sts;		/* PM1_STS, except TMR_STS (computed) */
	u16 en;
	u16 cnt;		/* SLP_TYP and BM_RLD as written */
	u64 start_ns;		/* the PM timer's zero */
	u64 tmr_sts_since;	/* count when TMR_STS was last cleared */
	u8 rst_cnt;
};

static struct acpi_pm pm;

static u64 pm_ticks(u64 now)
{
	u64 ns = now > pm.start_ns ? now - pm.start_ns : 0;

	return (unsigned __int128)ns * PM_TMR_HZ / NS_PER_SEC;
}

static u16 pm1_sts(u64 now)
{
	u16 sts = pm.sts;

	/* TMR_STS: "set when the [timer's] bit 31 changes" (table 4-16). */
	if ((pm_ticks(now) >> 31) != (pm.tmr_sts_since >> 31))
		sts |= PM1_TMR_STS;
	return sts;
}

/* The 12-byte block as registers: 0 STS, 2 EN, 4 CNT, 8 TMR. */
static u8 pm_read_byte(unsigned int off, u64 now)
{
	u32 v;

	switch (off & ~1u) {
	case 0:
		v = pm1_sts(now);
		break;
	case 2:
		v = pm.en;
		break;
	case 4:
		/* SCI_EN reads 1: the FADT has no SMI_CMD (4.8.2.5). */
		v = (pm.cnt & ~PM1_SLP_EN) | PM1_SCI_EN;
		break;
	case 8:
	case 10:
		v = (u32)pm_ticks(now) >> (8 * (off & 2));
		break;
	default:
		return 0xff;
	}
	return v >> (8 * (off & 1));
}

static void pm_sleep(struct vm *vm, u16 cnt)
{
	unsigned int typ = (cnt & PM1_SLP_TYP_MASK) >> PM1_SLP_TYP_SHIFT;

	if (typ != ACPI_SLP_TYP_S5) {
		pr_debug("ACPI: sleep type %u requested; only S5 (%u) is offered",
			 typ, ACPI_SLP_TYP_S5);
		return;
	}
	pr_info("guest powered off (ACPI S5: SLP_EN in PM1a_CNT)");
	vm__stop(vm, EXIT_POWEROFF, "ACPI S5");
}

static void acpi_pm_io(struct vm *vm, u16 port, u8 *data, int size,
		       bool is_write, void *opaque)
{
	unsigned int off = port - ACPI_PM1_EVT_PORT;
	u64 now = now_ns();
	u16 sts_clear = 0, en = pm.en, cnt = pm.cnt;
	bool cnt_written = false;
	int i;

	(void)opaque;
	if (!is_write) {
		for (i = 0; i < size; i++)
			data[i] = pm_read_byte(off + i, now);
		return;
	}
	/* Byte by byte, so that any access width works as ACPICA may use. */
	for (i = 0; i < size; i++) {
		unsigned int o = off + i, sh = 8 * (o & 1);

		switch (o & ~1u) {
		case 0:
			sts_clear |= data[i] << sh;
			break;
		case 2:
			en = (en & ~(0xff << sh)) | data[i] << sh;
			break;
		case 4:
			cnt = (cnt & ~(0xff << sh)) | data[i] << sh;
			cnt_written = true;
			break;
		default:
			break;		/* the timer is read-only */
		}
	}
	if (sts_clear & PM1_TMR_STS)
		pm.tmr_sts_since = pm_ticks(now);
	pm.sts &= ~sts_clear;
	pm.en = en & PM1_EN_MASK;
	if (!cnt_written)
		return;
	/* GBL_RLS (bit 2) and SLP_EN are write-only; keep BM_RLD, SLP_TYP. */
	pm.cnt = cnt & (PM1_SLP_TYP_MASK | 0x2);
	if (cnt & PM1_SLP_EN)
		pm_sleep(vm, cnt);
}

static void reset_io(struct vm *vm, u16 port, u8 *data, int size,
		     bool is_write, void *opaque)
{
	u8 v = data[0], old = pm.rst_cnt;

	(void)port;
	(void)size;
	(void)opaque;
	if (!is_write) {
		data[0] = pm.rst_cnt;
		return;
	}
	/* RST_CPU going from 0 to 1 starts the reset; it reads back 0. */
	pm.rst_cnt = v & (RST_CNT_SYS_RST | RST_CNT_FULL_RST);
	if ((v & RST_CNT_RST_CPU) && !(old & RST_CNT_RST_CPU)) {
		pr_info("guest asked for a reset (ACPI reset register, port 0x%x)",
			ACPI_RESET_PORT);
		vm__stop(vm, EXIT_REBOOT, "ACPI reset register");
	}
}

static void acpi_pm_init(struct vm *vm)
{
	(void)vm;
	pm.start_ns = now_ns();
	ioport__register(ACPI_PM1_EVT_PORT, 12, acpi_pm_io, NULL, "acpi-pm");
	ioport__register(ACPI_RESET_PORT, 1, reset_io, NULL, "acpi-reset");
}

PLATFORM_DEVICE(acpi_pm, acpi_pm_init);
