// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 local APIC: the registers (xAPIC page and x2APIC MSRs), interrupt
 * acceptance and priority, EOI, the timer, IPIs and MSIs, and the
 * INIT/STARTUP protocol. Behaviour: AMD APM vol. 2, chapter 16 "Advanced
 * Programmable Interrupt Controller (APIC)"; Intel SDM vol. 3, chapter 10,
 * whose numbering the comments use where the two agree.
 *
 * Ownership: the register page and everything not marked otherwise belong
 * to the vCPU's own thread (VMW86_RUN and the state ioctls, under
 * vcpu->mutex). Other contexts - another vCPU sending an IPI, a launcher
 * thread signalling an MSI, the timer's hrtimer in hard interrupt context -
 * only set bits in @posted and @events and kick the vCPU, which merges them
 * before its next VMRUN. That is the shape of posted interrupts: no lock
 * is shared between a sender and a running vCPU.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/tsc.h>

#include "vmw86.h"
#include "lapic.h"

/* Version register: an integrated APIC (0x1x) with six LVT entries. */
#define LAPIC_VERSION		0x14
#define LAPIC_NR_LVT		6
/* The timer counts VMW86_LAPIC_TIMER_HZ before the divider: 1 ns a tick. */
#define LAPIC_BUS_NS		(NSEC_PER_SEC / VMW86_LAPIC_TIMER_HZ)
/* A shorter period would let a guest keep a host CPU busy with ticks. */
#define LAPIC_MIN_PERIOD_NS	(100 * NSEC_PER_USEC)
#define APIC_SHORTHAND_MASK	(3u << 18)	/* ICR destination shorthand */
#define X2APIC_MSR_FIRST	0x800
#define X2APIC_MSR_LAST		0x8ff
#define LAPIC_TIMER_MODE_MASK	(3u << 17)
#define LAPIC_LVT_KEEP		(APIC_VECTOR_MASK | APIC_MODE_MASK |	\
				 APIC_INPUT_POLARITY | APIC_LVT_LEVEL_TRIGGER | \
				 APIC_LVT_MASKED)

static const u32 lvt_regs[] = {
	APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR,
	APIC_LVTCMCI,
};

static u32 reg_get(struct vmw86_lapic *apic, u32 off)
{
	return READ_ONCE(*(u32 *)(apic->regs + off));
}

static void reg_set(struct vmw86_lapic *apic, u32 off, u32 val)
{
	WRITE_ONCE(*(u32 *)(apic->regs + off), val);
}

/* IRR, ISR and TMR: eight 32-bit registers, 16 bytes apart, vectors 0-255. */
static u32 *vec_reg(struct vmw86_lapic *apic, u32 base, u8 vec)
{
	return apic->regs + base + (vec >> 5) * 0x10;
}

static void vec_set(struct vmw86_lapic *apic, u32 base, u8 vec)
{
	*vec_reg(apic, base, vec) |= BIT(vec & 31);
}

static void vec_clear(struct vmw86_lapic *apic, u32 base, u8 vec)
{
	*vec_reg(apic, base, vec) &= ~BIT(vec & 31);
}

static int vec_highest(struct vmw86_lapic *apic, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 r = reg_get(apic, base + i * 0x10);

		if (r)
			return i * 32 + fls(r) - 1;
	}
	return -1;
}

static bool hw_enabled(struct vmw86_lapic *apic)
{
	return apic->base_msr & MSR_IA32_APICBASE_ENABLE;
}

