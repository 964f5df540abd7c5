/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-to-host calls ("ucalls").
 *
 * The guest fills a struct ucall on its own stack and executes
 * "outb %al, %dx" with DX = UCALL_PORT and RDI = the struct's address
 * (GVA == GPA under the library's identity map). The host sees
 * VMW86_EXIT_IO on that port, takes RDI from vmw86_run.regs and reads the
 * struct from guest RAM. String pointers point into .rodata, which sits at
 * the same address in the host process, so the host prints them directly.
 */
#ifndef SELFTEST_VMW86_UCALL_H
#define SELFTEST_VMW86_UCALL_H

#include <stdint.h>

#define UCALL_PORT	0x1000
#define UCALL_MAX_ARGS	4

enum {
	UCALL_NONE,		/* the exit was not a ucall */
	UCALL_SYNC,		/* values for the host; the guest goes on */
	UCALL_DONE,		/* guest_code() finished */
	UCALL_ABORT,		/* a GUEST_ASSERT failed */
	UCALL_UNHANDLED,	/* an exception with no handler */
};

struct ucall {
	uint64_t cmd;
	uint64_t nargs;
	uint64_t args[UCALL_MAX_ARGS];
	const char *file;
	const char *expr;
	uint64_t line;
};

/* Guest side (lib/guest.c). */
void ucall(uint64_t cmd, uint64_t nargs, uint64_t a0, uint64_t a1,
	   uint64_t a2, uint64_t a3);
void ucall_assert(const char *file, uint64_t line, const char *expr,
		  uint64_t nargs, uint64_t a0, uint64_t a1);

#define GUEST_SYNC(v)		ucall(UCALL_SYNC, 1, (uint64_t)(v), 0, 0, 0)
#define GUEST_SYNC2(a, b)						\
	ucall(UCALL_SYNC, 2, (uint64_t)(a), (uint64_t)(b), 0, 0)
#define GUEST_SYNC3(a, b, c)						\
	ucall(UCALL_SYNC, 3, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0)
#define GUEST_SYNC4(a, b, c, d)						\
	ucall(UCALL_SYNC, 4, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), \
	      (uint64_t)(d))
#define GUEST_DONE()		ucall(UCALL_DONE, 0, 0, 0, 0, 0)

#define GUEST_ASSERT(cond)						\
do {									\
	if (!(cond))							\
		ucall_assert(__FILE__, __LINE__, #cond, 0, 0, 0);	\
} while (0)

#define GUEST_ASSERT_EQ(a, b)						\
do {									\
	uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);		\
	if (__ga != __gb)						\
		ucall_assert(__FILE__, __LINE__, #a " == " #b, 2,	\
			     __ga, __gb);				\
} while (0)

/* Host side. */
struct vmw86_vcpu;

/* The ucall behind the last exit, or UCALL_NONE; @uc may be NULL. */
uint64_t get_ucall(struct vmw86_vcpu *vcpu, struct ucall *uc);

/*
 * Run the vCPU until its next exit, which must be a ucall: a guest assert
 * or an unhandled guest exception fails the test with the guest's
 * file:line; any other exit fails it with the exit's details.
 */
uint64_t vcpu_run_ucall(struct vmw86_vcpu *vcpu, struct ucall *uc);

/* The same for an exit that already happened. */
uint64_t vcpu_check_ucall(struct vmw86_vcpu *vcpu, struct ucall *uc);

/* Run and expect UCALL_SYNC with @v in args[0]. */
void vcpu_run_expect_sync(struct vmw86_vcpu *vcpu, uint64_t v);
/* Run and expect UCALL_DONE. */
void vcpu_run_expect_done(struct vmw86_vcpu *vcpu);

#endif /* SELFTEST_VMW86_UCALL_H */
