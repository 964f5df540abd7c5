/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmw86 world switch: VMRUN with the state around it that the hardware does
 * not switch by itself (AMD APM vol. 2, 15.5 "VMRUN Instruction" and 15.5.2
 * "VMSAVE and VMLOAD Instructions").
 *
 * VMRUN saves and restores the host's RAX, RSP, RIP, RFLAGS, CR0/3/4, EFER,
 * GDTR, IDTR and ES/CS/SS/DS. Everything VMLOAD/VMSAVE covers (FS, GS, TR,
 * LDTR with their hidden parts, KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK,
 * SYSENTER_*) is saved to a per-CPU host page before the guest's copy is
 * loaded, and put back before anything can use it: the caller runs with
 * GIF = 0, so no interrupt or NMI is taken while GS still holds the guest's
 * base. The other GPRs are loaded from and saved to the vCPU's array here.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

/* Offsets in the GPR array, in instruction-encoding order (enum vmw86_reg). */
#define REG_RCX		(1 * 8)
#define REG_RDX		(2 * 8)
#define REG_RBX		(3 * 8)
#define REG_RBP		(5 * 8)
#define REG_RSI		(6 * 8)
#define REG_RDI		(7 * 8)
#define REG_R8		(8 * 8)
#define REG_R9		(9 * 8)
#define REG_R10		(10 * 8)
#define REG_R11		(11 * 8)
#define REG_R12		(12 * 8)
#define REG_R13		(13 * 8)
#define REG_R14		(14 * 8)
#define REG_R15		(15 * 8)

	.section .noinstr.text, "ax"

/*
 * void vmw86_svm_vmrun(u64 vmcb_pa, unsigned long *regs, u64 host_vmcb_pa)
 *
 * Called with interrupts enabled but GIF = 0 (CLGI), so that a physical
 * interrupt arriving in the guest forces a #VMEXIT (the INTR intercept with
 * V_INTR_MASKING, APM 15.21.1) and is taken by the host after STGI. RAX and
 * RSP of the guest are in the VMCB; the other 14 GPRs are in @regs.
 */
SYM_FUNC_START(vmw86_svm_vmrun)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx

	/* Kept on the stack for after the #VMEXIT: 16(rsp), 8(rsp), 0(rsp). */
	push %rsi		/* regs */
	push %rdx		/* host_vmcb_pa */
	push %rdi		/* vmcb_pa */

	mov  %rdx, %rax
1:	vmsave %rax
2:	mov  %rdi, %rax
3:	vmload %rax
4:
	/* Guest GPRs; RSI last since it addresses the array. RAX = vmcb_pa. */
	mov REG_RCX(%rsi), %rcx
	mov REG_RDX(%rsi), %rdx
	mov REG_RBX(%rsi), %rbx
	mov REG_RBP(%rsi), %rbp
	mov REG_RDI(%rsi), %rdi
	mov REG_R8(%rsi),  %r8
	mov REG_R9(%rsi),  %r9
	mov REG_R10(%rsi), %r10
	mov REG_R11(%rsi), %r11
	mov REG_R12(%rsi), %r12
	mov REG_R13(%rsi), %r13
	mov REG_R14(%rsi), %r14
	mov REG_R15(%rsi), %r15
	mov REG_RSI(%rsi), %rsi

5:	vmrun %rax
6:
	/* #VMEXIT: RAX = vmcb_pa and RSP are the host's again. */
	mov 16(%rsp), %rax
	mov %rcx, REG_RCX(%rax)
	mov %rdx, REG_RDX(%rax)
	mov %rbx, REG_RBX(%rax)
	mov %rbp, REG_RBP(%rax)
	mov %rsi, REG_RSI(%rax)
	mov %rdi, REG_RDI(%rax)
	mov %r8,  REG_R8(%rax)
	mov %r9,  REG_R9(%rax)
	mov %r10, REG_R10(%rax)
	mov %r11, REG_R11(%rax)
	mov %r12, REG_R12(%rax)
	mov %r13, REG_R13(%rax)
	mov %r14, REG_R14(%rax)
	mov %r15, REG_R15(%rax)

	mov 0(%rsp), %rax
7:	vmsave %rax
8:	mov 8(%rsp), %rax
9:	vmload %rax
10:
	/* The guest may have trained the RSB and return predictors. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT

	/* No guest value may reach a speculative use later. */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	add $24, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET

	/*
	 * SVM instructions fault only if EFER.SVME was cleared under us by an
	 * emergency reboot (the kernel's NMI shootdown): carry on, the caller
	 * finds the CPU disabled and fails the run.
	 */
	_ASM_EXTABLE(1b, 2b)
	_ASM_EXTABLE(3b, 4b)
	_ASM_EXTABLE(5b, 6b)
	_ASM_EXTABLE(7b, 8b)
	_ASM_EXTABLE(9b, 10b)
SYM_FUNC_END(vmw86_svm_vmrun)
