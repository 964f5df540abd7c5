// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 vCPU: the vCPU fd (mmap of the run structure, state ioctls), its
 * creation, kicks, and the two exits to user space that carry data: port
 * I/O (including INS/OUTS; the VMware backdoor port is answered here
 * instead) and MMIO. VMW86_RUN itself is run.c's.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "vmw86.h"
#include "lapic.h"
#include "trace.h"

#define IO_DATA_OFFSET	PAGE_SIZE	/* the I/O data page follows the run page */

/**
 * vmw86_vcpu_kick() - make a vCPU notice an event posted to it
 * @vcpu: the vCPU.
 *
 * Wakes its thread if it sleeps in HLT or wait-for-SIPI, and interrupts
 * its host CPU if it is in guest mode there (any IPI forces a #VMEXIT).
 * The caller posts the event (an atomic bit operation, a full barrier on
 * x86) before the call; the vCPU sets its mode before it looks for events,
 * so one of the two always sees the other.
 *
 * Context: any, including hard interrupt context.
 */
void vmw86_vcpu_kick(struct vmw86_vcpu *vcpu)
{
	int cpu;

	atomic64_inc(&vcpu->stat.kicks);
	wake_up_interruptible(&vcpu->wq);
	if (READ_ONCE(vcpu->mode) != VCPU_IN_GUEST_MODE)
		return;
	cpu = READ_ONCE(vcpu->cpu);
	/*
	 * On this very CPU the vCPU cannot be in guest mode while we run,
	 * unless we interrupted its exit path, which checks for events.
	 */
	if (cpu != raw_smp_processor_id()) {
		atomic64_inc(&vcpu->stat.kick_ipis);
		smp_send_reschedule(cpu);
	}
}

/**
 * vmw86_vcpu_linear_rip() - the linear address of CS:RIP
 * @vcpu: the vCPU.
 * @db: set to CS.D.
 * @l: set to CS.L.
 *
 * Return: CS base + RIP, RIP cut to 32 bits outside 64-bit mode (where
 * the base is 0).
 */
u64 vmw86_vcpu_linear_rip(struct vmw86_vcpu *vcpu, bool *db, bool *l)
{
	u64 cs_base;

	vmw86_ops->get_code_segment(vcpu, &cs_base, db, l);
	return cs_base + (*l ? vcpu->rip : (u32)vcpu->rip);
}

/**
 * vmw86_vcpu_fetch_insn() - read the instruction bytes at CS:RIP
 * @vcpu: the vCPU.
 * @insn: 15 bytes, the longest x86 instruction.
 * @db: set to CS.D.
 * @l: set to CS.L.
 *
 * A page at a time (one guest page walk each, on the xAPIC hot path), so
 * that a fetch stops where the first unmapped page begins.
 * Return: how many bytes were read (0 to 15).
 */
unsigned int vmw86_vcpu_fetch_insn(struct vmw86_vcpu *vcpu, u8 insn[15],
				   bool *db, bool *l)
{
	u64 addr = vmw86_vcpu_linear_rip(vcpu, db, l);
	unsigned int first;

	first = min_t(u64, 15, PAGE_SIZE - (addr & ~PAGE_MASK));
	if (vmw86_read_gva(vcpu, addr, insn, first))
		return 0;
	if (first == 15 || vmw86_read_gva(vcpu, addr + first, insn + first,
					  15 - first))
		return first;
	return 15;
}

/*
 * The part of rCX, rSI and rDI that a string instruction of this address
 * size (2, 4 or 8 bytes) counts and addresses with, and changes: CX, SI
 * and DI; ECX, ESI and EDI; or all of them (APM vol. 3, "INS", "OUTS").
 */
