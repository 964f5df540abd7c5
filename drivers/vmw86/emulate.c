// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 instruction decoding for the one MMIO device in the kernel, the
 * local APIC page.
 *
 * Device MMIO is decoded in user space (with Zydis, from the bytes the MMIO
 * exit carries). The APIC is the exception because its accesses are the
 * hot path of every interrupt (EOI, timer programming, IPIs): a round trip
 * to user space for each would cost more than the access. Guests touch the
 * APIC with plain 32-bit MOVs (Linux's native_apic_mem_read/write, Windows
 * and firmware likewise), so that is all this decodes: MOV r32 to and from
 * memory, MOV imm32 to memory, and the MOV EAX forms with a direct offset.
 * Anything else on the APIC page is an internal error for user space.
 * Encodings: AMD APM vol. 3, chapter 1 "Instruction Encoding" and "MOV".
 */
#include <linux/kernel.h>
#include <asm/unaligned.h>

#include "vmw86.h"

static bool is_segment_prefix(u8 b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e ||
	       b == 0x64 || b == 0x65;
}

/* Bytes of displacement (and SIB) after a ModRM byte, or -1 if invalid. */
static int modrm_extra(const u8 *p, unsigned int avail, u8 modrm,
		       unsigned int addr_bits)
{
	u8 mod = modrm >> 6, rm = modrm & 7;

	if (mod == 3)
		return -1;	/* a register operand: no memory access */
	if (addr_bits == 16) {
		if (mod == 0)
			return rm == 6 ? 2 : 0;
		return mod == 1 ? 1 : 2;
	}
	if (rm == 4) {		/* a SIB byte follows */
		if (avail < 1)
			return -1;
		if (mod == 0)
			return 1 + ((p[0] & 7) == 5 ? 4 : 0);
		return 1 + (mod == 1 ? 1 : 4);
	}
	if (mod == 0)
		return rm == 5 ? 4 : 0;	/* disp32, or RIP-relative */
	return mod == 1 ? 1 : 4;
}

/**
 * vmw86_decode_mov32() - decode a 32-bit MOV between a GPR and memory
 * @insn: the instruction bytes at CS:RIP.
 * @avail: how many of them could be read (at most 15).
 * @l: CS.L: 64-bit mode.
 * @db: CS.D: default operand and address size 32 (outside 64-bit mode).
 * @mov: the result.
 *
 * Return: 0, or -EINVAL for anything but the forms listed at the top of
 * this file (other opcodes, operand sizes other than 32 bits, LOCK or REP,
 * register-only ModRM).
 */
int vmw86_decode_mov32(const u8 *insn, unsigned int avail, bool l, bool db,
		       struct vmw86_mov *mov)
{
	unsigned int i = 0, addr_bits = l ? 64 : (db ? 32 : 16);
	bool addr_override = false;
	u8 rex = 0, op, modrm;
	int extra;

	if (avail > 15)
		avail = 15;
	while (i < avail && (is_segment_prefix(insn[i]) || insn[i] == 0x67)) {
		if (insn[i] == 0x67)
			addr_override = true;
		i++;
	}
	/* 16-bit operands (0x66), LOCK and REP are no APIC access. */
	if (i < avail && l && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (i >= avail || (rex & 0x08))		/* REX.W: a 64-bit MOV */
		return -EINVAL;
	if (!l && addr_override)
		addr_bits = addr_bits == 32 ? 16 : 32;
	else if (l && addr_override)
		addr_bits = 32;
	if (!l && !db)
		return -EINVAL;	/* 16-bit code: the operand would be 16 bits */

	op = insn[i++];
	switch (op) {
	case 0xa1:	/* MOV EAX, moffs32 */
	case 0xa3:	/* MOV moffs32, EAX */
		mov->write = op == 0xa3;
		mov->reg = VCPU_REG_RAX;
		mov->len = i + addr_bits / 8;
		return mov->len <= avail ? 0 : -EINVAL;
	case 0x89:	/* MOV r/m32, r32 */
	case 0x8b:	/* MOV r32, r/m32 */
	case 0xc7:	/* MOV r/m32, imm32 (/0) */
		break;
	default:
		return -EINVAL;
	}
	if (i >= avail)
		return -EINVAL;
	modrm = insn[i++];
	extra = modrm_extra(insn + i, avail - i, modrm, addr_bits);
	if (extra < 0)
		return -EINVAL;
	i += extra;

	mov->write = op != 0x8b;
	if (op == 0xc7) {
		if (((modrm >> 3) & 7) != 0 || i + 4 > avail)
			return -EINVAL;
		mov->reg = -1;
		mov->imm = get_unaligned_le32(insn + i);
		i += 4;
	} else {
		mov->reg = ((modrm >> 3) & 7) | ((rex & 0x04) ? 8 : 0);
	}
	if (i > avail)
		return -EINVAL;
	mov->len = i;
	return 0;
}
