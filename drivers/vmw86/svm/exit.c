// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 SVM exits: what each #VMEXIT code says, told to the core as a
 * &struct vmw86_exit (AMD APM vol. 2, 15.9-15.13 for the intercepts and
 * appendix C for the codes).
 *
 * The backend decides nothing here that is not SVM's: which MSR to
 * allow, what to do with an instruction, when to leave for user space
 * is the core's (run.c). What stays is SVM's own bookkeeping: the event
 * an exit interrupted, the IRET that ends an NMI, the debug registers it
 * stops intercepting.
 */
#include <linux/kernel.h>
#include <asm/traps.h>
#include <asm/trapnr.h>

#include "svm.h"

/* NPF EXITINFO1 bit 33: the fault hit a guest page table (APM 15.25.6). */
#define NPF_GUEST_PAGE_WALK	BIT_ULL(33)

/* EXITINFO1 of an IOIO intercept (APM vol. 2, 15.10.2, figure 15-2). */
static void decode_ioio(struct vmcb_control_area *c, struct vmw86_exit *exit)
{
	u32 info = c->exit_info_1;
	u8 size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	u8 asize = (info & SVM_IOIO_ASIZE_MASK) >> SVM_IOIO_ASIZE_SHIFT;

	/*
	 * SZ8/SZ16/SZ32 and A16/A32/A64 are one-hot: bit n means 2^n bytes or
	 * 2^(n+1) bytes. An address size of 0 (not reported) is decoded by
	 * the core. EXITINFO2 is the next RIP, with or without NRIPS.
	 */
	exit->reason = VMW86_VEXIT_IO;
	exit->io.port = info >> 16;
	exit->io.size = size == 4 ? 4 : size;
	exit->io.in = info & SVM_IOIO_TYPE_MASK;
	exit->io.string = info & SVM_IOIO_STR_MASK;
	exit->io.rep = info & SVM_IOIO_REP_MASK;
	exit->io.addr_size = asize == 4 ? 8 : asize * 2;
	exit->next_rip = c->exit_info_2;
}

/* EXITINFO1 of a nested page fault is a #PF error code (APM 15.25.6). */
static void decode_npf(struct vmcb_control_area *c, struct vmw86_exit *exit)
{
	exit->reason = VMW86_VEXIT_MEMORY;
	exit->mem.gpa = c->exit_info_2;
	exit->mem.write = c->exit_info_1 & X86_PF_WRITE;
	exit->mem.fetch = c->exit_info_1 & X86_PF_INSTR;
	exit->mem.page_walk = c->exit_info_1 & NPF_GUEST_PAGE_WALK;
}

/*
 * An event whose delivery the exit interrupted (EXITINTINFO, APM 15.7.2)
 * must be delivered again. Software interrupts and the INT3/INTO traps the
 * guest raised itself are not re-injected: RIP still points at their
 * instruction, which runs again. One the core injected through EVENTINJ
 * (a debugger's INJECT_BP, RIP already past the INT3) has no instruction
 * to run again, and is re-injected like any other.
 *
 * An interrupted delivery leaves the guest where it was, so RIP has not
 * moved since VMRUN; if it has, the event was delivered and EXITINTINFO is
 * stale. QEMU's SVM keeps the event it delivers in EVENTINJ and copies
 * that into EXITINTINFO at the next exit, which without this check
 * delivered one injected interrupt twice.
 */
static void save_interrupted_event(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 info = svm->vmcb->control.exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;
	u8 vector = info & SVM_EXITINTINFO_VEC_MASK;
	u32 what = SVM_EXITINTINFO_TYPE_MASK | SVM_EXITINTINFO_VEC_MASK;
	bool injected = (svm->entry_event_inj & SVM_EVTINJ_VALID) &&
			(svm->entry_event_inj & what) == (info & what);

	if (!(info & SVM_EXITINTINFO_VALID) || vcpu->rip != svm->entry_rip)
		return;
	if (!injected && (type == SVM_EXITINTINFO_TYPE_SOFT ||
			  (type == SVM_EXITINTINFO_TYPE_EXEPT &&
			   (vector == X86_TRAP_BP || vector == X86_TRAP_OF))))
		return;
	svm->reinject = info;
	svm->reinject_err = svm->vmcb->control.exit_int_info_err;
}

