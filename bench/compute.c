// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86-bench-compute: the CPU-bound program of figure 5, run inside the
 * guests that vmw86-run and QEMU boot (bench/guest-init) and directly in
 * the test machine (vmw86-bench), to compare each with the machine it
 * runs on.
 *
 * It counts the primes below COMPUTE_LIMIT with a segmented sieve of
 * Eratosthenes: integer work on a 32 KiB segment that stays in the cache,
 * a few pages of code and data, and no system call between the two clock
 * readings. What a hypervisor adds to it is what any long computation in
 * a guest pays: timer interrupts that exit, and translations rebuilt
 * through the nested page table after each exit. The count is checked
 * against the known value, so that a guest that computes wrong (say,
 * registers lost across a world switch) fails instead of being fast.
 *
 * Then, for figure 5e, it reads the clock in a loop for CLOCK_READ_NS:
 * clock_gettime(CLOCK_MONOTONIC), what every timestamp in the guest costs.
 * With a clock the guest reads in its own memory (the TSC, kvm-clock)
 * that is a few nanoseconds; with one behind an I/O port (the ACPI PM
 * timer) every call is an exit. After the computation, so that 5a is
 * timed as before.
 *
 * Output, one line each on standard output (the guest's console):
 *   BENCH-GUEST compute-start
 *   BENCH-GUEST compute limit=N primes=P ns=T ok|wrong
 *   BENCH-GUEST clock-read calls=N ns=T
 * The first line lets vmw86-bench time the run from outside the guest as
 * well, a check on the guest's clock. Exit status 0 only for "ok".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define COMPUTE_LIMIT		500000000UL
#define PRIMES_BELOW_LIMIT	26355867UL	/* pi(5 * 10^8) */
#define SEGMENT			32768
#define BASE_LIMIT		22361		/* sqrt(COMPUTE_LIMIT), rounded down */
#define CLOCK_READ_NS		200000000ULL	/* 0.2 s */

static uint32_t base_primes[BASE_LIMIT];
static uint8_t composite[SEGMENT];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The odd primes up to sqrt(limit), by the plain sieve; returns how many. */
static int sieve_base(void)
{
	static uint8_t small[BASE_LIMIT + 1];
	int n = 0;
	uint32_t i, j;

	for (i = 3; i <= BASE_LIMIT; i += 2) {
		if (small[i])
			continue;
		base_primes[n++] = i;
		for (j = i * i; j <= BASE_LIMIT; j += 2 * i)
			small[j] = 1;
	}
	return n;
}

static unsigned long count_primes(unsigned long limit)
{
	unsigned long count = 1;	/* 2, the one even prime */
	unsigned long low, high, m;
	int nbase = sieve_base();
	int i;

	for (low = 0; low < limit; low += SEGMENT) {
		high = low + SEGMENT < limit ? low + SEGMENT : limit;
		memset(composite, 0, sizeof(composite));
		for (i = 0; i < nbase; i++) {
			unsigned long p = base_primes[i];

			if (p * p >= high)
				break;
			/* The first odd multiple in [low, high), from p*p. */
			m = p * p;
			if (m < low) {
				m = (low + p - 1) / p * p;
				if (!(m & 1))
					m += p;
			}
			for (; m < high; m += 2 * p)
				composite[m - low] = 1;
		}
		for (m = low | 1; m < high; m += 2)
			if (!composite[m - low] && m > 1)
				count++;
	}
	return count;
}

/*
 * Calls clock_gettime() until CLOCK_READ_NS have passed; the last call's
 * time ends the loop, so every call is counted and none is extra.
 */
static void clock_read(void)
{
	uint64_t start = now_ns(), t;
	unsigned long calls = 0;

	do {
		t = now_ns();
		calls++;
	} while (t - start < CLOCK_READ_NS);
	printf("BENCH-GUEST clock-read calls=%lu ns=%llu\n", calls,
	       (unsigned long long)(t - start));
}

int main(void)
{
	unsigned long primes;
	uint64_t t0, t1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("BENCH-GUEST compute-start\n");
	t0 = now_ns();
	primes = count_primes(COMPUTE_LIMIT);
	t1 = now_ns();
	printf("BENCH-GUEST compute limit=%lu primes=%lu ns=%llu %s\n",
	       COMPUTE_LIMIT, primes, (unsigned long long)(t1 - t0),
	       primes == PRIMES_BELOW_LIMIT ? "ok" : "wrong");
	clock_read();
	return primes == PRIMES_BELOW_LIMIT ? 0 : 1;
}
