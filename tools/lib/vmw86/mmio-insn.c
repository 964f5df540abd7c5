// SPDX-License-Identifier: GPL-2.0
/*
 * The shared MMIO instruction decoder (mmio-insn.h says what it knows).
 */
#include <string.h>

#include "mmio-insn.h"

static uint64_t *gpr(struct vmw86_regs *r, int enc)
{
	uint64_t *map[16] = {
		(uint64_t *)&r->rax, (uint64_t *)&r->rcx, (uint64_t *)&r->rdx,
		(uint64_t *)&r->rbx, (uint64_t *)&r->rsp, (uint64_t *)&r->rbp,
		(uint64_t *)&r->rsi, (uint64_t *)&r->rdi, (uint64_t *)&r->r8,
		(uint64_t *)&r->r9, (uint64_t *)&r->r10, (uint64_t *)&r->r11,
		(uint64_t *)&r->r12, (uint64_t *)&r->r13, (uint64_t *)&r->r14,
		(uint64_t *)&r->r15,
	};
	return map[enc & 15];
}

/* Length of ModRM + SIB + displacement at @p; -1 if it is not memory. */
static int modrm_len(const uint8_t *p, int avail, bool addr16)
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

int vmw86_mmio_decode(const struct vmw86_run *run, struct vmw86_mmio_insn *in)
{
	const uint8_t *p = run->mmio.insn;
	int n = run->mmio.insn_len, i = 0, m, imm = 0;
	bool long_mode = run->mmio.cs_l, op16 = false, addr_ovr = false;
	bool def32 = long_mode || run->mmio.cs_db;
	uint8_t rex = 0, op;

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
	case 0xa0:	/* MOV AL, moffs8 */
	case 0xa1:	/* MOV eAX, moffs */
	case 0xa2:	/* MOV moffs8, AL */
	case 0xa3:	/* MOV moffs, eAX */
		/*
		 * No ModRM: the operand is RAX, the address an offset of the
		 * address size (SeaBIOS reads the APIC this way).
		 */
		if (!(op & 1))
			in->opsize = 1;
		in->is_load = !(op & 2);
		in->reg = 0;
		in->len = i + (long_mode ? (addr_ovr ? 4 : 8) :
			       (def32 != addr_ovr) ? 4 : 2);
		in->size = in->opsize;
		return in->len <= n ? 0 : -1;
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
	in->size = in->zext ? in->zext : in->opsize;
	return in->len <= n ? 0 : -1;
}

static void set_reg(struct vmw86_regs *r, const struct vmw86_mmio_insn *in,
		    uint64_t val)
{
	int size = in->opsize;
	uint64_t *dst;

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

uint64_t vmw86_mmio_store_value(const struct vmw86_run *run,
				const struct vmw86_mmio_insn *in)
{
	const uint8_t *p = run->mmio.insn + in->len - in->imm;
	struct vmw86_regs *r = (struct vmw86_regs *)&run->regs;
	uint64_t v = 0;
	int i;

	if (in->imm) {
		for (i = in->imm - 1; i >= 0; i--)
			v = v << 8 | p[i];
		/* REX.W C7 /0: the imm32 is sign-extended to 64 bits. */
		if (in->opsize == 8)
			v = (uint64_t)(int64_t)(int32_t)v;
		return v;
	}
	if (in->opsize == 1 && !in->rex && in->reg >= 4 && in->reg < 8)
		return *gpr(r, in->reg - 4) >> 8;
	return *gpr(r, in->reg);
}

void vmw86_mmio_complete(struct vmw86_run *run, const struct vmw86_mmio_insn *in,
			 uint64_t val)
{
	if (in->is_load)
		set_reg(&run->regs, in, val);
	run->regs.rip += in->len;
	run->regs_dirty = 1;
}
