/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-side assertion helpers for the vmw86 selftests library.
 *
 * The kselftest harness runs every TEST in a forked child, and its
 * ASSERT_* macros need the test's _metadata. Library code has none, so it
 * reports with TEST_ASSERT(): print the file, line and reason in TAP
 * comment form, then exit the child with KSFT_FAIL.
 */
#ifndef SELFTEST_VMW86_TEST_UTIL_H
#define SELFTEST_VMW86_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSFT_FAIL_EXIT	1

void __attribute__((noreturn, format(printf, 4, 5)))
test_assert_fail(const char *file, unsigned int line, const char *expr,
		 const char *fmt, ...);

#define TEST_ASSERT(cond, fmt, ...)					\
do {									\
	if (!(cond))							\
		test_assert_fail(__FILE__, __LINE__, #cond,		\
				 fmt, ##__VA_ARGS__);			\
} while (0)

#define TEST_FAIL(fmt, ...)						\
	test_assert_fail(__FILE__, __LINE__, "failure", fmt, ##__VA_ARGS__)

#define TEST_ASSERT_EQ(a, b)						\
do {									\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	TEST_ASSERT(__a == __b, "%s == 0x%lx, %s == 0x%lx",		\
		    #a, (unsigned long)__a, #b, (unsigned long)__b);	\
} while (0)

/* An ioctl wrapper's result: 0 or a value, or -1 with errno. */
#define TEST_ASSERT_IOCTL(ret, name)					\
	TEST_ASSERT((ret) >= 0, "%s failed: ret %d, errno %d (%s)",	\
		    name, (int)(ret), errno, strerror(errno))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

#define PAGE_SIZE	4096UL
#define SZ_2M		(2UL << 20)
#define SZ_1G		(1UL << 30)

#endif /* SELFTEST_VMW86_TEST_UTIL_H */
