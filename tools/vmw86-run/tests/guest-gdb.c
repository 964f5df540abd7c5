// SPDX-License-Identifier: GPL-2.0
/*
 * guest-gdb: the guest vmw86_run_gdb debugs, a program booted as a
 * vmlinux (the layout of guest-vqfuzz.lds), small enough that every
 * address and byte gdb is asked about is known:
 *
 * - startup_64 begins with CLI (0xfa) and MOV %rsi,%r15 (0x49 0x89 0xf7),
 *   at physical 16 MiB, where the 64-bit entry starts it;
 * - gdb_mapped is the first instruction after startup_64 has mapped the
 *   kernel text mapping (0xffffffff81000000 up): before it the linked
 *   addresses are unmapped, after it they are;
 * - gdb_target() is MOV $0x1234,%eax (0xb8 0x34 0x12 0x00 0x00), INC %eax,
 *   RET: a debugger that stops on it, steps once and sets RAX to N makes
 *   it return N + 1;
 * - gdb_data[0] starts as 0x11; gdb may change it;
 * - gdb_watched is 0 until the guest stores gdb_target()'s result there,
 *   the one write to it: a write watchpoint stops the guest once;
 * - the guest executes an INT3 of its own (its #BP handler counts it):
 *   a debugger must hand it back, not stop on it.
 *
 * It prints "GDBGUEST-RESULT rax=0x... data=0x.. int3=N watched=0x..."
 * and powers off
 * (ACPI S5). With "gdbguest.spin" on its command line it first prints
 * GDBGUEST-SPIN and waits until gdb_release is non-zero (gdb sets it).
 */
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#include "guest-console.h"

#define BP_CMD_LINE_PTR		0x228	/* boot_params */

u32 gdb_target(void);
void bp_handler(void);

volatile u8 gdb_data[4] = { 0x11, 0x22, 0x33, 0x44 };
volatile u32 gdb_release;
volatile u32 own_int3;
volatile u64 gdb_watched;

/* An IDT with the #BP gate alone (vector 3), 16-byte long-mode gates. */
static u64 idt[2 * 4] __attribute__((aligned(16)));

static int has_word(const char *s, const char *w)
{
	const char *a, *b;

	for (; *s; s++) {
		for (a = s, b = w; *b && *a == *b; a++, b++)
			;
		if (!*b)
			return 1;
	}
	return 0;
}

static void setup_idt(void)
{
	u64 h = (u64)bp_handler;
	u16 cs;
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)idt };

	asm volatile("mov %%cs, %0" : "=r"(cs));
	/* Offset 15:0, selector, P | DPL 0 | 64-bit interrupt gate, offset 31:16. */
	idt[2 * 3] = (h & 0xffff) | (u64)cs << 16 | 0x8e00ULL << 32 |
		     ((h >> 16) & 0xffff) << 48;
	idt[2 * 3 + 1] = h >> 32;
	asm volatile("lidt %0" : : "m"(idtr));
}

/* startup_64: as guest-vqfuzz's (its comment says how), plus gdb_mapped. */
asm(".pushsection .head.text, \"ax\"\n"
	".globl startup_64\n"
	"startup_64:\n"
	"	cli\n"
	"	mov %rsi, %r15\n"
	GUEST_MAP_KERNEL_TEXT
	".globl gdb_mapped\n"
	"gdb_mapped:\n"
	"	movabs $boot_stack_top, %rsp\n"
	"	movabs $1f, %rax\n"
	"	jmp *%rax\n"
	"1:	mov %r15, %rdi\n"
	"	call guest_main\n"
	"	ud2\n"
	".popsection\n");

asm(".pushsection .text\n"
	".globl gdb_target\n"
	"gdb_target:\n"
	"	mov $0x1234, %eax\n"
	"	inc %eax\n"
	"	ret\n"
	".globl bp_handler\n"
	"bp_handler:\n"
	"	lock incl own_int3(%rip)\n"
	"	iretq\n"
	".popsection\n");

void guest_main(const u8 *boot_params);

void guest_main(const u8 *boot_params)
{
	const char *cmdline = (const char *)(u64)*(const u32 *)(boot_params + BP_CMD_LINE_PTR);
	u32 r;

	setup_idt();
	puts_uart("GDBGUEST-START\n");
	if (has_word(cmdline, "gdbguest.spin")) {
		puts_uart("GDBGUEST-SPIN\n");
		while (!gdb_release)
			asm volatile("pause");
		puts_uart("GDBGUEST-RELEASED\n");
	}
	asm volatile("int3");
	r = gdb_target();
	gdb_watched = r;
	puts_uart("GDBGUEST-RESULT rax=");
	put_hex(r);
	puts_uart(" data=");
	put_hex(gdb_data[0]);
	puts_uart(" int3=");
	put_hex(own_int3);
	puts_uart(" watched=");
	put_hex(gdb_watched);
	puts_uart("\nGDBGUEST-END\n");
	poweroff();
}
