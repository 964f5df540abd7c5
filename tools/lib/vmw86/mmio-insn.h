/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MMIO instruction decoder both of vmw86's front-ends use (the
 * launcher, tools/vmw86-run/mmio.c, and QEMU's -accel vmw86,
 * tools/qemu/target/i386/vmw86/): vmw86 decodes nothing in the kernel
 * (api.rst, "VMW86_EXIT_MMIO"), so user space turns the exit's instruction
 * bytes into an access and completes the instruction in vmw86_run.regs.
 *
 * It knows the MOV forms compilers emit for readb/w/l/q and writeb/w/l/q:
 * 88, 89, 8A, 8B, C6 /0, C7 /0, 0F B6, 0F B7 and A0-A3, with operand-size,
 * address-size, segment, LOCK and REX prefixes. Plain C and <linux/vmw86.h>
 * only, so that both builds compile the same file.
 */
#ifndef VMW86_MMIO_INSN_H
#define VMW86_MMIO_INSN_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vmw86.h>

/**
 * struct vmw86_mmio_insn - a decoded MMIO instruction
 * @len: its length in bytes.
 * @size: bytes accessed in memory (1, 2, 4 or 8).
 * @is_load: a read of memory into a register; otherwise a store.
 * @opsize: operand size in bytes (the register's width).
 * @reg: ModRM.reg with REX.R: the register operand.
 * @rex: a REX prefix was present (selects SPL..DIL over AH..BH).
 * @zext: MOVZX source size (1 or 2), 0 otherwise.
 * @imm: immediate bytes (C6, C7), 0 otherwise.
 */
struct vmw86_mmio_insn {
	int len;
	int size;
	bool is_load;
	int opsize;
	int reg;
	bool rex;
	int zext;
	int imm;
};

/* Decode the exit's instruction; 0, or -1 for a form it does not know. */
int vmw86_mmio_decode(const struct vmw86_run *run, struct vmw86_mmio_insn *in);

/* The value a store writes: its source register or its immediate. */
uint64_t vmw86_mmio_store_value(const struct vmw86_run *run,
				const struct vmw86_mmio_insn *in);

/*
 * Complete the instruction: a load's @val into its register, RIP past it,
 * and regs_dirty set so that the next VMW86_RUN loads them.
 */
void vmw86_mmio_complete(struct vmw86_run *run, const struct vmw86_mmio_insn *in,
			 uint64_t val);

#endif /* VMW86_MMIO_INSN_H */
