// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O dispatch. Devices register port ranges; a port nobody owns reads
 * as all ones and ignores writes, as on a PC's ISA bus, and is logged once
 * at the debug level (--verbose).
 */
#include <stdio.h>
#include <string.h>

#include "vmw86-run.h"

#define MAX_RANGES	32

struct ioport_range {
	u16 base, count;
	ioport_fn fn;
	void *opaque;
	const char *name;
};

static struct ioport_range ranges[MAX_RANGES];
static int nr_ranges;
static u8 unowned_seen[65536 / 8];

void ioport__register(u16 base, u16 count, ioport_fn fn, void *opaque,
		      const char *name)
{
	if (nr_ranges == MAX_RANGES)
		die(EXIT_VMERROR, "ioport: too many ranges registering %s at 0x%x",
		    name, base);
	ranges[nr_ranges++] = (struct ioport_range){
		.base = base, .count = count, .fn = fn, .opaque = opaque,
		.name = name,
	};
}

void ioport__access(struct vm *vm, u16 port, u8 *data, int size, bool is_write)
{
	int i;

	for (i = 0; i < nr_ranges; i++) {
		struct ioport_range *r = &ranges[i];

		if (port >= r->base && port < r->base + r->count) {
			r->fn(vm, port, data, size, is_write, r->opaque);
			return;
		}
	}
	if (!is_write)
		memset(data, 0xff, size);
	if (!(unowned_seen[port / 8] & (1 << (port % 8)))) {
		unowned_seen[port / 8] |= 1 << (port % 8);
		pr_debug("port 0x%x (%s, %d bytes): no device; %s", port,
			 is_write ? "write" : "read", size,
			 is_write ? "ignored" : "reads all ones");
	}
}