static bool sw_enabled(struct vmw86_lapic *apic)
{
	return reg_get(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

static bool x2apic_mode(struct vmw86_lapic *apic)
{
	return apic->base_msr & X2APIC_ENABLE;
}

/* The x2APIC logical ID is derived from the x2APIC ID (SDM 10.12.10.2). */
static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | BIT(id & 0xf);
}

/* Processor priority: the higher of TPR and the in-service class (10.8.3.1). */
static u32 lapic_ppr(struct vmw86_lapic *apic)
{
	u32 tpr = reg_get(apic, APIC_TASKPRI) & 0xff;
	int isrv = vec_highest(apic, APIC_ISR);
	u32 isr_class = isrv < 0 ? 0 : isrv & 0xf0;

	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

/* The highest requested vector that the priority lets through, or -1. */
static int lapic_deliverable(struct vmw86_lapic *apic)
{
	int irrv;

	if (!hw_enabled(apic))
		return -1;
	irrv = vec_highest(apic, APIC_IRR);
	if (irrv < 0 || (irrv & 0xf0) <= (lapic_ppr(apic) & 0xf0))
		return -1;
	return irrv;
}

/* ---------------------------------------------------------------------
 * The timer (SDM 10.5.4)
 */

/* @a modulo @b, for a nanosecond span past its expiry. */
static u64 div64_u64_rem_ns(u64 a, u64 b)
{
	u64 rem;

	div64_u64_rem(a, b, &rem);
	return rem;
}

static u32 timer_mode(struct vmw86_lapic *apic)
{
	return reg_get(apic, APIC_LVTT) & LAPIC_TIMER_MODE_MASK;
}

/* Divide configuration: bits 0, 1 and 3 (SDM figure 10-10). */
static u32 timer_divisor(struct vmw86_lapic *apic)
{
	u32 dcr = reg_get(apic, APIC_TDCR);
	u32 v = (dcr & 3) | ((dcr & 8) >> 1);

	return v == 7 ? 1 : 2u << v;
}

static void timer_stop(struct vmw86_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
	apic->period_ns = 0;
	apic->expires = 0;
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *timer)
{
	struct vmw86_lapic *apic = container_of(timer, struct vmw86_lapic,
						timer);

	set_bit(VMW86_LAPIC_EV_TIMER, &apic->events);
	vmw86_vcpu_kick(apic->vcpu);
	/* Ticks the guest could not take yet coalesce, as in IRR. */
	if (apic->period_ns) {
		hrtimer_forward_now(timer, ns_to_ktime(apic->period_ns));
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

static void timer_arm_ns(struct vmw86_lapic *apic, u64 ns)
{
	apic->expires = ktime_add_ns(ktime_get(), ns);
	hrtimer_start(&apic->timer, apic->expires, HRTIMER_MODE_ABS_HARD);
}

/* A write to the initial count starts one-shot or periodic counting. */
static void timer_start_count(struct vmw86_lapic *apic)
{
	u64 count = reg_get(apic, APIC_TMICT), ns;

	timer_stop(apic);
	if (!count)
		return;
	ns = count * timer_divisor(apic) * LAPIC_BUS_NS;
	if (timer_mode(apic) == APIC_LVT_TIMER_PERIODIC) {
		ns = max_t(u64, ns, LAPIC_MIN_PERIOD_NS);
		apic->period_ns = ns;
	}
	timer_arm_ns(apic, ns);
}

/* TSC-deadline mode: fire when the guest's TSC reaches the deadline. */
static void timer_start_deadline(struct vmw86_lapic *apic)
{
	u64 now, ns = 0;

	timer_stop(apic);
	if (!apic->tsc_deadline)
		return;
	now = vmw86_vm_read_tsc(apic->vcpu->vm);
	if (apic->tsc_deadline > now && tsc_khz)
		ns = mul_u64_u32_div(apic->tsc_deadline - now, USEC_PER_SEC,
				     tsc_khz);
	timer_arm_ns(apic, ns);
}

/*
 * Current count: what is left of this period, in divided bus clocks. A
 * periodic count reloads at 0 and never reads 0 (10.5.4), even while the
 * hrtimer's callback, on another CPU, has not moved the expiry on yet.
 */
static u32 timer_current_count(struct vmw86_lapic *apic)
{
	u32 initial = reg_get(apic, APIC_TMICT);
	u64 count;
	s64 left;

	if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE || !initial ||
	    !hrtimer_active(&apic->timer))
		return 0;
	left = ktime_to_ns(ktime_sub(hrtimer_get_expires(&apic->timer),
				     ktime_get()));
	if (left <= 0) {
		if (!apic->period_ns)
			return 0;
		left = apic->period_ns - div64_u64_rem_ns(-left, apic->period_ns);
	}
	count = div_u64(left, timer_divisor(apic) * LAPIC_BUS_NS);
	/* A period held to its minimum would count more than it was given. */
	return min_t(u64, count, initial);
}

/* ---------------------------------------------------------------------
 * Reset, acceptance and delivery
 */

/*
 * The state after RESET, or after INIT when @init (SDM 10.4.7.1 and
 * 10.4.7.3): INIT keeps the APIC base MSR, the x2APIC mode and the ID.
 */
static void lapic_reset(struct vmw86_lapic *apic, bool init)
{
	u32 id = apic->vcpu->id, id_reg;
	unsigned int i;

	timer_stop(apic);
	apic->tsc_deadline = 0;
	apic->nmi_masked = false;
	if (!init)
		apic->base_msr = APIC_DEFAULT_PHYS_BASE |
				 MSR_IA32_APICBASE_ENABLE |
				 (id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	id_reg = init ? reg_get(apic, APIC_ID) : id << 24;
	memset(apic->regs, 0, PAGE_SIZE);
	reg_set(apic, APIC_ID, id_reg);
	reg_set(apic, APIC_LVR, LAPIC_VERSION | ((LAPIC_NR_LVT - 1) << 16));
	reg_set(apic, APIC_DFR, APIC_DFR_FLAT);
	reg_set(apic, APIC_SPIV, 0xff);
	for (i = 0; i < ARRAY_SIZE(lvt_regs); i++)
		reg_set(apic, lvt_regs[i], APIC_LVT_MASKED);
	if (x2apic_mode(apic))
		reg_set(apic, APIC_LDR, x2apic_ldr(id));
}

/**
 * vmw86_lapic_deliver() - hand an interrupt message to one local APIC
 * @apic: the destination.
 * @mode: APIC_DM_* delivery mode.
 * @vector: the vector (fixed, lowest priority, STARTUP).
 * @level: level-triggered (its TMR bit is set on acceptance).
 *
 * Context: any, including hard interrupt context; takes no lock.
 * Return: true if the APIC took it (a software-disabled APIC drops fixed
 * interrupts, SDM 10.4.7.2; SMI, ExtINT and remote read are not modelled).
 */
static bool vmw86_lapic_deliver(struct vmw86_lapic *apic, u32 mode, u8 vector,
				bool level)
{
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (!hw_enabled(apic) || !sw_enabled(apic))
			return false;
		if (level)
			set_bit(vector, apic->posted_level);
		set_bit(vector, apic->posted);
		set_bit(VMW86_LAPIC_EV_POSTED, &apic->events);
		break;
	case APIC_DM_NMI:
		set_bit(VMW86_LAPIC_EV_NMI, &apic->events);
		break;
	case APIC_DM_INIT:
		set_bit(VMW86_LAPIC_EV_INIT, &apic->events);
		break;
	case APIC_DM_STARTUP:
		WRITE_ONCE(apic->sipi_vector, vector);
		set_bit(VMW86_LAPIC_EV_SIPI, &apic->events);
		break;
	default:
		return false;
	}
	vmw86_vcpu_kick(apic->vcpu);
	return true;
}

/*
 * Does @apic answer to destination @dest (SDM 10.6.2)? @wide: a 32-bit
 * x2APIC destination (ICR in x2APIC mode) rather than an 8-bit one (xAPIC
 * ICR, MSI address).
 */
static bool lapic_match_dest(struct vmw86_lapic *apic, u32 dest, bool logical,
			     bool wide)
{
	u32 broadcast = wide ? 0xffffffff : 0xff;
	u32 id = apic->vcpu->id, ldr;

	if (dest == broadcast)
		return true;
	if (!logical)
		return dest == (x2apic_mode(apic) ? id : reg_get(apic, APIC_ID) >> 24);
	if (x2apic_mode(apic)) {
		ldr = x2apic_ldr(id);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	ldr = reg_get(apic, APIC_LDR) >> 24;
	if ((reg_get(apic, APIC_DFR) >> 28) == 0xf)	/* flat model */
		return ldr & dest;
	return (ldr >> 4) == ((dest >> 4) & 0xf) && (ldr & dest & 0xf);
}

/*
 * Send to every matching APIC of @vm; @self is the sender for the
 * shorthands (NULL for an MSI). Lowest priority goes to the first match:
 * the arbitration is the implementation's choice (SDM 10.6.2.4). Under RCU:
 * a vCPU whose creation fails is unpublished and waited for before it is
 * freed (vmw86_vcpu_create()).
 */
static int lapic_send(struct vmw86_vm *vm, struct vmw86_lapic *self,
		      u32 shorthand, u32 dest, bool logical, bool wide,
		      u32 mode, u8 vector, bool level)
{
	int i, n = 0;

	rcu_read_lock();
	for (i = 0; i < VMW86_MAX_VCPUS; i++) {
		struct vmw86_vcpu *t = READ_ONCE(vm->vcpus[i]);
		struct vmw86_lapic *apic;
		bool match;

		if (!t || !t->lapic)
			continue;
		apic = t->lapic;
		switch (shorthand) {
		case APIC_DEST_SELF:
			match = apic == self;
			break;
		case APIC_DEST_ALLINC:
			match = true;
			break;
		case APIC_DEST_ALLBUT:
			match = apic != self;
			break;
		default:
			match = lapic_match_dest(apic, dest, logical, wide);
		}
		if (match && vmw86_lapic_deliver(apic, mode, vector, level)) {
			n++;
			if (mode == APIC_DM_LOWEST)
				break;
		}
	}
	rcu_read_unlock();
	return n;
}

/* A write of the ICR sends an IPI (SDM 10.6.1). */
static void lapic_send_ipi(struct vmw86_lapic *apic, u32 icr, u32 dest,
			   bool wide)
{
	u32 mode = icr & APIC_MODE_MASK;

	/* INIT level de-assert does nothing on current processors. */
	if (mode == APIC_DM_INIT && (icr & APIC_INT_LEVELTRIG) &&
	    !(icr & APIC_INT_ASSERT))
		return;
	lapic_send(apic->vcpu->vm, apic, icr & APIC_SHORTHAND_MASK, dest,
		   icr & APIC_DEST_LOGICAL, wide, mode, icr & APIC_VECTOR_MASK,
		   icr & APIC_INT_LEVELTRIG);
}

/**
 * vmw86_lapic_signal_msi() - VMW86_SIGNAL_MSI
 * @vm: the VM.
 * @msi: the message (address and data as a device would write them).
 *
 * Context: any thread of the VM's process; takes no lock.
 * Return: how many APICs accepted it; -ENXIO without VMW86_CREATE_LAPIC;
 * -EINVAL for a malformed message (see the uapi header).
 */
int vmw86_lapic_signal_msi(struct vmw86_vm *vm, const struct vmw86_msi *msi)
{
	u32 mode = msi->data & APIC_MODE_MASK;
	u8 vector = msi->data & APIC_VECTOR_MASK;

	if (!READ_ONCE(vm->has_lapic))
		return -ENXIO;
	if (msi->flags || memchr_inv(msi->padding, 0, sizeof(msi->padding)) ||
	    (msi->address >> 20) != 0xfee)
		return -EINVAL;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (vector < 16)
			return -EINVAL;
		break;
	case APIC_DM_NMI:
	case APIC_DM_INIT:
		break;
	default:
		return -EINVAL;
	}
	return lapic_send(vm, NULL, 0, (msi->address >> 12) & 0xff,
			  msi->address & BIT(2), false, mode, vector,
			  msi->data & BIT(15));
}

/* EOI: the highest in-service vector is done (SDM 10.8.5). */
static void lapic_eoi(struct vmw86_lapic *apic)
{
	int isrv = vec_highest(apic, APIC_ISR);

	if (isrv < 0)
		return;
	vec_clear(apic, APIC_ISR, isrv);
	/*
	 * A level-triggered vector would now broadcast its EOI to the
	 * IOAPICs; the IOAPIC model in user space does not need it for the
	 * edge-triggered ISA lines it serves, so none is sent yet.
	 */
	vec_clear(apic, APIC_TMR, isrv);
}

/* ---------------------------------------------------------------------
 * Register access
 */

static u32 lapic_read(struct vmw86_lapic *apic, u32 off)
{
	switch (off) {
	case APIC_ID:
		return x2apic_mode(apic) ? apic->vcpu->id : reg_get(apic, off);
	case APIC_PROCPRI:
		return lapic_ppr(apic);
	case APIC_TMCCT:
		return timer_current_count(apic);
	case APIC_EOI:
	case APIC_SELF_IPI:
		return 0;
	default:
		return off < 0x400 ? reg_get(apic, off) : 0;
	}
}

static void lapic_write_lvt(struct vmw86_lapic *apic, u32 off, u32 val)
{
	/* A software-disabled APIC keeps every LVT masked (10.4.7.2). */
	if (!sw_enabled(apic))
		val |= APIC_LVT_MASKED;
	if (off == APIC_LVTT) {
		u32 old_mode = timer_mode(apic);

		reg_set(apic, off, val & (APIC_VECTOR_MASK | APIC_LVT_MASKED |
					  LAPIC_TIMER_MODE_MASK));
		/* Changing the mode disarms the timer (10.5.4.1). */
		if (timer_mode(apic) != old_mode) {
			timer_stop(apic);
			apic->tsc_deadline = 0;
			reg_set(apic, APIC_TMICT, 0);
		}
		return;
	}
	reg_set(apic, off, val & LAPIC_LVT_KEEP);
}

/*
 * Write a register. Return 0, or -EINVAL where an x2APIC WRMSR takes #GP
 * (read-only or absent registers); the xAPIC page ignores such writes.
 */
static int lapic_write(struct vmw86_lapic *apic, u32 off, u32 val)
{
	bool x2 = x2apic_mode(apic);
	unsigned int i;

	switch (off) {
	case APIC_ID:
		if (x2)
			return -EINVAL;
		reg_set(apic, off, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		reg_set(apic, off, val & 0xff);
		break;
	case APIC_EOI:
		if (x2 && val)
			return -EINVAL;	/* x2APIC EOI takes 0 only (10.12.1.2) */
		lapic_eoi(apic);
		break;
	case APIC_LDR:
		if (x2)
			return -EINVAL;
		reg_set(apic, off, val & 0xff000000);
		break;
	case APIC_DFR:
		if (x2)
			return -EINVAL;
		reg_set(apic, off, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		reg_set(apic, off, val & (APIC_VECTOR_MASK |
					  APIC_SPIV_APIC_ENABLED |
					  APIC_SPIV_FOCUS_DISABLED));
		if (!(val & APIC_SPIV_APIC_ENABLED)) {
			for (i = 0; i < ARRAY_SIZE(lvt_regs); i++)
				reg_set(apic, lvt_regs[i],
					reg_get(apic, lvt_regs[i]) |
					APIC_LVT_MASKED);
			timer_stop(apic);
		}
		break;
	case APIC_ESR:
		reg_set(apic, off, 0);
		break;
	case APIC_ICR:
		if (x2)
			return -EINVAL;	/* one 64-bit MSR, see set_msr */
		reg_set(apic, off, val & ~APIC_ICR_BUSY);
		lapic_send_ipi(apic, val, reg_get(apic, APIC_ICR2) >> 24, false);
		break;
	case APIC_ICR2:
		if (x2)
			return -EINVAL;
		reg_set(apic, off, val & 0xff000000);
		break;
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
	case APIC_LVTCMCI:
		lapic_write_lvt(apic, off, val);
		break;
	case APIC_TMICT:
		if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE)
			break;	/* ignored in TSC-deadline mode (10.5.4.1) */
		reg_set(apic, off, val);
		timer_start_count(apic);
		break;
	case APIC_TDCR:
		reg_set(apic, off, val & 0xb);
		break;
	case APIC_SELF_IPI:
		if (!x2)
			break;
		vmw86_lapic_deliver(apic, APIC_DM_FIXED, val & APIC_VECTOR_MASK,
				    false);
		break;
	default:
		return x2 ? -EINVAL : 0;	/* read-only or reserved */
	}
	return 0;
}

/**
 * vmw86_lapic_mmio() - emulate a guest access to the xAPIC page
 * @vcpu: the vCPU (its thread); RIP is at the accessing instruction.
 * @gpa: the GPA of the nested page fault.
 * @write: the fault was a write.
 *
 * Return: -ENOENT if @gpa is not this vCPU's xAPIC page (it is then
 * ordinary MMIO); 1 when emulated (RIP advanced: re-enter the guest); 0 with
 * vcpu->run set for VMW86_INTERNAL_ERROR_LAPIC_ACCESS when the instruction
 * is not one vmw86_decode_mov32() knows.
 */
int vmw86_lapic_mmio(struct vmw86_vcpu *vcpu, u64 gpa, bool write)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	struct vmw86_mov mov;
	u8 insn[15];
	unsigned int len;
	bool db, l;
	u32 off, val;

	if (!apic || !hw_enabled(apic) || x2apic_mode(apic) ||
	    (gpa & PAGE_MASK) != (apic->base_msr & MSR_IA32_APICBASE_BASE))
		return -ENOENT;

	len = vmw86_vcpu_fetch_insn(vcpu, insn, &db, &l);
	if (vmw86_decode_mov32(insn, len, l, db, &mov) || mov.write != write) {
		struct vmw86_run *run = vcpu->run;

		run->exit_reason = VMW86_EXIT_INTERNAL_ERROR;
		run->internal.suberror = VMW86_INTERNAL_ERROR_LAPIC_ACCESS;
		run->internal.ndata = 2;
		run->internal.data[0] = gpa;
		run->internal.data[1] = vcpu->rip;
		return 0;
	}

	/* Registers are 32 bits at the start of each 16-byte slot. */
	off = gpa & ~PAGE_MASK;
	if (write) {
		val = mov.reg < 0 ? mov.imm : (u32)vcpu->regs[mov.reg];
		if (!(off & 0xf))
			lapic_write(apic, off, val);
	} else {
		val = (off & 0xf) ? 0 : lapic_read(apic, off);
		vcpu->regs[mov.reg] = val;	/* a 32-bit MOV zero-extends */
	}
	vcpu->rip += mov.len;
	return 1;
}

/* ---------------------------------------------------------------------
 * MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE, and the x2APIC range
 */

/**
 * vmw86_lapic_is_msr() - is @index an MSR the local APIC owns?
 * @index: MSR number.
 */
bool vmw86_lapic_is_msr(u32 index)
{
	return index == MSR_IA32_APICBASE || index == MSR_IA32_TSC_DEADLINE ||
	       (index >= X2APIC_MSR_FIRST && index <= X2APIC_MSR_LAST);
}

/*
 * IA32_APIC_BASE (SDM 10.4.4 and 10.12.5): EXTD needs EN, and x2APIC mode
 * is left only by disabling the APIC. Disabling it resets its state.
 */
static int lapic_set_base(struct vmw86_lapic *apic, u64 val)
{
	u64 old = apic->base_msr;
	u64 valid = (MSR_IA32_APICBASE_BASE &
		     GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 0)) |
		    MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE |
		    MSR_IA32_APICBASE_BSP;
	bool en = val & MSR_IA32_APICBASE_ENABLE, ext = val & X2APIC_ENABLE;

	if ((val & ~valid) || (ext && !en) ||
	    ((old & X2APIC_ENABLE) && en && !ext))
		return -EINVAL;
	/* BSP is the hardware's to say. */
	apic->base_msr = (val & ~MSR_IA32_APICBASE_BSP) |
			 (old & MSR_IA32_APICBASE_BSP);
	if (!en && (old & MSR_IA32_APICBASE_ENABLE))
		lapic_reset(apic, true);
	if (ext && !(old & X2APIC_ENABLE))
		reg_set(apic, APIC_LDR, x2apic_ldr(apic->vcpu->id));
	return 0;
}

/*
 * IA32_APIC_BASE of a vCPU whose APIC is user space's (no
 * VMW86_CREATE_LAPIC): a register vmw86 only keeps, so that the guest can
 * read where the APIC is (QEMU's, with kernel-irqchip=off). Its value
 * comes from VMW86_SET_SREGS; while that is 0 the vCPU has no APIC and
 * the MSR takes #GP, as any unknown one. EXTD is refused (no x2APIC there),
 * BSP is user space's to say.
 */
static u64 user_apic_base_valid(void)
{
	return (MSR_IA32_APICBASE_BASE &
		GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 0)) |
	       MSR_IA32_APICBASE_ENABLE | MSR_IA32_APICBASE_BSP;
}

/**
 * vmw86_lapic_set_user_base() - VMW86_SET_SREGS.apic_base without a local APIC
 * @vcpu: the vCPU; vcpu->lapic is NULL.
 * @val: the new IA32_APIC_BASE; 0 takes the APIC away again.
 *
 * Return: 0; -EINVAL (the value ignored) for reserved bits or EXTD.
 */
int vmw86_lapic_set_user_base(struct vmw86_vcpu *vcpu, u64 val)
{
	if (val & ~user_apic_base_valid())
		return -EINVAL;
	vcpu->user_apic_base = val;
	return 0;
}

/**
 * vmw86_lapic_get_msr() - RDMSR of an APIC MSR
 * @vcpu: the vCPU.
 * @index: an MSR for which vmw86_lapic_is_msr() is true.
 * @data: the value.
 *
 * Return: 0; -ENOENT without a local APIC; -EINVAL where RDMSR takes #GP
 * (x2APIC registers outside x2APIC mode, write-only ones).
 */
int vmw86_lapic_get_msr(struct vmw86_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	u32 off;

	if (!apic) {
		if (index != MSR_IA32_APICBASE || !vcpu->user_apic_base)
			return -ENOENT;
		*data = vcpu->user_apic_base;
		return 0;
	}
	if (index == MSR_IA32_APICBASE) {
		*data = apic->base_msr;
		return 0;
	}
	if (index == MSR_IA32_TSC_DEADLINE) {
		*data = timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE ?
			apic->tsc_deadline : 0;
		return 0;
	}
	off = (index - X2APIC_MSR_FIRST) << 4;
	if (!x2apic_mode(apic) || off == APIC_EOI || off == APIC_SELF_IPI ||
	    off == APIC_DFR || off == APIC_ICR2 || off >= 0x400)
		return -EINVAL;
	if (off == APIC_ICR)
		*data = reg_get(apic, APIC_ICR) |
			((u64)reg_get(apic, APIC_ICR2) << 32);
	else
		*data = lapic_read(apic, off);
	return 0;
}

/**
 * vmw86_lapic_set_msr() - WRMSR of an APIC MSR
 * @vcpu: the vCPU.
 * @index: an MSR for which vmw86_lapic_is_msr() is true.
 * @data: the value.
 *
 * Return: 0; -ENOENT without a local APIC; -EINVAL where WRMSR takes #GP.
 */
int vmw86_lapic_set_msr(struct vmw86_vcpu *vcpu, u32 index, u64 data)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	u32 off;

	if (!apic) {
		if (index != MSR_IA32_APICBASE || !vcpu->user_apic_base)
			return -ENOENT;
		if (data & ~user_apic_base_valid())
			return -EINVAL;
		vcpu->user_apic_base = (data & ~MSR_IA32_APICBASE_BSP) |
				       (vcpu->user_apic_base & MSR_IA32_APICBASE_BSP);
		return 0;
	}
	if (index == MSR_IA32_APICBASE)
		return lapic_set_base(apic, data);
	if (index == MSR_IA32_TSC_DEADLINE) {
		/* Ignored outside TSC-deadline mode (SDM 10.5.4.1). */
		if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE) {
			apic->tsc_deadline = data;
			timer_start_deadline(apic);
		}
		return 0;
	}
	off = (index - X2APIC_MSR_FIRST) << 4;
	if (!x2apic_mode(apic))
		return -EINVAL;
	if (off == APIC_ICR) {
		reg_set(apic, APIC_ICR, (u32)data & ~APIC_ICR_BUSY);
		reg_set(apic, APIC_ICR2, data >> 32);
		lapic_send_ipi(apic, data, data >> 32, true);
		return 0;
	}
	if ((data >> 32) || off >= 0x400)
		return -EINVAL;
	return lapic_write(apic, off, data);
}

