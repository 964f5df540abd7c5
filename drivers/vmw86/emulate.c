// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 instruction decoding: all the x86 decoding the kernel does, which
 * is as little as it can be. Three callers need it:
 *
 * - the one MMIO device in the kernel, the local APIC page. Device MMIO is
 *   decoded in user space (with Zydis, from the bytes the MMIO exit
 *   carries). The APIC is the exception because its accesses are the hot
 *   path of every interrupt (EOI, timer programming, IPIs): a round trip to
 *   user space for each would cost more than the access. Guests touch the
 *   APIC with plain 32-bit MOVs (Linux's native_apic_mem_read/write,
 *   Windows and firmware likewise), so that is all vmw86_decode_mov32()
 *   decodes: MOV r32 to and from memory, MOV imm32 to memory, and the MOV
 *   EAX forms with a direct offset. Anything else on the APIC page is an
 *   internal error for user space.
 * - string port I/O (INS, OUTS) on a CPU whose exit names neither the
 *   segment nor (QEMU's) the address size: vmw86_decode_string_prefixes()
 *   and vmw86_string_addr_size().
 * - the interrupt window that opens on a HLT: vmw86_insn_is_hlt().
 * - the guest's MOV to and from a debug register while a debugger owns
 *   them (debug.c), on a CPU whose intercept does not name the GPR
 *   (QEMU's SVM has no DecodeAssists): vmw86_decode_mov_dr().
 *
 * Encodings: AMD APM vol. 3, chapter 1 "Instruction Encoding", "MOV",
 * "MOV DRn", "INS", "OUTS" and "HLT".
 */
#include <linux/kernel.h>
#include <asm/unaligned.h>

#include "vmw86.h"

#define OPCODE_HLT	0xf4

/* The segment-override prefixes, indexed by &enum vmw86_sreg. */
static const u8 segment_prefixes[] = {
	[VCPU_SREG_ES] = 0x26, [VCPU_SREG_CS] = 0x2e, [VCPU_SREG_SS] = 0x36,
	[VCPU_SREG_DS] = 0x3e, [VCPU_SREG_FS] = 0x64, [VCPU_SREG_GS] = 0x65,
};

/* The segment a prefix byte overrides to, or -1 if it is none. */
static int segment_prefix(u8 b)
{
	const u8 *p = memchr(segment_prefixes, b, sizeof(segment_prefixes));

	return p ? p - segment_prefixes : -1;
}

static bool is_segment_prefix(u8 b)
{
	return segment_prefix(b) >= 0;
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

/**
 * vmw86_decode_string_prefixes() - the legacy prefixes of an INS or OUTS
 * @insn: the instruction bytes at CS:RIP.
 * @avail: how many of them could be read (0 when none: the defaults).
 * @l: CS.L: 64-bit mode, where 0x40-0x4f are REX prefixes.
 * @pfx: the result: the last segment override (DS without one) and whether
 *	a 0x67 prefix toggles the address size.
 *
 * Scans the prefixes (segment, 0x66, 0x67, REP/REPNE, REX) up to the
 * opcode; of several segment overrides, the last counts.
 */
void vmw86_decode_string_prefixes(const u8 *insn, unsigned int avail, bool l,
				  struct vmw86_string_prefixes *pfx)
{
	unsigned int i;
	int seg;

	pfx->seg = VCPU_SREG_DS;
	pfx->addr_override = false;
	for (i = 0; i < min(avail, 15U); i++) {
		seg = segment_prefix(insn[i]);
		if (seg >= 0)
			pfx->seg = seg;
		else if (insn[i] == 0x67)
			pfx->addr_override = true;
		else if (insn[i] != 0x66 && insn[i] != 0xf2 && insn[i] != 0xf3 &&
			 (!l || (insn[i] & 0xf0) != 0x40))	/* REX */
			break;
	}
}

/**
 * vmw86_string_addr_size() - the address size of a string instruction
 * @l: CS.L: 64-bit mode.
 * @db: CS.D: 32-bit default sizes (outside 64-bit mode).
 * @addr_override: it has a 0x67 prefix.
 *
 * AMD APM vol. 1, 2.2.3 "Effective Address Size": 64 bits in 64-bit mode
 * (32 with the prefix), otherwise CS.D's size, toggled by the prefix.
 * Return: the address size in bytes: 2, 4 or 8.
 */
u8 vmw86_string_addr_size(bool l, bool db, bool addr_override)
{
	if (l)
		return addr_override ? 4 : 8;
	return (db != addr_override) ? 4 : 2;
}

/**
 * vmw86_insn_is_hlt() - is the instruction at CS:RIP a HLT?
 * @insn: its bytes.
 * @avail: how many of them could be read.
 *
 * Only the bare one-byte form (F4); a HLT behind prefixes is not
 * recognised, and the caller then leaves it alone.
 */
bool vmw86_insn_is_hlt(const u8 *insn, unsigned int avail)
{
	return avail >= 1 && insn[0] == OPCODE_HLT;
}

/**
 * vmw86_decode_mov_dr() - decode MOV to or from a debug register
 * @insn: the instruction's bytes at CS:RIP.
 * @avail: how many of them were fetched (up to 15).
 * @l: CS.L (64-bit mode: a REX prefix may come first).
 * @mov: filled in.
 *
 * The ModRM byte always names a register, whatever its mod field (APM
 * vol. 3, "MOV DRn"); the operand is 64 bits in 64-bit mode and 32 bits
 * otherwise, whatever the prefixes.
 *
 * Return: 0; -EINVAL for anything else, or REX.R (DR8-DR15 do not exist).
 */
int vmw86_decode_mov_dr(const u8 *insn, unsigned int avail, bool l,
			struct vmw86_mov_dr *mov)
{
	unsigned int i = 0;
	u8 rex = 0, modrm;

	if (avail > 15)
		avail = 15;
	/* Operand- and address-size prefixes change nothing here. */
	while (i < avail && (insn[i] == 0x66 || insn[i] == 0x67))
		i++;
	if (i < avail && l && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (i + 3 > avail || insn[i] != 0x0f ||
	    (insn[i + 1] != 0x21 && insn[i + 1] != 0x23) || (rex & 0x04))
		return -EINVAL;
	modrm = insn[i + 2];
	mov->write = insn[i + 1] == 0x23;
	mov->reg = (modrm & 7) | ((rex & 0x01) ? 8 : 0);
	mov->dr = (modrm >> 3) & 7;
	mov->len = i + 3;
	return 0;
}
