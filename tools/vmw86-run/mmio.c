// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: the IOAPIC's page goes to hw/ioapic.c, registered windows (the
 * virtio devices') to their handlers; elsewhere outside RAM reads return
 * all ones and writes are ignored. The instruction is completed here
 * (vmw86 decodes nothing in the kernel, api.rst "VMW86_EXIT_MMIO"), on the
 * vCPU's own thread, with the platform lock held around the device access.
 * The decoder (tools/lib/vmw86/mmio-insn.c, shared with QEMU's -accel
 * vmw86) knows the MOV forms compilers emit for readb/w/l/q and
 * writeb/w/l/q; anything else stops the VM with the bytes it could not
 * decode.
 */
#include <stdio.h>
#include <string.h>

#include "mmio-insn.h"
#include "vmw86-run.h"

#define MAX_MMIO_WINDOWS	16

struct mmio_window {
	u64 base, len;
	mmio_fn fn;
	void *opaque;
	const char *name;
};

/* Filled before the vCPUs start, read-only afterwards. */
static struct mmio_window windows[MAX_MMIO_WINDOWS];
static int nr_windows;

void mmio__register(u64 base, u64 len, mmio_fn fn, void *opaque,
		    const char *name)
{
	if (nr_windows == MAX_MMIO_WINDOWS)
		die(EXIT_VMERROR, "mmio: too many windows registering %s at 0x%llx",
		    name, (unsigned long long)base);
	windows[nr_windows++] = (struct mmio_window){
		.base = base, .len = len, .fn = fn, .opaque = opaque,
		.name = name,
	};
}

/* An access wholly inside a registered window; platform lock held. */
static bool mmio_window_access(struct vm *vm, u64 gpa, u64 *val, int size,
			       bool is_write)
{
	u8 data[8];
	int i;

	for (i = 0; i < nr_windows; i++) {
		struct mmio_window *w = &windows[i];
		int b;

		if (gpa < w->base || gpa - w->base >= w->len ||
		    (u64)size > w->len - (gpa - w->base))
			continue;
		for (b = 0; b < size; b++)
			data[b] = *val >> (8 * b);
		w->fn(vm, gpa - w->base, data, size, is_write, w->opaque);
		for (*val = 0, b = size - 1; b >= 0; b--)
			*val = *val << 8 | data[b];
		return true;
	}
	return false;
}

int mmio__handle(struct vcpu *vcpu)
{
	struct vmw86_run *run = vcpu->run;
	bool is_write = run->mmio.flags & VMW86_MMIO_WRITE;
	struct vmw86_mmio_insn in;
	char bytes[16 * 3 + 1] = "";
	int size, i;
	bool owned;
	u64 val;
	u32 val32;

	if (run->mmio.flags & VMW86_MMIO_FETCH || vmw86_mmio_decode(run, &in)) {
		for (i = 0; i < run->mmio.insn_len; i++)
			sprintf(bytes + 3 * i, " %02x", run->mmio.insn[i]);
		fflush(stdout);
		fprintf(stderr, "vmw86-run: vCPU %u: MMIO %s at GPA 0x%llx, RIP 0x%llx: cannot %s instruction [%s ]\n",
			vcpu->id,
			run->mmio.flags & VMW86_MMIO_FETCH ? "fetch" :
			is_write ? "write" : "read",
			(unsigned long long)run->mmio.gpa,
			(unsigned long long)run->regs.rip,
			run->mmio.flags & VMW86_MMIO_FETCH ? "execute" : "decode",
			bytes);
		return -1;
	}
	size = in.size;
	val = in.is_load ? 0 : vmw86_mmio_store_value(run, &in);
	val32 = val;
	platform__lock();
	owned = ioapic__mmio(run->mmio.gpa, &val32, size, !in.is_load);
	if (owned)
		val = val32;
	else
		owned = mmio_window_access(vcpu->vm, run->mmio.gpa, &val, size,
					   !in.is_load);
	platform__unlock();
	if (!owned) {
		pr_debug("MMIO %s of %d bytes at GPA 0x%llx (no device)",
			 in.is_load ? "read" : "write", in.opsize,
			 (unsigned long long)run->mmio.gpa);
		val = ~0ULL;
	}
	vmw86_mmio_complete(run, &in, val);
	return 0;
}
