// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side failure reporting for library code (see test_util.h).
 */
#include <stdarg.h>
#include <unistd.h>

#include "test_util.h"

void test_assert_fail(const char *file, unsigned int line, const char *expr,
		      const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# %s:%u: `%s' failed: ", file, line, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	exit(KSFT_FAIL_EXIT);
}
