// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 run loop: what VMW86_RUN does between entering the guest and
 * returning to user space, for any backend.
 */
#include <asm/trapnr.h>

#include "vmw86.h"
#include "lapic.h"

/**
 * vmw86_vcpu_inject_events() - deliver what waits for the guest, or ask to
 *	be told when it can take it
 * @vcpu: the vCPU (its thread), about to enter the guest.
 *
 * In the order the processor takes them: an NMI (which ignores IF), then
 * an external interrupt, the 8259's queued vector (VMW86_INTERRUPT)
 * before the local APIC's highest deliverable one, which moves from IRR
 * to ISR when taken. What cannot be delivered now asks the backend for an
 * exit when it can: an interrupt window, or for an NMI held by the one in
 * progress, an NMI window; so does user space's request_interrupt_window,
 * closed while LINT0 refuses the 8259's vectors.
 */
void vmw86_vcpu_inject_events(struct vmw86_vcpu *vcpu)
{
	struct vmw86_interrupt_state st;
	bool can_inject, irq_window = false, nmi_window = false;
	int vec;

	vmw86_ops->get_interrupt_state(vcpu, &st);
	can_inject = vmw86_can_take_interrupt(&st);
	if (vcpu->lapic) {
		/* An NMI ignores IF; IRET ends its blocking (APM 15.21.3). */
		if (!st.event_pending && vmw86_lapic_take_nmi(vcpu)) {
			vmw86_ops->inject_event(vcpu, VMW86_EVENT_NMI,
						X86_TRAP_NMI, false, 0);
			can_inject = false;
		}
		nmi_window = vmw86_lapic_nmi_waiting(vcpu);
		/* The 8259's vector, if one is queued, goes first. */
		vec = vmw86_lapic_update(vcpu, can_inject &&
					 vcpu->pending_irq < 0);
		if (vec >= 0)
			vcpu->pending_irq = vec;
		else if (vec == VMW86_LAPIC_WANT_WINDOW)
			irq_window = true;
	}
	if (vcpu->pending_irq >= 0 && can_inject) {
		vmw86_ops->inject_event(vcpu, VMW86_EVENT_INTR,
					vcpu->pending_irq, false, 0);
		vcpu->pending_irq = -1;
	}
	if (vcpu->pending_irq >= 0 ||
	    (READ_ONCE(vcpu->run->request_interrupt_window) &&
	     vmw86_lapic_accepts_extint(vcpu)))
		irq_window = true;
	vmw86_ops->set_event_windows(vcpu, irq_window, nmi_window);
}
