// SPDX-License-Identifier: GPL-2.0
/*
 * COM1, a 16550A UART at 0x3f8 on IRQ 4, over the launcher's standard input
 * and output. Transmit goes to standard output at once, so the transmitter
 * is always empty (LSR THRE | TEMT). Receive takes what standard input has
 * (serial__poll(), called by the device thread when stdin is readable)
 * into a buffer the guest drains through RBR, with the received-data
 * interrupt. Enough of the modem control loopback and the FIFO control
 * for Linux's 8250 autoconfig to see a 16550A.
 *
 * A terminal on standard input is put in raw mode, so that every key goes
 * to the guest, and restored on every way out. Ctrl-A x leaves the guest
 * (exit status 0); Ctrl-A Ctrl-A sends one Ctrl-A.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>
#include <linux/serial_reg.h>

#include "../vmw86-run.h"

#define UART_BASE	0x3f8
#define UART_IRQ	4
#define UART_PORTS	8

/*
 * IIR bits 7:6, both set with the FIFOs enabled (16550A data sheet, table
 * 4): Linux's 8250 probe reads them (IIR >> 6) to tell a 16550A from a
 * 16550; serial_reg.h has no name for them.
 */
#define UART_IIR_FIFOS_ENABLED	0xc0
/* The register bits a 16550A has: what writes keep. */
#define UART_IER_MASK	(UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI)
#define UART_FCR_MASK	(UART_FCR_ENABLE_FIFO | UART_FCR_DMA_SELECT | \
			 UART_FCR_TRIGGER_MASK)
#define UART_MCR_MASK	(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1 | \
			 UART_MCR_OUT2 | UART_MCR_LOOP)

#define RX_SIZE		4096	/* bytes buffered for the guest */
#define ESCAPE_KEY	0x01	/* Ctrl-A */

struct uart {
	u8 ier, lcr, mcr, scr, fcr;
	u8 dll, dlm;
	bool thri_pending;	/* the THR-empty interrupt is pending */
	bool irq_line;
	u8 rx[RX_SIZE];		/* received, not yet read by the guest */
	unsigned int rx_head, rx_count;
	bool escape;		/* the last key was Ctrl-A */
	bool input_eof;		/* standard input is closed */
};

static struct uart com1 = { .dll = 12 };	/* 9600 baud */

static u8 uart_iir(const struct uart *u)
{
	u8 fifo = (u->fcr & UART_FCR_ENABLE_FIFO) ? UART_IIR_FIFOS_ENABLED : 0;

	/* Received data outranks THR empty (16550A data sheet, table 4). */
	if (u->rx_count && (u->ier & UART_IER_RDI))
		return UART_IIR_RDI | fifo;
	if (u->thri_pending && (u->ier & UART_IER_THRI))
		return UART_IIR_THRI | fifo;
	return UART_IIR_NO_INT | fifo;
}

/* A PC routes the UART's interrupt only while MCR.OUT2 is set. */
static void uart_update_irq(struct uart *u)
{
	bool line = !(uart_iir(u) & UART_IIR_NO_INT) && (u->mcr & UART_MCR_OUT2) &&
		    !(u->mcr & UART_MCR_LOOP);

	if (line && !u->irq_line)
		irq__raise(UART_IRQ);
	u->irq_line = line;
}

static void uart_tx(struct uart *u, u8 c)
{
	ssize_t n;

	if (!(u->mcr & UART_MCR_LOOP)) {
		do {
			n = write(STDOUT_FILENO, &c, 1);
		} while (n < 0 && errno == EINTR);
	}
	u->thri_pending = true;
}

/*
 * The modem status lines: in loopback the outputs come back (DTR as DSR,
 * RTS as CTS, OUT1 as RI, OUT2 as DCD), otherwise a terminal is there.
 */
