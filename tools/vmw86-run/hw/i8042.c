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

#define STR_OBF		0x01
#define STR_SYS		0x04
#define STR_CMD		0x08
#define STR_UNLOCKED	0x10
#define STR_AUX		0x20
#define STR_TIMEOUT	0x40
#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02

struct i8042 {
	u8 ctr;			/* command byte */
	u8 status;
	u8 out;			/* output buffer */
	u8 pending_cmd;		/* command waiting for its data byte */
	u8 outport;
};

static struct i8042 kbc = {
	.ctr = 0x45, .status = STR_SYS | STR_UNLOCKED, .outport = 0x01,
};

static void i8042_queue(struct i8042 *k, u8 v, u8 flags)
{
	k->out = v;
	k->status = (k->status & ~(STR_AUX | STR_TIMEOUT)) | STR_OBF | flags;
	if ((flags & STR_AUX) ? (k->ctr & CTR_AUXINT) : (k->ctr & CTR_KBDINT))
		irq__raise(flags & STR_AUX ? 12 : 1);
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
	case 0x20: /* read command byte */
		i8042_queue(k, k->ctr, 0);
		break;
	case 0x60:					/* write command byte */
	case 0xd1:					/* write output port */
	case 0xd2:					/* write keyboard buffer */
	case 0xd3:					/* write aux buffer */
	case 0xd4:					/* write to aux device */
		k->pending_cmd = cmd;
		break;
	case 0xa7: /* disable aux */
		k->ctr |= 0x20;
		break;
	case 0xa8: /* enable aux */
		k->ctr &= ~0x20;
		break;
	case 0xa9: /* aux test: no port */
		i8042_queue(k, 0x01, 0);
		break;
	case 0xaa: /* self test: passed */
		i8042_queue(k, 0x55, 0);
		break;
	case 0xab: /* kbd test: passed */
		i8042_queue(k, 0x00, 0);
		break;
	case 0xad: /* disable keyboard */
		k->ctr |= 0x10;
		break;
	case 0xae: /* enable keyboard */
		k->ctr &= ~0x10;
		break;
	case 0xd0:
		i8042_queue(k, k->outport, 0);
		break;
	default:
		if ((cmd & 0xf0) == 0xf0 && !(cmd & 1))
			i8042_reset(vm);		/* pulse output bit 0 */
		break;
	}
}

static void i8042_data(struct vm *vm, struct i8042 *k, u8 v)
{
	u8 cmd = k->pending_cmd;

	k->status &= ~STR_CMD;
	k->pending_cmd = 0;
	switch (cmd) {
	case 0x60:
		k->ctr = v;
		break;
	case 0xd1:
		k->outport = v;
		if (!(v & 1))
			i8042_reset(vm);
		break;
	case 0xd2:
		i8042_queue(k, v, 0);
		break;
	case 0xd3:
		/* No aux port: its loopback does not echo. */
		i8042_queue(k, 0x00, 0);
		break;
	case 0xd4:
		i8042_queue(k, 0xfe, STR_AUX | STR_TIMEOUT);
		break;
	default:
		/* To the keyboard, which is not there. */
		i8042_queue(k, 0xfe, STR_TIMEOUT);
		break;
	}
}

static void i8042_io(struct vm *vm, u16 port, u8 *data, int size,
		     bool is_write, void *opaque)
{
	struct i8042 *k = opaque;

	(void)size;
	if (port == 0x64) {
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

void i8042__init(void)
{
	ioport__register(0x60, 1, i8042_io, &kbc, "i8042-data");
	ioport__register(0x64, 1, i8042_io, &kbc, "i8042-cmd");
}
