// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 SVM exits: what each #VMEXIT code says, told to the core as a
 * &struct vmw86_exit (AMD APM vol. 2, 15.9-15.13 for the intercepts and
 * appendix C for the codes), and the MSRs the VMCB holds.
 *
 * The backend decides nothing here that is not SVM's: which MSR to
 * allow, what to do with an instruction, when to leave for user space
 * is the core's (run.c). What stays is SVM's own bookkeeping: the event
 * an exit interrupted, the IRET that ends an NMI, the debug registers it
 * stops intercepting.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>
#include <asm/trapnr.h>

#include "svm.h"

/* NPF EXITINFO1 bit 33: the fault hit a guest page table (APM 15.25.6). */
#define NPF_GUEST_PAGE_WALK	BIT_ULL(33)

/**
 * svm_inject_exception() - deliver an exception to the guest on next VMRUN
 * @vcpu: the vCPU.
 * @vector: the exception vector.
 * @has_err: the vector pushes an error code.
 * @err: the error code.
 *
 * Uses EVENTINJ (APM 15.20); RIP stays on the faulting instruction. The
 * exception supersedes any event recorded for re-injection: only an
 * instruction intercept injects one, and on hardware an instruction
 * intercept never interrupts an event delivery (a stale EXITINTINFO must
 * not replace it).
 */
void svm_inject_exception(struct vmw86_vcpu *vcpu, u8 vector, bool has_err,
			  u32 err)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	to_svm(vcpu)->reinject = 0;
	c->event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
		       (has_err ? SVM_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = err;
}

/**
 * svm_vcpu_reset() - clear the guest state the VMCB holds
 * @vcpu: the vCPU.
 *
 * Zeroes the save area (EFER.SVME set, as VMRUN requires) and drops any
 * event waiting for injection or re-injection; the core then loads the
 * RESET values (reset.c).
 */
void svm_vcpu_reset(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *save = &svm->vmcb->save;

	memset(save, 0, sizeof(*save));
	save->efer = EFER_SVME;
	svm->reinject = 0;
	svm->vmcb->control.event_inj = 0;
}

/**
 * svm_get_msr() - read an MSR whose value the VMCB holds
 * @vcpu: the vCPU.
 * @index: the MSR.
 * @data: the value.
 *
 * Return: 0, or -ENOENT for an MSR the VMCB does not hold.
 */
int svm_get_msr(struct vmw86_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	switch (index) {
	case MSR_EFER:
		*data = save->efer & ~EFER_SVME;
		break;
	case MSR_STAR:
		*data = save->star;
		break;
	case MSR_LSTAR:
		*data = save->lstar;
		break;
	case MSR_CSTAR:
		*data = save->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = save->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = save->kernel_gs_base;
		break;
	case MSR_FS_BASE:
		*data = save->fs.base;
		break;
	case MSR_GS_BASE:
		*data = save->gs.base;
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = save->sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = save->sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = save->sysenter_eip;
		break;
	case MSR_IA32_CR_PAT:
		*data = save->g_pat;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/**
 * svm_set_msr() - store an MSR whose value the VMCB holds
 * @vcpu: the vCPU.
 * @index: the MSR.
 * @data: the value, already checked by the core (msr.c).
 *
 * Return: 0, or -ENOENT for an MSR the VMCB does not hold.
 */
int svm_set_msr(struct vmw86_vcpu *vcpu, u32 index, u64 data)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	switch (index) {
	case MSR_EFER:
		/* The guest runs with SVME set; it never sees it (APM 15.5.1). */
		save->efer = data | EFER_SVME;
		break;
	case MSR_STAR:
		save->star = data;
		break;
	case MSR_LSTAR:
		save->lstar = data;
		break;
	case MSR_CSTAR:
		save->cstar = data;
		break;
	case MSR_SYSCALL_MASK:
		save->sfmask = data;
		break;
	case MSR_KERNEL_GS_BASE:
		save->kernel_gs_base = data;
		break;
	case MSR_FS_BASE:
		save->fs.base = data;
		break;
	case MSR_GS_BASE:
		save->gs.base = data;
		break;
	case MSR_IA32_SYSENTER_CS:
		save->sysenter_cs = data;
		break;
	case MSR_IA32_SYSENTER_ESP:
		save->sysenter_esp = data;
		break;
	case MSR_IA32_SYSENTER_EIP:
		save->sysenter_eip = data;
		break;
	case MSR_IA32_CR_PAT:
		save->g_pat = data;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

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
 * must be delivered again. Software interrupts and the INT3/INTO traps are
 * not re-injected: RIP still points at their instruction, which runs again.
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

	if (!(info & SVM_EXITINTINFO_VALID) || vcpu->rip != svm->entry_rip)
		return;
	if (type == SVM_EXITINTINFO_TYPE_SOFT ||
	    (type == SVM_EXITINTINFO_TYPE_EXEPT &&
	     (vector == X86_TRAP_BP || vector == X86_TRAP_OF)))
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
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR3:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR3:
		svm_dr_intercepted(vcpu);
		exit->reason = VMW86_VEXIT_NONE;
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
