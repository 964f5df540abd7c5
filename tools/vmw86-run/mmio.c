// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: the IOAPIC's page goes to hw/ioapic.c, registered windows (the
 * virtio devices') to their handlers; elsewhere outside RAM reads return
 * all ones and writes are ignored. The instruction is completed here
 * (vmw86 decodes nothing in the kernel, api.rst "VMW86_EXIT_MMIO"), on the
 * vCPU's own thread, with the platform lock held around the device access.
 * The decoder knows the MOV forms compilers
 * emit for readb/w/l/q and writeb/w/l/q: 88, 89, 8A, 8B, C6 /0, C7 /0,
 * 0F B6 and 0F B7, with operand-size, address-size, segment, LOCK and REX
 * prefixes. Anything else stops the VM with the bytes it could not decode.
 */
#include <stdio.h>
#include <string.h>

#include "vmw86-run.h"

#define MAX_MMIO_WINDOWS	16

struct mmio_window {
	u64 base, len;
	mmio_fn fn;
	void *opaque;
	const char *name;
};

/* Filled before the vCPUs start, read-only afterwards. */
static struct mmio_window windows[MAX_MMIO_WINDOWS];
static int nr_windows;

void mmio__register(u64 base, u64 len, mmio_fn fn, void *opaque,
		    const char *name)
{
	if (nr_windows == MAX_MMIO_WINDOWS)
		die(EXIT_VMERROR, "mmio: too many windows registering %s at 0x%llx",
		    name, (unsigned long long)base);
	windows[nr_windows++] = (struct mmio_window){
		.base = base, .len = len, .fn = fn, .opaque = opaque,
		.name = name,
	};
}

/* An access wholly inside a registered window; platform lock held. */
static bool mmio_window_access(struct vm *vm, u64 gpa, u64 *val, int size,
			       bool is_write)
{
	u8 data[8];
	int i;

	for (i = 0; i < nr_windows; i++) {
		struct mmio_window *w = &windows[i];
		int b;

		if (gpa < w->base || gpa - w->base >= w->len ||
		    (u64)size > w->len - (gpa - w->base))
			continue;
		for (b = 0; b < size; b++)
			data[b] = *val >> (8 * b);
		w->fn(vm, gpa - w->base, data, size, is_write, w->opaque);
		for (*val = 0, b = size - 1; b >= 0; b--)
			*val = *val << 8 | data[b];
		return true;
	}
	return false;
}

struct insn {
	int len;
	int opsize;		/* bytes moved */
	int reg;		/* ModRM.reg with REX.R */
	bool is_load;
	bool rex;
	int zext;		/* movzx source size, 0 otherwise */
	int imm;		/* immediate bytes (C6, C7), 0 otherwise */
};

static u64 *gpr(struct vmw86_regs *r, int enc)
{
	u64 *map[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
		&r->rsi, &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11,
		&r->r12, &r->r13, &r->r14, &r->r15,
	};
	return map[enc & 15];
}

