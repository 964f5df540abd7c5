// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 SVM backend: detection, turning SVM on and off per CPU, the VMCB
 * and its intercepts, ASIDs, the world switch, and the guest state the
 * VMCB holds (AMD APM vol. 2, chapter 15).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/io.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/trapnr.h>
#include <asm/virtext.h>

#include "svm.h"

/* The VMCB layout is the hardware's (APM vol. 2, appendix B). */
static_assert(sizeof(struct vmcb_control_area) == 1024);
static_assert(sizeof(struct vmcb_seg) == 16);
static_assert(offsetof(struct vmcb_save_area, efer) == 0xd0);
static_assert(offsetof(struct vmcb_save_area, rip) == 0x178);
static_assert(offsetof(struct vmcb_save_area, rax) == 0x1f8);
static_assert(offsetof(struct vmcb_save_area, g_pat) == 0x268);

/* The permission maps' sizes (APM 15.10.1 and 15.11). */
#define IOPM_SIZE	(3 * PAGE_SIZE)		/* 12 KiB: one bit per port */
#define MSRPM_SIZE	(2 * PAGE_SIZE)		/* 8 KiB: two bits per MSR */

static DEFINE_PER_CPU(struct svm_cpu_data *, svm_cpu_data);
static struct page *iopm_pages, *msrpm_pages;
static u64 iopm_pa, msrpm_pa;
static bool has_nrips;
/*
 * RDPID reads TSC_AUX and cannot be intercepted (APM 15.9 has no intercept
 * bit for it): the guest must run with its own value in the MSR.
 */
static bool has_tsc_aux;
static u64 host_xcr0;

static inline void clgi(void)
{
	asm volatile("clgi" ::: "memory");
}

static inline void stgi(void)
{
	asm volatile("stgi" ::: "memory");
}

static int svm_probe(void)
{
	const char *msg;
	u64 vm_cr;

	if (!cpu_has_svm(&msg)) {
		pr_err("this CPU cannot run vmw86 guests: %s\n", msg);
		return -ENODEV;
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("SVM is disabled by the firmware (VM_CR.SVMDIS); enable it in the BIOS setup\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("this CPU has SVM but no nested paging (NPT), which vmw86 requires\n");
		return -ENODEV;
	}
	has_nrips = boot_cpu_has(X86_FEATURE_NRIPS);
	has_tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
		      boot_cpu_has(X86_FEATURE_RDPID);
	host_xcr0 = boot_cpu_has(X86_FEATURE_OSXSAVE) ?
		    xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	return 0;
}

/*
 * MSRs the guest may read and write directly: their values live in the
 * VMCB and are switched by VMLOAD/VMSAVE, so the host never sees them.
 */
static const u32 msr_passthrough[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/* Clear the read and write intercept bits of one MSR (APM 15.11). */
static void msrpm_allow(u8 *msrpm, u32 msr)
{
	u32 base, offset;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xc0000000 < 0x2000)
		base = 0x800;
	else
		base = 0x1000;
	offset = (msr & 0x1fff) * 2;
	msrpm[base + offset / 8] &= ~(3 << (offset % 8));
}

static void svm_free_cpu_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu_data *sd = per_cpu(svm_cpu_data, cpu);

		if (!sd)
			continue;
		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_vmcb)
			__free_page(sd->host_vmcb);
		kfree(sd);
		per_cpu(svm_cpu_data, cpu) = NULL;
	}
}

static void svm_hardware_unsetup(void)
{
	svm_free_cpu_data();
	if (iopm_pages)
		__free_pages(iopm_pages, get_order(IOPM_SIZE));
	if (msrpm_pages)
		__free_pages(msrpm_pages, get_order(MSRPM_SIZE));
}

