// SPDX-License-Identifier: GPL-2.0
/*
 * guest-vqfuzz: a guest program, not Linux, that feeds vmw86-run's
 * virtio-mmio devices malformed virtqueues (vmw86_run_vqfuzz.sh). It boots
 * as a vmlinux (64-bit Linux boot protocol: long mode, boot_params in RSI,
 * the loader's identity map of the first 4 GiB) and needs nothing else: it
 * prints on the UART at 0x3f8, reads "vqfuzz.seed=N vqfuzz.rounds=N" from
 * its command line, and powers off through ACPI S5 (PM1a_CNT at 0x604).
 *
 * For every device it finds (MagicValue "virt" at 0xd0000000 + n * 0x1000)
 * it runs seeded rounds, the same sequence for the same seed:
 * - clean rounds (about one in five): reset, the driver initialisation of
 *   virtio 1.2, 3.1.1, a correct queue (4.2.3.2), and correct requests
 *   whose results are checked: a block write read back, a read of the
 *   read-only disk's known sectors, a write there failing with IOERR, a
 *   read past the end failing, an unknown type UNSUPP; entropy that fills
 *   its buffer. Each is a "check"; as clean rounds follow broken ones, they
 *   prove that a reset brings a device back;
 * - dirty rounds: the same steps, mutated: registers written at random
 *   (offsets inside and outside the window, 1, 2, 4 and 8 bytes), status
 *   bits out of order, features not offered, queue sizes that are not
 *   powers of two or too large, rings misaligned, outside RAM, over the
 *   MMIO window or near 2^64, descriptor indexes out of range, lengths
 *   huge, chains that loop, indirect tables malformed or nested or too
 *   long, available indexes that jump, notifications of queues that do not
 *   exist, rings scribbled over while the device works, resets in the
 *   middle of I/O.
 * A round ends with a reset, which must read back as status 0. The last
 * line is "VQFUZZ-SUMMARY ..." with the counts.
 *
 * Buffers the device may write (if it wrongly accepts them) lie only in
 * this program's arena (32 MiB up) or the last MiB of RAM, so that a
 * device bug shows as a failed check or a sanitizer report, not as this
 * program overwriting itself. Interrupts stay disabled: completions are
 * polled, each poll an MMIO read, which also lets the launcher's device
 * thread run when the test machine has one CPU.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#include "guest-console.h"

#define BIT(n)			(1U << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define VIRTIO_MMIO_BASE	0xd0000000ULL
#define VIRTIO_MMIO_STRIDE	0x1000ULL
#define VIRTIO_MMIO_WINDOW	0x200
#define MAX_DEVICES		8
#define MMIO_MAGIC		0x74726976	/* "virt" */
#define LOW_RAM_END		0xc0000000ULL	/* vmw86-run's 3 GiB hole */
#define IOAPIC_BASE		0xfec00000ULL
#define LAPIC_BASE		0xfee00000ULL


/* boot_params (Documentation/x86/zero-page.rst) */
#define BP_E820_ENTRIES		0x1e8
#define BP_CMD_LINE_PTR		0x228
#define BP_E820_TABLE		0x2d0
#define E820_RAM		1

/*
 * The arena: 2 MiB per device from 32 MiB, each slice laid out as below.
 * Clean rounds use the fixed ring addresses; dirty ones place rings
 * anywhere in the ring area, overlapping or not.
 */
#define ARENA_BASE		0x2000000ULL
#define SLICE_SIZE		0x200000ULL
#define SL_RINGS		0x0		/* ring area, 256 KiB */
#define SL_RINGS_SIZE		0x40000
#define SL_DESC			0x0
#define SL_AVAIL		0x1000
#define SL_USED			0x2000
#define SL_INDIRECT		0x40000		/* 16 tables of 8 KiB */
#define INDIRECT_SLOT		0x2000
#define INDIRECT_SLOTS		16
#define SL_HDR			0x60000		/* request headers, 16 bytes each */
#define SL_STATUS		0x61000		/* status bytes, 16 apart */
#define SL_DATA			0x80000		/* data buffers, 1.5 MiB */
#define DATA_SLOT		0x10000
#define DATA_SLOTS		24
#define TOP_SCRATCH		0x100000ULL	/* the last MiB of RAM */

#define SECTOR			512
#define MAX_BATCH		3
#define POLLS_CLEAN		200000	/* MMIO reads before a request times out */
#define POLLS_DIRTY		16
#define MAX_FAIL_LINES		20
#define VIRTQ_MAX_SEGS		256	/* vmw86-run's buffers per chain */

/* ---- the machine: ports, MMIO, console, power ---- */

/*
 * MMIO with plain MOVs, the forms vmw86-run's decoder knows (mmio.c);
 * written in assembly so that the compiler neither merges nor widens them.
 */
