// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86_run_gva: gva.c, the page walk of the gdb stub, against page tables
 * built here in a buffer standing for guest RAM (no VM needed, TAP):
 * no paging (identity); 32-bit paging with 4 KiB and 4 MiB pages
 * (PSE-36's high bits too); PAE with 4 KiB and 2 MiB pages; 4-level long
 * mode with 4 KiB, 2 MiB and 1 GiB pages; 5-level (LA57) with a 4 KiB
 * page; and what must not translate: a non-present entry at each level,
 * a non-canonical address, an address above 4 GiB outside long mode, a
 * table outside guest RAM, a 4 MiB page without CR4.PSE read as a table.
 * The bytes left in the page are checked with each translation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmw86-run.h"

#define RAM_SIZE	(16 * MiB)
#define P		0x1ULL
#define RW		0x2ULL
#define PS		0x80ULL

#define CR0_PG		(1ULL << 31)
#define CR0_PE		(1ULL << 0)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

static u8 *ram;
static int n, failed;

/* The launcher's check, over this buffer only. */
void *vm__gpa_to_hva(const struct vm *vm, u64 gpa, u64 len)
{
	(void)vm;
	if (gpa <= RAM_SIZE && len <= RAM_SIZE - gpa)
		return ram + gpa;
	return NULL;
}

static void put64(u64 gpa, u64 v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put32(u64 gpa, u32 v)
{
	memcpy(ram + gpa, &v, 4);
}

static void expect(const char *what, const struct vmw86_sregs *s, u64 gva,
		   int mapped, u64 want_gpa, u64 want_left)
{
	u64 gpa = 0, left = 0;
	int ok = gva__to_gpa(NULL, s, gva, &gpa, &left);

	n++;
	if (ok == mapped && (!mapped || (gpa == want_gpa && left == want_left))) {
		printf("ok %d %s\n", n, what);
		return;
	}
	failed++;
	printf("not ok %d %s (gva 0x%llx: %s gpa 0x%llx left 0x%llx; want %s 0x%llx left 0x%llx)\n",
	       n, what, (unsigned long long)gva, ok ? "mapped" : "unmapped",
	       (unsigned long long)gpa, (unsigned long long)left,
	       mapped ? "mapped" : "unmapped", (unsigned long long)want_gpa,
	       (unsigned long long)want_left);
}

static void no_paging(void)
{
	struct vmw86_sregs s = { .cr0 = CR0_PE };

	expect("no paging: identity, 4 KiB chunks", &s, 0x123456, 1, 0x123456, 0xbaa);
}

static void paging32(void)
{
	struct vmw86_sregs s = { .cr0 = CR0_PG | CR0_PE, .cr3 = 0x10000 };

	/* PD at 64 KiB; PDE 1 -> PT at 68 KiB; PTE 2 -> 0x200000. */
	put32(0x10000 + 1 * 4, 0x11000 | P | RW);
	put32(0x11000 + 2 * 4, 0x200000 | P | RW);
	expect("32-bit paging, 4 KiB page", &s, 0x402abc, 1, 0x200abc, 0x544);
	expect("32-bit paging, PTE not present", &s, 0x403000, 0, 0, 0);
	/* PDE 2: a 4 MiB page at 8 MiB, and with PSE-36 bits at 0x1_0080_0000. */
	put32(0x10000 + 2 * 4, 0x800000 | PS | P | RW);
	put32(0x10000 + 3 * 4, 0x800000 | (1u << 13) | PS | P | RW);
	s.cr4 = CR4_PSE;
	expect("32-bit paging, 4 MiB page (CR4.PSE)", &s, 0x812345, 1, 0x812345, 0x3edcbb);
	expect("32-bit paging, 4 MiB page with PSE-36 bits 39:32", &s, 0xc00010, 1,
	       0x100800010ULL, 0x3ffff0);
	/* Without CR4.PSE the PS bit means nothing: 8 MiB is read as a PT. */
	s.cr4 = 0;
	put32(0x800000 + 0x12 * 4, 0x300000 | P);
	expect("32-bit paging without CR4.PSE: the PDE is a table", &s, 0x812345, 1,
	       0x300345, 0xcbb);
	expect("32-bit paging: above 4 GiB is nothing", &s, 0x100000000ULL, 0, 0, 0);
}

static void pae(void)
{
	struct vmw86_sregs s = { .cr0 = CR0_PG | CR0_PE, .cr4 = CR4_PAE,
				 .cr3 = 0x20020 };

	/* PDPT at 0x20020 (32-byte aligned), entry 3 -> PD at 0x21000. */
	put64(0x20020 + 3 * 8, 0x21000 | P);
	put64(0x21000 + 5 * 8, 0x600000 | PS | P | RW);
	put64(0x21000 + 6 * 8, 0x22000 | P | RW);
	put64(0x22000 + 7 * 8, 0x345000 | P | RW);
	expect("PAE, 2 MiB page", &s, 0xc0a12345ULL, 1, 0x612345, 0x1edcbb);
	expect("PAE, 4 KiB page", &s, 0xc0c07010ULL, 1, 0x345010, 0xff0);
	expect("PAE, PDPTE not present", &s, 0x80000000ULL, 0, 0, 0);
}

static void long4(void)
{
	struct vmw86_sregs s = { .cr0 = CR0_PG | CR0_PE, .cr4 = CR4_PAE,
				 .efer = EFER_LME | EFER_LMA, .cr3 = 0x30000 };
	u64 high = 0xffffffff81000000ULL;	/* PML4 511, PDPT 510, PD 8 */

	put64(0x30000 + 511 * 8, 0x31000 | P | RW);
	put64(0x31000 + 510 * 8, 0x32000 | P | RW);
	put64(0x32000 + 8 * 8, 0x1000000 | PS | P | RW);	/* 2 MiB at 16 MiB */
	put64(0x32000 + 9 * 8, 0x33000 | P | RW);
	put64(0x33000 + 1 * 8, 0x7000 | P | RW);
	put64(0x31000 + 1 * 8, 0x40000000 | PS | P | RW);	/* 1 GiB at 1 GiB */
	expect("4-level, 2 MiB page (the kernel text mapping)", &s, high + 0x60, 1,
	       0x1000060, 0x1fffa0);
	expect("4-level, 4 KiB page", &s, high + 0x201008, 1, 0x7008, 0xff8);
	expect("4-level, 1 GiB page (its GPA beyond RAM is the caller's to check)",
	       &s, 0xffffff8040123456ULL, 1, 0x40123456, 0x3fedcbaa);
	expect("4-level, PML4E not present", &s, 0x1000, 0, 0, 0);
	expect("4-level, PDE not present", &s, high + 0x400000, 0, 0, 0);
	expect("4-level, non-canonical address", &s, 0x0000800000000000ULL, 0, 0, 0);
	/* A PDPTE pointing outside guest RAM. */
	put64(0x31000 + 2 * 8, 0x7ff00000000ULL | P);
	expect("4-level, a table outside guest RAM", &s, 0xffffff8080000000ULL, 0, 0, 0);
}

static void long5(void)
{
	struct vmw86_sregs s = { .cr0 = CR0_PG | CR0_PE, .cr4 = CR4_PAE | CR4_LA57,
				 .efer = EFER_LME | EFER_LMA, .cr3 = 0x50000 };
	/* PML5 256 (bit 56 set: the upper half), PML4 0, PDPT 0, PD 0, PT 3. */
	u64 gva = 0xff00000000003abcULL;

	put64(0x50000 + 256 * 8, 0x51000 | P);
	put64(0x51000, 0x52000 | P);
	put64(0x52000, 0x53000 | P);
	put64(0x53000, 0x54000 | P);
	put64(0x54000 + 3 * 8, 0x9000 | P);
	expect("5-level (LA57), 4 KiB page", &s, gva, 1, 0x9abc, 0x544);
	/* Canonical for 5 levels, not for 4. */
	expect("5-level: 57-bit canonical, PML5E not present", &s,
	       0x00ff000000000000ULL, 0, 0, 0);
	s.cr4 &= ~CR4_LA57;
	expect("4-level: that address is not canonical", &s, gva, 0, 0, 0);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 1;
	printf("TAP version 13\n1..20\n");
	no_paging();
	paging32();
	pae();
	long4();
	long5();
	if (n != 20)
		printf("# planned 20, ran %d\n", n);
	return failed || n != 20;
}