static int svm_hardware_setup(void)
{
	u32 nr_asids = cpuid_ebx(SVM_CPUID_FUNC);
	unsigned int i;
	u8 *msrpm;
	int cpu;

	/* Every port and every MSR is intercepted unless allowed below. */
	iopm_pages = alloc_pages(GFP_KERNEL, get_order(IOPM_SIZE));
	msrpm_pages = alloc_pages(GFP_KERNEL, get_order(MSRPM_SIZE));
	if (!iopm_pages || !msrpm_pages)
		goto err;
	memset(page_address(iopm_pages), 0xff, PAGE_SIZE << get_order(IOPM_SIZE));
	msrpm = page_address(msrpm_pages);
	memset(msrpm, 0xff, PAGE_SIZE << get_order(MSRPM_SIZE));
	for (i = 0; i < ARRAY_SIZE(msr_passthrough); i++)
		msrpm_allow(msrpm, msr_passthrough[i]);
	iopm_pa = page_to_phys(iopm_pages);
	msrpm_pa = page_to_phys(msrpm_pages);

	for_each_possible_cpu(cpu) {
		struct svm_cpu_data *sd;

		sd = kzalloc_node(sizeof(*sd), GFP_KERNEL, cpu_to_node(cpu));
		if (!sd)
			goto err;
		per_cpu(svm_cpu_data, cpu) = sd;
		sd->hsave = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_vmcb = alloc_pages_node(cpu_to_node(cpu),
						 GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave || !sd->host_vmcb)
			goto err;
		sd->hsave_pa = page_to_phys(sd->hsave);
		sd->host_vmcb_pa = page_to_phys(sd->host_vmcb);
		sd->max_asid = nr_asids - 1;
	}
	return 0;
err:
	svm_hardware_unsetup();
	return -ENOMEM;
}

/*
 * Called with interrupts off on the CPU to enable. EFER.SVME already set
 * means another hypervisor owns SVM here: refuse rather than share the
 * host save area and ASIDs with it.
 */
static int svm_enable_cpu(void)
{
	struct svm_cpu_data *sd = this_cpu_read(svm_cpu_data);
	u64 efer;

	if (sd->enabled)
		return 0;
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, sd->hsave_pa);
	if (has_tsc_aux)
		rdmsrl(MSR_TSC_AUX, sd->host_tsc_aux);
	/* ASIDs may hold another hypervisor's entries: flush on first use. */
	sd->next_asid = sd->max_asid + 1;
	sd->enabled = true;
	return 0;
}

static void svm_disable_cpu(void)
{
	struct svm_cpu_data *sd = this_cpu_read(svm_cpu_data);

	if (!sd->enabled)
		return;
	cpu_svm_disable();
	sd->enabled = false;
}

static int svm_vm_init(struct vmw86_vm *vm)
{
	struct svm_vm *svm_vm = kzalloc(sizeof(*svm_vm), GFP_KERNEL_ACCOUNT);

	if (!svm_vm)
		return -ENOMEM;
	vm->arch = svm_vm;
	if (svm_npt_init(vm)) {
		kfree(vm->arch);
		return -ENOMEM;
	}
	return 0;
}

static void svm_vm_destroy(struct vmw86_vm *vm)
{
	svm_npt_destroy(vm);
	kfree(vm->arch);
}

