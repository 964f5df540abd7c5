// SPDX-License-Identifier: GPL-2.0
/*
 * An I/O APIC in the manner of the Intel 82093AA (datasheet 290566-001):
 * 24 redirection entries, version 0x11, at 0xfec00000 as the MADT says
 * (acpi.c). The guest reaches it through MMIO exits: IOREGSEL at offset
 * 0x00 selects a register, IOWIN at 0x10 reads or writes it (3.1).
 *
 *   0x00     IOAPICID   bits 27:24
 *   0x01     IOAPICVER  version 0x11, maximum redirection entry 23 (bits 23:16)
 *   0x02     IOAPICARB  arbitration ID, the same as the ID
 *   0x10-3f  IOREDTBL   two 32-bit halves per pin (3.2.4)
 *
 * The local APICs are in vmw86 (VMW86_CREATE_LAPIC), the IOAPIC here: the
 * "split irqchip" KVM also offers. A redirection entry is an MSI in all but
 * name (Intel SDM vol. 3, 11.11), so an edge on an unmasked pin becomes one
 * VMW86_SIGNAL_MSI, which any thread may issue. Without the in-kernel APIC
 * the guest is told of none (CPUID) and leaves every entry masked.
 *
 * What is missing: level-triggered semantics. A level entry is delivered
 * on each assertion like an edge, with its trigger bit set, but Remote IRR
 * is never set, because vmw86 does not tell user space of the guest's EOI;
 * a line still asserted after the EOI is not delivered again. Only the SCI
 * (IRQ 9) is level-triggered here, and nothing raises it. The delivery
 * modes SMI and ExtINT are not delivered (vmw86 takes fixed, lowest
 * priority, NMI and INIT); nor is the 82093AA's pin assertion register.
 *
 * Called with the platform lock held.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../vmw86-run.h"

#define IOAPIC_PINS		24
#define IOAPIC_VERSION		0x11

#define REG_ID			0x00
#define REG_VER			0x01
#define REG_ARB			0x02
#define REG_REDTBL		0x10

/* Redirection table entry bits (3.2.4). */
#define RTE_VECTOR		0xffULL
#define RTE_DELMODE_SHIFT	8
#define RTE_DELMODE		(7ULL << RTE_DELMODE_SHIFT)
#define RTE_DESTMODE_LOGICAL	(1ULL << 11)
#define RTE_DELIVS		(1ULL << 12)	/* read-only */
#define RTE_POLARITY_LOW	(1ULL << 13)
#define RTE_REMOTE_IRR		(1ULL << 14)	/* read-only */
#define RTE_TRIGGER_LEVEL	(1ULL << 15)
#define RTE_MASKED		(1ULL << 16)
#define RTE_DEST_SHIFT		56
#define RTE_WRITABLE		(~(RTE_DELIVS | RTE_REMOTE_IRR) & \
				 (0xffULL << RTE_DEST_SHIFT | 0x1ffffULL))

#define DELMODE_FIXED		0
#define DELMODE_LOWEST		1
#define DELMODE_SMI		2
#define DELMODE_NMI		4
#define DELMODE_INIT		5
#define DELMODE_EXTINT		7

struct ioapic {
	int vm_fd;
	bool enabled;		/* the VM has local APICs to deliver to */
	u8 ioregsel;
	u64 redtbl[IOAPIC_PINS];
};

static struct ioapic ioapic;

/*
 * A redirection entry as an MSI (SDM vol. 3, 11.11.1 and 11.11.2): the
 * destination and its mode go into the address, vector, delivery mode and
 * trigger mode into the data; a level-triggered message says "assert".
 */
