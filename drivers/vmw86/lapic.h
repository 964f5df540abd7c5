/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmw86 local APIC: one per vCPU, emulated in the generic core (the APIC
 * is architectural x86, not SVM's). AMD APM vol. 2, chapter 16; Intel SDM
 * vol. 3, chapter 10 (xAPIC) and 10.12 (x2APIC).
 */
#ifndef _VMW86_LAPIC_H
#define _VMW86_LAPIC_H

#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/types.h>

struct vmw86_vcpu;
struct vmw86_vm;
struct vmw86_msi;

/*
 * The clock the APIC timer counts before its divider, 1 GHz: guests learn
 * it from CPUID 0x40000010 EBX and the backdoor's GETHZ (cpuid.c,
 * backdoor.c), and need not calibrate it.
 */
#define VMW86_LAPIC_TIMER_HZ	1000000000U

/* Where a vCPU with a local APIC is in the INIT/STARTUP protocol. */
enum vmw86_mp_state {
	VMW86_MP_RUNNABLE,
	VMW86_MP_WAIT_FOR_SIPI,	/* after INIT, or an AP from creation */
};

/**
 * struct vmw86_lapic - one local APIC
 * @vcpu: its vCPU.
 * @base_msr: MSR IA32_APIC_BASE: base GPA, EN, EXTD (x2APIC), BSP.
 * @regs: the register page, in the xAPIC layout (offset = register); only
 *	the vCPU's own thread reads or writes it, under vcpu->mutex.
 * @posted: vectors delivered by other contexts (IPIs, MSIs, ExtINT is
 *	separate), merged into IRR by the vCPU thread; set with set_bit().
 * @posted_level: of those, the level-triggered ones (their TMR bit).
 * @events: VMW86_LAPIC_EV_* bits, set by other contexts, consumed by the
 *	vCPU thread.
 * @sipi_vector: the vector of the last STARTUP IPI.
 * @mp_state: &enum vmw86_mp_state; the vCPU thread's.
 * @timer: the APIC timer (one-shot, periodic, TSC-deadline).
 * @period_ns: periodic mode: the period.
 * @expires: when the armed one-shot or periodic count reaches 0.
 * @tsc_deadline: MSR IA32_TSC_DEADLINE, in guest TSC units; 0: disarmed.
 * @nmi_masked: an NMI was injected and the guest has not returned from
 *	its handler yet (no IRET seen).
 */
struct vmw86_lapic {
	struct vmw86_vcpu *vcpu;
	u64 base_msr;
	void *regs;
	DECLARE_BITMAP(posted, 256);
	DECLARE_BITMAP(posted_level, 256);
	unsigned long events;
	u8 sipi_vector;
	int mp_state;
	struct hrtimer timer;
	u64 period_ns;
	ktime_t expires;
	u64 tsc_deadline;
	bool nmi_masked;
};

/* Bits of vmw86_lapic.events. */
#define VMW86_LAPIC_EV_POSTED	0	/* @posted has new vectors */
#define VMW86_LAPIC_EV_TIMER	1	/* the timer expired */
#define VMW86_LAPIC_EV_NMI	2
#define VMW86_LAPIC_EV_INIT	3
#define VMW86_LAPIC_EV_SIPI	4

int vmw86_lapic_create(struct vmw86_vcpu *vcpu);
void vmw86_lapic_destroy(struct vmw86_vcpu *vcpu);
bool vmw86_lapic_is_msr(u32 index);
int vmw86_lapic_get_msr(struct vmw86_vcpu *vcpu, u32 index, u64 *data);
int vmw86_lapic_set_msr(struct vmw86_vcpu *vcpu, u32 index, u64 data);
int vmw86_lapic_set_user_base(struct vmw86_vcpu *vcpu, u64 val);
int vmw86_lapic_mmio(struct vmw86_vcpu *vcpu, u64 gpa, bool write);
int vmw86_lapic_signal_msi(struct vmw86_vm *vm, const struct vmw86_msi *msi);
/* vmw86_lapic_update(): an interrupt waits for the guest to take one. */
#define VMW86_LAPIC_WANT_WINDOW	(-2)
int vmw86_lapic_update(struct vmw86_vcpu *vcpu, bool can_inject);
bool vmw86_lapic_take_nmi(struct vmw86_vcpu *vcpu);
bool vmw86_lapic_nmi_waiting(struct vmw86_vcpu *vcpu);
bool vmw86_lapic_has_interrupt(struct vmw86_vcpu *vcpu);
bool vmw86_lapic_accepts_extint(struct vmw86_vcpu *vcpu);
bool vmw86_lapic_has_events(struct vmw86_vcpu *vcpu);
int vmw86_lapic_halt(struct vmw86_vcpu *vcpu);
int vmw86_lapic_wait_for_sipi(struct vmw86_vcpu *vcpu);
u8 vmw86_lapic_get_cr8(struct vmw86_vcpu *vcpu);
void vmw86_lapic_set_cr8(struct vmw86_vcpu *vcpu, u8 cr8);
void vmw86_lapic_nmi_done(struct vmw86_vcpu *vcpu);

#endif /* _VMW86_LAPIC_H */