static void set_intercept(struct vmcb *vmcb, u32 bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void clear_intercept(struct vmcb *vmcb, u32 bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

static void intercept_if(struct vmcb *vmcb, u32 bit, bool on)
{
	if (on)
		set_intercept(vmcb, bit);
	else
		clear_intercept(vmcb, bit);
}

/*
 * The intercepts that keep the guest away from host state (the issue list
 * in design.rst): interrupts and NMIs go to the host; SVM instructions, all
 * ports and all MSRs but the VMLOAD/VMSAVE ones trap; DR0-DR3 trap until
 * the guest first touches them.
 */
static void svm_init_vmcb_control(struct vmw86_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_control_area *c = &vmcb->control;
	static const u32 intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_INIT,
		INTERCEPT_CPUID, INTERCEPT_INVD, INTERCEPT_HLT,
		INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT,
		INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN, INTERCEPT_VMMCALL,
		INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
		INTERCEPT_CLGI, INTERCEPT_SKINIT, INTERCEPT_RDTSCP,
		INTERCEPT_WBINVD, INTERCEPT_MONITOR, INTERCEPT_MWAIT,
		INTERCEPT_MWAIT_COND, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
		INTERCEPT_RDPMC,
		INTERCEPT_DR0_READ, INTERCEPT_DR1_READ, INTERCEPT_DR2_READ,
		INTERCEPT_DR3_READ, INTERCEPT_DR0_WRITE, INTERCEPT_DR1_WRITE,
		INTERCEPT_DR2_WRITE, INTERCEPT_DR3_WRITE,
	};
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		set_intercept(vmcb, intercepts[i]);
	/* A machine check in the guest is the host's to handle. */
	set_intercept(vmcb, INTERCEPT_EXCEPTION_OFFSET + MC_VECTOR);

	c->iopm_base_pa = iopm_pa;
	c->msrpm_base_pa = msrpm_pa;
	/* The guest's IF masks only virtual interrupts (APM 15.21.1). */
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = __pa(((struct svm_vm *)vcpu->vm->arch)->npt_root);
}

static int svm_vcpu_create(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm;
	struct page *page;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	svm->entry_save = kmalloc(sizeof(*svm->entry_save), GFP_KERNEL_ACCOUNT);
	if (!page || !svm->entry_save) {
		if (page)
			__free_page(page);
		kfree(svm->entry_save);
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	vcpu->arch = svm;

	svm_init_vmcb_control(vcpu);
	return 0;
}

static void svm_vcpu_free(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	free_page((unsigned long)svm->vmcb);
	kfree(svm->entry_save);
	kfree(svm);
}

/* Give the vCPU an ASID valid on this CPU; a fresh ASID is a TLB flush. */
static void svm_new_asid(struct svm_vcpu *svm, struct svm_cpu_data *sd)
{
	if (sd->next_asid > sd->max_asid) {
		sd->asid_generation++;
		sd->next_asid = 1;	/* ASID 0 is the host's */
		svm->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	svm->asid = sd->next_asid++;
	svm->asid_generation = sd->asid_generation;
	svm->asid_cpu = smp_processor_id();
	svm->vmcb->control.asid = svm->asid;
}

/*
 * The interrupt shadow of STI or MOV SS covers one instruction: once the
 * kernel (or user space) has moved RIP past the instruction the guest
 * stopped at, it is over, whatever INT_STATE still says (APM 15.21.5).
 */
static bool svm_in_shadow(struct vmw86_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return (vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK) &&
	       vmcb->save.rip == vcpu->rip;
}

/**
 * struct svm_switch - what one world switch carries from before VMRUN to after
 * @host_pkru: the host's PKRU, to put back.
 * @tsc_aux_switched: the guest's TSC_AUX is in the MSR and the host's must
 *	go back.
 * @int_ctl: VMCB.INT_CTL as it went into VMRUN, to put back after a failed
 *	one.
 */
struct svm_switch {
	u32 host_pkru;
	bool tsc_aux_switched;
	u32 int_ctl;
};

/*
 * Load the guest's state for VMRUN: the VMCB's (ASID, TSC offset, RAX,
 * RSP, RIP, RFLAGS, DR6, DR7, CR8, an event to re-inject), then the
 * registers VMRUN leaves alone (XCR0, PKRU, DR0-3, TSC_AUX). With
 * interrupts off and the vCPU in guest mode.
 */
static void svm_load_guest_state(struct vmw86_vcpu *vcpu,
				 struct svm_cpu_data *sd,
				 struct svm_switch *sw)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	/* The VM's one TSC: read after ->mode, as tlb_gen is. */
	vmcb->control.tsc_offset = READ_ONCE(vcpu->vm->tsc_offset);
	if (svm->asid_cpu != vcpu->cpu ||
	    svm->asid_generation != sd->asid_generation)
		svm_new_asid(svm, sd);

	if (!svm_in_shadow(vcpu))
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	vmcb->save.rax = vcpu->regs[VCPU_REG_RAX];
	vmcb->save.rsp = vcpu->regs[VCPU_REG_RSP];
	vmcb->save.rip = vcpu->rip;
	svm->entry_rip = vcpu->rip;
	vmcb->save.rflags = vcpu->rflags;
	vmcb->save.dr6 = vcpu->dr6;
	vmcb->save.dr7 = svm->debugger_drs ? vcpu->debug_dr7 : vcpu->dr7;
	if (svm->reinject) {
		vmcb->control.event_inj = svm->reinject;
		vmcb->control.event_inj_err = svm->reinject_err;
		svm->reinject = 0;
	}
	svm->entry_event_inj = vmcb->control.event_inj;
	/* Only state user space set can fail VMRUN's consistency checks. */
	if (vcpu->state_dirty) {
		memcpy(svm->entry_save, &vmcb->save, sizeof(vmcb->save));
		svm->entry_save_valid = true;
	}

	if (host_xcr0 && vcpu->xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		sw->host_pkru = rdpkru();
		if (vcpu->pkru != sw->host_pkru)
			wrpkru(vcpu->pkru);
	}
	/* With V_INTR_MASKING, guest CR8 is V_TPR (APM 15.21.1). */
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
				(vcpu->cr8 & V_TPR_MASK);
	/*
	 * V_INTR_MASKING is what keeps the host's interrupts the host's (APM
	 * vol. 2, 15.21.1): with it clear the guest's IF masks them too, and a
	 * guest spinning with IF = 0 holds the host CPU off for as long as it
	 * likes. vmw86 never clears it, but every #VMEXIT writes int_ctl back,
	 * and QEMU's SVM writes a stale zero there when VMRUN fails its early
	 * consistency checks: set it on every entry, and after a failed entry
	 * put back what the VMCB held (V_TPR included).
	 */
	vmcb->control.int_ctl |= V_INTR_MASKING_MASK;
	sw->int_ctl = vmcb->control.int_ctl;
	/* A debugger's are loaded only with dr_loaded set. */
	if (svm->dr_loaded) {
		const u64 *dr = svm->debugger_drs ? vcpu->debug_db : vcpu->db;

		set_debugreg(dr[0], 0);
		set_debugreg(dr[1], 1);
		set_debugreg(dr[2], 2);
		set_debugreg(dr[3], 3);
	}

	/*
	 * Interrupts are off from here to the restore in svm_put_host_state(),
	 * so no host code on this CPU sees the guest's TSC_AUX. (KVM defers
	 * the restore to the return to user space; two WRMSRs per world
	 * switch are the simpler price, paid only while the values differ.)
	 */
	sw->tsc_aux_switched = has_tsc_aux && vcpu->tsc_aux != sd->host_tsc_aux;
	if (sw->tsc_aux_switched)
		wrmsrl(MSR_TSC_AUX, vcpu->tsc_aux);
}

/*
 * Put back the host's state after #VMEXIT, before anything can run on this
 * CPU (interrupts off, GIF still 0): TSC_AUX, DR0-3 and DR7, PKRU and XCR0,
 * keeping the guest's DR0-3, PKRU and XCR0 for the next entry.
 */
static void svm_put_host_state(struct vmw86_vcpu *vcpu,
			       struct svm_cpu_data *sd,
			       const struct svm_switch *sw)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (sw->tsc_aux_switched)
		wrmsrl(MSR_TSC_AUX, sd->host_tsc_aux);

	/* The guest writes its own only while they are not intercepted. */
	if (svm->dr_loaded && !svm->debugger_drs) {
		get_debugreg(vcpu->db[0], 0);
		get_debugreg(vcpu->db[1], 1);
		get_debugreg(vcpu->db[2], 2);
		get_debugreg(vcpu->db[3], 3);
	}
	/* #VMEXIT leaves DR7 with breakpoints off: put the host's back. */
	if (svm->dr_loaded || hw_breakpoint_active())
		hw_breakpoint_restore();
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		vcpu->pkru = rdpkru();
		if (vcpu->pkru != sw->host_pkru)
			wrpkru(sw->host_pkru);
	}
	if (host_xcr0) {
		/*
		 * The register, not our copy: an SVM without a working XSETBV
		 * intercept (QEMU's) lets the guest write XCR0 directly.
		 */
		vcpu->xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if (vcpu->xcr0 != host_xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	}
}

/*
 * After #VMEXIT: the vCPU's RAX, RSP, RIP, RFLAGS, DR6, DR7 and CR8 from
 * the VMCB, and after a failed VMRUN the VMCB as it was before it.
 */
static void svm_read_guest_state(struct vmw86_vcpu *vcpu,
				 const struct svm_switch *sw)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	bool failed = vmcb->control.exit_code == (u32)SVM_EXIT_ERR;

	if (failed) {
		/* Keep what user space set; expose nothing VMRUN left there. */
		vmcb->control.int_ctl = sw->int_ctl;
		if (svm->entry_save_valid)
			memcpy(&vmcb->save, svm->entry_save, sizeof(vmcb->save));
	} else {
		vcpu->state_dirty = false;
		svm->entry_save_valid = false;
	}
	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	vmcb->control.event_inj = 0;
	/*
	 * With no copy there is nothing the guest's to read back: the core
	 * resets the vCPU (vmw86_exit.hw.state_lost).
	 */
	if (failed && !svm->entry_save_valid)
		return;
	vcpu->regs[VCPU_REG_RAX] = vmcb->save.rax;
	vcpu->regs[VCPU_REG_RSP] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	vcpu->dr6 = vmcb->save.dr6;
	if (!svm->debugger_drs)
		vcpu->dr7 = vmcb->save.dr7;
	vcpu->cr8 = vmcb->control.int_ctl & V_TPR_MASK;
}