/* ---------------------------------------------------------------------
 * The vCPU thread's side: merge, inject, halt, wait for STARTUP
 */

/* Take what other contexts posted into the registers. */
static void lapic_process_events(struct vmw86_lapic *apic)
{
	unsigned int i;

	if (test_and_clear_bit(VMW86_LAPIC_EV_INIT, &apic->events)) {
		lapic_reset(apic, true);
		apic->mp_state = VMW86_MP_WAIT_FOR_SIPI;
	}
	/* A running processor ignores STARTUP (SDM 8.4.4.1). */
	if (apic->mp_state == VMW86_MP_RUNNABLE)
		clear_bit(VMW86_LAPIC_EV_SIPI, &apic->events);
	if (test_and_clear_bit(VMW86_LAPIC_EV_TIMER, &apic->events)) {
		u32 lvtt = reg_get(apic, APIC_LVTT);

		if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE)
			apic->tsc_deadline = 0;	/* cleared on expiry */
		if (!(lvtt & APIC_LVT_MASKED) && sw_enabled(apic)) {
			vec_set(apic, APIC_IRR, lvtt & APIC_VECTOR_MASK);
			vec_clear(apic, APIC_TMR, lvtt & APIC_VECTOR_MASK);
		}
	}
	if (test_and_clear_bit(VMW86_LAPIC_EV_POSTED, &apic->events)) {
		for (i = 0; i < BITS_TO_LONGS(256); i++) {
			unsigned long vecs = xchg(&apic->posted[i], 0);
			unsigned int bit;

			/*
			 * A sender sets the level bit before the posted one, so
			 * a vector taken here has its level bit already; only
			 * the bits of vectors taken here may be cleared.
			 */
			for_each_set_bit(bit, &vecs, BITS_PER_LONG) {
				u8 vec = i * BITS_PER_LONG + bit;

				vec_set(apic, APIC_IRR, vec);
				if (test_and_clear_bit(vec, apic->posted_level))
					vec_set(apic, APIC_TMR, vec);
				else
					vec_clear(apic, APIC_TMR, vec);
			}
		}
	}
}