static u64 vmw86_addr_mask(u8 addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* Set the low bits of a register selected by an address-size mask. */
static void vmw86_set_masked(unsigned long *reg, u64 mask, u64 value)
{
	*reg = (*reg & ~mask) | (value & mask);
}

/*
 * Without the DecodeAssists feature the exit names no segment, and some
 * implementations (QEMU's) give no address size either: read the legacy
 * prefixes of the instruction at CS:RIP (all 15 bytes or none, which
 * leaves the defaults).
 */
static void vmw86_string_io_prefixes(struct vmw86_vcpu *vcpu, u64 cs_base,
				     bool l, struct vmw86_string_prefixes *pfx)
{
	u8 insn[15];
	int err;

	err = vmw86_read_gva(vcpu, cs_base + (l ? vcpu->rip : (u32)vcpu->rip),
			     insn, sizeof(insn));
	vmw86_decode_string_prefixes(insn, err ? 0 : sizeof(insn), l, pfx);
}

/*
 * The base of segment @seg (&enum vmw86_sreg); in 64-bit mode (@l) only FS
 * and GS have one.
 */
static u64 vmw86_segment_base(struct vmw86_vcpu *vcpu, bool l, int seg)
{
	struct vmw86_sregs sregs;

	if (l && seg != VCPU_SREG_FS && seg != VCPU_SREG_GS)
		return 0;
	vmw86_ops->get_sregs(vcpu, &sregs);
	switch (seg) {
	case VCPU_SREG_ES:
		return sregs.es.base;
	case VCPU_SREG_CS:
		return sregs.cs.base;
	case VCPU_SREG_SS:
		return sregs.ss.base;
	case VCPU_SREG_FS:
		return sregs.fs.base;
	case VCPU_SREG_GS:
		return sregs.gs.base;
	default:
		return sregs.ds.base;
	}
}

/* Reverse the order of @count elements of @size bytes in @buf. */
static void vmw86_reverse_elements(u8 *buf, u32 count, u8 size)
{
	u32 i, j;
	u8 tmp;

	for (i = 0; i < count / 2; i++)
		for (j = 0; j < size; j++) {
			tmp = buf[i * size + j];
			buf[i * size + j] = buf[(count - 1 - i) * size + j];
			buf[(count - 1 - i) * size + j] = tmp;
		}
}

/**
 * vmw86_vcpu_exit_io() - turn an IN/OUT/INS/OUTS into an exit to user space
 * @vcpu: the vCPU; vcpu->rip is at the instruction.
 * @port: the port.
 * @size: bytes per element (1, 2, 4).
 * @in: IN or INS.
 * @string: INS or OUTS.
 * @rep: with a REP prefix.
 * @addr_size: address size in bytes (2, 4, 8) of a string instruction, or
 *	0 when the exit did not say (it is then decoded from the mode and
 *	prefixes).
 * @next_rip: RIP of the following instruction.
 *
 * OUT data is copied out now and the instruction retired; IN data is
 * stored by the next VMW86_RUN (vmw86_vcpu_complete_io()), except for a call
 * of the VMware backdoor, which the kernel answers (backdoor.c). A REP string
 * instruction moves at most a page of data per exit; RIP stays on it until
 * RCX reaches zero, so the guest re-executes it for the rest.
 *
 * Return: 0 with vcpu->run set for VMW86_EXIT_IO; 1 when there is nothing
 * for user space (a backdoor call, or a REP with a zero count, already
 * retired: re-enter the guest); -EFAULT when the string operand is not in guest RAM (vcpu->run
 * then describes an internal error).
 */
int vmw86_vcpu_exit_io(struct vmw86_vcpu *vcpu, u16 port, u8 size, bool in,
		       bool string, bool rep, u8 addr_size, u64 next_rip)
{
	struct vmw86_run *run = vcpu->run;
	struct vmw86_pending_io *io = &vcpu->io;
	bool backwards = vcpu->rflags & X86_EFLAGS_DF;
	int index_reg = in ? VCPU_REG_RDI : VCPU_REG_RSI;
	struct vmw86_string_prefixes pfx;
	u64 count = 1, gva = 0, mask = 0, index, step, cs_base;
	bool db, l;

	if (in && !string && vmw86_backdoor_in(vcpu, port, size)) {
		vcpu->stat.io_backdoor++;
		trace_vmw86_pio(vcpu, true, port, size, 1,
				(u32)vcpu->regs[VCPU_REG_RAX], true);
		vcpu->rip = next_rip;
		return 1;
	}

	run->exit_reason = VMW86_EXIT_IO;
	run->io.direction = in ? VMW86_EXIT_IO_IN : VMW86_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.data_offset = IO_DATA_OFFSET;

	if (string) {
		vmw86_ops->get_code_segment(vcpu, &cs_base, &db, &l);
		vmw86_string_io_prefixes(vcpu, cs_base, l, &pfx);
		if (!addr_size)
			addr_size = vmw86_string_addr_size(l, db,
							   pfx.addr_override);
		mask = vmw86_addr_mask(addr_size);
		if (rep) {
			count = vcpu->regs[VCPU_REG_RCX] & mask;
			if (!count) {
				/* REP with RCX = 0 does nothing. */
				vcpu->rip = next_rip;
				return 1;
			}
		}
		count = min_t(u64, count, PAGE_SIZE / size);
		index = vcpu->regs[index_reg] & mask;
		/*
		 * The lowest address touched, going up or down: INS writes at
		 * ES:rDI, OUTS reads at rSI in its data segment.
		 */
		gva = vmw86_segment_base(vcpu, l, in ? VCPU_SREG_ES : pfx.seg) +
		      (backwards ? ((index - (count - 1) * size) & mask) : index);
		step = count * size;
		if (!in) {
			if (vmw86_read_gva(vcpu, gva, vcpu->io_data, step))
				goto bad_string;
			if (backwards)
				vmw86_reverse_elements(vcpu->io_data, count, size);
			vmw86_set_masked(&vcpu->regs[index_reg], mask,
					 backwards ? index - step : index + step);
			if (rep)
				vmw86_set_masked(&vcpu->regs[VCPU_REG_RCX], mask,
						 (vcpu->regs[VCPU_REG_RCX] & mask) -
						 count);
			if (!rep || !(vcpu->regs[VCPU_REG_RCX] & mask))
				vcpu->rip = next_rip;
		}
	} else if (!in) {
		memcpy(vcpu->io_data, &vcpu->regs[VCPU_REG_RAX], size);
		vcpu->rip = next_rip;
	}
	run->io.count = count;
	vcpu->stat.io_exits++;
	trace_vmw86_pio(vcpu, in, port, size, count,
			in ? 0 : *(u32 *)vcpu->io_data & (u32)GENMASK(size * 8 - 1, 0),
			false);

	if (in) {
		*io = (struct vmw86_pending_io) {
			.active = true, .string = string, .backwards = backwards,
			.rep = rep, .size = size, .count = count, .gva = gva,
			.addr_mask = mask, .next_rip = next_rip,
		};
	}
	return 0;

bad_string:
	run->exit_reason = VMW86_EXIT_INTERNAL_ERROR;
	run->internal.suberror = VMW86_INTERNAL_ERROR_STRING_IO;
	run->internal.ndata = 1;
	run->internal.data[0] = gva;
	return -EFAULT;
}

/**
 * vmw86_vcpu_complete_io() - finish an IN or INS left by the last I/O exit
 * @vcpu: the vCPU (its thread), at the start of VMW86_RUN, with
 *	vcpu->io.active set.
 *
 * Takes the data user space stored in the data page: into RAX for IN,
 * into guest memory for INS, whose registers then advance as the
 * instruction would have moved them.
 * Return: 0; -EFAULT, with vcpu->run set for an internal error, when the
 * INS destination is no longer guest RAM.
 */
int vmw86_vcpu_complete_io(struct vmw86_vcpu *vcpu)
{
	struct vmw86_pending_io *io = &vcpu->io;
	u64 mask = io->addr_mask, step = (u64)io->count * io->size;

	io->active = false;
	if (!io->string) {
		unsigned long *rax = &vcpu->regs[VCPU_REG_RAX];

		/* A 32-bit result zero-extends into RAX (APM vol. 1, 3.1.2.3). */
		if (io->size == 4)
			*rax = *(u32 *)vcpu->io_data;
		else
			memcpy(rax, vcpu->io_data, io->size);
		vcpu->rip = io->next_rip;
		return 0;
	}

	if (io->backwards)
		vmw86_reverse_elements(vcpu->io_data, io->count, io->size);
	if (vmw86_write_gva(vcpu, io->gva, vcpu->io_data, step)) {
		vcpu->run->exit_reason = VMW86_EXIT_INTERNAL_ERROR;
		vcpu->run->internal.suberror = VMW86_INTERNAL_ERROR_STRING_IO;
		vcpu->run->internal.ndata = 1;
		vcpu->run->internal.data[0] = io->gva;
		return -EFAULT;
	}
	vmw86_set_masked(&vcpu->regs[VCPU_REG_RDI], mask,
			 io->backwards ? vcpu->regs[VCPU_REG_RDI] - step :
					 vcpu->regs[VCPU_REG_RDI] + step);
	if (io->rep)
		vmw86_set_masked(&vcpu->regs[VCPU_REG_RCX], mask,
				 (vcpu->regs[VCPU_REG_RCX] & mask) - io->count);
	if (!io->rep || !(vcpu->regs[VCPU_REG_RCX] & mask))
		vcpu->rip = io->next_rip;
	return 0;
}

/**
 * vmw86_vcpu_exit_mmio() - describe an MMIO access for user space
 * @vcpu: the vCPU; vcpu->rip is at the accessing instruction.
 * @gpa: the GPA accessed.
 * @write: it was a write.
 * @fetch: an instruction fetch.
 * @page_walk: the access was the processor's walk of the guest's page
 *	tables, not the instruction's own access.
 *
 * The local APIC page is emulated here (vmw86_lapic_mmio()). Any other GPA
 * goes to user space with up to 15 instruction bytes at CS:RIP to decode;
 * RIP is not advanced (user space does it through vmw86_run.regs).
 *
 * Return: 0 with vcpu->run set for VMW86_EXIT_MMIO (or, for an APIC access
 * the kernel cannot emulate, VMW86_EXIT_INTERNAL_ERROR); 1 when the APIC
 * access was emulated.
 */
int vmw86_vcpu_exit_mmio(struct vmw86_vcpu *vcpu, u64 gpa, bool write,
			 bool fetch, bool page_walk)
{
	struct vmw86_run *run = vcpu->run;
	bool db, l;
	int ret;

	if (!fetch && !page_walk) {
		ret = vmw86_lapic_mmio(vcpu, gpa, write);
		if (ret != -ENOENT) {
			if (ret > 0)
				vcpu->stat.lapic_mmio++;
			trace_vmw86_mmio(vcpu, gpa, write ? VMW86_MMIO_WRITE : 0,
					 true);
			return ret;
		}
	}

	run->exit_reason = VMW86_EXIT_MMIO;
	run->mmio.gpa = gpa;
	run->mmio.flags = (write ? VMW86_MMIO_WRITE : 0) |
			  (fetch ? VMW86_MMIO_FETCH : 0) |
			  (page_walk ? VMW86_MMIO_PAGE_WALK : 0);
	memset(run->mmio.insn, 0, sizeof(run->mmio.insn));
	if (fetch) {
		u64 cs_base;

		vmw86_ops->get_code_segment(vcpu, &cs_base, &db, &l);
		run->mmio.insn_len = 0;
	} else {
		run->mmio.insn_len = vmw86_vcpu_fetch_insn(vcpu, run->mmio.insn,
							   &db, &l);
	}
	run->mmio.cs_db = db;
	run->mmio.cs_l = l;
	vcpu->stat.mmio_exits++;
	trace_vmw86_mmio(vcpu, gpa, run->mmio.flags, false);
	return 0;
}

/**
 * vmw86_vcpu_xsetbv() - emulate a guest XSETBV
 * @vcpu: the vCPU.
 * @index: ECX (only XCR0 exists).
 * @value: EDX:EAX.
 *
 * Applies the architectural checks (Intel SDM vol. 2, XSETBV; AMD APM vol.
 * 4): x87 always on, AVX only with SSE, and only features the host offers.
 * Return: true if accepted; false means the guest gets #GP.
 */
bool vmw86_vcpu_xsetbv(struct vmw86_vcpu *vcpu, u32 index, u64 value)
{
	u64 host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

	if (index != XCR_XFEATURE_ENABLED_MASK || !(value & XFEATURE_MASK_FP) ||
	    (value & ~host_xcr0) ||
	    ((value & XFEATURE_MASK_YMM) && !(value & XFEATURE_MASK_SSE)))
		return false;
	vcpu->xcr0 = value;
	return true;
}

/**
 * vmw86_vcpu_get_regs() - the guest's GPRs, RIP and RFLAGS, for user space
 * @vcpu: the vCPU (its thread, or under vcpu->mutex).
 * @r: filled in.
 */
void vmw86_vcpu_get_regs(struct vmw86_vcpu *vcpu, struct vmw86_regs *r)
{
	const unsigned long *g = vcpu->regs;

	*r = (struct vmw86_regs) {
		.rax = g[VCPU_REG_RAX], .rbx = g[VCPU_REG_RBX],
		.rcx = g[VCPU_REG_RCX], .rdx = g[VCPU_REG_RDX],
		.rsi = g[VCPU_REG_RSI], .rdi = g[VCPU_REG_RDI],
		.rsp = g[VCPU_REG_RSP], .rbp = g[VCPU_REG_RBP],
		.r8 = g[VCPU_REG_R8], .r9 = g[VCPU_REG_R9],
		.r10 = g[VCPU_REG_R10], .r11 = g[VCPU_REG_R11],
		.r12 = g[VCPU_REG_R12], .r13 = g[VCPU_REG_R13],
		.r14 = g[VCPU_REG_R14], .r15 = g[VCPU_REG_R15],
		.rip = vcpu->rip, .rflags = vcpu->rflags,
	};
}

/**
 * vmw86_vcpu_set_regs() - user space sets the GPRs, RIP and RFLAGS
 * @vcpu: the vCPU (its thread, or under vcpu->mutex).
 * @r: the values; RFLAGS bit 1 is forced on.
 */
void vmw86_vcpu_set_regs(struct vmw86_vcpu *vcpu, const struct vmw86_regs *r)
{
	unsigned long *g = vcpu->regs;

	g[VCPU_REG_RAX] = r->rax;
	g[VCPU_REG_RBX] = r->rbx;
	g[VCPU_REG_RCX] = r->rcx;
	g[VCPU_REG_RDX] = r->rdx;
	g[VCPU_REG_RSI] = r->rsi;
	g[VCPU_REG_RDI] = r->rdi;
	g[VCPU_REG_RSP] = r->rsp;
	g[VCPU_REG_RBP] = r->rbp;
	g[VCPU_REG_R8] = r->r8;
	g[VCPU_REG_R9] = r->r9;
	g[VCPU_REG_R10] = r->r10;
	g[VCPU_REG_R11] = r->r11;
	g[VCPU_REG_R12] = r->r12;
	g[VCPU_REG_R13] = r->r13;
	g[VCPU_REG_R14] = r->r14;
	g[VCPU_REG_R15] = r->r15;
	vcpu->rip = r->rip;
	/* Bit 1 is always set; the rest is the guest's (APM vol. 2, 3.1.6). */
	vcpu->rflags = r->rflags | X86_EFLAGS_FIXED;
	vcpu->state_dirty = true;
}

static long vmw86_vcpu_interrupt(struct vmw86_vcpu *vcpu,
				 struct vmw86_interrupt __user *uirq)
{
	struct vmw86_interrupt irq;

	if (copy_from_user(&irq, uirq, sizeof(irq)))
		return -EFAULT;
	/* Any vector: a real-mode BIOS's PIC uses 8-15 (IRQ 0-7). */
	if (irq.vector > 255 || irq.padding)
		return -EINVAL;
	/* With a local APIC this is LINT0, which may be masked. */
	if (vcpu->pending_irq >= 0 || !vmw86_lapic_accepts_extint(vcpu))
		return -EBUSY;
	vcpu->pending_irq = irq.vector;
	vcpu->run->ready_for_interrupt_injection = 0;
	return 0;
}

static long vmw86_vcpu_msrs(struct vmw86_vcpu *vcpu,
			    struct vmw86_msrs __user *umsrs, bool set)
{
	struct vmw86_msrs hdr;
	struct vmw86_msr_entry e;
	u32 i;

	if (copy_from_user(&hdr, umsrs, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs > VMW86_MAX_MSR_ENTRIES)
		return -E2BIG;
	for (i = 0; i < hdr.nmsrs; i++) {
		if (copy_from_user(&e, &umsrs->entries[i], sizeof(e)))
			return -EFAULT;
		if (set) {
			if (vmw86_vcpu_set_msr(vcpu, e.index, e.data))
				break;
			vcpu->state_dirty = true;
		} else {
			if (vmw86_vcpu_get_msr(vcpu, e.index, &e.data))
				break;
			if (copy_to_user(&umsrs->entries[i].data, &e.data,
					 sizeof(e.data)))
				return -EFAULT;
		}
	}
	return i;
}

static long vmw86_vcpu_xsave(struct vmw86_vcpu *vcpu,
			     struct vmw86_xsave __user *uxsave, bool set)
{
	struct vmw86_xsave *xsave;
	u32 pkru = 0;
	long ret = 0;

	if (set) {
		xsave = memdup_user(uxsave, sizeof(*xsave));
		if (IS_ERR(xsave))
			return PTR_ERR(xsave);
		pkru = vcpu->pkru;
		ret = fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu, xsave,
						     xgetbv(XCR_XFEATURE_ENABLED_MASK),
						     &pkru);
		if (!ret)
			vcpu->pkru = pkru;
	} else {
		xsave = kzalloc(sizeof(*xsave), GFP_KERNEL_ACCOUNT);
		if (!xsave)
			return -ENOMEM;
		fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, xsave,
					       sizeof(*xsave),
					       xgetbv(XCR_XFEATURE_ENABLED_MASK),
					       vcpu->pkru);
		if (copy_to_user(uxsave, xsave, sizeof(*xsave)))
			ret = -EFAULT;
	}
	kfree(xsave);
	return ret;
}

