// SPDX-License-Identifier: GPL-2.0
/*
 * The platform description: ACPI tables, built in guest RAM before the
 * guest starts, as firmware would leave them (ACPI 6.3 specification,
 * chapter 5 "ACPI Software Programming Model").
 *
 *   RSDP  0xe0000     in the BIOS area, where Linux scans for it (ACPI 6.3,
 *                     5.2.5.1 "Finding the RSDP on IA-PC Systems"); also
 *                     passed in boot_params.acpi_rsdp_addr
 *   RSDT, XSDT        the FADT and the MADT
 *   FADT              fixed hardware: PM1a event and control blocks and the
 *                     PM timer (hw/acpi_pm.c), SCI on IRQ 9, the reset
 *                     register at port 0xcf9; not hardware-reduced
 *   FACS              required with a full (not hardware-reduced) FADT
 *   DSDT              AML with one object, \_S5, so that the OS can power
 *                     off through PM1a_CNT
 *   MADT              one Processor Local APIC per vCPU, the IOAPIC at
 *                     0xfec00000 (GSI base 0), ISA IRQ 0 -> GSI 2, and the
 *                     local APICs' LINT1 as NMI
 *
 * All of it lies in 0xe0000-0xfffff, which the e820 map reserves.
 *
 * Why ACPI and not an Intel MP table: Linux takes the power-off and reset
 * methods, the PM timer and the SCI only from ACPI; the MP table could
 * describe the CPUs and the IOAPIC but not those, and an ACPI system with an
 * MADT is what the kernel's own code paths are tested on today.
 */
#include <string.h>

#include "vmw86-run.h"

#define ACPI_BASE		0xe0000ULL
#define ACPI_END		0x100000ULL
#define BP_ACPI_RSDP_ADDR	0x070	/* boot_params (bootparam.h) */

#define ACPI_OEM_ID		"VMW86 "	/* 6 bytes */
#define ACPI_OEM_TABLE_ID	"VMW86RUN"	/* 8 bytes */
#define ACPI_CREATOR_ID		"VMWR"

/* FADT Fixed Feature Flags (ACPI 6.3, table 5-34). */
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_PWR_BUTTON	(1u << 4)	/* no fixed power button */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* no fixed sleep button */
#define FADT_F_FIX_RTC		(1u << 6)	/* no RTC wake status */
#define FADT_F_TMR_VAL_EXT	(1u << 8)	/* the PM timer has 32 bits */
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define FADT_F_SEALED_CASE	(1u << 11)

/* IA-PC Boot Architecture Flags (ACPI 6.3, table 5-35). */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)	/* ISA devices not in AML */
#define FADT_BOOT_8042		(1u << 1)
#define FADT_BOOT_NO_VGA	(1u << 2)

/* MADT (ACPI 6.3, 5.2.12) */
#define MADT_PCAT_COMPAT	(1u << 0)	/* a dual 8259 is there too */
#define MADT_TYPE_LAPIC		0
#define MADT_TYPE_IOAPIC	1
#define MADT_TYPE_ISO		2
#define MADT_TYPE_LAPIC_NMI	4
#define MADT_LAPIC_ENABLED	(1u << 0)

/* Generic Address Structure, address space IDs (ACPI 6.3, 5.2.3.2). */
#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1

static void put16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static void put32(u8 *p, u32 v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(u8 *p, u64 v) { put32(p, v); put32(p + 4, v >> 32); }

static u8 acpi_checksum(const u8 *p, size_t len)
{
	u8 sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

struct acpi_builder {
	u8 *ram;
	u64 next;		/* GPA of the next free byte */
};

/* Space for a table at a 64-byte boundary (the FACS needs it, ACPI 5.2.10). */
static u8 *acpi_alloc(struct acpi_builder *b, size_t len, u64 *gpa)
{
	u8 *p;

	b->next = (b->next + 63) & ~63ULL;
	if (b->next + len > ACPI_END)
		die(EXIT_VMERROR, "ACPI tables do not fit below 1 MiB (%zu bytes at 0x%llx)",
		    len, (unsigned long long)b->next);
	*gpa = b->next;
	p = b->ram + b->next;
	memset(p, 0, len);
	b->next += len;
	return p;
}

/* The 36-byte System Description Table Header (ACPI 6.3, 5.2.6). */
static void acpi_header(u8 *t, const char *sig, u32 len, u8 rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t + 24, 1);			/* OEM revision */
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t + 32, 1);			/* creator revision */
}

static void acpi_finish(u8 *t)
{
	u32 len = t[4] | t[5] << 8 | t[6] << 16 | (u32)t[7] << 24;

	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

static void acpi_gas_io(u8 *g, u16 port, u8 bits)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = bits;			/* register bit width */
	g[2] = 0;			/* bit offset */
	g[3] = GAS_ACCESS_BYTE;
	put64(g + 4, port);
}