/* Length of ModRM + SIB + displacement at @p; -1 if it is not memory. */
static int modrm_len(const u8 *p, int avail, bool addr16)
{
	int mod, rm, n = 1;

	if (avail < 1)
		return -1;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return -1;
	if (addr16)
		return 1 + (mod == 1 ? 1 : mod == 2 ? 2 : (mod == 0 && rm == 6) ? 2 : 0);
	if (rm == 4) {
		if (avail < 2)
			return -1;
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4;
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n;
}

static int decode(const struct vmw86_run *run, struct insn *in)
{
	const u8 *p = run->mmio.insn;
	int n = run->mmio.insn_len, i = 0, m, imm = 0;
	bool long_mode = run->mmio.cs_l, op16 = false, addr_ovr = false;
	bool def32 = long_mode || run->mmio.cs_db;
	u8 rex = 0, op;

	memset(in, 0, sizeof(*in));
	for (; i < n; i++) {
		if (p[i] == 0x66)
			op16 = true;
		else if (p[i] == 0x67)
			addr_ovr = true;
		else if (p[i] == 0xf0 || p[i] == 0xf2 || p[i] == 0xf3 ||
			 p[i] == 0x26 || p[i] == 0x2e || p[i] == 0x36 ||
			 p[i] == 0x3e || p[i] == 0x64 || p[i] == 0x65)
			continue;
		else
			break;
	}
	if (long_mode && i < n && (p[i] & 0xf0) == 0x40)
		rex = p[i++];
	if (i >= n)
		return -1;
	in->rex = rex != 0;
	in->opsize = (rex & 8) ? 8 : (op16 == def32) ? 2 : 4;
	op = p[i++];
	switch (op) {
	case 0x88:
		in->opsize = 1;
		break;
	case 0x89:
		break;
	case 0x8a:
		in->opsize = 1;
		in->is_load = true;
		break;
	case 0x8b:
		in->is_load = true;
		break;
	case 0xc6:
		in->opsize = 1;
		imm = 1;
		break;
	case 0xc7:
		imm = in->opsize == 2 ? 2 : 4;
		break;
	case 0x0f:
		if (i >= n || (p[i] != 0xb6 && p[i] != 0xb7))
			return -1;
		in->zext = p[i++] == 0xb6 ? 1 : 2;
		in->is_load = true;
		break;
	default:
		return -1;
	}
	if (i >= n)
		return -1;
	in->reg = ((p[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);
	if (imm && (p[i] & 0x38))
		return -1;
	m = modrm_len(p + i, n - i, !long_mode && (def32 == addr_ovr));
	if (m < 0)
		return -1;
	in->imm = imm;
	in->len = i + m + imm;
	return in->len <= n ? 0 : -1;
}

static void set_reg(struct vmw86_regs *r, const struct insn *in, u64 val)
{
	int size = in->opsize;
	u64 *dst;

	if (in->zext)
		val &= in->zext == 1 ? 0xff : 0xffff;
	if (size == 1 && !in->rex && in->reg >= 4 && in->reg < 8) {
		dst = gpr(r, in->reg - 4);	/* AH, CH, DH, BH */
		*dst = (*dst & ~0xff00ULL) | (val & 0xff) << 8;
		return;
	}
	dst = gpr(r, in->reg);
	switch (size) {
	case 1:
		*dst = (*dst & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		*dst = (*dst & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*dst = val & 0xffffffffULL;
		break;
	default:
		*dst = val;
		break;
	}
}

/* The value a store writes: its source register or its immediate. */
static u64 store_value(const struct vmw86_run *run, const struct insn *in)
{
	const u8 *p = run->mmio.insn + in->len - in->imm;
	u64 v = 0;
	int i;

	if (in->imm) {
		for (i = in->imm - 1; i >= 0; i--)
			v = v << 8 | p[i];
		return v;
	}
	if (in->opsize == 1 && !in->rex && in->reg >= 4 && in->reg < 8)
		return *gpr((struct vmw86_regs *)&run->regs, in->reg - 4) >> 8;
	return *gpr((struct vmw86_regs *)&run->regs, in->reg);
}

int mmio__handle(struct vcpu *vcpu)
{
	struct vmw86_run *run = vcpu->run;
	bool is_write = run->mmio.flags & VMW86_MMIO_WRITE;
	struct insn in;
	char bytes[16 * 3 + 1] = "";
	int size, i;
	bool owned;
	u64 val;
	u32 val32;

	if (run->mmio.flags & VMW86_MMIO_FETCH || decode(run, &in)) {
		for (i = 0; i < run->mmio.insn_len; i++)
			sprintf(bytes + 3 * i, " %02x", run->mmio.insn[i]);
		fflush(stdout);
		fprintf(stderr, "vmw86-run: vCPU %u: MMIO %s at GPA 0x%llx, RIP 0x%llx: cannot %s instruction [%s ]\n",
			vcpu->id,
			run->mmio.flags & VMW86_MMIO_FETCH ? "fetch" :
			is_write ? "write" : "read",
			(unsigned long long)run->mmio.gpa,
			(unsigned long long)run->regs.rip,
			run->mmio.flags & VMW86_MMIO_FETCH ? "execute" : "decode",
			bytes);
		return -1;
	}
	size = in.zext ? in.zext : in.opsize;
	val = in.is_load ? 0 : store_value(run, &in);
	val32 = val;
	platform__lock();
	owned = ioapic__mmio(run->mmio.gpa, &val32, size, !in.is_load);
	if (owned)
		val = val32;
	else
		owned = mmio_window_access(vcpu->vm, run->mmio.gpa, &val, size,
					   !in.is_load);
	platform__unlock();
	if (!owned) {
		pr_debug("MMIO %s of %d bytes at GPA 0x%llx (no device)",
			 in.is_load ? "read" : "write", in.opsize,
			 (unsigned long long)run->mmio.gpa);
		val = ~0ULL;
	}
	if (in.is_load)
		set_reg(&run->regs, &in, val);
	run->regs.rip += in.len;
	run->regs_dirty = 1;
	return 0;
}