/*
 * Enter the guest once: the core has published guest mode with interrupts
 * off. Returns 0 with @exit filled in, or -EIO if SVM is off on this CPU.
 */
static int svm_vcpu_run(struct vmw86_vcpu *vcpu, struct vmw86_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_cpu_data *sd = this_cpu_read(svm_cpu_data);
	struct svm_switch sw;

	if (!sd->enabled)
		return -EIO;

	svm_load_guest_state(vcpu, sd, &sw);
	clgi();
	raw_local_irq_enable();
	vmw86_svm_vmrun(svm->vmcb_pa, vcpu->regs, sd->host_vmcb_pa);
	raw_local_irq_disable();
	svm_put_host_state(vcpu, sd, &sw);
	stgi();

	svm_read_guest_state(vcpu, &sw);
	svm_decode_exit(vcpu, exit);
	return 0;
}

/* A fresh ASID is a TLB flush: drop this one (svm_load_guest_state()). */
static void svm_flush_tlb(struct vmw86_vcpu *vcpu)
{
	to_svm(vcpu)->asid_cpu = -1;
}

static void svm_get_interrupt_state(struct vmw86_vcpu *vcpu,
				    struct vmw86_interrupt_state *st)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	st->if_flag = vcpu->rflags & X86_EFLAGS_IF;
	st->shadow = svm_in_shadow(vcpu);
	st->event_pending = svm->reinject ||
			    (svm->vmcb->control.event_inj & SVM_EVTINJ_VALID);
}

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
static void svm_inject_exception(struct vmw86_vcpu *vcpu, u8 vector,
				 bool has_err, u32 err)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	to_svm(vcpu)->reinject = 0;
	c->event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
		       (has_err ? SVM_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = err;
}

