// SPDX-License-Identifier: GPL-2.0
/*
 * Library code that runs inside the guest: ucalls and the exception
 * dispatcher. It must not call libc (whose IFUNC-selected string routines
 * may use instructions the guest's CR4 does not enable), so it fills
 * structures field by field.
 */
#include "vmw86_lib.h"

/* Written by the host into the guest's copy of the image. */
guest_exception_handler_t guest_exception_handlers[NR_IDT_VECTORS];

static void do_ucall(struct ucall *uc)
{
	asm volatile("outb %%al, %%dx"
		     :: "a"(0), "d"(UCALL_PORT), "D"(uc) : "memory");
}

void ucall(uint64_t cmd, uint64_t nargs, uint64_t a0, uint64_t a1,
	   uint64_t a2, uint64_t a3)
{
	struct ucall uc;

	uc.cmd = cmd;
	uc.nargs = nargs;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = a2;
	uc.args[3] = a3;
	uc.file = NULL;
	uc.expr = NULL;
	uc.line = 0;
	do_ucall(&uc);
}

void ucall_assert(const char *file, uint64_t line, const char *expr,
		  uint64_t nargs, uint64_t a0, uint64_t a1)
{
	struct ucall uc;

	uc.cmd = UCALL_ABORT;
	uc.nargs = nargs;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = 0;
	uc.args[3] = 0;
	uc.file = file;
	uc.expr = expr;
	uc.line = line;
	for (;;)
		do_ucall(&uc);
}

void guest_done(void)
{
	GUEST_DONE();
}

void route_exception(struct ex_regs *regs)
{
	guest_exception_handler_t handler = NULL;

	if (regs->vector < NR_IDT_VECTORS)
		handler = guest_exception_handlers[regs->vector];
	if (handler) {
		handler(regs);
		return;
	}
	for (;;)
		ucall(UCALL_UNHANDLED, 3, regs->vector, regs->rip,
		      regs->error_code, 0);
}
