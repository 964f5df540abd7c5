// SPDX-License-Identifier: GPL-2.0
/*
 * Compiled with -fsyntax-only at build time (never linked): the uapi header
 * must build in user space as the only include of a strict C11 file, and
 * its structures must keep the layout user space was built against.
 */
#include <linux/vmw86.h>

#define LAYOUT(expr) _Static_assert(expr, #expr)

LAYOUT(sizeof(struct vmw86_memory_region) == 32);
LAYOUT(sizeof(struct vmw86_regs) == 18 * 8);
LAYOUT(sizeof(struct vmw86_segment) == 24);
LAYOUT(sizeof(struct vmw86_dtable) == 16);
LAYOUT(sizeof(struct vmw86_sregs) == 8 * 24 + 2 * 16 + 7 * 8);
LAYOUT(sizeof(struct vmw86_msr_entry) == 16);
LAYOUT(sizeof(struct vmw86_msrs) == 8);
LAYOUT(sizeof(struct vmw86_cpuid_entry) == 40);
LAYOUT(sizeof(struct vmw86_cpuid) == 8);
LAYOUT(sizeof(struct vmw86_xsave) == 4096);
LAYOUT(sizeof(struct vmw86_guest_debug) == 8 + 8 * 8);
LAYOUT(sizeof(struct vmw86_run) == 16 + 18 * 8 + 256);

int vmw86_uapi_alone;