/*
 * EVENTINJ (APM 15.20). An NMI blocks further NMIs until the IRET of its
 * handler, which SVM without vNMI does not track: intercept the IRET
 * (svm_nmi_iret()).
 */
static void svm_inject_event(struct vmw86_vcpu *vcpu,
			     enum vmw86_event_type type, u8 vector,
			     bool has_err, u32 err)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	switch (type) {
	case VMW86_EVENT_INTR:
		vmcb->control.event_inj = vector | SVM_EVTINJ_TYPE_INTR |
					  SVM_EVTINJ_VALID;
		break;
	case VMW86_EVENT_NMI:
		vmcb->control.event_inj = X86_TRAP_NMI | SVM_EVTINJ_TYPE_NMI |
					  SVM_EVTINJ_VALID;
		set_intercept(vmcb, INTERCEPT_IRET);
		break;
	case VMW86_EVENT_EXCEPTION:
		svm_inject_exception(vcpu, vector, has_err, err);
		break;
	}
}

/**
 * svm_clear_irq_window() - stop asking for an interrupt-window exit
 * @vcpu: the vCPU, after a VINTR intercept or when nothing waits for one.
 */
void svm_clear_irq_window(struct vmw86_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
	clear_intercept(vmcb, INTERCEPT_VINTR);
}

