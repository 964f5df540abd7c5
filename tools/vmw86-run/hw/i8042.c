// SPDX-License-Identifier: GPL-2.0
/*
 * The i8042 keyboard controller at 0x60 (data) and 0x64 (status/command),
 * with no keyboard and no mouse behind it. What matters is the reset line:
 * command 0xfe (pulse reset) or an output-port write (0xd1) that clears
 * bit 0 ends the VM with EXIT_REBOOT. The controller answers its self tests
 * and command byte so that Linux's i8042 driver probes it quickly; a byte
 * sent to the absent keyboard comes back as 0xfe with the timeout bit set,
 * as a real controller reports a device that does not answer.
 */
#include <stdio.h>

#include "../vmw86-run.h"

#define I8042_DATA_PORT		0x60
#define I8042_COMMAND_PORT	0x64	/* reads: the status register */
#define I8042_KBD_IRQ		1
#define I8042_AUX_IRQ		12

/* Status register */
#define STR_OBF		0x01	/* output buffer full */
#define STR_SYS		0x04	/* system flag: the self test passed */
#define STR_CMD		0x08	/* the last write was to the command port */
#define STR_UNLOCKED	0x10	/* keyboard not inhibited */
#define STR_AUX		0x20	/* the output buffer is from the aux port */
#define STR_TIMEOUT	0x40

/* Controller command byte ("CTR") */
#define CTR_KBDINT	0x01	/* IRQ 1 on keyboard output */
#define CTR_AUXINT	0x02	/* IRQ 12 on aux output */
#define CTR_SYSFLAG	0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40	/* scan code set 2 translated to set 1 */

/* Output port: bit 0 is the CPU's reset line, active low. */
#define OUTPORT_RESET	0x01

/*
 * Controller commands (written to port 0x64), as the IBM PC AT and PS/2
 * technical references number them; those marked "data" take a byte on
 * port 0x60 next.
 */
#define CMD_READ_CTR		0x20
#define CMD_WRITE_CTR		0x60	/* data */
#define CMD_AUX_DISABLE		0xa7
#define CMD_AUX_ENABLE		0xa8
#define CMD_AUX_TEST		0xa9
#define CMD_SELF_TEST		0xaa
#define CMD_KBD_TEST		0xab
#define CMD_KBD_DISABLE		0xad
#define CMD_KBD_ENABLE		0xae
#define CMD_READ_OUTPORT	0xd0
#define CMD_WRITE_OUTPORT	0xd1	/* data */
#define CMD_WRITE_KBD_OBUF	0xd2	/* data: as if the keyboard sent it */
#define CMD_WRITE_AUX_OBUF	0xd3	/* data: as if the aux device sent it */
#define CMD_WRITE_AUX		0xd4	/* data: to the aux device */
#define CMD_PULSE_MASK		0xf0	/* 0xf0-0xff: pulse output port bits */
#define CMD_PULSE_LINES		0x0f	/* 0 in bits 3:0 pulses that line */

/* What the controller answers */
#define REPLY_SELF_TEST_OK	0x55
#define REPLY_PORT_TEST_OK	0x00
#define REPLY_CLOCK_STUCK_LOW	0x01	/* aux test: no device, no clock */
#define REPLY_NO_DEVICE		0xfe	/* a device that does not answer */

struct i8042 {
	u8 ctr;			/* command byte */
	u8 status;
	u8 out;			/* output buffer */
	u8 pending_cmd;		/* command waiting for its data byte */
	u8 outport;
};

static struct i8042 kbc = {
	/* As a BIOS leaves it: keyboard interrupt and translation on. */
	.ctr = CTR_KBDINT | CTR_SYSFLAG | CTR_XLATE,
	.status = STR_SYS | STR_UNLOCKED, .outport = OUTPORT_RESET,
};

static void i8042_queue(struct i8042 *k, u8 v, u8 flags)
{
	k->out = v;
	k->status = (k->status & ~(STR_AUX | STR_TIMEOUT)) | STR_OBF | flags;
	if ((flags & STR_AUX) ? (k->ctr & CTR_AUXINT) : (k->ctr & CTR_KBDINT))
		irq__raise(flags & STR_AUX ? I8042_AUX_IRQ : I8042_KBD_IRQ);
}

static void i8042_reset(struct vm *vm)
{
	fflush(NULL);
	pr_info("guest asked for a reset (i8042)");
	vm__stop(vm, EXIT_REBOOT, "i8042 reset");
}

static void i8042_command(struct vm *vm, struct i8042 *k, u8 cmd)
{
	k->status |= STR_CMD;
	switch (cmd) {
	case CMD_READ_CTR:
		i8042_queue(k, k->ctr, 0);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPORT:
	case CMD_WRITE_KBD_OBUF:
	case CMD_WRITE_AUX_OBUF:
	case CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:		/* there is no aux port */
		i8042_queue(k, REPLY_CLOCK_STUCK_LOW, 0);
		break;
	case CMD_SELF_TEST:
		i8042_queue(k, REPLY_SELF_TEST_OK, 0);
		break;
	case CMD_KBD_TEST:
		i8042_queue(k, REPLY_PORT_TEST_OK, 0);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= ~CTR_KBDDIS;
		break;
	case CMD_READ_OUTPORT:
		i8042_queue(k, k->outport, 0);
		break;
	default:
		/* Pulsing the reset line (bit 0 clear: pulse it) resets. */
		if ((cmd & CMD_PULSE_MASK) == CMD_PULSE_MASK &&
		    !(cmd & OUTPORT_RESET))
			i8042_reset(vm);
		break;
	}
}

static void i8042_data(struct vm *vm, struct i8042 *k, u8 v)
{
	u8 cmd = k->pending_cmd;

	k->status &= ~STR_CMD;
	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUTPORT:
		k->outport = v;
		if (!(v & OUTPORT_RESET))
			i8042_reset(vm);
		break;
	case CMD_WRITE_KBD_OBUF:
		i8042_queue(k, v, 0);
		break;
	case CMD_WRITE_AUX_OBUF:
		/* No aux port: its loopback does not echo. */
		i8042_queue(k, 0x00, 0);
		break;
	case CMD_WRITE_AUX:
		i8042_queue(k, REPLY_NO_DEVICE, STR_AUX | STR_TIMEOUT);
		break;
	default:
		/* To the keyboard, which is not there. */
		i8042_queue(k, REPLY_NO_DEVICE, STR_TIMEOUT);
		break;
	}
}

static void i8042_io(struct vm *vm, u16 port, u8 *data, int size,
		     bool is_write, void *opaque)
{
	struct i8042 *k = opaque;

	(void)size;
	if (port == I8042_COMMAND_PORT) {
		if (is_write)
			i8042_command(vm, k, data[0]);
		else
			data[0] = k->status;
		return;
	}
	if (is_write) {
		i8042_data(vm, k, data[0]);
		return;
	}
	data[0] = k->out;
	k->status &= ~(STR_OBF | STR_AUX | STR_TIMEOUT);
}

static void i8042_init(struct vm *vm)
{
	(void)vm;
	ioport__register(I8042_DATA_PORT, 1, i8042_io, &kbc, "i8042-data");
	ioport__register(I8042_COMMAND_PORT, 1, i8042_io, &kbc, "i8042-cmd");
}

PLATFORM_DEVICE(i8042, i8042_init);
