/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the freestanding test guests (guest-vqfuzz.c, guest-gdb.c) share:
 * port output, their console lines on the UART at 0x3f8, and power-off
 * through vmw86-run's ACPI PM1a control port with the sleep type of the
 * \_S5 its DSDT gives. Include it after the u8, u16 and u64 typedefs.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#define UART_THR		0x3f8
#define PM1A_CNT		0x604
#define PM1_SLP_TYP_S5		(5U << 10)	/* \_S5 of vmw86-run's DSDT */
#define PM1_SLP_EN		(1U << 13)

static inline void port_write8(u16 port, u8 val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void port_write16(u16 port, u16 val)
{
	asm volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void putc_uart(char c)
{
	port_write8(UART_THR, c);
}

static inline void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static inline void put_hex(u64 v)
{
	char buf[19];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	puts_uart(buf + i);
}

/*
 * startup_64's own kernel text mapping (0xffffffff80000000 up, PML4 slot
 * 511, PDPT slot 510) onto the first GiB through the loader's page
 * directory of its identity map, then a TLB flush. RIP-relative LEA gives
 * physical addresses there. Needs a page-aligned "high_pdpt" in .bss (the
 * linker script's); uses RAX, RCX, RDX and RDI.
 */
#define GUEST_MAP_KERNEL_TEXT						\
	"	mov %cr3, %rax\n"						\
	"	and $-4096, %rax\n"		/* PML4 */			\
	"	mov (%rax), %rcx\n"						\
	"	and $-4096, %rcx\n"		/* PDPT of the identity map */	\
	"	mov (%rcx), %rdx\n"		/* its PD for the first GiB */	\
	"	lea high_pdpt(%rip), %rdi\n"					\
	"	mov %rdx, 510*8(%rdi)\n"					\
	"	or $3, %rdi\n"							\
	"	mov %rdi, 511*8(%rax)\n"					\
	"	mov %cr3, %rax\n"						\
	"	mov %rax, %cr3\n"

/* S5; should the launcher not end the VM, a #UD ends it (a triple fault). */
static inline void __attribute__((noreturn)) poweroff(void)
{
	port_write16(PM1A_CNT, PM1_SLP_TYP_S5 | PM1_SLP_EN);
	for (;;)
		asm volatile("ud2");
}

#endif /* GUEST_CONSOLE_H */
