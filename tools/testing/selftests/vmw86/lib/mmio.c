// SPDX-License-Identifier: GPL-2.0
/*
 * User-space MMIO instruction emulation with Zydis (see mmio.h).
 */
#include <Zydis/Zydis.h>

#include "mmio.h"
#include "vmw86_lib.h"

static __u64 *gpr_slot(struct vmw86_regs *regs, ZydisRegister r64)
{
	switch (r64) {
	case ZYDIS_REGISTER_RAX: return &regs->rax;
	case ZYDIS_REGISTER_RBX: return &regs->rbx;
	case ZYDIS_REGISTER_RCX: return &regs->rcx;
	case ZYDIS_REGISTER_RDX: return &regs->rdx;
	case ZYDIS_REGISTER_RSI: return &regs->rsi;
	case ZYDIS_REGISTER_RDI: return &regs->rdi;
	case ZYDIS_REGISTER_RSP: return &regs->rsp;
	case ZYDIS_REGISTER_RBP: return &regs->rbp;
	case ZYDIS_REGISTER_R8: return &regs->r8;
	case ZYDIS_REGISTER_R9: return &regs->r9;
	case ZYDIS_REGISTER_R10: return &regs->r10;
	case ZYDIS_REGISTER_R11: return &regs->r11;
	case ZYDIS_REGISTER_R12: return &regs->r12;
	case ZYDIS_REGISTER_R13: return &regs->r13;
	case ZYDIS_REGISTER_R14: return &regs->r14;
	case ZYDIS_REGISTER_R15: return &regs->r15;
	default:
		TEST_FAIL("register %s is not a GPR",
			  ZydisRegisterGetString(r64));
	}
}

static bool is_high_byte(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_BH ||
	       r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH;
}

static uint64_t size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

static uint64_t reg_read(struct vmw86_regs *regs, ZydisRegister r)
{
	uint64_t v = *gpr_slot(regs, ZydisRegisterGetLargestEnclosing(
					ZYDIS_MACHINE_MODE_LONG_64, r));
	unsigned int width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64,
						   r);

	if (is_high_byte(r))
		return (v >> 8) & 0xff;
	return v & size_mask(width / 8);
}

/* MOV semantics: 8/16-bit writes merge, 32-bit writes zero-extend. */
static void reg_write(struct vmw86_regs *regs, ZydisRegister r, uint64_t v)
{
	__u64 *slot = gpr_slot(regs, ZydisRegisterGetLargestEnclosing(
					ZYDIS_MACHINE_MODE_LONG_64, r));
	unsigned int width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64,
						   r);

	if (is_high_byte(r))
		*slot = (*slot & ~0xff00ULL) | ((v & 0xff) << 8);
	else if (width == 8 || width == 16)
		*slot = (*slot & ~size_mask(width / 8)) |
			(v & size_mask(width / 8));
	else
		*slot = v & size_mask(width / 8);
}

static uint64_t sign_extend(uint64_t v, unsigned int bytes)
{
	unsigned int shift = 64 - bytes * 8;

	return bytes >= 8 ? v : (uint64_t)((int64_t)(v << shift) >> shift);
}

unsigned int vcpu_handle_mmio(struct vmw86_vcpu *vcpu, mmio_handler_t handler,
			      void *opaque)
{
	struct vmw86_run *run = vcpu->run;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction insn;
	ZydisMachineMode mode;
	ZydisStackWidth stack;
	ZydisDecoder decoder;
	struct mmio_access access = { .gpa = run->mmio.gpa };
	const ZydisDecodedOperand *mem, *other;

	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_MMIO);
	TEST_ASSERT(run->mmio.insn_len > 0 && run->mmio.insn_len <= 15,
		    "MMIO exit at gpa 0x%llx with insn_len %u",
		    (unsigned long long)run->mmio.gpa, run->mmio.insn_len);
	if (run->mmio.cs_l) {
		mode = ZYDIS_MACHINE_MODE_LONG_64;
		stack = ZYDIS_STACK_WIDTH_64;
	} else if (run->mmio.cs_db) {
		mode = ZYDIS_MACHINE_MODE_LEGACY_32;
		stack = ZYDIS_STACK_WIDTH_32;
	} else {
		mode = ZYDIS_MACHINE_MODE_LEGACY_16;
		stack = ZYDIS_STACK_WIDTH_16;
	}
	TEST_ASSERT(ZYAN_SUCCESS(ZydisDecoderInit(&decoder, mode, stack)),
		    "ZydisDecoderInit");
	TEST_ASSERT(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder,
				run->mmio.insn, run->mmio.insn_len, &insn,
				ops)),
		    "cannot decode the MMIO instruction at rip 0x%llx "
		    "(%02x %02x %02x %02x, len %u)",
		    (unsigned long long)run->regs.rip, run->mmio.insn[0],
		    run->mmio.insn[1], run->mmio.insn[2], run->mmio.insn[3],
		    run->mmio.insn_len);
	TEST_ASSERT(insn.operand_count_visible == 2,
		    "%s with %u operands", ZydisMnemonicGetString(insn.mnemonic),
		    insn.operand_count_visible);

	if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
		mem = &ops[0];
		other = &ops[1];
	} else {
		mem = &ops[1];
		other = &ops[0];
	}
	TEST_ASSERT(mem->type == ZYDIS_OPERAND_TYPE_MEMORY,
		    "%s has no memory operand",
		    ZydisMnemonicGetString(insn.mnemonic));
	access.size = mem->size / 8;
	access.is_write = mem == &ops[0];
	TEST_ASSERT(!!(run->mmio.flags & VMW86_MMIO_WRITE) == access.is_write,
		    "%s: MMIO flags 0x%x disagree with the decoded direction",
		    ZydisMnemonicGetString(insn.mnemonic), run->mmio.flags);

	switch (insn.mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		if (access.is_write) {
			if (other->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
				access.value = other->imm.value.u;
			else
				access.value = reg_read(&run->regs,
							other->reg.value);
			access.value &= size_mask(access.size);
			handler(opaque, &access);
		} else {
			handler(opaque, &access);
			reg_write(&run->regs, other->reg.value,
				  access.value & size_mask(access.size));
		}
		break;
	case ZYDIS_MNEMONIC_MOVZX:
		TEST_ASSERT(!access.is_write, "MOVZX store");
		handler(opaque, &access);
		reg_write(&run->regs, other->reg.value,
			  access.value & size_mask(access.size));
		break;
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
		TEST_ASSERT(!access.is_write, "MOVSX store");
		handler(opaque, &access);
		reg_write(&run->regs, other->reg.value,
			  sign_extend(access.value & size_mask(access.size),
				      access.size));
		break;
	default:
		TEST_FAIL("cannot emulate %s for MMIO",
			  ZydisMnemonicGetString(insn.mnemonic));
	}

	run->regs.rip += insn.length;
	if (!run->mmio.cs_l)
		run->regs.rip &= run->mmio.cs_db ? 0xffffffffULL : 0xffffULL;
	run->regs_dirty = 1;
	return insn.length;
}
