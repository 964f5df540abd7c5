// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair (master at 0x20, slave at 0xa0 cascaded on IRQ 2), edge
 * triggered, fixed priority: enough for Linux's i8259 driver. Initialisation
 * words ICW1-4, OCW1 (mask), OCW2 (EOI, specific EOI), OCW3 (read IRR or
 * ISR), auto-EOI. Interrupts reach the vCPU through vm.c, which asks
 * pic__pending_vector() and delivers with VMW86_INTERRUPT.
 */
#include "../vmw86-run.h"

struct pic {
	u8 irr, isr, imr;
	u8 vector_base;
	u8 icw_step;		/* 0: none, 2-4: expecting ICW2-4 */
	bool icw4_needed;
	bool auto_eoi;
	bool read_isr;		/* OCW3: the command port reads ISR */
	u8 elcr;
};

static struct pic pics[2];	/* 0: master, 1: slave */

static int pic_highest(u8 bits)
{
	int i;

	for (i = 0; i < 8; i++)
		if (bits & (1 << i))
			return i;
	return -1;
}

/* The IRQ line (0-7) this PIC would deliver now, -1 if none. */
static int pic_pending(struct pic *p, bool master)
{
	u8 req = p->irr & ~p->imr;
	int irq = pic_highest(req), in_service = pic_highest(p->isr);

	if (master && (pics[1].irr & ~pics[1].imr) && !(p->imr & 4)) {
		/* A slave request shows as IRQ 2 on the master. */
		int s = pic_pending(&pics[1], false);

		if (s >= 0 && (irq < 0 || irq > 2))
			irq = 2;
	}
	if (irq < 0)
		return -1;
	if (in_service >= 0 && in_service <= irq)
		return -1;
	return irq;
}

int pic__pending_vector(void)
{
	int irq = pic_pending(&pics[0], true), s;

	if (irq < 0)
		return -1;
	if (irq == 2 && !(pics[0].irr & ~pics[0].imr & 4)) {
		s = pic_pending(&pics[1], false);
		if (s < 0)
			return -1;
		return pics[1].vector_base + s;
	}
	return pics[0].vector_base + irq;
}

static void pic_accept(struct pic *p, int irq)
{
	p->irr &= ~(1 << irq);
	if (!p->auto_eoi)
		p->isr |= 1 << irq;
}

void pic__ack(void)
{
	int irq = pic_pending(&pics[0], true), s;

	if (irq < 0)
		return;
	if (irq == 2 && !(pics[0].irr & ~pics[0].imr & 4)) {
		s = pic_pending(&pics[1], false);
		pic_accept(&pics[1], s);
		if (!pics[0].auto_eoi)
			pics[0].isr |= 1 << 2;
		return;
	}
	pic_accept(&pics[0], irq);
}

/* An edge on IRQ 0-15. */
void pic__raise(int irq)
{
	if (irq < 8)
		pics[0].irr |= 1 << irq;
	else
		pics[1].irr |= 1 << (irq - 8);
}

static void pic_write(struct pic *p, int a0, u8 v)
{
	int irq;

	if (!a0) {
		if (v & 0x10) {			/* ICW1 */
			p->imr = 0;
			p->isr = 0;
			p->irr = 0;
			p->read_isr = false;
			p->auto_eoi = false;
			p->icw4_needed = v & 1;
			p->icw_step = 2;
		} else if (v & 0x08) {		/* OCW3 */
			if (v & 0x02)
				p->read_isr = v & 0x01;
		} else {			/* OCW2 */
			switch (v >> 5) {
			case 1:			/* non-specific EOI */
			case 5:			/* rotate on non-specific EOI */
				irq = pic_highest(p->isr);
				if (irq >= 0)
					p->isr &= ~(1 << irq);
				break;
			case 3:			/* specific EOI */
			case 7:
				p->isr &= ~(1 << (v & 7));
				break;
			default:		/* priority commands: fixed here */
				break;
			}
		}
		return;
	}
	switch (p->icw_step) {
	case 2:
		p->vector_base = v & 0xf8;
		p->icw_step = 3;
		break;
	case 3:
		p->icw_step = p->icw4_needed ? 4 : 0;
		break;
	case 4:
		p->auto_eoi = v & 0x02;
		p->icw_step = 0;
		break;
	default:
		p->imr = v;			/* OCW1 */
		break;
	}
}

static u8 pic_read(struct pic *p, int a0)
{
	if (a0)
		return p->imr;
	return p->read_isr ? p->isr : p->irr;
}

static void pic_io(struct vm *vm, u16 port, u8 *data, int size, bool is_write,
		   void *opaque)
{
	struct pic *p = opaque;

	(void)vm;
	(void)size;
	if (is_write)
		pic_write(p, port & 1, data[0]);
	else
		data[0] = pic_read(p, port & 1);
}

static void elcr_io(struct vm *vm, u16 port, u8 *data, int size, bool is_write,
		    void *opaque)
{
	(void)vm;
	(void)size;
	(void)opaque;
	if (is_write)
		pics[port & 1].elcr = data[0];
	else
		data[0] = pics[port & 1].elcr;
}

static void pic_init(struct vm *vm)
{
	(void)vm;
	pics[0].vector_base = 0x08;
	pics[1].vector_base = 0x70;
	pics[0].imr = pics[1].imr = 0xff;
	ioport__register(0x20, 2, pic_io, &pics[0], "pic-master");
	ioport__register(0xa0, 2, pic_io, &pics[1], "pic-slave");
	ioport__register(0x4d0, 2, elcr_io, NULL, "pic-elcr");
}

PLATFORM_DEVICE(pic, pic_init);