static u8 uart_msr(const struct uart *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	return (u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
	       (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
	       (u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
	       (u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
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
		case UART_TX:		/* and UART_DLL */
			if (u->lcr & UART_LCR_DLAB)
				u->dll = v;
			else
				uart_tx(u, v);
			break;
		case UART_IER:		/* and UART_DLM */
			if (u->lcr & UART_LCR_DLAB) {
				u->dlm = v;
				break;
			}
			/* Enabling THRI with an empty THR raises it at once. */
			if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->thri_pending = true;
			u->ier = v & UART_IER_MASK;
			break;
		case UART_FCR:
			u->fcr = v & UART_FCR_MASK;
			if (v & UART_FCR_CLEAR_RCVR)
				u->rx_count = 0;
			break;
		case UART_LCR:
			u->lcr = v;
			break;
		case UART_MCR:
			u->mcr = v & UART_MCR_MASK;
			break;
		case UART_SCR:
			u->scr = v;
			break;
		default:
			break;
		}
		uart_update_irq(u);
		return;
	}
	switch (reg) {
	case UART_RX:		/* and UART_DLL */
		if (u->lcr & UART_LCR_DLAB) {
			v = u->dll;
		} else if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % RX_SIZE;
			/* A full buffer stopped the device thread reading. */
			if (u->rx_count-- == RX_SIZE)
				vm__wake_events();
		} else {
			v = 0;
		}
		break;
	case UART_IER:		/* and UART_DLM */
		v = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = uart_iir(u);
		/* Reading IIR clears THR empty, when that is what it said. */
		if ((v & (UART_IIR_ID | UART_IIR_NO_INT)) == UART_IIR_THRI)
			u->thri_pending = false;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
		break;
	case UART_MSR:
		v = uart_msr(u);
		break;
	default:		/* UART_SCR */
		v = u->scr;
		break;
	}
	data[0] = v;
	uart_update_irq(u);
}

static struct termios saved_termios;
static bool raw_mode;

/*
 * Also from signal handlers (sandbox.c's too): tcsetattr() is safe there.
 * Once only: should the restore itself be trapped by the sandbox, its
 * SIGSYS handler must not try again: a second trap, with SIGSYS blocked in
 * its handler, is a plain SIGSYS kill, not the exit status 4 it means.
 */
void serial__restore_terminal(void)
{
	if (!raw_mode)
		return;
	raw_mode = false;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
}

/*
 * Killed by a signal in raw mode: put the terminal back, then die of it.
 * SA_RESETHAND has already made the action the default one, so the
 * sandbox need not allow sigaction() here.
 */
static void serial_fatal_signal(int sig)
{
	serial__restore_terminal();
	raise(sig);
}

static void serial_raw_terminal(void)
{
	struct sigaction sa = { .sa_handler = serial_fatal_signal,
				.sa_flags = SA_RESETHAND };
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	raw = saved_termios;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR;	/* the guest writes "\n", the terminal wants CR LF */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return;
	raw_mode = true;
	atexit(serial__restore_terminal);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/* One key from the user: Ctrl-A x leaves, anything else goes to the guest. */
static int uart_key(struct uart *u, u8 c)
{
	if (u->escape) {
		u->escape = false;
		if (c == 'x' || c == 'X')
			return -1;
		if (c != ESCAPE_KEY)
			return 0;	/* an unknown escape is dropped */
	} else if (c == ESCAPE_KEY && raw_mode) {
		u->escape = true;
		return 0;
	}
	if (u->rx_count < RX_SIZE) {
		u->rx[(u->rx_head + u->rx_count) % RX_SIZE] = c;
		u->rx_count++;
	}
	return 0;
}

/**
 * serial__input_fd() - the descriptor the run loop waits on for input
 *
 * Return: standard input, or -1 once it is closed or the buffer is full.
 */
int serial__input_fd(void)
{
	return com1.input_eof || com1.rx_count == RX_SIZE ? -1 : STDIN_FILENO;
}

/**
 * serial__poll() - take what standard input has for the guest
 *
 * Never blocks. Raises IRQ 4 when the guest asked for receive interrupts.
 * Return: -1 when the user typed the escape sequence to leave, else 0.
 */
int serial__poll(void)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	u8 buf[256];
	ssize_t n, i;

	while (serial__input_fd() >= 0 && poll(&pfd, 1, 0) > 0) {
		size_t room = RX_SIZE - com1.rx_count;

		n = read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			com1.input_eof = true;
			break;
		}
		for (i = 0; i < n; i++)
			if (uart_key(&com1, buf[i]))
				return -1;
	}
	uart_update_irq(&com1);
	return 0;
}

static void serial_init(struct vm *vm)
{
	(void)vm;
	serial_raw_terminal();
	ioport__register(UART_BASE, UART_PORTS, uart_io, &com1, "com1");
}

PLATFORM_DEVICE(serial, serial_init);
