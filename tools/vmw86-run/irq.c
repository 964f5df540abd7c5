// SPDX-License-Identifier: GPL-2.0
/*
 * ISA interrupt routing, as the MADT (acpi.c) describes it: every ISA IRQ
 * line goes both to the 8259 pair and to the IOAPIC pin of the same number,
 * except IRQ 0 (the PIT), which the Interrupt Source Override sends to pin
 * 2 (ACPI 6.3, 5.2.12.5). Whichever controller the guest does not use, it
 * masks. The ISA devices here signal edges (a PC's ISA lines are
 * edge-triggered, active high); the SCI (IRQ 9, level) is never raised.
 *
 * Called with the platform lock held.
 */
#include "vmw86-run.h"

void irq__raise(int irq)
{
	pic__raise(irq);
	ioapic__raise(irq == 0 ? 2 : irq);
	vm__pic_changed();
}