/*
 * The DSDT's AML (ACPI 6.3, chapter 20 "ACPI Machine Language
 * Specification"). ASL source:
 *
 *     DefinitionBlock ("", "DSDT", 2, "VMW86 ", "VMW86RUN", 1)
 *     {
 *         Name (\_S5, Package (4) { 5, 5, 0, 0 })
 *     }
 *
 * \_S5 (7.4.2.6) gives the SLP_TYP values for PM1a_CNT and PM1b_CNT; the
 * last two elements are reserved. 5 is hw/acpi_pm.c's ACPI_SLP_TYP_S5.
 */
static const u8 dsdt_aml[] = {
	0x08,				/* NameOp */
	'_', 'S', '5', '_',		/* NameSeg _S5_: the DSDT's scope is
					   the root, so this is \_S5 */
	0x12,				/* PackageOp */
	0x08,				/* PkgLength: 8 bytes, itself included */
	0x04,				/* NumElements */
	0x0a, ACPI_SLP_TYP_S5,		/* BytePrefix 5: PM1a_CNT.SLP_TYP */
	0x0a, ACPI_SLP_TYP_S5,		/* BytePrefix 5: PM1b_CNT.SLP_TYP */
	0x00,				/* ZeroOp (reserved) */
	0x00,				/* ZeroOp (reserved) */
};

static u64 acpi_dsdt(struct acpi_builder *b)
{
	u32 len = 36 + sizeof(dsdt_aml);
	u64 gpa;
	u8 *t = acpi_alloc(b, len, &gpa);

	/* Revision 2: AML integers are 64 bits (5.2.11.1). */
	acpi_header(t, "DSDT", len, 2);
	memcpy(t + 36, dsdt_aml, sizeof(dsdt_aml));
	acpi_finish(t);
	return gpa;
}

/* Firmware ACPI Control Structure (5.2.10): no waking vector, no lock. */
static u64 acpi_facs(struct acpi_builder *b)
{
	u64 gpa;
	u8 *t = acpi_alloc(b, 64, &gpa);

	memcpy(t, "FACS", 4);
	put32(t + 4, 64);		/* length */
	put32(t + 8, 0);		/* hardware signature */
	t[32] = 2;			/* version; the FACS has no checksum */
	return gpa;
}

/* Fixed ACPI Description Table, revision 6.3 (5.2.9, table 5-33). */
static u64 acpi_fadt(struct acpi_builder *b, u64 facs, u64 dsdt)
{
	u32 len = 276;
	u64 gpa;
	u8 *t = acpi_alloc(b, len, &gpa);

	acpi_header(t, "FACP", len, 6);
	put32(t + 36, facs);			/* FIRMWARE_CTRL */
	put32(t + 40, dsdt);			/* DSDT */
	t[45] = 0;				/* Preferred_PM_Profile: unspecified */
	put16(t + 46, ACPI_SCI_IRQ);		/* SCI_INT */
	/*
	 * SMI_CMD 0: no SMM to hand ACPI over from; the hardware is always
	 * in ACPI mode, and PM1_CNT.SCI_EN reads 1 (4.8.2.5, 5.2.9).
	 */
	put32(t + 48, 0);
	put32(t + 56, ACPI_PM1_EVT_PORT);	/* PM1a_EVT_BLK */
	put32(t + 64, ACPI_PM1_CNT_PORT);	/* PM1a_CNT_BLK */
	put32(t + 76, ACPI_PM_TMR_PORT);	/* PM_TMR_BLK */
	t[88] = 4;				/* PM1_EVT_LEN: STS and EN, 2 each */
	t[89] = 2;				/* PM1_CNT_LEN */
	t[91] = 4;				/* PM_TMR_LEN */
	/* No GPE blocks (GPE0_BLK 0): nothing here raises general events. */
	put16(t + 96, 101);			/* P_LVL2_LAT > 100: no C2 */
	put16(t + 98, 1001);			/* P_LVL3_LAT > 1000: no C3 */
	t[108] = 0x32;				/* CENTURY: CMOS index (hw/rtc.c) */
	put16(t + 109, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 |
		       FADT_BOOT_NO_VGA);
	put32(t + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
		       FADT_F_SLP_BUTTON | FADT_F_FIX_RTC | FADT_F_TMR_VAL_EXT |
		       FADT_F_RESET_REG_SUP | FADT_F_SEALED_CASE);
	/*
	 * RESET_REG: one byte at port 0xcf9, the chipset's Reset Control
	 * Register; 0x06 (CPU reset, hard) is what hw/acpi_pm.c resets on.
	 */
	acpi_gas_io(t + 116, ACPI_RESET_PORT, 8);
	t[128] = ACPI_RESET_VALUE;		/* RESET_VALUE */
	t[131] = 3;				/* FADT minor version: 6.3 */
	put64(t + 132, 0);			/* X_FIRMWARE_CTRL: the 32-bit one */
	put64(t + 140, dsdt);			/* X_DSDT */
	/*
	 * The X_PM* blocks stay zero: the OS builds them from the 32-bit
	 * blocks and lengths (5.2.9: "If [X_...] is non-zero, [the 32-bit
	 * field] must be ignored"; zero means it is not supplied).
	 */
	memcpy(t + 268, "VMW86RUN", 8);		/* Hypervisor Vendor Identity */
	acpi_finish(t);
	return gpa;
}

