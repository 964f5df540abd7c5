// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 SVM exits: what each #VMEXIT code means for the vCPU (AMD APM vol.
 * 2, 15.9-15.13 for the intercepts and appendix C for the codes), and the
 * MSRs the VMCB holds.
 *
 * A handler returns 1 to re-enter the guest, 0 to return to user space with
 * vcpu->run describing the exit, or a negative errno.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>
#include <asm/trapnr.h>

#include "svm.h"
#include "../lapic.h"

/* Instruction lengths, used when the CPU has no NextRIP (APM 15.7.1). */
#define LEN_CPUID	2
#define LEN_HLT		1
#define LEN_MSR		2
#define LEN_VMMCALL	3
#define LEN_XSETBV	3
#define LEN_RDTSCP	3
#define LEN_INVD	2

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

static void inject_ud(struct vmw86_vcpu *vcpu)
{
	svm_inject_exception(vcpu, X86_TRAP_UD, false, 0);
}

static void inject_gp(struct vmw86_vcpu *vcpu)
{
	svm_inject_exception(vcpu, X86_TRAP_GP, true, 0);
}

static void skip_insn(struct vmw86_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (svm_uses_nrips() && vmcb->control.next_rip)
		vcpu->rip = vmcb->control.next_rip;
	else
		vcpu->rip += len;
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

static int handle_msr(struct vmw86_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u32 index = vcpu->regs[VCPU_REG_RCX];
	u64 data;

	if (vmcb->control.exit_info_1) {
		data = (vcpu->regs[VCPU_REG_RDX] << 32) |
		       (u32)vcpu->regs[VCPU_REG_RAX];
		if (vmw86_vcpu_set_msr(vcpu, index, data)) {
			inject_gp(vcpu);
			return 1;
		}
	} else {
		if (vmw86_vcpu_get_msr(vcpu, index, &data)) {
			inject_gp(vcpu);
			return 1;
		}
		vcpu->regs[VCPU_REG_RAX] = lower_32_bits(data);
		vcpu->regs[VCPU_REG_RDX] = upper_32_bits(data);
	}
	skip_insn(vcpu, LEN_MSR);
	return 1;
}

static int handle_cpuid(struct vmw86_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u32 out[4];

	vmw86_cpuid_lookup(vcpu, vcpu->regs[VCPU_REG_RAX],
			   vcpu->regs[VCPU_REG_RCX],
			   vmcb->save.cr4 & X86_CR4_OSXSAVE, out);
	vcpu->regs[VCPU_REG_RAX] = out[0];
	vcpu->regs[VCPU_REG_RBX] = out[1];
	vcpu->regs[VCPU_REG_RCX] = out[2];
	vcpu->regs[VCPU_REG_RDX] = out[3];
	skip_insn(vcpu, LEN_CPUID);
	return 1;
}

/* EXITINFO1 of an IOIO intercept (APM vol. 2, 15.10.2, figure 15-2). */
static int handle_ioio(struct vmw86_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u32 info = c->exit_info_1;
	u8 size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	u8 asize = (info & SVM_IOIO_ASIZE_MASK) >> SVM_IOIO_ASIZE_SHIFT;

	/*
	 * SZ8/SZ16/SZ32 and A16/A32/A64 are one-hot: bit n means 2^n bytes or
	 * 2^(n+1) bytes. An address size of 0 (not reported) is decoded by
	 * the core.
	 */
	return vmw86_vcpu_exit_io(vcpu, info >> 16, size == 4 ? 4 : size,
				  info & SVM_IOIO_TYPE_MASK,
				  info & SVM_IOIO_STR_MASK,
				  info & SVM_IOIO_REP_MASK,
				  asize == 4 ? 8 : asize * 2, c->exit_info_2);
}

/* EXITINFO1 of a nested page fault is a #PF error code (APM 15.25.6). */
static int handle_npf(struct vmw86_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	bool write = c->exit_info_1 & X86_PF_WRITE;
	bool fetch = c->exit_info_1 & X86_PF_INSTR;
	u64 gpa = c->exit_info_2;
	int ret;

	ret = vmw86_handle_gpa_fault(vcpu, gpa, write);
	if (ret == VMW86_FAULT_RETRY)
		return 1;
	if (ret == VMW86_FAULT_MMIO)
		return vmw86_vcpu_exit_mmio(vcpu, gpa, write, fetch,
					    c->exit_info_1 & NPF_GUEST_PAGE_WALK);
	return ret;
}

static int handle_xsetbv(struct vmw86_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 value = (vcpu->regs[VCPU_REG_RDX] << 32) |
		    (u32)vcpu->regs[VCPU_REG_RAX];

	if (vmcb->save.cpl != 0 ||
	    !vmw86_vcpu_xsetbv(vcpu, vcpu->regs[VCPU_REG_RCX], value)) {
		inject_gp(vcpu);
		return 1;
	}
	skip_insn(vcpu, LEN_XSETBV);
	return 1;
}

static int handle_rdtscp(struct vmw86_vcpu *vcpu)
{
	u64 tsc = vmw86_vm_read_tsc(vcpu->vm);

	vcpu->regs[VCPU_REG_RAX] = lower_32_bits(tsc);
	vcpu->regs[VCPU_REG_RDX] = upper_32_bits(tsc);
	vcpu->regs[VCPU_REG_RCX] = vcpu->tsc_aux;
	skip_insn(vcpu, LEN_RDTSCP);
	return 1;
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

/*
 * The interrupt window opened with RIP on a HLT and an interrupt waiting:
 * take the interrupt as the HLT's wake-up, by retiring the HLT first. That
 * is what the CPU does when the interrupt arrives just after the HLT began,
 * so it is always allowed; and it keeps "sti; hlt" safe on an SVM that
 * opens the window inside the STI shadow (QEMU's): the interrupt would
 * otherwise be taken before the HLT, which then sleeps with nothing left
 * to wake it.
 */
static void skip_hlt_before_interrupt(struct vmw86_vcpu *vcpu)
{
	unsigned int len;
	bool db, l;
	u8 insn[15];

	if (vcpu->pending_irq < 0 && !vmw86_lapic_has_interrupt(vcpu))
		return;
	len = vmw86_vcpu_fetch_insn(vcpu, insn, &db, &l);
	if (!vmw86_insn_is_hlt(insn, len))
		return;
	vcpu->rip = l ? vcpu->rip + 1 : (u32)(vcpu->rip + 1);
}

/**
 * svm_handle_exit() - act on the #VMEXIT that just happened
 * @vcpu: the vCPU, back from svm_enter_guest().
 *
 * Context: process, interrupts on, preemptible.
 * Return: 1 to re-enter the guest; 0 to return to user space (vcpu->run
 * says why); a negative errno for VMW86_RUN to return.
 */
int svm_handle_exit(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct vmw86_run *run = vcpu->run;
	u64 code = ((u64)c->exit_code_hi << 32) | c->exit_code;

	/* EXITCODE is 64 bits; some implementations write only the low half. */
	if (c->exit_code == (u32)SVM_EXIT_ERR)
		code = SVM_EXIT_ERR;
	save_interrupted_event(vcpu);
	svm_nmi_check_iret(vcpu);

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		/* The host took it after STGI; nothing left for the guest. */
		return 1;
	case SVM_EXIT_EXCP_BASE + X86_TRAP_MC:
		/* A host machine check: let the host's handler see it. */
		if (boot_cpu_has(X86_FEATURE_MCE))
			asm volatile("int $0x12");
		return 1;
	case SVM_EXIT_VINTR:
		/* The window is open: inject, or report it, before re-entry. */
		svm_clear_irq_window(vcpu);
		skip_hlt_before_interrupt(vcpu);
		return 1;
	case SVM_EXIT_CPUID:
		return handle_cpuid(vcpu);
	case SVM_EXIT_MSR:
		return handle_msr(vcpu);
	case SVM_EXIT_IOIO:
		return handle_ioio(vcpu);
	case SVM_EXIT_NPF:
		return handle_npf(vcpu);
	case SVM_EXIT_XSETBV:
		return handle_xsetbv(vcpu);
	case SVM_EXIT_RDTSCP:
		return handle_rdtscp(vcpu);
	case SVM_EXIT_HLT:
		skip_insn(vcpu, LEN_HLT);
		return vmw86_vcpu_halt(vcpu);
	case SVM_EXIT_IRET:
		svm_nmi_iret(vcpu);
		return 1;
	case SVM_EXIT_VMMCALL:
		skip_insn(vcpu, LEN_VMMCALL);
		run->exit_reason = VMW86_EXIT_VMMCALL;
		return 0;
	case SVM_EXIT_SHUTDOWN:
		/*
		 * The VMCB is undefined after SHUTDOWN (APM 15.13.5): keep what
		 * it says about where the guest died, for user space's
		 * diagnosis, then reset it.
		 */
		run->shutdown.rip = vcpu->rip;
		run->shutdown.cr3 = svm->vmcb->save.cr3;
		vmw86_vcpu_reset(vcpu);
		run->exit_reason = VMW86_EXIT_SHUTDOWN;
		return 0;
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		/* No device DMA reaches guest memory behind the caches. */
		skip_insn(vcpu, LEN_INVD);
		return 1;
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
		/* As on a CPU without SVM (or MONITOR, RDPRU): #UD. */
		inject_ud(vcpu);
		return 1;
	case SVM_EXIT_RDPMC:
		/* Host performance counters are not the guest's to read. */
		inject_gp(vcpu);
		return 1;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR3:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR3:
		svm_dr_intercepted(vcpu);
		return 1;
	case SVM_EXIT_ERR:
		run->exit_reason = VMW86_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_exit_reason = code;
		return 0;
	default:
		run->exit_reason = VMW86_EXIT_INTERNAL_ERROR;
		run->internal.suberror = VMW86_INTERNAL_ERROR_UNHANDLED_EXIT;
		run->internal.ndata = 1;
		run->internal.data[0] = code;
		return 0;
	}
}
