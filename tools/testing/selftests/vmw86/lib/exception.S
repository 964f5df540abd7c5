/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side entry points: one IDT stub per vector, the 32 exceptions and
 * the 224 interrupt vectors above them (local APIC tests take interrupts
 * there), all funnelled into route_exception() (lib/guest.c) with a struct
 * ex_regs, and the return address that guest_code() returns to.
 *
 * The CPU pushes SS, RSP, RFLAGS, CS, RIP (and an error code for some
 * vectors) after aligning RSP to 16 bytes; the stubs push a dummy error
 * code where the CPU does not, then the vector and the 15 GPRs, which
 * leaves RSP 16-byte aligned for the call.
 */
#define NR_IDT_VECTORS	256	/* as in processor.h, which C code includes */

	.code64
	.text

.macro EXC_STUB vec, has_error_code
	.align 16
exception_stub_\vec:
	.if \has_error_code == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exception_common
.endm

	EXC_STUB 0, 0
	EXC_STUB 1, 0
	EXC_STUB 2, 0
	EXC_STUB 3, 0
	EXC_STUB 4, 0
	EXC_STUB 5, 0
	EXC_STUB 6, 0
	EXC_STUB 7, 0
	EXC_STUB 8, 1
	EXC_STUB 9, 0
	EXC_STUB 10, 1
	EXC_STUB 11, 1
	EXC_STUB 12, 1
	EXC_STUB 13, 1
	EXC_STUB 14, 1
	EXC_STUB 15, 0
	EXC_STUB 16, 0
	EXC_STUB 17, 1
	EXC_STUB 18, 0
	EXC_STUB 19, 0
	EXC_STUB 20, 0
	EXC_STUB 21, 1
	EXC_STUB 22, 0
	EXC_STUB 23, 0
	EXC_STUB 24, 0
	EXC_STUB 25, 0
	EXC_STUB 26, 0
	EXC_STUB 27, 0
	EXC_STUB 28, 0
	EXC_STUB 29, 1
	EXC_STUB 30, 1
	EXC_STUB 31, 0

	/* Interrupts 32-255: the CPU pushes no error code (SDM vol. 3, 6.12). */
	.altmacro
	.set	vec, 32
	.rept	NR_IDT_VECTORS - 32
	EXC_STUB %vec, 0
	.set	vec, vec + 1
	.endr
	.noaltmacro

	.align 16
exception_common:
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rdi
	pushq	%rsi
	pushq	%rbp
	pushq	%rbx
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	movq	%rsp, %rdi
	call	route_exception
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rbx
	popq	%rbp
	popq	%rsi
	popq	%rdi
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	addq	$16, %rsp		/* vector and error code */
	iretq

/* guest_code() returns here: report UCALL_DONE, then stop. */
	.align 16
	.globl guest_return_trampoline
guest_return_trampoline:
	andq	$-16, %rsp
	call	guest_done
1:	hlt
	jmp	1b

	.section .rodata
	.align 8
	.globl exception_stubs
exception_stubs:
.macro STUB_ADDR vec
	.quad	exception_stub_\vec
.endm
	.altmacro
	.set	vec, 0
	.rept	NR_IDT_VECTORS
	STUB_ADDR %vec
	.set	vec, vec + 1
	.endr
	.noaltmacro

	.section .note.GNU-stack, "", @progbits