static long vmw86_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	struct vmw86_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	union {
		struct vmw86_regs regs;
		struct vmw86_sregs sregs;
	} u;
	long ret;

	if (current->mm != vcpu->vm->mm)
		return -EIO;
	/* Statistics are read without the vCPU: no waiting for a RUN. */
	if (ioctl == VMW86_GET_STATS_FD)
		return vmw86_vcpu_get_stats_fd(vcpu, arg);
	/* RUN is never queued behind another RUN; state ioctls wait for it. */
	if (ioctl == VMW86_RUN) {
		if (!mutex_trylock(&vcpu->mutex))
			return -EBUSY;
	} else if (mutex_lock_killable(&vcpu->mutex)) {
		return -EINTR;
	}

	switch (ioctl) {
	case VMW86_RUN:
		ret = arg ? -EINVAL : vmw86_vcpu_run(vcpu);
		break;
	case VMW86_GET_REGS:
		vmw86_vcpu_get_regs(vcpu, &u.regs);
		ret = copy_to_user(argp, &u.regs, sizeof(u.regs)) ? -EFAULT : 0;
		break;
	case VMW86_SET_REGS:
		ret = -EFAULT;
		if (!copy_from_user(&u.regs, argp, sizeof(u.regs))) {
			vmw86_vcpu_set_regs(vcpu, &u.regs);
			ret = 0;
		}
		break;
	case VMW86_GET_SREGS:
		vmw86_ops->get_sregs(vcpu, &u.sregs);
		u.sregs.cr8 = vcpu->cr8;
		if (vcpu->lapic)
			vmw86_lapic_get_msr(vcpu, MSR_IA32_APICBASE,
					    &u.sregs.apic_base);
		else
			u.sregs.apic_base = vcpu->user_apic_base;
		ret = copy_to_user(argp, &u.sregs, sizeof(u.sregs)) ? -EFAULT : 0;
		break;
	case VMW86_SET_SREGS:
		ret = -EFAULT;
		if (!copy_from_user(&u.sregs, argp, sizeof(u.sregs))) {
			vmw86_ops->set_sregs(vcpu, &u.sregs);
			vcpu->cr8 = u.sregs.cr8 & 0xf;
			vcpu->state_dirty = true;
			ret = 0;
			/* As loading the MSR would; a refused value is ignored. */
			if (vcpu->lapic)
				vmw86_lapic_set_msr(vcpu, MSR_IA32_APICBASE,
						    u.sregs.apic_base);
			else
				vmw86_lapic_set_user_base(vcpu, u.sregs.apic_base);
		}
		break;
	case VMW86_GET_MSRS:
	case VMW86_SET_MSRS:
		ret = vmw86_vcpu_msrs(vcpu, argp, ioctl == VMW86_SET_MSRS);
		break;
	case VMW86_SET_CPUID:
		ret = vmw86_vcpu_set_cpuid(vcpu, argp);
		break;
	case VMW86_GET_XSAVE:
	case VMW86_SET_XSAVE:
		ret = vmw86_vcpu_xsave(vcpu, argp, ioctl == VMW86_SET_XSAVE);
		break;
	case VMW86_INTERRUPT:
		ret = vmw86_vcpu_interrupt(vcpu, argp);
		break;
	case VMW86_SET_GUEST_DEBUG:
		ret = vmw86_vcpu_set_guest_debug(vcpu, argp);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

static vm_fault_t vmw86_vcpu_fault(struct vm_fault *vmf)
{
	struct vmw86_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff >= VMW86_RUN_PAGES)
		return VM_FAULT_SIGBUS;
	vmf->page = vmf->pgoff ? vcpu->io_page : vcpu->run_page;
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct vmw86_vcpu_vm_ops = {
	.fault = vmw86_vcpu_fault,
};

static int vmw86_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &vmw86_vcpu_vm_ops;
	return 0;
}