/*
 * The interrupt window: post a virtual interrupt that the guest cannot
 * mask by TPR and intercept its acceptance (V_IRQ with the VINTR
 * intercept, APM 15.21.4): the #VMEXIT comes exactly when RFLAGS.IF is set
 * and no interrupt shadow is in effect.
 *
 * SVM has no NMI window. A held NMI exits as soon as its handler's IRET
 * (already intercepted, svm_nmi_iret()) restores IF: through the same
 * interrupt window, asked for only while IF is clear. (With IF already set
 * the window would exit before the IRET, again and again: then the NMI
 * waits for a later exit.)
 */
static void svm_set_event_windows(struct vmw86_vcpu *vcpu, bool irq, bool nmi)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	if (irq || (nmi && svm->nmi_iret_pending &&
		    !(vcpu->rflags & X86_EFLAGS_IF))) {
		vmcb->control.int_ctl |= V_IRQ_MASK | V_INTR_PRIO_MASK |
					 V_IGN_TPR_MASK;
		set_intercept(vmcb, INTERCEPT_VINTR);
	} else {
		svm_clear_irq_window(vcpu);
	}
}

/**
 * svm_nmi_iret() - the guest is about to return from its NMI handler
 * @vcpu: the vCPU, at an IRET intercept.
 *
 * The intercept comes before the IRET executes (APM 15.9), so NMIs stay
 * blocked until an exit shows RIP elsewhere (svm_nmi_check_iret()); a held
 * NMI asks for an interrupt window meanwhile, whose exit comes right after
 * the IRET when it restores IF = 1.
 */
void svm_nmi_iret(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	clear_intercept(svm->vmcb, INTERCEPT_IRET);
	svm->nmi_iret_pending = true;
	svm->nmi_iret_rip = vcpu->rip;
}

/**
 * svm_nmi_check_iret() - has the IRET of an NMI handler executed?
 * @vcpu: the vCPU, after a #VMEXIT.
 *
 * Return: true once, at the first exit after it: NMIs are unblocked.
 */
bool svm_nmi_check_iret(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (!svm->nmi_iret_pending || vcpu->rip == svm->nmi_iret_rip)
		return false;
	svm->nmi_iret_pending = false;
	return true;
}

