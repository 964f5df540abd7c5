// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's own ports, for guests that know about them:
 *
 *   0xf4  power off: any write ends the VM with EXIT_POWEROFF (0). The PC
 *         has no power-off switch short of ACPI, which vmw86-run does not
 *         offer yet; the port is QEMU's isa-debug-exit address, which the
 *         test machine's own init already uses.
 *   0xf5  boot-time mark: the first write is the moment the guest reached
 *         user space; with --boot-time the launcher prints the time since
 *         its own start. Later writes are ignored.
 *   0x80  the POST/IO-delay port: writes ignored, silently.
 */
#include <stdio.h>

#include "../vmw86-run.h"

static bool marked;

static void debugport_io(struct vm *vm, u16 port, u8 *data, int size,
			 bool is_write, void *opaque)
{
	u64 ms;

	(void)size;
	(void)opaque;
	if (!is_write) {
		data[0] = 0xff;
		return;
	}
	switch (port) {
	case 0xf4:
		fflush(NULL);
		pr_debug("guest wrote 0x%x to the power-off port", data[0]);
		vm__stop(vm, EXIT_POWEROFF, "power-off port");
		break;
	case 0xf5:
		if (marked)
			break;
		marked = true;
		ms = (now_ns() - vm->start_ns) / 1000000;
		if (vm->boot_time) {
			fflush(stdout);
			fprintf(stderr, "vmw86-run: boot time: %llu.%03llu s from launch to guest user space\n",
				(unsigned long long)ms / 1000,
				(unsigned long long)ms % 1000);
			if (vm->pit_reads)
				fprintf(stderr, "vmw86-run: a guest PIT read took %.1f us (%llu reads)\n",
					vm->pit_read_ns / 1000.0 / vm->pit_reads,
					(unsigned long long)vm->pit_reads);
		}
		break;
	default:
		break;
	}
}

static void debugport_init(struct vm *vm)
{
	(void)vm;
	ioport__register(0xf4, 2, debugport_io, NULL, "debug-exit");
	ioport__register(0x80, 1, debugport_io, NULL, "post");
}

PLATFORM_DEVICE(debugport, debugport_init);