static int vmw86_vcpu_release(struct inode *inode, struct file *filp)
{
	struct vmw86_vcpu *vcpu = filp->private_data;

	vmw86_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vmw86_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= vmw86_vcpu_release,
	.unlocked_ioctl	= vmw86_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vmw86_vcpu_mmap,
	.llseek		= noop_llseek,
};

/**
 * vmw86_vcpu_destroy() - free a vCPU; called when its VM dies
 * @vcpu: the vCPU; its fd is closed.
 */
void vmw86_vcpu_destroy(struct vmw86_vcpu *vcpu)
{
	vmw86_lapic_destroy(vcpu);
	vmw86_ops->vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	kvfree(vcpu->cpuid);
	__free_page(vcpu->io_page);
	__free_page(vcpu->run_page);
	kfree(vcpu);
}

/**
 * vmw86_vcpu_create() - VMW86_CREATE_VCPU
 * @vm: the VM.
 * @id: the vCPU id, below VMW86_MAX_VCPUS.
 *
 * Context: process; takes vm->lock.
 * Return: the vCPU fd; -EINVAL for an id out of range; -EEXIST for an id in
 * use; -ENOMEM.
 */
int vmw86_vcpu_create(struct vmw86_vm *vm, unsigned long id)
{
	struct vmw86_vcpu *vcpu;
	int ret, fd;

	if (id >= VMW86_MAX_VCPUS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = -ENOMEM;
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out_unlock;
	vcpu->vm = vm;
	vcpu->id = id;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->pending_irq = -1;
	vcpu->tlb_gen = atomic64_read(&vm->tlb_gen);

	vcpu->run_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	vcpu->io_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run_page || !vcpu->io_page)
		goto err_pages;
	vcpu->run = page_address(vcpu->run_page);
	vcpu->io_data = page_address(vcpu->io_page);

	if (!fpu_alloc_guest_fpstate(&vcpu->guest_fpu))
		goto err_pages;
	ret = vmw86_vcpu_cpuid_init(vcpu);
	if (ret)
		goto err_fpu;
	ret = vmw86_ops->vcpu_create(vcpu);
	if (ret)
		goto err_cpuid;
	vmw86_vcpu_reset(vcpu);
	if (vm->has_lapic) {
		ret = vmw86_lapic_create(vcpu);
		if (ret)
			goto err_arch;
	}

	/*
	 * Published before the fd exists, so that a TLB shootdown never misses
	 * a vCPU that user space can already run; the fd holds a VM reference.
	 */
	WRITE_ONCE(vm->vcpus[id], vcpu);
	kref_get(&vm->refcount);
	fd = anon_inode_getfd("vmw86-vcpu", &vmw86_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		WRITE_ONCE(vm->vcpus[id], NULL);
		/* Senders walk vm->vcpus under RCU: let them move past it. */
		synchronize_rcu();
		vmw86_vm_put(vm);	/* not the last: the VM fd holds one */
		ret = fd;
		goto err_arch;
	}
	vm->nr_vcpus++;
	WRITE_ONCE(vm->stat.vcpus, vm->nr_vcpus);
	mutex_unlock(&vm->lock);
	return fd;

err_arch:
	vmw86_lapic_destroy(vcpu);
	vmw86_ops->vcpu_free(vcpu);
err_cpuid:
	kvfree(vcpu->cpuid);
err_fpu:
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
err_pages:
	if (vcpu->io_page)
		__free_page(vcpu->io_page);
	if (vcpu->run_page)
		__free_page(vcpu->run_page);
	kfree(vcpu);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}