/**
 * vmw86_lapic_has_events() - did another context post something?
 * @vcpu: the vCPU, about to enter the guest with interrupts off and its
 *	mode already IN_GUEST_MODE (so that a later post kicks it).
 *
 * Return: true if the entry should be abandoned to take the events first.
 */
bool vmw86_lapic_has_events(struct vmw86_vcpu *vcpu)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	unsigned long ev;

	if (!apic)
		return false;
	ev = READ_ONCE(apic->events) & (BIT(VMW86_LAPIC_EV_POSTED) |
					BIT(VMW86_LAPIC_EV_TIMER) |
					BIT(VMW86_LAPIC_EV_INIT) |
					BIT(VMW86_LAPIC_EV_NMI));
	/* An NMI while one is in progress waits for IRET: no reason to stop. */
	if (apic->nmi_masked)
		ev &= ~BIT(VMW86_LAPIC_EV_NMI);
	return ev;
}

/**
 * vmw86_lapic_update() - choose what to inject before VMRUN
 * @vcpu: the vCPU (its thread).
 * @can_inject: the guest can take an external interrupt now (IF set, no
 *	shadow, nothing else being injected).
 *
 * Merges posted events, then picks the highest deliverable vector and moves
 * it from IRR to ISR (the interrupt acknowledge, SDM 10.8.4).
 *
 * Return: the vector to inject now; -1 for none; VMW86_LAPIC_WANT_WINDOW
 * (-2) when an interrupt waits for the guest to enable interrupts.
 */
