/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmw86 SVM backend internals (AMD APM vol. 2, chapter 15 "Secure Virtual
 * Machine"). The VMCB layout and the exit codes come from the kernel's
 * <asm/svm.h> and <uapi/asm/svm.h>.
 */
#ifndef _VMW86_SVM_H
#define _VMW86_SVM_H

#include <linux/types.h>
#include <asm/svm.h>

#include "../vmw86.h"

/**
 * struct svm_cpu_data - per host CPU SVM state
 * @enabled: EFER.SVME was set by vmw86 on this CPU.
 * @hsave: the host save area named by MSR VM_HSAVE_PA, where VMRUN keeps
 *	host state (APM 15.30.4); its format belongs to the processor.
 * @hsave_pa: its physical address.
 * @host_vmcb: a VMCB-format page for VMSAVE/VMLOAD of the host state that
 *	VMRUN does not switch: FS, GS, TR, LDTR with their hidden parts,
 *	KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_CS/ESP/EIP
 *	(APM 15.5.2 "VMSAVE and VMLOAD Instructions").
 * @host_vmcb_pa: its physical address.
 * @max_asid: the highest ASID (CPUID 0x8000000A EBX - 1).
 * @next_asid: the next ASID to hand out on this CPU.
 * @asid_generation: bumped each time the ASIDs run out and the whole TLB
 *	is flushed; a vCPU with an older generation needs a new ASID.
 * @host_tsc_aux: the host's TSC_AUX on this CPU (Linux keeps the CPU and
 *	node number there for RDPID and getcpu()), put back after each
 *	#VMEXIT that ran with the guest's.
 */
struct svm_cpu_data {
	bool enabled;
	struct page *hsave;
	u64 hsave_pa;
	struct page *host_vmcb;
	u64 host_vmcb_pa;
	u32 max_asid;
	u32 next_asid;
	u64 asid_generation;
	u64 host_tsc_aux;
};

#define NPT_CACHE_PAGES	8

/**
 * struct svm_vm - per-VM SVM state: the nested page table
 * @npt_root: the top-level table, whose physical address goes into
 *	VMCB.N_CR3.
 * @npt_levels: 4 or 5: the nested table has the host's paging depth, as
 *	the APM requires (15.25.3 "Nested Paging and VMRUN/#VMEXIT": the
 *	nested table is walked in the host's paging mode at VMRUN).
 * @cache: preallocated table pages, filled outside vm->mmu_lock.
 * @cache_count: how many of @cache are filled.
 */
struct svm_vm {
	u64 *npt_root;
	int npt_levels;
	u64 *cache[NPT_CACHE_PAGES];
	int cache_count;
};

/**
 * struct svm_vcpu - per-vCPU SVM state
 * @vmcb: the VMCB (one page). @vmcb_pa: its physical address.
 * @asid: the ASID used on @asid_cpu in @asid_generation.
 * @asid_cpu: @asid_generation: where @asid is valid; @asid_cpu is -1 for
 *	none (a new vCPU, or one whose TLB must be flushed).
 * @reinject: an event whose delivery a #VMEXIT interrupted (EXITINTINFO,
 *	APM 15.7.2), to inject again on the next VMRUN; 0 if none.
 * @reinject_err: its error code.
 * @dr_loaded: the guest touched DR0-DR3 (or a debugger's were loaded),
 *	which are now switched on every world switch instead of intercepted;
 *	the guest's are in vcpu->db.
 * @debugger_drs: the debugger's DR0-DR3 and DR7 (vcpu->debug_db and
 *	debug_dr7) are loaded instead of the guest's, and every guest access
 *	to DR0-DR7 exits to the core.
 * @entry_save: the save area as it was before the first VMRUN after user
 *	space changed the state; put back if that VMRUN fails, because a
 *	failed VMRUN may leave other values there (QEMU's SVM writes the
 *	host's registers back into it).
 * @entry_save_valid: @entry_save holds such a copy.
 * @entry_rip: RIP at the last VMRUN, to tell an interrupted event delivery
 *	(the guest did not move) from a stale EXITINTINFO.
 * @entry_event_inj: EVENTINJ at the last VMRUN: what the core injected,
 *	to tell it from an INT3 or INTO the guest executed itself.
 * @nmi_iret_pending: the guest reached the IRET of its NMI handler; NMIs
 *	stay blocked until it has executed.
 * @nmi_iret_rip: where that IRET is.
 */
struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u32 asid;
	int asid_cpu;
	u64 asid_generation;
	u32 reinject, reinject_err;
	bool dr_loaded, debugger_drs;
	struct vmcb_save_area *entry_save;
	bool entry_save_valid;
	u64 entry_rip;
	u32 entry_event_inj;
	bool nmi_iret_pending;
	u64 nmi_iret_rip;
};

static inline struct svm_vcpu *to_svm(struct vmw86_vcpu *vcpu)
{
	return vcpu->arch;
}

/* svm.c */
bool svm_uses_nrips(void);
void svm_dr_intercepted(struct vmw86_vcpu *vcpu);
void svm_clear_irq_window(struct vmw86_vcpu *vcpu);
void svm_nmi_iret(struct vmw86_vcpu *vcpu);
bool svm_nmi_check_iret(struct vmw86_vcpu *vcpu);

/* vmenter.S */
void vmw86_svm_vmrun(u64 vmcb_pa, unsigned long *regs, u64 host_vmcb_pa);

/* npt.c */
int svm_npt_init(struct vmw86_vm *vm);
void svm_npt_destroy(struct vmw86_vm *vm);
bool svm_npt_zap_range(struct vmw86_vm *vm, u64 gpa, u64 size);
int svm_npt_map(struct vmw86_vm *vm, u64 gpa, u64 pfn, bool writable,
		bool huge);
int svm_npt_topup_cache(struct vmw86_vm *vm);

/* exit.c */
void svm_decode_exit(struct vmw86_vcpu *vcpu, struct vmw86_exit *exit);

#endif /* _VMW86_SVM_H */
