/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of vmw86-bench, the same bytes for vmw86 and for KVM.
 *
 * It runs in flat 32-bit protected mode without paging: every address the
 * guest uses is a guest physical address, so the only page faults are
 * nested ones, and both hypervisors enter it with the same few segment
 * registers (vmw86-bench.c, flat_pmode32()). The host copies a blob to
 * GUEST_CODE_GPA and points EIP at it; relative jumps only, so the blobs
 * run wherever they are copied.
 *
 * Ports (constants shared with vmw86-bench.c through bench.h): the guest
 * says "go" on BENCH_PORT_START, so the host starts its clock after the
 * code page was faulted in, and "done" on BENCH_PORT_END.
 */
#include "bench.h"

	.section .rodata.guest, "a"
	.code32

/* Figure 1 (and the first exit of figure 7): OUT to user space, forever. */
	.globl guest_io, guest_io_end
guest_io:
1:	outb	%al, $BENCH_PORT_IO
	jmp	1b
guest_io_end:

/*
 * Figure 2: ESI CPUIDs of leaf 0. CPUID clobbers EAX to EDX, hence the
 * counter in ESI and ECX (the sub-leaf) cleared on every pass.
 */
	.globl guest_cpuid, guest_cpuid_end
guest_cpuid:
	outb	%al, $BENCH_PORT_START
1:	xorl	%eax, %eax
	xorl	%ecx, %ecx
	cpuid
	decl	%esi
	jnz	1b
	outb	%al, $BENCH_PORT_END
	hlt
guest_cpuid_end:

/*
 * Figure 3: write one byte in each of ECX pages from EBX on, twice. The
 * first pass takes a nested page fault per page (or per huge page, where
 * the hypervisor maps them); the second finds everything mapped.
 */
	.globl guest_touch, guest_touch_end
guest_touch:
	outb	%al, $BENCH_PORT_START
	movl	%ebx, %edi
	movl	%ecx, %esi
1:	movb	$1, (%edi)
	addl	$BENCH_PAGE_SIZE, %edi
	decl	%esi
	jnz	1b
	outb	%al, $BENCH_PORT_END
	movl	%ebx, %edi
	movl	%ecx, %esi
2:	movb	$2, (%edi)
	addl	$BENCH_PAGE_SIZE, %edi
	decl	%esi
	jnz	2b
	outb	%al, $BENCH_PORT_END
	hlt
guest_touch_end:

	.code64
	.section .note.GNU-stack, "", @progbits
