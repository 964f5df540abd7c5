/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MMIO emulation in user space: vmw86 reports the faulting GPA and the
 * instruction bytes; lib/mmio.c decodes them with Zydis and completes the
 * access through run->regs.
 */
#ifndef SELFTEST_VMW86_MMIO_H
#define SELFTEST_VMW86_MMIO_H

#include <stdbool.h>
#include <stdint.h>

struct vmw86_vcpu;

struct mmio_access {
	uint64_t gpa;
	unsigned int size;	/* 1, 2, 4 or 8 */
	bool is_write;
	uint64_t value;		/* write: the data; read: filled by the handler */
};

typedef void (*mmio_handler_t)(void *opaque, struct mmio_access *access);

/*
 * Complete the VMW86_EXIT_MMIO in vcpu->run: decode the instruction (MOV
 * to or from memory with a register or immediate operand, MOVZX, MOVSX,
 * MOVSXD; 8 to 64 bits; 16-, 32- or 64-bit code), call @handler once, put
 * a loaded value in the destination register, advance RIP and set
 * regs_dirty. Fails the test on anything it cannot emulate. Returns the
 * decoded instruction length.
 */
unsigned int vcpu_handle_mmio(struct vmw86_vcpu *vcpu, mmio_handler_t handler,
			      void *opaque);

#endif /* SELFTEST_VMW86_MMIO_H */