static u16 seg_to_attrib(const struct vmw86_segment *s)
{
	if (s->unusable || !s->present)
		return 0;
	return (s->type & SVM_SELECTOR_TYPE_MASK) |
	       (s->s << SVM_SELECTOR_S_SHIFT) |
	       ((s->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
	       (1 << SVM_SELECTOR_P_SHIFT) |
	       (s->avl << SVM_SELECTOR_AVL_SHIFT) |
	       (s->l << SVM_SELECTOR_L_SHIFT) |
	       (s->db << SVM_SELECTOR_DB_SHIFT) |
	       (s->g << SVM_SELECTOR_G_SHIFT);
}

static void svm_get_segment(const struct vmcb_seg *v, struct vmw86_segment *s)
{
	u16 a = v->attrib;

	*s = (struct vmw86_segment) {
		.base = v->base, .limit = v->limit, .selector = v->selector,
		.type = a & SVM_SELECTOR_TYPE_MASK,
		.s = !!(a & SVM_SELECTOR_S_MASK),
		.dpl = (a & SVM_SELECTOR_DPL_MASK) >> SVM_SELECTOR_DPL_SHIFT,
		.present = !!(a & SVM_SELECTOR_P_MASK),
		.avl = !!(a & SVM_SELECTOR_AVL_MASK),
		.l = !!(a & SVM_SELECTOR_L_MASK),
		.db = !!(a & SVM_SELECTOR_DB_MASK),
		.g = !!(a & SVM_SELECTOR_G_MASK),
	};
	s->unusable = !s->present;
}

/*
 * VMLOAD takes FS, GS, TR and LDTR bases as they are; keep them canonical
 * so that no value user space sets can reach the hardware non-canonical.
 */
static u64 canonical(u64 addr)
{
	return sign_extend64(addr, boot_cpu_data.x86_virt_bits - 1);
}

static void svm_set_segment(struct vmcb_seg *v, const struct vmw86_segment *s,
			    bool vmload_loaded)
{
	v->base = vmload_loaded ? canonical(s->base) : s->base;
	v->limit = s->limit;
	v->selector = s->selector;
	v->attrib = seg_to_attrib(s);
}

static void svm_get_sregs(struct vmw86_vcpu *vcpu, struct vmw86_sregs *sregs)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	memset(sregs, 0, sizeof(*sregs));
	svm_get_segment(&save->cs, &sregs->cs);
	svm_get_segment(&save->ds, &sregs->ds);
	svm_get_segment(&save->es, &sregs->es);
	svm_get_segment(&save->fs, &sregs->fs);
	svm_get_segment(&save->gs, &sregs->gs);
	svm_get_segment(&save->ss, &sregs->ss);
	svm_get_segment(&save->tr, &sregs->tr);
	svm_get_segment(&save->ldtr, &sregs->ldt);
	sregs->gdt.base = save->gdtr.base;
	sregs->gdt.limit = save->gdtr.limit;
	sregs->idt.base = save->idtr.base;
	sregs->idt.limit = save->idtr.limit;
	sregs->cr0 = save->cr0;
	sregs->cr2 = save->cr2;
	sregs->cr3 = save->cr3;
	sregs->cr4 = save->cr4;
	sregs->efer = save->efer & ~EFER_SVME;
}

static void svm_set_sregs(struct vmw86_vcpu *vcpu,
			  const struct vmw86_sregs *sregs)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save_area *save = &vmcb->save;

	svm_set_segment(&save->cs, &sregs->cs, false);
	svm_set_segment(&save->ds, &sregs->ds, false);
	svm_set_segment(&save->es, &sregs->es, false);
	svm_set_segment(&save->fs, &sregs->fs, true);
	svm_set_segment(&save->gs, &sregs->gs, true);
	svm_set_segment(&save->ss, &sregs->ss, false);
	svm_set_segment(&save->tr, &sregs->tr, true);
	svm_set_segment(&save->ldtr, &sregs->ldt, true);
	save->gdtr.base = sregs->gdt.base;
	save->gdtr.limit = sregs->gdt.limit;
	save->idtr.base = sregs->idt.base;
	save->idtr.limit = sregs->idt.limit;
	save->cr0 = sregs->cr0;
	save->cr2 = sregs->cr2;
	save->cr3 = sregs->cr3;
	save->cr4 = sregs->cr4;
	/* The guest runs with SVME set; it never sees it (APM 15.5.1). */
	save->efer = sregs->efer | EFER_SVME;
	/* CPL is SS.DPL in protected mode, 0 in real mode (APM 15.5.1). */
	save->cpl = (sregs->cr0 & X86_CR0_PE) ? sregs->ss.dpl & 3 : 0;
}

/**
 * svm_vcpu_reset() - clear the guest state the VMCB holds
 * @vcpu: the vCPU.
 *
 * Zeroes the save area (EFER.SVME set, as VMRUN requires) and drops any
 * event waiting for injection or re-injection; the core then loads the
 * RESET values (reset.c).
 */
static void svm_vcpu_reset(struct vmw86_vcpu *vcpu)
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
static int svm_get_msr(struct vmw86_vcpu *vcpu, u32 index, u64 *data)
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
static int svm_set_msr(struct vmw86_vcpu *vcpu, u32 index, u64 data)
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

