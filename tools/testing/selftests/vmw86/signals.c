// SPDX-License-Identifier: GPL-2.0
/*
 * signals: a vCPU thread stays killable and interruptible.
 *
 * A guest spinning forever never exits by itself, so VMW86_RUN must notice
 * a pending signal and return EINTR with VMW86_EXIT_INTR (a handler
 * installed without SA_RESTART sees it), both for a timer signal to the
 * vCPU's own thread and for pthread_kill() from another thread; the guest
 * must then resume where it was. run->immediate_exit makes VMW86_RUN
 * return EINTR without entering the guest at all (RIP unchanged, no guest
 * side effect), the building block of a race-free kick.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

static volatile uint64_t stop_spinning;
static volatile uint64_t spins;
static volatile sig_atomic_t got_signal;

static void handler(int sig)
{
	(void)sig;
	got_signal++;
}

static void install(struct __test_metadata *_metadata, int sig)
{
	struct sigaction sa = { .sa_handler = handler };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART */
	ASSERT_EQ(0, sigaction(sig, &sa, NULL));
}

static void guest_spin(void)
{
	while (!stop_spinning)
		spins++;
	GUEST_SYNC(0x5109);
}

/* After EINTR: the guest made progress and resumes to completion. */
static void finish_spin(struct __test_metadata *_metadata,
			struct vmw86_vm *vm, struct vmw86_vcpu *vcpu)
{
	uint64_t *stop = addr_gpa2hva(vm, (uint64_t)&stop_spinning);
	uint64_t *count = addr_gpa2hva(vm, (uint64_t)&spins);

	EXPECT_LT(0, *count);
	*stop = 1;
	vcpu_run_expect_sync(vcpu, 0x5109);
	vcpu_run_expect_done(vcpu);
}

TEST(alarm_interrupts_spinning_guest)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);

	install(_metadata, SIGALRM);
	got_signal = 0;
	alarm(1);
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(VMW86_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_EQ(1, got_signal);
	finish_spin(_metadata, vm, vcpu);
	vm_free(vm);
}

TEST(itimer_interrupts_repeatedly)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	struct itimerval it = {
		.it_interval = { .tv_usec = 50000 },
		.it_value = { .tv_usec = 50000 },
	};
	struct itimerval off = { 0 };

	install(_metadata, SIGALRM);
	got_signal = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (int i = 0; i < 5; i++) {
		EXPECT_EQ(-1, __vcpu_run(vcpu));
		EXPECT_EQ(EINTR, errno);
		EXPECT_EQ(VMW86_EXIT_INTR, vcpu->run->exit_reason);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	EXPECT_LE(5, got_signal);
	finish_spin(_metadata, vm, vcpu);
	vm_free(vm);
}

struct kicker {
	pthread_t target;
	int sig;
};

static void *kick_thread(void *arg)
{
	struct kicker *k = arg;

	usleep(300 * 1000);
	pthread_kill(k->target, k->sig);
	return NULL;
}

TEST(pthread_kill_interrupts_spinning_guest)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	struct kicker k = { .target = pthread_self(), .sig = SIGUSR1 };
	pthread_t t;

	install(_metadata, SIGUSR1);
	got_signal = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, kick_thread, &k));
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(VMW86_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_EQ(1, got_signal);
	pthread_join(t, NULL);
	finish_spin(_metadata, vm, vcpu);
	vm_free(vm);
}

static void guest_count(void)
{
	spins++;
	GUEST_SYNC(spins);
}

TEST(immediate_exit)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_count);
	uint64_t *count = addr_gpa2hva(vm, (uint64_t)&spins);
	struct vmw86_regs before;

	ASSERT_EQ(1, vmw86_check_cap(vm->dev_fd, VMW86_CAP_IMMEDIATE_EXIT));
	*count = 0;
	vcpu_regs_get(vcpu, &before);
	for (int i = 0; i < 3; i++) {
		vcpu->run->immediate_exit = 1;
		EXPECT_EQ(-1, __vcpu_run(vcpu));
		EXPECT_EQ(EINTR, errno);
		EXPECT_EQ(VMW86_EXIT_INTR, vcpu->run->exit_reason);
		EXPECT_EQ(before.rip, vcpu->run->regs.rip);
		EXPECT_EQ(0, *count);
	}
	vcpu->run->immediate_exit = 0;
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
