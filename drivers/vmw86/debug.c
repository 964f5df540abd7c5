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
 * intercept stops the guest on them with RIP on the INT3. Hardware
 * breakpoints and watchpoints are the debugger's DR0-DR3 and DR7, loaded
 * in place of the guest's; the guest's MOV DR is then intercepted and
 * emulated here against its own copies (vcpu->db, dr6, dr7), so it reads
 * back what it wrote, and a #DB whose DR6.B0-B3 name one of the
 * debugger's enabled breakpoints is the debugger's.
 *
 * The guest keeps its own DR6 and debug registers, and a #DB that was not
 * the debugger's is delivered to it. While single-stepping, TF is the
 * debugger's, as under KVM: the guest's RFLAGS reads back without it, and
 * what the guest sees of the debugger is TF in an RFLAGS image pushed
 * during a step (PUSHF, an interrupt's frame).
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmw86.h"

#define INSN_INT3	0xcc

#define GUESTDBG_VALID	(VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_SINGLESTEP | \
			 VMW86_GUESTDBG_USE_SW_BP | VMW86_GUESTDBG_USE_HW_BP | \
			 VMW86_GUESTDBG_INJECT_DB | VMW86_GUESTDBG_INJECT_BP | \
			 VMW86_GUESTDBG_BLOCKIRQ)

/*
 * DR6 and DR7 bits a MOV may change, and those that read as 1 (APM vol. 2,
 * 13.1.1.4 and 13.1.1.5): what is left is reserved.
 */
#define DR6_WRITABLE	0x0000e00fULL	/* B0-B3, BD, BS, BT */
#define DR6_ONES	0xffff0ff0ULL
#define DR7_WRITABLE	0xffff2bffULL
#define DR7_ONES	0x00000400ULL
/* The DR6 bits a debugger's #DB sets (APM vol. 2, 13.1.1.4). */
#define DEBUGGER_DR6	(DR_TRAP_BITS | DR_STEP)
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

static bool hw_breakpoints(struct vmw86_vcpu *vcpu)
{
	return vcpu->guest_debug & VMW86_GUESTDBG_USE_HW_BP;
}

/* DR6.B0-B3 bits of the breakpoints DR7 enables (L or G, APM 13.1.1.5). */
static u64 dr7_enabled_traps(u64 dr7)
{
	u64 mask = 0;
	int i;

	for (i = 0; i < 4; i++)
		if (dr7 & (3ULL << (i * 2)))
			mask |= DR_TRAP0 << i;
	return mask;
}

/*
 * RIP after an instruction of @len bytes, wrapping as the operating mode
 * (CS.L, CS.D) does.
 */
static u64 rip_plus(struct vmw86_vcpu *vcpu, unsigned int len, bool l, bool db)
{
	if (l)
		return vcpu->rip + len;
	return db ? (u32)(vcpu->rip + len) : (u16)(vcpu->rip + len);
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
	vcpu->rip = rip_plus(vcpu, 1, l, db);
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
	/* Without hardware breakpoints no debug register may be given. */
	for (i = 0; i < ARRAY_SIZE(dbg.debugreg); i++)
		if (dbg.debugreg[i] && (!(control & VMW86_GUESTDBG_USE_HW_BP) ||
					(i >= 4 && i <= 6)))
			return -EINVAL;
	if (dbg.debugreg[7] >> 32)
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
	for (i = 0; i < 4; i++)
		vcpu->debug_db[i] = dbg.debugreg[i];
	vcpu->debug_dr7 = (dbg.debugreg[7] & DR7_WRITABLE) | DR7_ONES;
	vmw86_ops->set_debug_intercepts(vcpu,
					single_stepping(vcpu) ||
					hw_breakpoints(vcpu),
					vcpu->guest_debug &
					VMW86_GUESTDBG_USE_SW_BP,
					hw_breakpoints(vcpu));
	return 0;
}

/**
 * vmw86_debug_before_entry() - set the trap flag for a single step
 * @vcpu: the vCPU, about to enter the guest (interrupts off).
 *
 * Also keeps the guest's DR6, which the debugger's #DB will change.
 * Paired with vmw86_debug_after_exit() around the backend's vcpu_run.
 */
void vmw86_debug_before_entry(struct vmw86_vcpu *vcpu)
{
	if (single_stepping(vcpu) || hw_breakpoints(vcpu))
		vcpu->debug_dr6 = vcpu->dr6;
	if (single_stepping(vcpu))
		vcpu->rflags |= X86_EFLAGS_TF;
}

/**
 * vmw86_debug_after_exit() - take the trap flag vmw86 set out again
 * @vcpu: the vCPU, right after the world switch.
 *
 * While single-stepping, TF is the debugger's, as under KVM: taken out
 * after every exit, also when the guest restored it from an RFLAGS image
 * pushed during a step (an interrupt's frame, PUSHF), which would
 * otherwise leave the guest stepping itself once the debugger is gone.
 */