int vmw86_lapic_update(struct vmw86_vcpu *vcpu, bool can_inject)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	int vec;

	lapic_process_events(apic);
	vec = lapic_deliverable(apic);
	if (vec < 0)
		return -1;
	if (!can_inject)
		return VMW86_LAPIC_WANT_WINDOW;
	vec_clear(apic, APIC_IRR, vec);
	vec_set(apic, APIC_ISR, vec);
	return vec;
}

/**
 * vmw86_lapic_take_nmi() - is an NMI to be injected now?
 * @vcpu: the vCPU (its thread), with no other event being injected.
 *
 * NMIs are blocked from the injection of one until the guest's IRET from
 * its handler (SDM 6.7.1): vmw86_lapic_nmi_done() ends that.
 * Return: true if the caller must inject an NMI.
 */
bool vmw86_lapic_take_nmi(struct vmw86_vcpu *vcpu)
{
	struct vmw86_lapic *apic = vcpu->lapic;

	if (apic->nmi_masked ||
	    !test_and_clear_bit(VMW86_LAPIC_EV_NMI, &apic->events))
		return false;
	apic->nmi_masked = true;
	return true;
}

/**
 * vmw86_lapic_has_interrupt() - does the APIC have a vector to deliver?
 * @vcpu: the vCPU (its thread).
 *
 * Return: true if IRR holds a vector the processor priority lets through
 * (whether or not the guest's IF allows it now); false without an APIC.
 */
