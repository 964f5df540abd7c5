// SPDX-License-Identifier: GPL-2.0
/*
 * cpus: vCPUs are free to move between host CPUs, and per-CPU SVM state
 * follows them.
 *
 * - A vCPU thread hops between host CPUs between runs; its guest keeps
 *   computing on memory the host changes in between. A stale ASID, a
 *   VMCB left cached on another CPU, or a host save area of the wrong CPU
 *   would corrupt the guest or the host.
 * - A guest spinning on a page while the host drops that page
 *   (MADV_DONTNEED) from another CPU must see the change: the nested entry
 *   is zapped and the invalidation reaches a vCPU that is in guest mode
 *   right now. Otherwise the guest reads the freed page forever and the
 *   test times out. (Under QEMU's SVM every world switch flushes the whole
 *   TLB, so in the test machine this catches a missing zap; on hardware,
 *   whose TLB keeps entries per ASID across world switches, it also
 *   catches a missing ASID flush.)
 * - A CPU taken offline and brought back while VMs exist gets SVM enabled
 *   again (the hotplug callback), and one brought back while none exist
 *   is enabled with the next VM.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define SLOT1		1
#define SLOT1_GPA	0x10000000UL
#define SLOT1_SIZE	(2UL << 20)
#define ROUNDS		64
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int nr_online_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* Each round: read what the host left, write a result, report. */
static void guest_migrate(uint64_t gpa, uint64_t rounds)
{
	volatile uint64_t *p = (uint64_t *)gpa;

	for (uint64_t i = 0; i < rounds; i++) {
		p[i] = p[512 + i] + i;
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

TEST(vcpu_hops_between_cpus)
{
	int ncpus = nr_online_cpus();
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	uint64_t *p;

	if (ncpus < 2)
		SKIP(return, "needs 2 online CPUs, have %d", ncpus);
	vm = vm_create_with_one_vcpu(&vcpu, guest_migrate);
	p = vm_add_anon_slot(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE);
	vcpu_args_set(vcpu, 2, SLOT1_GPA, (uint64_t)ROUNDS);

	for (int i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, pin_to_cpu(i % ncpus));
		p[512 + i] = 1000 + i;
		vcpu_run_expect_sync(vcpu, i);
		EXPECT_EQ(1000 + 2 * i, p[i]);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_spin_until_zero(uint64_t gpa)
{
	volatile uint64_t *p = (uint64_t *)gpa;

	GUEST_ASSERT_EQ(*p, 0x55);
	GUEST_SYNC(1);
	while (*p)
		;
	GUEST_SYNC(2);
}

struct spinner {
	struct vmw86_vcpu *vcpu;
	int cpu;
	int ret, err;
	volatile int done;
};

static void *spinner_thread(void *arg)
{
	struct spinner *s = arg;

	if (pin_to_cpu(s->cpu)) {
		s->ret = -1;
		s->err = errno;
	} else {
		s->ret = __vcpu_run(s->vcpu);
		s->err = errno;
	}
	s->done = 1;
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST(tlb_shootdown_reaches_running_vcpu)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct spinner s = { .cpu = 1 };
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	pthread_t thread;
	struct ucall uc;
	uint64_t *p;
	int waited;

	if (nr_online_cpus() < 2)
		SKIP(return, "needs 2 online CPUs");
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vm = vm_create_with_one_vcpu(&vcpu, guest_spin_until_zero);
	p = vm_add_anon_slot(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE);
	p[0] = 0x55;
	vcpu_args_set(vcpu, 1, SLOT1_GPA);
	/* The guest has the page mapped and cached before it spins. */
	vcpu_run_expect_sync(vcpu, 1);

	ASSERT_EQ(0, pin_to_cpu(0));
	s.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&thread, NULL, spinner_thread, &s));
	usleep(200 * 1000);	/* let it spin in guest mode on CPU 1 */
	EXPECT_EQ(0, s.done);
	ASSERT_EQ(0, madvise(p, 4096, MADV_DONTNEED));

	for (waited = 0; !s.done && waited < 10000; waited += 10)
		usleep(10 * 1000);
	if (!s.done) {
		/* Stop the stuck guest so the test can report and clean up. */
		vcpu->run->immediate_exit = 1;
		pthread_kill(thread, SIGUSR1);
	}
	pthread_join(thread, NULL);
	ASSERT_LT(waited, 10000) {
		TH_LOG("the guest never saw the page go: stale nested entry or TLB");
	}
	ASSERT_EQ(0, s.ret) {
		TH_LOG("VMW86_RUN: errno %d", s.err);
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	EXPECT_EQ(2, uc.args[0]);
	vm_free(vm);
}

static int write_online(const char *value)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	int ret;

	if (fd < 0)
		return -1;
	ret = write(fd, value, 1) == 1 ? 0 : -1;
	close(fd);
	return ret;
}

static void guest_count(void)
{
	for (uint64_t i = 0;; i++)
		GUEST_SYNC(i);
}

FIXTURE(hotplug) {
	int unused;
};

FIXTURE_SETUP(hotplug)
{
	if (nr_online_cpus() < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "needs a second CPU that can go offline");
}

/* Whatever happened, the test machine gets its CPU back. */
FIXTURE_TEARDOWN(hotplug)
{
	write_online("1");
}

TEST_F(hotplug, cpu_offline_and_back_with_vm_alive)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_count);

	ASSERT_EQ(0, pin_to_cpu(1));
	vcpu_run_expect_sync(vcpu, 0);

	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, write_online("0"));
	vcpu_run_expect_sync(vcpu, 1);
	ASSERT_EQ(0, write_online("1"));

	/* The CPU came back while a VM existed: SVM must be on there. */
	ASSERT_EQ(0, pin_to_cpu(1));
	vcpu_run_expect_sync(vcpu, 2);
	vm_free(vm);
}

TEST_F(hotplug, cpu_back_before_first_vm)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;

	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, write_online("0"));
	ASSERT_EQ(0, write_online("1"));
	vm = vm_create_with_one_vcpu(&vcpu, guest_count);
	ASSERT_EQ(0, pin_to_cpu(1));
	vcpu_run_expect_sync(vcpu, 0);
	ASSERT_EQ(0, pin_to_cpu(0));
	vcpu_run_expect_sync(vcpu, 1);
	vm_free(vm);
}

TEST_HARNESS_MAIN
