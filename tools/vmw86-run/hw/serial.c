// SPDX-License-Identifier: GPL-2.0
/*
 * COM1, a 16550A UART at 0x3f8 on IRQ 4. Transmit goes to standard output
 * at once, so the transmitter is always empty (LSR THRE | TEMT). Receive is
 * not wired yet: the receive buffer is always empty. Enough of the modem
 * control loopback and the FIFO control for Linux's 8250 autoconfig to see
 * a 16550A, and the THR-empty interrupt for its interrupt-driven transmit.
 */
#include <errno.h>
#include <unistd.h>

#include "../vmw86-run.h"

#define UART_BASE	0x3f8
#define UART_IRQ	4

#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_FIFO	0xc0
#define LCR_DLAB	0x80
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

struct uart {
	u8 ier, lcr, mcr, scr, fcr;
	u8 dll, dlm;
	bool thri_pending;	/* the THR-empty interrupt is pending */
	bool irq_line;
};

static struct uart com1 = { .dll = 12 };	/* 9600 baud */

static u8 uart_iir(const struct uart *u)
{
	u8 fifo = (u->fcr & 1) ? IIR_FIFO : 0;

	if (u->thri_pending && (u->ier & IER_THRI))
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

/* A PC routes the UART's interrupt only while MCR.OUT2 is set. */
static void uart_update_irq(struct uart *u)
{
	bool line = !(uart_iir(u) & IIR_NO_INT) && (u->mcr & MCR_OUT2) &&
		    !(u->mcr & MCR_LOOP);

	if (line && !u->irq_line)
		pic__raise(UART_IRQ);
	u->irq_line = line;
}

static void uart_tx(struct uart *u, u8 c)
{
	ssize_t n;

	if (!(u->mcr & MCR_LOOP)) {
		do {
			n = write(STDOUT_FILENO, &c, 1);
		} while (n < 0 && errno == EINTR);
	}
	u->thri_pending = true;
}

static void uart_io(struct vm *vm, u16 port, u8 *data, int size, bool is_write,
		    void *opaque)
{
	struct uart *u = opaque;
	int reg = port - UART_BASE;
	u8 v = data[0];

	(void)vm;
	(void)size;
	if (is_write) {
		switch (reg) {
		case 0:
			if (u->lcr & LCR_DLAB)
				u->dll = v;
			else
				uart_tx(u, v);
			break;
		case 1:
			if (u->lcr & LCR_DLAB) {
				u->dlm = v;
				break;
			}
			/* Enabling THRI with an empty THR raises it at once. */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thri_pending = true;
			u->ier = v & 0x0f;
			break;
		case 2:
			u->fcr = v & 0xc9;
			break;
		case 3:
			u->lcr = v;
			break;
		case 4:
			u->mcr = v & 0x1f;
			break;
		case 7:
			u->scr = v;
			break;
		default:
			break;
		}
		uart_update_irq(u);
		return;
	}
	switch (reg) {
	case 0:
		v = (u->lcr & LCR_DLAB) ? u->dll : 0;
		break;
	case 1:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case 2:
		v = uart_iir(u);
		if ((v & 0x0f) == IIR_THRI)
			u->thri_pending = false;	/* reading IIR clears it */
		break;
	case 3:
		v = u->lcr;
		break;
	case 4:
		v = u->mcr;
		break;
	case 5:
		v = LSR_THRE | LSR_TEMT;
		break;
	case 6:
		if (u->mcr & MCR_LOOP)	/* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
			v = (u->mcr & 1) << 5 | (u->mcr & 2) << 3 |
			    (u->mcr & 4) << 4 | (u->mcr & 8) << 4;
		else
			v = 0xb0;	/* DCD, DSR, CTS: a terminal is there */
		break;
	default:
		v = u->scr;
		break;
	}
	data[0] = v;
	uart_update_irq(u);
}

void serial__init(void)
{
	ioport__register(UART_BASE, 8, uart_io, &com1, "com1");
}