bool vmw86_lapic_has_interrupt(struct vmw86_vcpu *vcpu)
{
	return vcpu->lapic && lapic_deliverable(vcpu->lapic) >= 0;
}

/**
 * vmw86_lapic_nmi_waiting() - is an NMI held back by an NMI in progress?
 * @vcpu: the vCPU (its thread).
 */
bool vmw86_lapic_nmi_waiting(struct vmw86_vcpu *vcpu)
{
	return test_bit(VMW86_LAPIC_EV_NMI, &vcpu->lapic->events);
}

/**
 * vmw86_lapic_nmi_done() - the guest executed IRET after an injected NMI
 * @vcpu: the vCPU (its thread).
 */
void vmw86_lapic_nmi_done(struct vmw86_vcpu *vcpu)
{
	vcpu->lapic->nmi_masked = false;
}

/**
 * vmw86_lapic_accepts_extint() - may the 8259's INTR reach the guest now?
 * @vcpu: the vCPU.
 *
 * Yes when LINT0 is programmed for ExtINT and unmasked, and also while the
 * APIC is disabled (globally or in software), as in the virtual-wire mode
 * firmware leaves behind (MultiProcessor Specification 1.4, 3.6.2.2).
 */
bool vmw86_lapic_accepts_extint(struct vmw86_vcpu *vcpu)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	u32 lvt0;

	if (!apic || !hw_enabled(apic) || !sw_enabled(apic))
		return true;
	lvt0 = reg_get(apic, APIC_LVT0);
	return !(lvt0 & APIC_LVT_MASKED) &&
	       (lvt0 & APIC_MODE_MASK) == APIC_DM_EXTINT;
}