static void ioapic_deliver(unsigned int pin)
{
	u64 e = ioapic.redtbl[pin];
	unsigned int mode = (e & RTE_DELMODE) >> RTE_DELMODE_SHIFT;
	struct vmw86_msi msi = { 0 };
	int n;

	if (mode == DELMODE_SMI || mode == DELMODE_EXTINT || mode == 3 || mode == 6) {
		pr_debug("IOAPIC pin %u: delivery mode %u not delivered", pin, mode);
		return;
	}
	msi.address = LAPIC_DEFAULT_BASE | (e >> RTE_DEST_SHIFT) << 12 |
		      ((e & RTE_DESTMODE_LOGICAL) ? 1u << 2 : 0);
	msi.data = (e & RTE_VECTOR) | mode << 8;
	if (e & RTE_TRIGGER_LEVEL)
		msi.data |= 1u << 15 | 1u << 14;
	n = ioctl(ioapic.vm_fd, VMW86_SIGNAL_MSI, &msi);
	if (n < 0)
		pr_debug("IOAPIC pin %u: VMW86_SIGNAL_MSI (address 0x%llx, data 0x%x): %s",
			 pin, (unsigned long long)msi.address, msi.data, strerror(errno));
	else if (n == 0)
		pr_debug("IOAPIC pin %u: vector 0x%x reached no local APIC", pin,
			 msi.data & 0xff);
}

/* An edge on @pin. Edges on a masked pin are lost, as on the 82093AA. */
void ioapic__raise(unsigned int pin)
{
	if (!ioapic.enabled || pin >= IOAPIC_PINS)
		return;
	if (ioapic.redtbl[pin] & RTE_MASKED)
		return;
	ioapic_deliver(pin);
}

static u32 ioapic_read(u8 reg)
{
	unsigned int pin;

	switch (reg) {
	case REG_ID:
	case REG_ARB:
		return (u32)IOAPIC_ID << 24;
	case REG_VER:
		return (IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	}
	if (reg < REG_REDTBL || reg >= REG_REDTBL + 2 * IOAPIC_PINS)
		return 0;
	pin = (reg - REG_REDTBL) / 2;
	return reg & 1 ? ioapic.redtbl[pin] >> 32 : (u32)ioapic.redtbl[pin];
}

static void ioapic_write(u8 reg, u32 val)
{
	unsigned int pin;
	u64 e;

	/* The ID is fixed: the MADT already told the guest. */
	if (reg < REG_REDTBL || reg >= REG_REDTBL + 2 * IOAPIC_PINS)
		return;
	pin = (reg - REG_REDTBL) / 2;
	e = ioapic.redtbl[pin];
	if (reg & 1)
		e = (e & 0xffffffffULL) | (u64)val << 32;
	else
		e = (e & ~0xffffffffULL) | val;
	ioapic.redtbl[pin] = (ioapic.redtbl[pin] & ~RTE_WRITABLE) |
			     (e & RTE_WRITABLE);
}

/**
 * ioapic__mmio() - an access the MMIO decoder found in the IOAPIC's page
 * @gpa: the address.
 * @val: the value written, or where the value read goes.
 * @size: bytes; the registers are 32 bits wide (3.1), and a narrower
 *	access works on their low bytes.
 * @is_write: direction.
 *
 * Return: false if @gpa is not the IOAPIC's.
 */
bool ioapic__mmio(u64 gpa, u32 *val, int size, bool is_write)
{
	u32 off;

	if (gpa < IOAPIC_BASE || gpa >= IOAPIC_BASE + 0x1000)
		return false;
	off = gpa - IOAPIC_BASE;
	if (!is_write)
		*val = 0;
	if (off == 0x00) {
		if (is_write)
			ioapic.ioregsel = *val;
		else
			*val = ioapic.ioregsel;
	} else if (off == 0x10) {
		if (is_write && size == 4)
			ioapic_write(ioapic.ioregsel, *val);
		else if (!is_write)
			*val = ioapic_read(ioapic.ioregsel);
	} else {
		pr_debug("IOAPIC: %s of %d bytes at offset 0x%x ignored",
			 is_write ? "write" : "read", size, off);
	}
	return true;
}

static void ioapic_init(struct vm *vm)
{
	unsigned int i;

	ioapic.vm_fd = vm->vm_fd;
	ioapic.enabled = vm->has_lapic;
	/* After reset every entry is masked (3.2.4, bit 16). */
	for (i = 0; i < IOAPIC_PINS; i++)
		ioapic.redtbl[i] = RTE_MASKED;
}

PLATFORM_DEVICE(ioapic, ioapic_init);