static inline u32 mmio_read32(u64 addr)
{
	u32 v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write32(u64 addr, u32 v)
{
	asm volatile("movl %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static void mmio_write_sized(u64 addr, u64 v, int size)
{
	switch (size) {
	case 1:
		asm volatile("movb %b0, (%1)" : : "q"(v), "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("movw %w0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	case 4:
		mmio_write32(addr, v);
		break;
	default:
		asm volatile("movq %0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	}
}

static u64 mmio_read_sized(u64 addr, int size)
{
	u64 v;

	switch (size) {
	case 1:
		asm volatile("movzbl (%1), %k0" : "=r"(v) : "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("movzwl (%1), %k0" : "=r"(v) : "r"(addr) : "memory");
		break;
	case 4:
		v = mmio_read32(addr);
		break;
	default:
		asm volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
		break;
	}
	return v;
}

/*
 * Guest RAM shared with the device: every access happens, whole (relaxed
 * atomics are plain MOVs; x86 keeps stores in order).
 */
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

static void put_dec(u64 v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts_uart(buf + i);
}

/* " key=value" */
static void put_kv(const char *key, u64 v)
{
	putc_uart(' ');
	puts_uart(key);
	putc_uart('=');
	put_dec(v);
}

/* The compiler may call these even with -fno-builtin. */
void *memset(void *d, int c, size_t n)
{
	u8 *p = d;

	while (n--)
		*p++ = c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

/* ---- the 64-bit entry ---- */

/*
 * startup_64, at its physical address on the loader's identity map:
 * map the kernel text mapping (PML4 slot 511, PDPT slot 510) onto the
 * first GiB with the loader's own page directory, switch to the stack,
 * and continue at the linked address. RIP-relative LEA gives physical
 * addresses here; RSI is boot_params (boot.rst, "64-bit Boot Protocol").
 * high_pdpt and boot_stack are pages of the linker script's .bss.
 */
asm(".section .head.text, \"ax\"\n"
	".globl startup_64\n"
	"startup_64:\n"
	"	cli\n"
	"	mov %rsi, %r15\n"
	GUEST_MAP_KERNEL_TEXT
	"	movabs $boot_stack_top, %rsp\n"
	"	movabs $1f, %rax\n"
	"	jmp *%rax\n"
	"1:	mov %r15, %rdi\n"
	"	call guest_main\n"
	"	ud2\n"
	".previous\n");

/* ---- seeded randomness (splitmix64) ---- */

static u64 rng_state;

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 below(u64 n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* A hash of @a and @b: the data pattern of clean block writes. */
static u64 mix(u64 a, u64 b)
{
	u64 z = a * 0x9e3779b97f4a7c15ULL + b;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- state ---- */

struct dev {
	unsigned int n;		/* window number */
	u64 base;
	u32 id;			/* VIRTIO_ID_* */
	u32 qmax;		/* QueueNumMax of queue 0 */
	unsigned int nq;	/* queues that answer QueueNumMax */
	u64 offered;
	u64 capacity;		/* block: sectors */
	bool readonly;		/* block: VIRTIO_BLK_F_RO */
	u64 slice;		/* its part of the arena */
	/* the session */
	u64 features;
	u32 num;		/* queue 0's size as written */
	u64 desc, avail, used;	/* queue 0's rings as written */
	u16 avail_idx, used_seen;
	unsigned int next_desc;
};

static struct dev devs[MAX_DEVICES];
static unsigned int nr_devs;
static u64 ram_top;		/* end of the RAM that starts at 1 MiB */
static u64 seed, rounds, round_nr;

static struct {
	u64 rounds, clean_rounds, requests, resets, needs_reset;
	u64 passed, failed, fail_lines;
} st;

static void fail(const struct dev *d, const char *what, u64 got, u64 want)
{
	st.failed++;
	if (st.fail_lines++ >= MAX_FAIL_LINES)
		return;
	puts_uart("VQFUZZ-FAIL");
	put_kv("round", round_nr);
	put_kv("dev", d->n);
	putc_uart(' ');
	puts_uart(what);
	puts_uart(" got=");
	put_hex(got);
	puts_uart(" want=");
	put_hex(want);
	putc_uart('\n');
}

static void check(const struct dev *d, bool ok, const char *what, u64 got,
		  u64 want)
{
	if (ok)
		st.passed++;
	else
		fail(d, what, got, want);
}

/* ---- registers ---- */

static u32 reg_read(const struct dev *d, u32 off)
{
	return mmio_read32(d->base + off);
}

static void reg_write(const struct dev *d, u32 off, u32 v)
{
	mmio_write32(d->base + off, v);
}

static void dev_reset(struct dev *d)
{
	reg_write(d, VIRTIO_MMIO_STATUS, 0);
	st.resets++;
	d->avail_idx = 0;
	d->used_seen = 0;
	d->next_desc = 0;
	d->num = 0;
}

/*
 * Is [@addr, @addr + @len) memory this program may write, for a ring or a
 * buffer? Its device's slice or the last MiB of RAM.
 */
static bool own_memory(const struct dev *d, u64 addr, u64 len)
{
	u64 top = ram_top - TOP_SCRATCH;

	if (addr >= d->slice && addr - d->slice <= SLICE_SIZE &&
	    len <= SLICE_SIZE - (addr - d->slice))
		return true;
	return addr >= top && addr - top <= TOP_SCRATCH &&
	       len <= TOP_SCRATCH - (addr - top);
}

static void *ptr(u64 gpa)
{
	return (void *)(uintptr_t)gpa;
}

/* An address the device must refuse for @len bytes. */
static u64 bad_addr(u64 len)
{
	switch (below(13)) {
	case 0:
		return ram_top;				/* just past RAM */
	case 1:
		return ram_top - (len > 1 ? len / 2 : 0);	/* straddles it */
	case 2:
		return VIRTIO_MMIO_BASE + below(MAX_DEVICES * VIRTIO_MMIO_STRIDE);
	case 3:
		return ~0ULL - below(64);		/* wraps past 2^64 */
	case 4:
		return (1ULL << 63) + below(1 << 20);
	case 5:
		return chance(50) ? IOAPIC_BASE : LAPIC_BASE;
	case 6:
		return LOW_RAM_END - (len > 1 ? len / 2 : 0);
	case 7:
		return 0x100000000ULL + below(1 << 20);	/* no high RAM */
	case 8:
		return rnd();
	case 9:		/* an address in the arena with high bits set */
		return (below(0xffff) + 1) << 32 | ARENA_BASE;
	case 10:
		return ~0ULL - len + 1 + below(4);
	case 11:
		return ram_top - 1;
	default:
		return 0xfffffffffffff000ULL;		/* the last page */
	}
}

/* ---- driver steps (virtio 1.2, 3.1.1 and 4.2.3) ---- */

#define S_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER	VIRTIO_CONFIG_S_DRIVER
#define S_FEATURES_OK	VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK	VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET
#define F_INDIRECT	BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC)
#define F_VERSION_1	BIT_ULL(VIRTIO_F_VERSION_1)

static void write_features(const struct dev *d, u64 features)
{
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (u32)features);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, features >> 32);
}

/* Steps 1 to 6; whether the device kept FEATURES_OK. */
static bool driver_init(struct dev *d, u64 features)
{
	reg_write(d, VIRTIO_MMIO_STATUS, S_ACK);
	reg_write(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRIVER);
	write_features(d, features);
	reg_write(d, VIRTIO_MMIO_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	d->features = features;
	return reg_read(d, VIRTIO_MMIO_STATUS) & S_FEATURES_OK;
}

static u32 ring_desc_size(u32 num)
{
	return 16 * num;
}

static u32 ring_avail_size(u32 num)
{
	return 6 + 2 * num;
}

static u32 ring_used_size(u32 num)
{
	return 6 + 8 * num;
}

/* Zeroes whatever of queue 0's rings is ours. */
static void rings_clear(const struct dev *d)
{
	u64 num = d->num > 0x10000 ? 0x10000 : d->num;

	if (own_memory(d, d->desc, ring_desc_size(num)))
		memset(ptr(d->desc), 0, ring_desc_size(num));
	if (own_memory(d, d->avail, ring_avail_size(num)))
		memset(ptr(d->avail), 0, ring_avail_size(num));
	if (own_memory(d, d->used, ring_used_size(num)))
		memset(ptr(d->used), 0, ring_used_size(num));
}

static void queue_program(const struct dev *d, u32 num, u64 desc, u64 avail,
			  u64 used, u32 ready)
{
	reg_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	reg_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
	reg_write(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, avail >> 32);
	reg_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, used);
	reg_write(d, VIRTIO_MMIO_QUEUE_USED_HIGH, used >> 32);
	reg_write(d, VIRTIO_MMIO_QUEUE_READY, ready);
}

/* Queue 0 of size @num at the slice's fixed rings; whether it is ready. */
static bool queue_setup_clean(struct dev *d, u32 num)
{
	d->num = num;
	d->desc = d->slice + SL_DESC;
	d->avail = d->slice + SL_AVAIL;
	d->used = d->slice + SL_USED;
	rings_clear(d);
	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	check(d, reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX) == d->qmax,
	      "QueueNumMax", reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX), d->qmax);
	check(d, reg_read(d, VIRTIO_MMIO_QUEUE_READY) == 0,
	      "QueueReady-after-reset", reg_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
	queue_program(d, num, d->desc, d->avail, d->used, 1);
	return reg_read(d, VIRTIO_MMIO_QUEUE_READY) == 1;
}

/* ---- chains ---- */

struct seg {
	u64 addr;
	u32 len;
	u16 flags;		/* VRING_DESC_F_WRITE, or anything when fuzzing */
};

#define MAX_SEGS	300	/* more than vmw86-run takes in one chain */

static void desc_put(const struct dev *d, u64 table, u32 size, u32 idx,
		     const struct seg *s, u16 flags, u16 next)
{
	struct vring_desc *v = ptr(table + 16ULL * idx);

	if (idx >= size || !own_memory(d, table + 16ULL * idx, 16))
		return;
	WRITE_ONCE(v->addr, s->addr);
	WRITE_ONCE(v->len, s->len);
	WRITE_ONCE(v->flags, flags);
	WRITE_ONCE(v->next, next);
}

/* @n segments as one chain in queue 0, direct; returns the head. */
static u16 chain_direct(struct dev *d, const struct seg *segs, unsigned int n)
{
	u32 num = d->num ? d->num : 1;
	u16 head = d->next_desc % num;
	unsigned int i, idx = head;

	for (i = 0; i < n; i++) {
		unsigned int next = (idx + 1) % num;

		desc_put(d, d->desc, num, idx, &segs[i],
			 segs[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0), next);
		idx = next;
	}
	d->next_desc = idx;
	return head;
}

/* The same through indirect table @slot (2.7.5.3); returns the head. */
static u16 chain_indirect(struct dev *d, const struct seg *segs, unsigned int n,
			  unsigned int slot)
{
	u64 table = d->slice + SL_INDIRECT + (u64)slot * INDIRECT_SLOT;
	struct seg ring = { .addr = table, .len = 16 * n };
	u32 num = d->num ? d->num : 1;
	u16 head = d->next_desc % num;
	unsigned int i;

	for (i = 0; i < n; i++)
		desc_put(d, table, INDIRECT_SLOT / 16, i, &segs[i],
			 segs[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0), i + 1);
	desc_put(d, d->desc, num, head, &ring, VRING_DESC_F_INDIRECT, 0);
	d->next_desc = (head + 1) % num;
	return head;
}

/* Puts @head in the available ring (2.7.6); published by avail_publish. */
static void avail_add(struct dev *d, u16 head)
{
	struct vring_avail *a = ptr(d->avail);
	u32 num = d->num ? d->num : 1;

	if (own_memory(d, d->avail + 4 + 2ULL * (d->avail_idx % num), 2))
		WRITE_ONCE(a->ring[d->avail_idx % num], head);
	d->avail_idx++;
	st.requests++;
}

static void avail_publish(struct dev *d, u16 idx)
{
	struct vring_avail *a = ptr(d->avail);

	/* The ring entries before the index (2.7.13; x86 keeps store order). */
	barrier();
	if (own_memory(d, d->avail, 4))
		WRITE_ONCE(a->idx, idx);
	barrier();
}

static u16 used_idx(const struct dev *d)
{
	struct vring_used *u = ptr(d->used);

	return own_memory(d, d->used, 4) ? READ_ONCE(u->idx) : d->used_seen;
}

/*
 * Polls until the used index reaches @target or the device wants a reset;
 * each poll reads InterruptStatus, an exit to the launcher.
 */
static bool wait_used(const struct dev *d, u16 target, unsigned int polls)
{
	while (polls--) {
		if ((u16)(used_idx(d) - d->used_seen) >= (u16)(target - d->used_seen))
			return true;
		if (reg_read(d, VIRTIO_MMIO_STATUS) & S_NEEDS_RESET)
			return false;
		(void)reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
	}
	return false;
}

static void interrupt_ack(const struct dev *d)
{
	reg_write(d, VIRTIO_MMIO_INTERRUPT_ACK,
		  reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS));
}

/* ---- clean requests, checked ---- */

enum verify { V_NONE, V_PATTERN, V_RO_TEXT, V_RANDOM };

struct req {
	u32 type;		/* block: VIRTIO_BLK_T_*; entropy: unused */
	u64 sector;
	u32 data_len;
	bool data_in;		/* the device writes the data */
	unsigned int slot;
	u16 head;
	bool done;
	u8 want_status;
	u32 want_used;
	enum verify verify;
};

static u64 data_addr(const struct dev *d, unsigned int slot)
{
	return d->slice + SL_DATA + (u64)slot * DATA_SLOT;
}

/* Byte @j of sector @s as clean round @round writes it. */
static u8 pattern_byte(u64 round, u64 s, u32 j)
{
	return mix(seed ^ round << 24, s << 7 | j >> 3) >> (8 * (j & 7));
}

/* The read-only disk: "vqfuzz sector N" padded with spaces (the test's awk). */
static void ro_sector(u64 s, u8 *out)
{
	static const char prefix[] = "vqfuzz sector ";
	char digits[21];
	int i = sizeof(digits), k = 0;
	unsigned int j;

	memset(out, ' ', SECTOR);
	memcpy(out, prefix, sizeof(prefix) - 1);
	do {
		digits[--i] = '0' + s % 10;
		s /= 10;
	} while (s);
	for (j = sizeof(prefix) - 1; i < (int)sizeof(digits); j++, k++)
		out[j] = digits[i++];
}

/* Segments of @r: header, data in 1 to 3 pieces, status (5.2.6). */
static unsigned int blk_segs(const struct dev *d, const struct req *r,
			     struct seg *segs)
{
	struct virtio_blk_outhdr *h = ptr(d->slice + SL_HDR + 16ULL * r->slot);
	u64 data = data_addr(d, r->slot);
	unsigned int n = 0, pieces = 1 + below(3);
	u32 left = r->data_len;
	u16 dflag = r->data_in ? VRING_DESC_F_WRITE : 0;

	WRITE_ONCE(h->type, r->type);
	WRITE_ONCE(h->ioprio, 0);
	WRITE_ONCE(h->sector, r->sector);
	WRITE_ONCE(*(u8 *)ptr(d->slice + SL_STATUS + 16ULL * r->slot), 0xff);
	segs[n++] = (struct seg){ .addr = (u64)(uintptr_t)h, .len = 16 };
	while (left) {
		u32 len = --pieces ? 1 + below(left) : left;

		segs[n++] = (struct seg){ .addr = data, .len = len, .flags = dflag };
		data += len;
		left -= len;
	}
	segs[n++] = (struct seg){ .addr = d->slice + SL_STATUS + 16ULL * r->slot,
				  .len = 1, .flags = VRING_DESC_F_WRITE };
	return n;
}

/* Entropy: 1 to 3 device-writable pieces of @r->data_len bytes. */
static unsigned int rng_segs(const struct dev *d, const struct req *r,
			     struct seg *segs)
{
	u64 data = data_addr(d, r->slot);
	unsigned int n = 0, pieces = 1 + below(3);
	u32 left = r->data_len;

	memset(ptr(data), 0, r->data_len);
	while (left) {
		u32 len = --pieces ? 1 + below(left) : left;

		segs[n++] = (struct seg){ .addr = data, .len = len,
					  .flags = VRING_DESC_F_WRITE };
		data += len;
		left -= len;
	}
	return n;
}

static void req_prepare_data(const struct dev *d, const struct req *r)
{
	u8 *p = ptr(data_addr(d, r->slot));
	u32 j;

	if (d->id != VIRTIO_ID_BLOCK)
		return;
	if (r->type == VIRTIO_BLK_T_OUT) {
		for (j = 0; j < r->data_len; j++)
			p[j] = pattern_byte(round_nr, r->sector + j / SECTOR,
					    j % SECTOR);
	} else {
		memset(p, 0xa5, r->data_len);
	}
}

static bool req_data_ok(const struct dev *d, const struct req *r)
{
	const u8 *p = ptr(data_addr(d, r->slot));
	u8 want[SECTOR];
	u32 j, nonzero = 0;

	switch (r->verify) {
	case V_PATTERN:
		for (j = 0; j < r->data_len; j++)
			if (p[j] != pattern_byte(round_nr, r->sector + j / SECTOR,
						 j % SECTOR))
				return false;
		return true;
	case V_RO_TEXT:
		for (j = 0; j < r->data_len; j++) {
			if (j % SECTOR == 0)
				ro_sector(r->sector + j / SECTOR, want);
			if (p[j] != want[j % SECTOR])
				return false;
		}
		return true;
	case V_RANDOM:
		/* 16 random bytes are all zero with probability 2^-128. */
		for (j = 0; j < r->data_len; j++)
			nonzero |= p[j];
		return r->data_len < 16 || nonzero;
	default:
		return true;
	}
}

/* Submits @k requests as one batch, one notification. */
static void batch_submit(struct dev *d, struct req *r, unsigned int k,
			 bool indirect)
{
	struct seg segs[8];
	unsigned int i, n;

	for (i = 0; i < k; i++) {
		req_prepare_data(d, &r[i]);
		n = d->id == VIRTIO_ID_BLOCK ? blk_segs(d, &r[i], segs) :
					       rng_segs(d, &r[i], segs);
		r[i].head = indirect ? chain_indirect(d, segs, n, r[i].slot) :
				       chain_direct(d, segs, n);
		r[i].done = false;
		avail_add(d, r[i].head);
	}
	avail_publish(d, d->avail_idx);
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* Waits for the batch and checks every used entry against its request. */
static void batch_complete(struct dev *d, struct req *r, unsigned int k)
{
	struct vring_used *u = ptr(d->used);
	unsigned int i;

	if (!wait_used(d, d->avail_idx, POLLS_CLEAN)) {
		fail(d, "batch-timeout used_idx", used_idx(d), d->avail_idx);
		d->used_seen = used_idx(d);
		return;
	}
	while (d->used_seen != d->avail_idx) {
		struct vring_used_elem e = u->ring[d->used_seen % d->num];
		struct req *m = NULL;

		for (i = 0; i < k; i++)
			if (!r[i].done && r[i].head == e.id)
				m = &r[i];
		d->used_seen++;
		if (!m) {
			fail(d, "used-id-unknown", e.id, r[0].head);
			continue;
		}
		m->done = true;
		check(d, e.len == m->want_used, "used-len", e.len, m->want_used);
		if (d->id == VIRTIO_ID_BLOCK) {
			u8 s = *(u8 *)ptr(d->slice + SL_STATUS + 16ULL * m->slot);

			check(d, s == m->want_status, m->type == VIRTIO_BLK_T_IN ?
			      "blk-read-status" : "blk-status", s, m->want_status);
		}
		check(d, req_data_ok(d, m), m->verify == V_RANDOM ?
		      "rng-data" : "blk-data", m->sector, m->data_len);
	}
	interrupt_ack(d);
}

/* A sector range of @sectors inside the disk. */
static u64 pick_sector(const struct dev *d, u32 sectors)
{
	return d->capacity > sectors ? below(d->capacity - sectors + 1) : 0;
}

/* One checked block request of a random kind into @r. */
static void blk_pick(const struct dev *d, struct req *r, unsigned int slot)
{
	u32 sectors = 1 + below(8);

	*r = (struct req){ .slot = slot, .want_used = 1 };
	switch (below(7)) {
	case 0:
	case 1:
		r->type = VIRTIO_BLK_T_IN;
		r->data_len = sectors * SECTOR;
		r->data_in = true;
		r->sector = pick_sector(d, sectors);
		r->want_used = 1 + r->data_len;
		r->verify = d->readonly ? V_RO_TEXT : V_NONE;
		break;
	case 2:
		r->type = VIRTIO_BLK_T_OUT;
		r->data_len = sectors * SECTOR;
		r->sector = pick_sector(d, sectors);
		r->want_status = d->readonly ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case 3:
		r->type = VIRTIO_BLK_T_FLUSH;
		break;
	case 4:
		r->type = VIRTIO_BLK_T_GET_ID;
		r->data_len = 1 + below(32);
		r->data_in = true;
		r->want_used = 1 + (r->data_len < VIRTIO_BLK_ID_BYTES ?
				    r->data_len : VIRTIO_BLK_ID_BYTES);
		break;
	case 5:		/* past the end: the data would cross it */
		r->type = VIRTIO_BLK_T_IN;
		r->data_len = sectors * SECTOR;
		r->data_in = true;
		r->sector = chance(50) ? d->capacity - sectors + 1 + below(sectors) :
					 d->capacity + below(1 << 20);
		r->want_status = VIRTIO_BLK_S_IOERR;
		break;
	default:	/* a type this device does not know (5.2.6.1) */
		r->type = chance(50) ? VIRTIO_BLK_T_DISCARD : 0x100 + below(0x1000);
		r->want_status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
}

/* Clean block traffic: a batch of mixed requests, or write and read back. */
static void clean_blk_op(struct dev *d, bool indirect, unsigned int max_batch)
{
	struct req r[MAX_BATCH];
	unsigned int k = 1 + below(max_batch), i;

	if (d->readonly || chance(50)) {
		for (i = 0; i < k; i++)
			blk_pick(d, &r[i], i);
		batch_submit(d, r, k, indirect);
		batch_complete(d, r, k);
		return;
	}
	for (i = 0; i < k; i++) {
		u32 sectors = 1 + below(8);

		r[i] = (struct req){
			.type = VIRTIO_BLK_T_OUT, .slot = i, .want_used = 1,
			.data_len = sectors * SECTOR,
			.sector = pick_sector(d, sectors),
		};
	}
	batch_submit(d, r, k, indirect);
	batch_complete(d, r, k);
	for (i = 0; i < k; i++) {
		r[i].type = VIRTIO_BLK_T_IN;
		r[i].data_in = true;
		r[i].want_used = 1 + r[i].data_len;
		r[i].verify = V_PATTERN;
	}
	batch_submit(d, r, k, indirect);
	batch_complete(d, r, k);
}

static void clean_rng_op(struct dev *d, bool indirect, unsigned int max_batch)
{
	struct req r[MAX_BATCH];
	unsigned int k = 1 + below(max_batch), i;

	for (i = 0; i < k; i++) {
		r[i] = (struct req){ .slot = i, .data_len = 1 + below(4096),
				     .verify = V_RANDOM };
		r[i].want_used = r[i].data_len;
	}
	batch_submit(d, r, k, indirect);
	batch_complete(d, r, k);
}

/*
 * A clean round: what a correct driver does, every result checked. After
 * dirty rounds, it shows that a reset brought the device back.
 */
static void clean_round(struct dev *d)
{
	u64 features = F_VERSION_1 | (d->offered & rnd());
	u32 status = S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
	bool indirect = features & F_INDIRECT;
	unsigned int ops = 1 + below(4), max_batch = MAX_BATCH, log2max = 0, i;
	u32 num;

	st.clean_rounds++;
	dev_reset(d);
	check(d, reg_read(d, VIRTIO_MMIO_STATUS) == 0, "status-after-reset",
	      reg_read(d, VIRTIO_MMIO_STATUS), 0);
	check(d, driver_init(d, features), "FEATURES_OK",
	      reg_read(d, VIRTIO_MMIO_STATUS), features);
	while ((2u << log2max) <= d->qmax)
		log2max++;
	/* Direct chains need up to 5 descriptors each: 16 for a batch. */
	if (d->qmax < 16)
		num = d->qmax;		/* no clean traffic on such a device */
	else if (indirect && chance(30))
		num = 1u << below(3);
	else
		num = 16u << below(log2max - 3);
	if (num < MAX_BATCH)
		max_batch = num;
	check(d, queue_setup_clean(d, num), "QueueReady", num, 1);
	reg_write(d, VIRTIO_MMIO_STATUS, status);
	check(d, reg_read(d, VIRTIO_MMIO_STATUS) == status, "DRIVER_OK",
	      reg_read(d, VIRTIO_MMIO_STATUS), status);
	for (i = 0; i < ops; i++) {
		bool ind = indirect && (num < 16 || chance(50));

		if (d->id == VIRTIO_ID_BLOCK)
			clean_blk_op(d, ind, max_batch);
		else if (d->id == VIRTIO_ID_RNG)
			clean_rng_op(d, ind, max_batch);
	}
	check(d, reg_read(d, VIRTIO_MMIO_STATUS) == status, "status-after-requests",
	      reg_read(d, VIRTIO_MMIO_STATUS), status);
	dev_reset(d);
}

/* ---- dirty rounds ---- */

static u32 pick_u32(const u32 *v, unsigned int n)
{
	return v[below(n)];
}

/* What a dirty round's set-up gets wrong, if anything (one thing). */
enum setup_mutation {
	SM_NONE, SM_FEATURES, SM_LEGACY, SM_STATUS_ORDER, SM_NO_QUEUE, SM_NUM,
	SM_DESC, SM_AVAIL, SM_USED, SM_READY_FIRST, SM_LIVE_QUEUE, SM_OTHER_QUEUE,
	SM_READY_VALUE, SM_DRIVER_OK_ALONE, SM_STATUS_RANDOM,
	SM_COUNT
};

/* A valid queue size, or (@bad) one the device must refuse. */
static u32 dirty_num(const struct dev *d, bool bad)
{
	const u32 wrong[] = { 0, 3, d->qmax - 1, d->qmax + 1, d->qmax * 2, 0xffff,
			      0x10000, 0xffffffff, 0x8000, 24, (u32)rnd() };
	unsigned int log2max = 0;

	if (bad)
		return pick_u32(wrong, ARRAY_SIZE(wrong));
	while ((2u << log2max) <= d->qmax)
		log2max++;
	return 1u << below(log2max + 1);
}

/*
 * A ring address for @size bytes aligned to @align: anywhere in the ring
 * area, sometimes exactly at the end of RAM; or (@bad) one to refuse.
 */
static u64 dirty_ring_addr(const struct dev *d, u64 size, u64 align, bool bad)
{
	u64 a;

	if (bad) {
		switch (below(3)) {
		case 0:
			return bad_addr(size);
		case 1:		/* misaligned */
			return d->slice + SL_RINGS + 0x1000 + 1 +
			       below(align > 1 ? align - 1 : 1);
		default:	/* one aligned step past the end of RAM */
			return ((ram_top - size) & ~(align - 1)) + align;
		}
	}
	if (chance(5) || size > SL_RINGS_SIZE)
		return (ram_top - size) & ~(align - 1);
	a = d->slice + SL_RINGS + below(SL_RINGS_SIZE - size + 1);
	return a & ~(align - 1);
}

/*
 * Queue set-up, with mutation @m: another queue, a bad size, bad rings,
 * registers in another order, QueueReady with other bits, a live queue
 * changed.
 */
static void dirty_queue_setup(struct dev *d, enum setup_mutation m)
{
	const u32 queues[] = { 1, 2, 7, 8, 9, 0xffffffff, d->nq };
	u32 q = m == SM_OTHER_QUEUE ? pick_u32(queues, ARRAY_SIZE(queues)) : 0;
	u32 num = dirty_num(d, m == SM_NUM);
	u64 n = num > 0x10000 ? 0x10000 : num;
	u64 desc = dirty_ring_addr(d, ring_desc_size(n), 16, m == SM_DESC);
	u64 avail = dirty_ring_addr(d, ring_avail_size(n), 2, m == SM_AVAIL);
	u64 used = dirty_ring_addr(d, ring_used_size(n), 4, m == SM_USED);
	u32 ready = m == SM_READY_VALUE ? (u32)rnd() : 1;

	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	(void)reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (q == 0) {
		d->num = num;
		d->desc = desc;
		d->avail = avail;
		d->used = used;
		d->avail_idx = 0;
		d->used_seen = 0;
		d->next_desc = 0;
		rings_clear(d);
	}
	/* Ready first: the registers after it must be ignored. */
	if (m == SM_READY_FIRST)
		reg_write(d, VIRTIO_MMIO_QUEUE_READY, ready);
	queue_program(d, num, desc, avail, used, ready);
	if (m == SM_LIVE_QUEUE)	/* without RING_RESET: ignored */
		queue_program(d, dirty_num(d, true), bad_addr(16), bad_addr(16),
			      bad_addr(16), 1);
	if (q != 0)
		reg_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
}

/*
 * Initialisation up to DRIVER_OK; one time in three with one thing wrong:
 * features not offered or without VERSION_1, status bits out of order, no
 * queue, or the queue's set-up.
 */
static void dirty_init(struct dev *d)
{
	enum setup_mutation m = chance(33) ? 1 + below(SM_COUNT - 1) : SM_NONE;
	u64 features = F_VERSION_1 | (d->offered & rnd());
	u32 status = S_ACK | S_DRIVER | S_FEATURES_OK;

	if (m == SM_FEATURES)
		features = rnd();
	else if (m == SM_LEGACY)
		features &= ~F_VERSION_1;
	if (m != SM_STATUS_ORDER) {
		driver_init(d, features);
	} else {
		write_features(d, features);
		reg_write(d, VIRTIO_MMIO_STATUS, chance(50) ? S_FEATURES_OK :
				  S_DRIVER_OK | S_FEATURES_OK);
		d->features = features;
	}
	if (m != SM_NO_QUEUE)
		dirty_queue_setup(d, m);
	if (m == SM_DRIVER_OK_ALONE)
		status = S_ACK | S_DRIVER;
	else if (m == SM_STATUS_RANDOM)
		status = rnd() & 0xff;
	reg_write(d, VIRTIO_MMIO_STATUS, status | S_DRIVER_OK);
	interrupt_ack(d);
}

/* A buffer length, often absurd. */
static u32 dirty_len(void)
{
	const u32 lens[] = { 0, 1, 15, 17, 511, 513, 0x80000000, 0xffffffff,
			     0x10000000, 0x10000001, 0xfffffff0 };

	return chance(50) ? pick_u32(lens, ARRAY_SIZE(lens)) :
			    (u32)rnd();
}

enum mutation {
	M_NONE, M_ADDR, M_LEN, M_ZERO_LEN, M_ORDER, M_SHORT_HDR, M_NO_STATUS,
	M_ON_RINGS, M_AT_TOP, M_FLAGS, M_LOOP, M_SELF_LOOP, M_NEXT_RANGE,
	M_HEAD_RANGE, M_IND_LEN, M_IND_ZERO, M_IND_ADDR, M_IND_NEXT_FLAG,
	M_IND_NESTED, M_IND_LOOP, M_IND_NEXT_RANGE, M_IND_LONG, M_IND_HUGE,
	M_BLK_SECTOR, M_BLK_TYPE, M_BLK_PARTIAL,
	M_COUNT
};

/*
 * A plausible request of this device (block or entropy, anything in a
 * slot's buffers) in @segs; returns how many.
 */
static unsigned int dirty_base(struct dev *d, unsigned int slot,
			       struct seg *segs)
{
	struct req r = { .slot = slot };

	if (d->id == VIRTIO_ID_BLOCK) {
		blk_pick(d, &r, slot);
		if (chance(30)) {	/* a long transfer, mid-I/O resets */
			r.type = chance(50) ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;
			r.data_in = r.type == VIRTIO_BLK_T_IN;
			r.data_len = (1 + below(DATA_SLOT / SECTOR)) * SECTOR;
			r.sector = pick_sector(d, r.data_len / SECTOR);
		}
		return blk_segs(d, &r, segs);
	}
	r.data_len = 1 + below(DATA_SLOT);
	return rng_segs(d, &r, segs);
}

/*
 * One chain, mutated with probability @pct: bad buffers, chains that loop
 * or leave the table, indirect tables malformed, nested or too long, and
 * block requests the device must answer with an error status.
 */
static u16 dirty_chain(struct dev *d, unsigned int slot, unsigned int pct)
{
	static struct seg segs[MAX_SEGS];
	enum mutation m = chance(pct) ? 1 + below(M_COUNT - 1) : M_NONE;
	u64 table = d->slice + SL_INDIRECT + (u64)slot * INDIRECT_SLOT;
	u32 num = d->num && d->num <= 0x10000 ? d->num : 1;
	unsigned int n = dirty_base(d, slot, segs), i = below(n), k;
	bool indirect = m >= M_IND_LEN && m <= M_IND_HUGE;
	struct seg ring = { .addr = table };
	u16 head, ring_flags = VRING_DESC_F_INDIRECT, last;
	struct virtio_blk_outhdr *h = ptr(segs[0].addr);

	switch (m) {
	case M_ADDR:
		segs[i].addr = bad_addr(segs[i].len);
		break;
	case M_LEN:
		segs[i].len = dirty_len();
		break;
	case M_ZERO_LEN:
		segs[i].len = 0;
		break;
	case M_ORDER:		/* readable after writable, or all writable */
		for (k = 0; k < n; k++)
			segs[k].flags ^= chance(50) ? VRING_DESC_F_WRITE : 0;
		segs[n - 1].flags &= ~VRING_DESC_F_WRITE;
		break;
	case M_SHORT_HDR:
		segs[0].len = below(16);
		break;
	case M_NO_STATUS:
		if (n > 1)
			n--;
		for (k = 0; k < n; k++)
			segs[k].flags &= ~VRING_DESC_F_WRITE;
		break;
	case M_ON_RINGS:	/* buffers over the rings themselves */
		segs[i].addr = chance(50) ? d->desc : chance(50) ? d->avail : d->used;
		segs[i].len = 1 + below(4096);
		break;
	case M_AT_TOP:		/* the last bytes of RAM, or one more */
		segs[i].addr = ram_top - segs[i].len - below(2);
		segs[i].addr += chance(30);
		break;
	case M_FLAGS:
		segs[i].flags = rnd();
		break;
	case M_BLK_SECTOR:
		if (d->id == VIRTIO_ID_BLOCK)
			WRITE_ONCE(h->sector, chance(50) ? ~0ULL - below(8) :
				   ~0ULL / SECTOR - below(8));
		break;
	case M_BLK_TYPE:
		if (d->id == VIRTIO_ID_BLOCK)
			WRITE_ONCE(h->type, (u32)rnd());
		break;
	case M_BLK_PARTIAL:	/* data not whole sectors */
		if (n > 2)
			segs[1].len = 1 + below(SECTOR - 1);
		break;
	case M_IND_LONG:	/* more buffers than one chain may have */
		for (n = 0; n < VIRTQ_MAX_SEGS + 1 + below(MAX_SEGS - VIRTQ_MAX_SEGS);
		     n++)
			segs[n] = (struct seg){ .addr = data_addr(d, slot) + n,
						.len = 1,
						.flags = VRING_DESC_F_WRITE };
		break;
	default:
		break;
	}

	if (!indirect && !(m == M_NONE && chance(20) && (d->features & F_INDIRECT))) {
		head = d->next_desc % num;
		if (m == M_HEAD_RANGE) {
			/* the available ring names a descriptor out of range */
			d->next_desc = head;
			return num + below(0x10000 - num);
		}
		head = chain_direct(d, segs, n);
		last = (d->next_desc + num - 1) % num;
		if (m == M_LOOP || m == M_SELF_LOOP || m == M_NEXT_RANGE) {
			struct seg s = segs[n - 1];
			u16 next = m == M_LOOP ? head : m == M_SELF_LOOP ? last :
				   num + below(0x10000 - num);

			desc_put(d, d->desc, num, last, &s,
				 s.flags | VRING_DESC_F_NEXT, next);
		}
		return head;
	}

	/* Indirect: the table in the slot, one ring descriptor (2.7.5.3). */
	if (n > INDIRECT_SLOT / 16)
		n = INDIRECT_SLOT / 16;
	for (k = 0; k < n; k++)
		desc_put(d, table, INDIRECT_SLOT / 16, k, &segs[k],
			 segs[k].flags | (k + 1 < n ? VRING_DESC_F_NEXT : 0), k + 1);
	ring.len = 16 * n;
	switch (m) {
	case M_IND_LEN:
		ring.len = 16 * n + 1 + below(15);
		break;
	case M_IND_ZERO:
		ring.len = 0;
		break;
	case M_IND_ADDR:
		ring.addr = bad_addr(ring.len);
		break;
	case M_IND_HUGE:
		ring.len = 0xfffffff0;
		break;
	case M_IND_NEXT_FLAG:
		ring_flags |= VRING_DESC_F_NEXT;
		break;
	case M_IND_NESTED:
		desc_put(d, table, INDIRECT_SLOT / 16, below(n), &ring,
			 VRING_DESC_F_INDIRECT, 0);
		break;
	case M_IND_LOOP:
		desc_put(d, table, INDIRECT_SLOT / 16, n - 1, &segs[n - 1],
			 segs[n - 1].flags | VRING_DESC_F_NEXT, below(n));
		break;
	case M_IND_NEXT_RANGE:
		desc_put(d, table, INDIRECT_SLOT / 16, n - 1, &segs[n - 1],
			 segs[n - 1].flags | VRING_DESC_F_NEXT, n + below(0x10000 - n));
		break;
	default:
		break;
	}
	head = d->next_desc % num;
	desc_put(d, d->desc, num, head, &ring, ring_flags, below(0x10000));
	d->next_desc = (head + 1) % num;
	return head;
}

/* Published chains, a notification, maybe a short wait. */
static void dirty_submit(struct dev *d)
{
	unsigned int chains = 1 + below(4), i;
	u32 num = d->num && d->num <= 0x10000 ? d->num : 1;
	u16 idx;

	for (i = 0; i < chains; i++)
		avail_add(d, dirty_chain(d, below(INDIRECT_SLOTS), 40));
	idx = d->avail_idx;
	if (chance(4))		/* more published than the ring holds */
		idx += num + 1 + below(0x8000);
	else if (chance(2))	/* backwards */
		idx -= 1 + below(num);
	d->avail_idx = idx;
	avail_publish(d, idx);
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, chance(95) ? 0 : (u32)rnd());
	if (chance(60))
		wait_used(d, idx, POLLS_DIRTY);
	d->used_seen = used_idx(d);
}

/* A register access anywhere in the device's page, of any size. */
static void random_mmio(const struct dev *d)
{
	int size = 1 << below(4);
	u64 off = chance(70) ? below(VIRTIO_MMIO_WINDOW + 8) :
			       below(VIRTIO_MMIO_STRIDE - 8);

	if (chance(50))
		off &= ~3ULL;
	if (chance(50))
		(void)mmio_read_sized(d->base + off, size);
	else
		mmio_write_sized(d->base + off, chance(50) ? rnd() : below(16), size);
}

/*
 * Fields of the live rings rewritten while the device may be reading them:
 * descriptors (any length, flags or link; addresses only of our own
 * buffers or ones to refuse, never this program's code, stack or page
 * tables, which a device may write as the guest allows), available ring
 * entries and indexes, and the used ring.
 */
static void scribble(const struct dev *d)
{
	u64 num = d->num > 0x10000 ? 0x10000 : d->num;
	unsigned int writes = 1 + below(8);

	while (num && writes--) {
		u64 i = below(num);
		struct vring_desc *v = ptr(d->desc + 16 * i);
		struct vring_avail *a = ptr(d->avail);
		struct vring_used *u = ptr(d->used);

		switch (below(6)) {
		case 0:
			if (own_memory(d, d->desc + 16 * i, 16))
				WRITE_ONCE(v->addr, chance(50) ? bad_addr(v->len) :
					   data_addr(d, below(DATA_SLOTS)) + below(DATA_SLOT));
			break;
		case 1:
			if (own_memory(d, d->desc + 16 * i, 16))
				WRITE_ONCE(v->len, dirty_len());
			break;
		case 2:
			if (own_memory(d, d->desc + 16 * i, 16)) {
				WRITE_ONCE(v->flags, rnd());
				WRITE_ONCE(v->next, chance(50) ? rnd() : below(num + 2));
			}
			break;
		case 3:		/* an entry, or used_event after the ring */
			i = below(num + 1);
			if (own_memory(d, d->avail + 4 + 2 * i, 2))
				WRITE_ONCE(a->ring[i], chance(50) ? rnd() : below(num + 2));
			break;
		case 4:
			if (own_memory(d, d->avail, 4) && chance(50))
				WRITE_ONCE(a->idx, rnd());
			else if (own_memory(d, d->avail, 4))
				WRITE_ONCE(a->flags, rnd());
			break;
		default:
			if (own_memory(d, d->used + 4 + 8 * i, 8))
				WRITE_ONCE(u->ring[i].id, rnd());
			break;
		}
	}
}

/* Requests in flight, then a reset without waiting for them. */
static void reset_mid_io(struct dev *d)
{
	unsigned int i, chains = 1 + below(3);

	for (i = 0; i < chains; i++)
		avail_add(d, dirty_chain(d, i, 0));
	avail_publish(d, d->avail_idx);
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	if (chance(50))
		(void)reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
	dev_reset(d);
	if (chance(50))
		dirty_init(d);
}

static void dirty_step(struct dev *d)
{
	const u32 queues[] = { 0, 1, 2, 8, 0xffff, 0xffffffff };
	u32 off;

	/* A device that gave up: mostly start again, so that steps count. */
	if ((reg_read(d, VIRTIO_MMIO_STATUS) & S_NEEDS_RESET) && chance(70)) {
		st.needs_reset++;
		dev_reset(d);
		dirty_init(d);
	}
	switch (below(16)) {
	case 0 ... 5:
		dirty_submit(d);
		break;
	case 6:
		random_mmio(d);
		break;
	case 7:
		scribble(d);
		break;
	case 8:			/* status bits out of order */
		reg_write(d, VIRTIO_MMIO_STATUS, chance(50) ? rnd() & 0xff :
			  1u << below(8));
		break;
	case 9:			/* a queue register of some queue */
		reg_write(d, VIRTIO_MMIO_QUEUE_SEL, pick_u32(queues, 6));
		off = VIRTIO_MMIO_QUEUE_NUM + 4 * below(3);
		if (chance(50))
			off = VIRTIO_MMIO_QUEUE_DESC_LOW + 4 * below(6);
		reg_write(d, off, chance(50) ? (u32)rnd() : below(2));
		reg_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		break;
	case 10:		/* notifications of queues that do not exist */
		reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, pick_u32(queues, 6));
		break;
	case 11:
		reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, pick_u32(queues, 6));
		(void)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
		reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, pick_u32(queues, 6));
		reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, rnd());
		break;
	case 12:		/* configuration space, any width, past its end */
		off = VIRTIO_MMIO_CONFIG + below(0x108);
		if (chance(50))
			(void)mmio_read_sized(d->base + off, 1 << below(4));
		else
			mmio_write_sized(d->base + off, rnd(), 1 << below(4));
		break;
	case 13:
		reset_mid_io(d);
		break;
	case 14:
		interrupt_ack(d);
		break;
	default:
		wait_used(d, d->avail_idx, POLLS_DIRTY);
		d->used_seen = used_idx(d);
		break;
	}
}

/*
 * A dirty round: mostly a normal start, then steps drawn at random. It
 * ends with a reset that must bring the status back to 0.
 */
static void dirty_round(struct dev *d)
{
	unsigned int steps = 1 + below(10);

	dev_reset(d);
	if (chance(85))
		dirty_init(d);
	while (steps--)
		dirty_step(d);
	if (reg_read(d, VIRTIO_MMIO_STATUS) & S_NEEDS_RESET)
		st.needs_reset++;
	dev_reset(d);
	check(d, reg_read(d, VIRTIO_MMIO_STATUS) == 0, "status-after-reset",
	      reg_read(d, VIRTIO_MMIO_STATUS), 0);
	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	check(d, reg_read(d, VIRTIO_MMIO_QUEUE_READY) == 0,
	      "QueueReady-after-reset", reg_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
}

/* ---- set-up ---- */

/* "KEY=NUMBER" on the command line (decimal or 0x hex); @def if absent. */
static u64 cmdline_u64(const char *cmdline, const char *key, u64 def)
{
	const char *p = cmdline;
	size_t klen = 0;
	u64 v = 0;

	while (key[klen])
		klen++;
	for (; *p; p++) {
		size_t i = 0;

		if (p != cmdline && p[-1] != ' ')
			continue;
		while (i < klen && p[i] == key[i])
			i++;
		if (i < klen || p[i] != '=')
			continue;
		p += klen + 1;
		if (p[0] == '0' && p[1] == 'x') {
			for (p += 2; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
				v = v * 16 + (*p <= '9' ? *p - '0' : *p - 'a' + 10);
		} else {
			for (; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + *p - '0';
		}
		return v;
	}
	return def;
}

/* The end of the e820 RAM range that holds 1 MiB (our arena is in it). */
static u64 find_ram_top(const u8 *bp)
{
	unsigned int n = bp[BP_E820_ENTRIES], i;

	for (i = 0; i < n && i < 128; i++) {
		const u8 *e = bp + BP_E820_TABLE + 20 * i;
		u64 addr = *(const u64 *)e, size = *(const u64 *)(e + 8);

		if (*(const u32 *)(e + 16) == E820_RAM && addr <= 0x100000 &&
		    addr + size > 0x100000)
			return addr + size;
	}
	return 0;
}

static void probe(void)
{
	unsigned int n, q;

	for (n = 0; n < MAX_DEVICES; n++) {
		struct dev *d = &devs[nr_devs];

		d->n = n;
		d->base = VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_STRIDE;
		if (reg_read(d, VIRTIO_MMIO_MAGIC_VALUE) != MMIO_MAGIC ||
		    reg_read(d, VIRTIO_MMIO_VERSION) != 2 ||
		    !reg_read(d, VIRTIO_MMIO_DEVICE_ID))
			continue;
		d->id = reg_read(d, VIRTIO_MMIO_DEVICE_ID);
		reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
		d->offered = reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
		reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
		d->offered |= (u64)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
		for (q = 0; q < 16; q++) {
			reg_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
			if (!reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX))
				break;
		}
		d->nq = q;
		reg_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		d->qmax = reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
		if (d->id == VIRTIO_ID_BLOCK) {
			d->capacity = reg_read(d, VIRTIO_MMIO_CONFIG) |
				(u64)reg_read(d, VIRTIO_MMIO_CONFIG + 4) << 32;
			d->readonly = d->offered & BIT_ULL(VIRTIO_BLK_F_RO);
		}
		d->slice = ARENA_BASE + nr_devs * SLICE_SIZE;
		puts_uart("VQFUZZ-DEVICE");
		put_kv("n", n);
		put_kv("id", d->id);
		put_kv("queues", d->nq);
		put_kv("qmax", d->qmax);
		puts_uart(" features=");
		put_hex(d->offered);
		put_kv("capacity", d->capacity);
		put_kv("readonly", d->readonly);
		putc_uart('\n');
		nr_devs++;
	}
}

static void summary(void)
{
	puts_uart("VQFUZZ-SUMMARY");
	put_kv("seed", seed);
	put_kv("devices", nr_devs);
	put_kv("rounds", st.rounds);
	put_kv("clean_rounds", st.clean_rounds);
	put_kv("requests", st.requests);
	put_kv("resets", st.resets);
	put_kv("needs_reset", st.needs_reset);
	put_kv("checks_passed", st.passed);
	put_kv("checks_failed", st.failed);
	putc_uart('\n');
}

void guest_main(const u8 *boot_params)
{
	const char *cmdline = ptr(*(const u32 *)(boot_params + BP_CMD_LINE_PTR));
	unsigned int i;

	seed = cmdline_u64(cmdline, "vqfuzz.seed", 1);
	rounds = cmdline_u64(cmdline, "vqfuzz.rounds", 1000);
	ram_top = find_ram_top(boot_params);
	rng_state = seed;
	puts_uart("VQFUZZ-START");
	put_kv("seed", seed);
	put_kv("rounds", rounds);
	put_kv("ram_mib", ram_top >> 20);
	putc_uart('\n');
	probe();
	if (!nr_devs ||
	    ARENA_BASE + nr_devs * SLICE_SIZE > ram_top - TOP_SCRATCH) {
		puts_uart("VQFUZZ-ERROR no virtio device, or RAM too small for the arena\n");
		st.failed++;
		summary();
		poweroff();
	}
	for (round_nr = 0; round_nr < rounds; round_nr++) {
		struct dev *d = &devs[below(nr_devs)];

		if (chance(20))
			clean_round(d);
		else
			dirty_round(d);
		st.rounds++;
	}
	/* Every device works at the end. */
	for (i = 0; i < nr_devs; i++, round_nr++) {
		clean_round(&devs[i]);
		st.rounds++;
	}
	summary();
	poweroff();
}
