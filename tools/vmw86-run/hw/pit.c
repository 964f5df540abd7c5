// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT (ports 0x40-0x43) and port 0x61 (NMI status and control:
 * channel 2 gate, speaker, channel 2 output in bit 5). Counters are not
 * ticked: each is computed from CLOCK_MONOTONIC at 1.193182 MHz since it
 * was loaded, so a guest reading channel 2 (Linux's TSC calibration) sees
 * real time. Channel 0 drives IRQ 0 through the PIC: modes 2 and 3 are
 * periodic, modes 0, 1, 4 and 5 fire once at terminal count. The device
 * thread (vm.c) sleeps on a timerfd until pit__next_event() and then calls
 * pit__tick(); both run with the platform lock held.
 */
#include "../vmw86-run.h"

#define PIT_HZ		1193182ULL
#define NS_PER_SEC	1000000000ULL

struct pit_channel {
	u8 mode;
	u8 access;		/* 1 lobyte, 2 hibyte, 3 lobyte/hibyte */
	bool bcd;
	bool write_hi;		/* lo/hi access: next write is the high byte */
	bool read_hi;
	u8 write_lo;
	u32 reload;		/* 1 to 65536 */
	bool counting;
	u64 start_ns;		/* when counting started */
	bool latched;
	u16 latch;
	int latch_bytes;	/* bytes of @latch still to read */
	bool status_latched;
	u8 status;
	bool gate;
	u64 next_irq_ns;	/* channel 0 only; UINT64_MAX when none */
};

static struct pit_channel ch[3];
static u8 port61;		/* bits 0 (gate 2) and 1 (speaker) */
static bool refresh;

static u64 ticks_since(const struct pit_channel *c, u64 now)
{
	if (now <= c->start_ns)
		return 0;
	return (now - c->start_ns) * PIT_HZ / NS_PER_SEC;
}

static u64 ticks_to_ns(u64 ticks)
{
	return (ticks * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

static u16 pit_count(const struct pit_channel *c, u64 now)
{
	u64 t;

	if (!c->counting)
		return c->reload & 0xffff;
	t = ticks_since(c, now);
	switch (c->mode) {
	case 2:
	case 3:
		return (c->reload - t % c->reload) & 0xffff;
	default:	/* 0, 1, 4, 5: count down, wrapping after terminal count */
		return (c->reload - t) & 0xffff;
	}
}

static bool pit_out(const struct pit_channel *c, u64 now)
{
	u64 t;

	if (!c->counting)
		return c->mode != 0;
	t = ticks_since(c, now);
	switch (c->mode) {
	case 0:
		return t >= c->reload;
	case 1:
		return t >= c->reload;
	case 2:
		return t % c->reload != c->reload - 1;
	case 3:
		return t % c->reload < (c->reload + 1) / 2;
	default:	/* 4, 5: low for one tick at terminal count */
		return t != c->reload;
	}
}

static void pit_schedule(struct pit_channel *c, u64 now)
{
	if (c != &ch[0] || !c->counting) {
		c->next_irq_ns = UINT64_MAX;
		return;
	}
	c->next_irq_ns = c->start_ns + ticks_to_ns(c->reload);
	if (c->next_irq_ns < now && (c->mode == 2 || c->mode == 3))
		c->next_irq_ns = now;
}

static void pit_start(struct pit_channel *c, u64 now)
{
	c->counting = c->gate;
	c->start_ns = now;
	pit_schedule(c, now);
}

void pit__tick(u64 now)
{
	struct pit_channel *c = &ch[0];
	u64 period;

	if (c->next_irq_ns > now)
		return;
	irq__raise(0);
	if (c->mode == 2 || c->mode == 3) {
		/* Periodic: the next edge; ticks missed while away merge. */
		period = ticks_to_ns(c->reload);
		c->next_irq_ns += period;
		if (c->next_irq_ns <= now)
			c->next_irq_ns = now + period;
	} else {
		c->next_irq_ns = UINT64_MAX;
	}
}

u64 pit__next_event(void)
{
	return ch[0].next_irq_ns;
}

static void pit_write_count(struct pit_channel *c, u8 v, u64 now)
{
	u32 n;

	switch (c->access) {
	case 1:
		n = v;
		break;
	case 2:
		n = (u32)v << 8;
		break;
	default:
		if (!c->write_hi) {
			c->write_lo = v;
			c->write_hi = true;
			/* Mode 0: writing the first byte stops the count. */
			if (c->mode == 0)
				c->counting = false;
			return;
		}
		c->write_hi = false;
		n = c->write_lo | (u32)v << 8;
		break;
	}
	if (c->bcd)
		n = (n >> 12 & 0xf) * 1000 + (n >> 8 & 0xf) * 100 +
		    (n >> 4 & 0xf) * 10 + (n & 0xf);
	c->reload = n ? n : (c->bcd ? 10000 : 65536);
	pit_start(c, now);
}

static u8 pit_read_count(struct pit_channel *c, u64 now)
{
	u16 v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status | (pit_out(c, now) ? 0x80 : 0);
	}
	if (c->latched) {
		v = c->latch;
		if (c->access == 3 && c->latch_bytes == 2) {
			c->latch_bytes = 1;
			return v & 0xff;
		}
		c->latched = false;
		return c->access == 2 || c->latch_bytes == 1 ? v >> 8 : v & 0xff;
	}
	v = pit_count(c, now);
	switch (c->access) {
	case 1:
		return v & 0xff;
	case 2:
		return v >> 8;
	default:
		c->read_hi = !c->read_hi;
		return c->read_hi ? v & 0xff : v >> 8;
	}
}

static void pit_latch(struct pit_channel *c, u64 now)
{
	if (c->latched)
		return;
	c->latched = true;
	c->latch = pit_count(c, now);
	c->latch_bytes = c->access == 3 ? 2 : 1;
}

static void pit_control(u8 v, u64 now)
{
	struct pit_channel *c;
	int i;

	if ((v >> 6) == 3) {			/* read-back command */
		for (i = 0; i < 3; i++) {
			if (!(v & (2 << i)))
				continue;
			if (!(v & 0x20))
				pit_latch(&ch[i], now);
			if (!(v & 0x10) && !ch[i].status_latched) {
				ch[i].status_latched = true;
				ch[i].status = ch[i].access << 4 |
					       ch[i].mode << 1 | ch[i].bcd;
			}
		}
		return;
	}
	c = &ch[v >> 6];
	if (!(v & 0x30)) {			/* counter latch command */
		pit_latch(c, now);
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;			/* 6, 7 are 2, 3 */
	c->bcd = v & 1;
	c->write_hi = false;
	c->read_hi = false;
	c->latched = false;
	c->counting = false;
	pit_schedule(c, now);
}

static void pit_io(struct vm *vm, u16 port, u8 *data, int size, bool is_write,
		   void *opaque)
{
	u64 now = now_ns();

	(void)vm;
	(void)size;
	(void)opaque;
	if (port == 0x43) {
		if (is_write)
			pit_control(data[0], now);
		else
			data[0] = 0xff;
	} else if (is_write) {
		pit_write_count(&ch[port - 0x40], data[0], now);
	} else {
		data[0] = pit_read_count(&ch[port - 0x40], now);
	}
	/* Channel 0's next event may have moved: the device thread's timer. */
	if (is_write)
		vm__timer_changed();
}

static void port61_io(struct vm *vm, u16 port, u8 *data, int size,
		      bool is_write, void *opaque)
{
	struct pit_channel *c = &ch[2];
	u64 now = now_ns();
	bool gate;

	(void)vm;
	(void)port;
	(void)size;
	(void)opaque;
	if (!is_write) {
		refresh = !refresh;	/* bit 4 toggles, as DRAM refresh did */
		data[0] = (port61 & 3) | (refresh ? 0x10 : 0) |
			  (pit_out(c, now) ? 0x20 : 0);
		return;
	}
	gate = data[0] & 1;
	port61 = data[0] & 3;
	if (gate == c->gate)
		return;
	c->gate = gate;
	if (gate && c->reload && !c->write_hi)
		pit_start(c, now);	/* a rising gate (re)starts the count */
	else if (!gate && c->counting)
		c->counting = false;
}

static void pit_init(struct vm *vm)
{
	int i;

	(void)vm;
	for (i = 0; i < 3; i++) {
		ch[i].access = 3;
		ch[i].gate = i != 2;
		ch[i].next_irq_ns = UINT64_MAX;
	}
	ioport__register(0x40, 4, pit_io, NULL, "pit");
	ioport__register(0x61, 1, port61_io, NULL, "port61");
}

PLATFORM_DEVICE(pit, pit_init);