/* Would a halted vCPU resume (SDM vol. 2, HLT: an enabled interrupt, NMI, INIT)? */
static bool lapic_wakes(struct vmw86_vcpu *vcpu)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	bool if_flag = vcpu->rflags & X86_EFLAGS_IF;

	lapic_process_events(apic);
	if (READ_ONCE(vcpu->run->immediate_exit) ||
	    apic->mp_state != VMW86_MP_RUNNABLE ||
	    (!apic->nmi_masked && test_bit(VMW86_LAPIC_EV_NMI, &apic->events)))
		return true;
	return if_flag && (lapic_deliverable(apic) >= 0 ||
			   vcpu->pending_irq >= 0);
}

/**
 * vmw86_lapic_halt() - the guest executed HLT; sleep until it would resume
 * @vcpu: the vCPU (its thread); RIP is already past the HLT.
 *
 * Context: process, may sleep; wakes on vmw86_vcpu_kick().
 * Return: 1 to re-enter the guest; -EINTR with vcpu->run set for
 * VMW86_EXIT_INTR on a signal (the guest resumes after the HLT when run
 * again, as after a spurious wake-up).
 */
int vmw86_lapic_halt(struct vmw86_vcpu *vcpu)
{
	u64 start;
	int ret;

	/* Already something to do: no sleep, nothing to count but the HLT. */
	if (lapic_wakes(vcpu))
		return 1;
	/* The clock first: who sees the sleep counted sees it timed. */
	start = ktime_get_ns();
	vcpu->stat.halt_sleeps++;
	ret = wait_event_interruptible(vcpu->wq, lapic_wakes(vcpu));
	vcpu->stat.halt_ns += ktime_get_ns() - start;
	if (ret) {
		vcpu->run->exit_reason = VMW86_EXIT_INTR;
		return -EINTR;
	}
	vcpu->stat.halt_wakeups++;
	return 1;
}