void vmw86_debug_after_exit(struct vmw86_vcpu *vcpu)
{
	if (single_stepping(vcpu))
		vcpu->rflags &= ~X86_EFLAGS_TF;
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
	bool db, l;

	run->exit_reason = VMW86_EXIT_DEBUG;
	run->debug.exception = exception;
	run->debug.pad = 0;
	run->debug.pc = vmw86_vcpu_linear_rip(vcpu, &db, &l);
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
 * A single step of ours (DR6.BS while single-stepping) or one of the
 * debugger's breakpoints (its B0-B3 bit, for a breakpoint its DR7
 * enables) ends VMW86_RUN with VMW86_EXIT_DEBUG and gives the guest back
 * its DR6; anything else is the guest's own debug trap, delivered to it
 * with DR6 as the processor left it.
 *
 * Return: 0 to return to user space, 1 to re-enter.
 */
int vmw86_debug_handle_db(struct vmw86_vcpu *vcpu)
{
	bool step = single_stepping(vcpu) && (vcpu->dr6 & DR_STEP);
	bool hit = hw_breakpoints(vcpu) &&
		   (vcpu->dr6 & dr7_enabled_traps(vcpu->debug_dr7));

	if (step || hit) {
		vcpu->debug_step = false;
		exit_debug(vcpu, X86_TRAP_DB, vcpu->dr6);
		/*
		 * B0-B3 and BS as they were at the entry; the rest as the
		 * guest may just have written it (a MOV to DR6 is not
		 * intercepted while only stepping).
		 */
		vcpu->dr6 = (vcpu->dr6 & ~DEBUGGER_DR6) |
			    (vcpu->debug_dr6 & DEBUGGER_DR6);
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

/* Take the exception MOV DR raises instead of the access (APM vol. 3). */
static int dr_fault(struct vmw86_vcpu *vcpu, u8 vector)
{
	vmw86_vcpu_inject(vcpu, VMW86_EVENT_EXCEPTION, vector,
			  vector == X86_TRAP_GP, 0);
	return 1;
}

/**
 * vmw86_debug_handle_dr() - the guest's MOV DR while the debugger's are in
 * @vcpu: the vCPU.
 * @exit: the exit (&vmw86_exit.dr: which register, read or write).
 *
 * Emulates the MOV against the guest's own DR0-DR3, DR6 and DR7 (vcpu->db,
 * dr6, dr7), which the hardware does not hold meanwhile, with the checks
 * the processor makes (APM vol. 3, "MOV DRn"): #GP above CPL 0 or for a 1
 * in DR6's or DR7's upper half, #UD for DR4/DR5 with CR4.DE set (which
 * otherwise alias DR6/DR7). Reserved bits read as the hardware has them.
 *
 * Return: 1 to re-enter; -EFAULT with an internal error in vcpu->run when
 * the instruction at RIP is not the MOV the exit named (its bytes changed,
 * or could not be read).
 */
int vmw86_debug_handle_dr(struct vmw86_vcpu *vcpu,
			  const struct vmw86_exit *exit)
{
	struct vmw86_paging_state ps;
	struct vmw86_mov_dr mov;
	unsigned int len;
	bool db, l;
	u8 insn[15];
	u64 val;
	int dr;

	len = vmw86_vcpu_fetch_insn(vcpu, insn, &db, &l);
	if (vmw86_decode_mov_dr(insn, len, l, &mov) ||
	    mov.dr != exit->dr.index || mov.write != exit->dr.write) {
		vcpu->run->exit_reason = VMW86_EXIT_INTERNAL_ERROR;
		vcpu->run->internal.suberror = VMW86_INTERNAL_ERROR_DR_ACCESS;
		vcpu->run->internal.ndata = 2;
		vcpu->run->internal.data[0] = vcpu->rip;
		vcpu->run->internal.data[1] = exit->dr.index;
		return -EFAULT;
	}
	if (exit->cpl)
		return dr_fault(vcpu, X86_TRAP_GP);
	dr = mov.dr;
	if (dr == 4 || dr == 5) {
		vmw86_ops->get_paging_state(vcpu, &ps);
		if (ps.cr4 & X86_CR4_DE)
			return dr_fault(vcpu, X86_TRAP_UD);
		dr += 2;
	}

	if (mov.write) {
		val = l ? vcpu->regs[mov.reg] : (u32)vcpu->regs[mov.reg];
		if (dr >= 6 && (val >> 32))
			return dr_fault(vcpu, X86_TRAP_GP);
		if (dr < 4)
			vcpu->db[dr] = val;
		else if (dr == 6)
			vcpu->dr6 = (val & DR6_WRITABLE) | DR6_ONES;
		else
			vcpu->dr7 = (val & DR7_WRITABLE) | DR7_ONES;
	} else {
		val = dr < 4 ? vcpu->db[dr] : dr == 6 ? vcpu->dr6 : vcpu->dr7;
		/* A 32-bit destination zero-extends (APM vol. 1, 3.1.2.3). */
		vcpu->regs[mov.reg] = l ? val : (u32)val;
	}
	vcpu->rip = rip_plus(vcpu, mov.len, l, db);
	return 1;
}