static void svm_get_paging_state(struct vmw86_vcpu *vcpu,
				 struct vmw86_paging_state *ps)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	ps->cr0 = save->cr0;
	ps->cr3 = save->cr3;
	ps->cr4 = save->cr4;
	ps->efer = save->efer;
}

static void svm_get_code_segment(struct vmw86_vcpu *vcpu, u64 *base, bool *db,
				 bool *l)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	*l = (save->efer & EFER_LMA) && (save->cs.attrib & SVM_SELECTOR_L_MASK);
	*db = !!(save->cs.attrib & SVM_SELECTOR_DB_MASK);
	*base = *l ? 0 : save->cs.base;
}

/* Intercept reads and writes of DR0-DR3 (@low) and of DR4-DR7 (@high). */
static void svm_intercept_drs(struct vmcb *vmcb, bool low, bool high)
{
	int i;

	for (i = 0; i < 8; i++) {
		intercept_if(vmcb, INTERCEPT_DR0_READ + i, i < 4 ? low : high);
		intercept_if(vmcb, INTERCEPT_DR0_WRITE + i, i < 4 ? low : high);
	}
}

/*
 * A debugger's exceptions: #DB for single steps and hardware breakpoints,
 * #BP for software breakpoints (APM vol. 2, 15.12), and its debug
 * registers in place of the guest's, with every MOV DR of the guest's
 * intercepted (15.11). #MC stays intercepted whatever this says
 * (svm_init_vmcb_control()). Once a debugger's were loaded, the guest's
 * DR0-DR3 are switched on every entry from then on: the core may have
 * written them meanwhile.
 */
static void svm_set_debug_intercepts(struct vmw86_vcpu *vcpu, bool db, bool bp,
				     bool debugger_drs)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	if (debugger_drs)
		svm->dr_loaded = true;
	svm->debugger_drs = debugger_drs;
	svm_intercept_drs(vmcb, !svm->dr_loaded || debugger_drs, debugger_drs);

	intercept_if(vmcb, INTERCEPT_EXCEPTION_OFFSET + DB_VECTOR, db);
	intercept_if(vmcb, INTERCEPT_EXCEPTION_OFFSET + BP_VECTOR, bp);
}

/**
 * svm_uses_nrips() - does the CPU store the next RIP on intercepts?
 *
 * Return: true when VMCB.NextRIP is valid (CPUID 8000_000A EDX[3]).
 */
bool svm_uses_nrips(void)
{
	return has_nrips;
}

/**
 * svm_dr_intercepted() - the guest touched DR0-DR3: switch them from now on
 * @vcpu: the vCPU.
 *
 * Instead of emulating each MOV DR (which needs decoding, and is done only
 * while a debugger's registers are loaded), vmw86 stops intercepting
 * DR0-DR3 and loads the guest's values around each VMRUN.
 */
void svm_dr_intercepted(struct vmw86_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm_intercept_drs(svm->vmcb, false, false);
	svm->dr_loaded = true;
}

const struct vmw86_backend_ops vmw86_svm_ops = {
	.name = "AMD SVM",
	.probe = svm_probe,
	.hardware_setup = svm_hardware_setup,
	.hardware_unsetup = svm_hardware_unsetup,
	.enable_cpu = svm_enable_cpu,
	.disable_cpu = svm_disable_cpu,
	.vm_init = svm_vm_init,
	.vm_destroy = svm_vm_destroy,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_run = svm_vcpu_run,
	.flush_tlb = svm_flush_tlb,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.get_paging_state = svm_get_paging_state,
	.get_code_segment = svm_get_code_segment,
	.get_interrupt_state = svm_get_interrupt_state,
	.inject_event = svm_inject_event,
	.set_event_windows = svm_set_event_windows,
	.set_debug_intercepts = svm_set_debug_intercepts,
	.vcpu_reset = svm_vcpu_reset,
	.zap_gpa_range = svm_npt_zap_range,
	.map_gpa = svm_npt_map,
	.topup_mmu_cache = svm_npt_topup_cache,
};