static bool sipi_wakes(struct vmw86_vcpu *vcpu)
{
	unsigned long ev = READ_ONCE(vcpu->lapic->events);

	return READ_ONCE(vcpu->run->immediate_exit) ||
	       (ev & (BIT(VMW86_LAPIC_EV_SIPI) | BIT(VMW86_LAPIC_EV_INIT)));
}

/**
 * vmw86_lapic_wait_for_sipi() - hold a vCPU in wait-for-SIPI until STARTUP
 * @vcpu: the vCPU (its thread).
 *
 * Sleeps until a STARTUP IPI arrives, then puts the vCPU in the state INIT
 * leaves (vmw86_vcpu_reset()) and starts it in real mode at
 * vector << 8 : 0 (SDM vol. 3, 8.4.4.1 and 10.6.1).
 *
 * Return: 0 once the vCPU is runnable; -EINTR with vcpu->run set for
 * VMW86_EXIT_INTR on a signal or immediate_exit.
 */
int vmw86_lapic_wait_for_sipi(struct vmw86_vcpu *vcpu)
{
	struct vmw86_lapic *apic = vcpu->lapic;
	struct vmw86_sregs sregs;
	u8 vector;

	while (apic->mp_state != VMW86_MP_RUNNABLE) {
		lapic_process_events(apic);
		if (test_and_clear_bit(VMW86_LAPIC_EV_SIPI, &apic->events)) {
			vector = READ_ONCE(apic->sipi_vector);
			vmw86_vcpu_reset(vcpu);
			vmw86_ops->get_sregs(vcpu, &sregs);
			sregs.cs.selector = vector << 8;
			sregs.cs.base = (u64)vector << 12;
			vmw86_ops->set_sregs(vcpu, &sregs);
			vcpu->rip = 0;
			vcpu->state_dirty = true;
			apic->mp_state = VMW86_MP_RUNNABLE;
			break;
		}
		if (wait_event_interruptible(vcpu->wq, sipi_wakes(vcpu)) ||
		    READ_ONCE(vcpu->run->immediate_exit)) {
			vcpu->run->exit_reason = VMW86_EXIT_INTR;
			return -EINTR;
		}
	}
	return 0;
}

/**
 * vmw86_lapic_get_cr8() - the TPR as CR8 sees it (APM vol. 2, 16.6.4)
 * @vcpu: the vCPU.
 *
 * Return: TPR bits 7-4.
 */
u8 vmw86_lapic_get_cr8(struct vmw86_vcpu *vcpu)
{
	return (reg_get(vcpu->lapic, APIC_TASKPRI) >> 4) & 0xf;
}

/**
 * vmw86_lapic_set_cr8() - the guest's CR8 after an exit: its new TPR
 * @vcpu: the vCPU.
 * @cr8: the CR8 the guest left (vcpu->cr8), 4 bits.
 */
void vmw86_lapic_set_cr8(struct vmw86_vcpu *vcpu, u8 cr8)
{
	if (vmw86_lapic_get_cr8(vcpu) != (cr8 & 0xf))
		reg_set(vcpu->lapic, APIC_TASKPRI, (cr8 & 0xf) << 4);
}

/**
 * vmw86_lapic_create() - give a vCPU its local APIC in the reset state
 * @vcpu: the new vCPU (id set). vCPU 0 is the BSP; the others wait for
 *	INIT and STARTUP.
 *
 * Return: 0 or -ENOMEM.
 */
int vmw86_lapic_create(struct vmw86_vcpu *vcpu)
{
	struct vmw86_lapic *apic;

	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->regs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!apic->regs) {
		kfree(apic);
		return -ENOMEM;
	}
	apic->vcpu = vcpu;
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.function = lapic_timer_fn;
	lapic_reset(apic, false);
	apic->mp_state = vcpu->id ? VMW86_MP_WAIT_FOR_SIPI : VMW86_MP_RUNNABLE;
	vcpu->lapic = apic;
	return 0;
}

/**
 * vmw86_lapic_destroy() - stop the timer and free the APIC
 * @vcpu: the vCPU, which no longer runs and which nothing can kick.
 */
void vmw86_lapic_destroy(struct vmw86_vcpu *vcpu)
{
	struct vmw86_lapic *apic = vcpu->lapic;

	if (!apic)
		return;
	hrtimer_cancel(&apic->timer);
	free_page((unsigned long)apic->regs);
	kfree(apic);
	vcpu->lapic = NULL;
}
