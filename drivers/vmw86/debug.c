// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 guest debugging: VMW86_SET_GUEST_DEBUG, for any backend.
 *
 * A debugger in user space (a gdbstub) holds a vCPU with single steps and
 * software breakpoints, in the shape of KVM's KVM_SET_GUEST_DEBUG. Single
 * steps use the guest's own trap flag: the core sets RFLAGS.TF around each
 * entry and has the backend intercept #DB, whose DR6.BS says the step was
 * ours (AMD APM vol. 2, 13.1.1.4 "Debug-Status Register" and 13.1.4
 * "Single-Step Control"; 15.12 "Exception Intercepts"). An instruction the
 * core itself completes (CPUID, an MSR, port I/O, HLT) never reaches the
 * trap, so the step is reported before the next entry instead. Software
 * breakpoints are INT3s the debugger writes into guest memory; the #BP
 * intercept stops the guest on them with RIP on the INT3.
 *
 * The guest keeps its own: its TF and DR6 read back as it left them, and a
 * #DB that was not a step of ours is delivered to it. What the guest sees
 * of the debugger is what KVM's guests see: TF in an RFLAGS image pushed
 * during a step (PUSHF, an interrupt).
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmw86.h"

#define INSN_INT3	0xcc

#define GUESTDBG_VALID	(VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_SINGLESTEP | \
			 VMW86_GUESTDBG_USE_SW_BP | VMW86_GUESTDBG_INJECT_DB | \
			 VMW86_GUESTDBG_INJECT_BP | VMW86_GUESTDBG_BLOCKIRQ)
#define GUESTDBG_INJECT	(VMW86_GUESTDBG_INJECT_DB | VMW86_GUESTDBG_INJECT_BP)

/**
 * vmw86_guest_debug_supported() - VMW86_CAP_GUEST_DEBUG
 *
 * Return: the VMW86_GUESTDBG_* bits VMW86_SET_GUEST_DEBUG accepts.
 */
u32 vmw86_guest_debug_supported(void)
{
	return GUESTDBG_VALID;
}

static bool single_stepping(struct vmw86_vcpu *vcpu)
{
	return vcpu->guest_debug & VMW86_GUESTDBG_SINGLESTEP;
}

/* RIP after a one-byte instruction, wrapping as the operating mode does. */
static u64 rip_after_int3(struct vmw86_vcpu *vcpu, bool l, bool db)
{
	if (l)
		return vcpu->rip + 1;
	return db ? (u32)(vcpu->rip + 1) : (u16)(vcpu->rip + 1);
}

/*
 * INJECT_BP: the guest takes the #BP of the INT3 at RIP, as it would have
 * without the intercept: RIP moves past the INT3 and the exception is
 * delivered with it there (INT3 is a trap, APM vol. 3, "INT3").
 */
static int inject_int3(struct vmw86_vcpu *vcpu)
{
	unsigned int len;
	bool db, l;
	u8 insn[15];

	len = vmw86_vcpu_fetch_insn(vcpu, insn, &db, &l);
	if (!len || insn[0] != INSN_INT3)
		return -EINVAL;
	vcpu->rip = rip_after_int3(vcpu, l, db);
	vcpu->state_dirty = true;
	vmw86_vcpu_inject(vcpu, VMW86_EVENT_EXCEPTION, X86_TRAP_BP, false, 0);
	return 0;
}

/**
 * vmw86_vcpu_set_guest_debug() - VMW86_SET_GUEST_DEBUG
 * @vcpu: the vCPU; the caller holds vcpu->mutex (no VMW86_RUN in progress).
 * @udbg: user space's &struct vmw86_guest_debug.
 *
 * Stores the debug mode and tells the backend which exceptions to
 * intercept; does the one-shot INJECT_DB or INJECT_BP. Turning debugging
 * off drops a step not yet reported.
 *
 * Return: 0; -EFAULT, -EINVAL or -EBUSY as the uapi header lists.
 */
long vmw86_vcpu_set_guest_debug(struct vmw86_vcpu *vcpu,
				const struct vmw86_guest_debug __user *udbg)
{
	struct vmw86_interrupt_state st;
	struct vmw86_guest_debug dbg;
	u32 control;
	int i, ret;

	if (copy_from_user(&dbg, udbg, sizeof(dbg)))
		return -EFAULT;
	control = dbg.control;
	if ((control & ~GUESTDBG_VALID) || dbg.pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(dbg.debugreg); i++)
		if (dbg.debugreg[i])
			return -EINVAL;
	if (control && !(control & VMW86_GUESTDBG_ENABLE))
		return -EINVAL;
	if ((control & GUESTDBG_INJECT) == GUESTDBG_INJECT)
		return -EINVAL;

	if (control & GUESTDBG_INJECT) {
		vmw86_ops->get_interrupt_state(vcpu, &st);
		if (st.event_pending)
			return -EBUSY;
		if (control & VMW86_GUESTDBG_INJECT_BP) {
			ret = inject_int3(vcpu);
			if (ret)
				return ret;
		} else {
			vmw86_vcpu_inject(vcpu, VMW86_EVENT_EXCEPTION,
					  X86_TRAP_DB, false, 0);
		}
	}

	vcpu->guest_debug = control & ~GUESTDBG_INJECT;
	if (!single_stepping(vcpu))
		vcpu->debug_step = false;
	vmw86_ops->set_debug_intercepts(vcpu, single_stepping(vcpu),
					vcpu->guest_debug &
					VMW86_GUESTDBG_USE_SW_BP);
	return 0;
}

