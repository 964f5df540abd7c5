/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by vmw86-bench.c and its guest code (guest.S): constants, and the
 * guest code's symbols for C.
 */
#ifndef VMW86_BENCH_H
#define VMW86_BENCH_H

#define BENCH_PAGE_SIZE		4096

/* Ports the guest writes to; none of them is emulated by either kernel. */
#define BENCH_PORT_IO		0x10	/* figure 1: the round trip itself */
#define BENCH_PORT_START	0x11	/* "the clock starts now" */
#define BENCH_PORT_END		0x12	/* "this pass is done" */

/* Guest physical layout: code in the second page, touched RAM at 2 MiB. */
#define GUEST_CODE_GPA		0x1000
#define GUEST_TOUCH_GPA		0x200000

#ifndef __ASSEMBLER__
/* guest.S: each blob from its label to its _end label. */
extern const char guest_io[], guest_io_end[];
extern const char guest_cpuid[], guest_cpuid_end[];
extern const char guest_touch[], guest_touch_end[];
#endif

#endif /* VMW86_BENCH_H */