/**
 * svm_decode_exit() - describe the #VMEXIT that just happened
 * @vcpu: the vCPU, back from the world switch (its RIP, RFLAGS and GPRs
 *	read back).
 * @exit: filled in for the core.
 *
 * Also does SVM's own bookkeeping for the exit: the event whose delivery
 * it interrupted is kept for re-injection, an IRET intercept starts the
 * watch for the end of an NMI handler, a first DR0-3 access stops their
 * interception, and a VINTR exit withdraws the interrupt window.
 *
 * Context: interrupts off, right after the world switch.
 */
void svm_decode_exit(struct vmw86_vcpu *vcpu, struct vmw86_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u64 code = ((u64)c->exit_code_hi << 32) | c->exit_code;

	/* EXITCODE is 64 bits; some implementations write only the low half. */
	if (c->exit_code == (u32)SVM_EXIT_ERR)
		code = SVM_EXIT_ERR;
	save_interrupted_event(vcpu);
	exit->nmi_unblocked = svm_nmi_check_iret(vcpu);
	exit->next_rip = svm_uses_nrips() ? c->next_rip : 0;
	exit->cpl = svm->vmcb->save.cpl;

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		/* The host took it after STGI; nothing left for the guest. */
		exit->reason = VMW86_VEXIT_NONE;
		break;
	case SVM_EXIT_EXCP_BASE + X86_TRAP_MC:
		exit->reason = VMW86_VEXIT_MACHINE_CHECK;
		break;
	case SVM_EXIT_EXCP_BASE + X86_TRAP_DB:
		/* DR6 is already updated, in the VMCB (APM 15.12). */
		exit->reason = VMW86_VEXIT_DEBUG;
		break;
	case SVM_EXIT_EXCP_BASE + X86_TRAP_BP:
		exit->reason = VMW86_VEXIT_BREAKPOINT;
		break;
	case SVM_EXIT_VINTR:
		svm_clear_irq_window(vcpu);
		exit->reason = VMW86_VEXIT_IRQ_WINDOW;
		break;
	case SVM_EXIT_CPUID:
		exit->reason = VMW86_VEXIT_CPUID;
		exit->cpuid.function = vcpu->regs[VCPU_REG_RAX];
		exit->cpuid.index = vcpu->regs[VCPU_REG_RCX];
		break;
	case SVM_EXIT_MSR:
		exit->reason = VMW86_VEXIT_MSR;
		exit->msr.index = vcpu->regs[VCPU_REG_RCX];
		exit->msr.write = c->exit_info_1;
		break;
	case SVM_EXIT_IOIO:
		decode_ioio(c, exit);
		break;
	case SVM_EXIT_NPF:
		decode_npf(c, exit);
		break;
	case SVM_EXIT_XSETBV:
		exit->reason = VMW86_VEXIT_XSETBV;
		break;
	case SVM_EXIT_RDTSCP:
		exit->reason = VMW86_VEXIT_RDTSCP;
		break;
	case SVM_EXIT_HLT:
		exit->reason = VMW86_VEXIT_HLT;
		break;
	case SVM_EXIT_IRET:
		svm_nmi_iret(vcpu);
		exit->reason = VMW86_VEXIT_NONE;
		break;
	case SVM_EXIT_VMMCALL:
		exit->reason = VMW86_VEXIT_HYPERCALL;
		break;
	case SVM_EXIT_SHUTDOWN:
		exit->reason = VMW86_VEXIT_SHUTDOWN;
		break;
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		exit->reason = VMW86_VEXIT_INVD;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
	case SVM_EXIT_RDPRU:
		exit->reason = VMW86_VEXIT_UD;
		break;
	case SVM_EXIT_RDPMC:
		exit->reason = VMW86_VEXIT_RDPMC;
		break;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7:
		if (svm->debugger_drs) {
			/* The debugger's are loaded: the core emulates it. */
			exit->reason = VMW86_VEXIT_DR;
			exit->dr.index = code & 0xf;
			exit->dr.write = code >= SVM_EXIT_WRITE_DR0;
		} else if ((code & 0xf) < 4) {
			svm_dr_intercepted(vcpu);
			exit->reason = VMW86_VEXIT_NONE;
		} else {
			exit->reason = VMW86_VEXIT_UNKNOWN;
			exit->hw.code = code;
		}
		break;
	case SVM_EXIT_ERR:
		exit->reason = VMW86_VEXIT_FAIL_ENTRY;
		exit->hw.code = code;
		exit->hw.state_lost = !svm->entry_save_valid;
		break;
	default:
		exit->reason = VMW86_VEXIT_UNKNOWN;
		exit->hw.code = code;
		break;
	}
}
