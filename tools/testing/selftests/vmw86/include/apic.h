/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side local APIC access for the selftests: register offsets, ICR
 * and LVT bits, the APIC MSRs, and the plain 32-bit MOVs guests use on
 * the xAPIC page (the only instruction form vmw86 emulates there).
 * Intel SDM vol. 3, chapter 10; AMD APM vol. 2, chapter 16.
 */
#ifndef SELFTEST_VMW86_APIC_H
#define SELFTEST_VMW86_APIC_H

#include <stdint.h>

/* xAPIC register offsets (SDM vol. 3, table 10-1). */
#define APIC_GPA	0xfee00000UL
#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TPR	0x80
#define APIC_PPR	0xa0
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

#define SVR_ENABLE		(1u << 8)
#define SPURIOUS_VECTOR		0xff
#define DFR_FLAT		0xffffffffu
#define DFR_CLUSTER		0x0fffffffu
#define LVT_MASKED		(1u << 16)
#define LVTT_PERIODIC		(1u << 17)
#define LVTT_TSC_DEADLINE	(2u << 17)
#define TDCR_DIV_1		0xb
#define TDCR_DIV_16		0x3

/* ICR (SDM vol. 3, figure 10-12); MSI data uses the same mode bits. */
#define ICR_FIXED		(0u << 8)
#define ICR_LOWEST		(1u << 8)
#define ICR_NMI			(4u << 8)
#define ICR_INIT		(5u << 8)
#define ICR_STARTUP		(6u << 8)
#define ICR_MODE_MASK		(7u << 8)
#define ICR_LOGICAL		(1u << 11)
#define ICR_BUSY		(1u << 12)
#define ICR_ASSERT		(1u << 14)
#define ICR_LEVEL		(1u << 15)
#define ICR_SELF		(1u << 18)
#define ICR_ALL_INC		(2u << 18)
#define ICR_ALL_BUT_SELF	(3u << 18)

#define MSR_IA32_APICBASE	0x1b
#define APICBASE_BSP		(1UL << 8)
#define APICBASE_EXTD		(1UL << 10)
#define APICBASE_EN		(1UL << 11)
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define X2APIC_MSR(reg)		(0x800 + ((reg) >> 4))
#define X2APIC_SELF_IPI		0x83f

#define CPUID_1_EDX_APIC		(1u << 9)
#define CPUID_1_ECX_X2APIC		(1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)

static inline uint32_t apic_read(uint32_t reg)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(APIC_GPA + reg)
		     : "memory");
	return v;
}

static inline void apic_write(uint32_t reg, uint32_t v)
{
	asm volatile("movl %0, (%1)" :: "r"(v), "r"(APIC_GPA + reg)
		     : "memory");
}

/* An xAPIC IPI: the destination first, then the ICR write that sends. */
static inline void apic_send_ipi(uint8_t dest, uint32_t icr)
{
	apic_write(APIC_ICR2, (uint32_t)dest << 24);
	apic_write(APIC_ICR, icr);
}

/* HLT with interrupts enabled only for it (STI's shadow covers it). */
static inline void safe_halt(void)
{
	asm volatile("sti; hlt; cli" ::: "memory");
}

#endif /* SELFTEST_VMW86_APIC_H */