/**
 * vmw86_debug_before_entry() - set the trap flag for a single step
 * @vcpu: the vCPU, about to enter the guest (interrupts off).
 *
 * Paired with vmw86_debug_after_exit() around the backend's vcpu_run.
 */
void vmw86_debug_before_entry(struct vmw86_vcpu *vcpu)
{
	if (!single_stepping(vcpu) || (vcpu->rflags & X86_EFLAGS_TF))
		return;
	vcpu->rflags |= X86_EFLAGS_TF;
	vcpu->debug_tf = true;
}

/**
 * vmw86_debug_after_exit() - take the trap flag vmw86 set out again
 * @vcpu: the vCPU, right after the world switch.
 */
void vmw86_debug_after_exit(struct vmw86_vcpu *vcpu)
{
	if (!vcpu->debug_tf)
		return;
	vcpu->rflags &= ~X86_EFLAGS_TF;
	vcpu->debug_tf = false;
}

/**
 * vmw86_debug_retired() - note an instruction the core completed
 * @vcpu: the vCPU, after the core handled an exit or finished an IN.
 * @old_rip: RIP before; a different RIP now means the instruction retired
 *	without reaching the guest's trap.
 */
void vmw86_debug_retired(struct vmw86_vcpu *vcpu, u64 old_rip)
{
	if (single_stepping(vcpu) && vcpu->rip != old_rip)
		vcpu->debug_step = true;
}

/* Fill in VMW86_EXIT_DEBUG. */
static void exit_debug(struct vmw86_vcpu *vcpu, u32 exception, u64 dr6)
{
	struct vmw86_run *run = vcpu->run;
	u64 cs_base;
	bool db, l;

	vmw86_ops->get_code_segment(vcpu, &cs_base, &db, &l);
	run->exit_reason = VMW86_EXIT_DEBUG;
	run->debug.exception = exception;
	run->debug.pad = 0;
	run->debug.pc = cs_base + (l ? vcpu->rip : (u32)vcpu->rip);
	run->debug.dr6 = dr6;
	run->debug.dr7 = vcpu->dr7;
}

/**
 * vmw86_debug_exit_for_step() - report a step the core completed
 * @vcpu: the vCPU, before an entry.
 *
 * Return: true with vcpu->run set for VMW86_EXIT_DEBUG (DR6 as a trap
 * would have left it: the guest's with BS set), false to enter.
 */
bool vmw86_debug_exit_for_step(struct vmw86_vcpu *vcpu)
{
	if (!vcpu->debug_step)
		return false;
	vcpu->debug_step = false;
	exit_debug(vcpu, X86_TRAP_DB, vcpu->dr6 | DR_STEP);
	return true;
}

/**
 * vmw86_debug_handle_db() - an intercepted #DB
 * @vcpu: the vCPU; vcpu->dr6 is DR6 as the exception set it.
 *
 * A single step of ours (DR6.BS while single-stepping) ends VMW86_RUN with
 * VMW86_EXIT_DEBUG and gives the guest back its DR6; anything else is the
 * guest's own debug trap, delivered to it with DR6 as the processor left
 * it.
 *
 * Return: 0 to return to user space, 1 to re-enter.
 */
int vmw86_debug_handle_db(struct vmw86_vcpu *vcpu)
{
	if (single_stepping(vcpu) && (vcpu->dr6 & DR_STEP)) {
		vcpu->debug_step = false;
		exit_debug(vcpu, X86_TRAP_DB, vcpu->dr6);
		vcpu->dr6 &= ~DR_STEP;
		return 0;
	}
	vmw86_vcpu_inject(vcpu, VMW86_EVENT_EXCEPTION, X86_TRAP_DB, false, 0);
	return 1;
}

/**
 * vmw86_debug_handle_bp() - an intercepted #BP, RIP on its INT3
 * @vcpu: the vCPU.
 *
 * The core intercepts #BP only while software breakpoints are on
 * (vmw86_vcpu_set_guest_debug()), so every one is the debugger's to see.
 *
 * Return: 0: VMW86_RUN returns VMW86_EXIT_DEBUG.
 */
int vmw86_debug_handle_bp(struct vmw86_vcpu *vcpu)
{
	exit_debug(vcpu, X86_TRAP_BP, vcpu->dr6);
	return 0;
}