/* Multiple APIC Description Table (5.2.12). */
static u64 acpi_madt(struct acpi_builder *b, unsigned int cpus)
{
	u32 len = 44 + cpus * 8 + 12 + 10 + 6;
	u64 gpa;
	u8 *t = acpi_alloc(b, len, &gpa), *e;
	unsigned int i;

	acpi_header(t, "APIC", len, 5);
	put32(t + 36, LAPIC_DEFAULT_BASE);	/* Local Interrupt Controller Address */
	put32(t + 40, MADT_PCAT_COMPAT);
	e = t + 44;
	/* Processor Local APIC (5.2.12.2): UID i, APIC ID i, enabled. */
	for (i = 0; i < cpus; i++, e += 8) {
		e[0] = MADT_TYPE_LAPIC;
		e[1] = 8;
		e[2] = i;
		e[3] = i;
		put32(e + 4, MADT_LAPIC_ENABLED);
	}
	/* I/O APIC (5.2.12.3): hw/ioapic.c; its ID register says the same. */
	e[0] = MADT_TYPE_IOAPIC;
	e[1] = 12;
	e[2] = IOAPIC_ID;
	put32(e + 4, IOAPIC_BASE);
	put32(e + 8, 0);			/* Global System Interrupt Base */
	e += 12;
	/*
	 * Interrupt Source Override (5.2.12.5): the PIT's ISA IRQ 0 is wired
	 * to IOAPIC pin 2, as on every PC since the 8259's cascade input took
	 * pin 2's place (irq.c routes it so). Flags 0: conforms to the ISA
	 * bus, i.e. edge-triggered, active high.
	 */
	e[0] = MADT_TYPE_ISO;
	e[1] = 10;
	e[2] = 0;				/* bus: ISA */
	e[3] = 0;				/* source: IRQ 0 */
	put32(e + 4, 2);			/* GSI 2 */
	put16(e + 8, 0);
	e += 10;
	/* Local APIC NMI (5.2.12.7): all processors (UID 0xff), LINT1. */
	e[0] = MADT_TYPE_LAPIC_NMI;
	e[1] = 6;
	e[2] = 0xff;
	put16(e + 3, 0);			/* flags: conforms to the bus */
	e[5] = 1;				/* LINT1 */
	acpi_finish(t);
	return gpa;
}

/**
 * acpi__setup() - write the ACPI tables into guest RAM
 * @vm: the VM, its RAM mapped.
 * @bp: the guest's boot_params, for acpi_rsdp_addr.
 *
 * Return: the GPA of the RSDP.
 */
u64 acpi__setup(struct vm *vm, u8 *bp)
{
	struct acpi_builder b = { .ram = vm->ram, .next = ACPI_BASE };
	u64 rsdp_gpa, rsdt_gpa, xsdt_gpa, dsdt, facs, fadt, madt;
	u8 *rsdp, *rsdt, *xsdt;

	/* The RSDP first, at a 16-byte boundary of the scanned area. */
	rsdp = acpi_alloc(&b, 36, &rsdp_gpa);
	dsdt = acpi_dsdt(&b);
	facs = acpi_facs(&b);
	fadt = acpi_fadt(&b, facs, dsdt);
	madt = acpi_madt(&b, vm->cpus);

	/* RSDT (5.2.7) and XSDT (5.2.8): the same two tables. */
	rsdt = acpi_alloc(&b, 36 + 2 * 4, &rsdt_gpa);
	acpi_header(rsdt, "RSDT", 36 + 2 * 4, 1);
	put32(rsdt + 36, fadt);
	put32(rsdt + 40, madt);
	acpi_finish(rsdt);
	xsdt = acpi_alloc(&b, 36 + 2 * 8, &xsdt_gpa);
	acpi_header(xsdt, "XSDT", 36 + 2 * 8, 1);
	put64(xsdt + 36, fadt);
	put64(xsdt + 44, madt);
	acpi_finish(xsdt);

	/* RSDP, revision 2 (5.2.5.3): checksum of the first 20 bytes, then
	 * the extended checksum of all 36. */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, ACPI_OEM_ID, 6);
	rsdp[15] = 2;
	put32(rsdp + 16, rsdt_gpa);
	put32(rsdp + 20, 36);
	put64(rsdp + 24, xsdt_gpa);
	rsdp[8] = acpi_checksum(rsdp, 20);
	rsdp[32] = acpi_checksum(rsdp, 36);

	put64(bp + BP_ACPI_RSDP_ADDR, rsdp_gpa);
	pr_debug("ACPI: RSDP at 0x%llx, tables up to 0x%llx", (unsigned long long)rsdp_gpa,
		 (unsigned long long)b.next);
	return rsdp_gpa;
}
