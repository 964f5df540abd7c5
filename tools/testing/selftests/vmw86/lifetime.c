// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime: file descriptors and processes can go away in any order.
 *
 * The device, VM and vCPU fds are closed in all six orders; a vCPU whose
 * VM and device fds are already closed still runs (it holds its VM), and
 * the run mapping stays readable after every fd is closed. A child killed
 * with SIGKILL while its vCPU spins in the guest must die promptly and
 * leave nothing behind: the parent then creates and runs a new VM, which
 * fails if SVM state, ASIDs or VM bookkeeping leaked. A VM fd inherited
 * over fork() gets EIO in the child, and the parent's VM is unaffected.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

static volatile uint64_t stop;

static void guest_two_syncs(void)
{
	GUEST_SYNC(1);
	GUEST_SYNC(2);
}

enum { FD_DEV, FD_VM, FD_VCPU };

static void close_in_order(struct __test_metadata *_metadata, int a, int b,
			   int c)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_two_syncs);
	int order[3] = { a, b, c };
	bool vcpu_closed = false;

	vcpu_run_expect_sync(vcpu, 1);
	for (int i = 0; i < 3; i++) {
		switch (order[i]) {
		case FD_DEV:
			close(vm->dev_fd);
			vm->dev_fd = -1;
			break;
		case FD_VM:
			close(vm->fd);
			vm->fd = -1;
			break;
		case FD_VCPU:
			/* Last one standing: the vCPU still runs. */
			if (i == 2) {
				vcpu_run_expect_sync(vcpu, 2);
				vcpu_run_expect_done(vcpu);
			}
			close(vcpu->fd);
			vcpu->fd = -1;
			vcpu_closed = true;
			break;
		}
		/* The mapping outlives the fds. */
		EXPECT_EQ(VMW86_EXIT_IO, vcpu->run->exit_reason);
	}
	EXPECT_TRUE(vcpu_closed);
	vm_free(vm);	/* munmap()s the run structure and RAM */
}

TEST(close_dev_vm_vcpu)	{ close_in_order(_metadata, FD_DEV, FD_VM, FD_VCPU); }
TEST(close_dev_vcpu_vm)	{ close_in_order(_metadata, FD_DEV, FD_VCPU, FD_VM); }
TEST(close_vm_dev_vcpu)	{ close_in_order(_metadata, FD_VM, FD_DEV, FD_VCPU); }
TEST(close_vm_vcpu_dev)	{ close_in_order(_metadata, FD_VM, FD_VCPU, FD_DEV); }
TEST(close_vcpu_dev_vm)	{ close_in_order(_metadata, FD_VCPU, FD_DEV, FD_VM); }
TEST(close_vcpu_vm_dev)	{ close_in_order(_metadata, FD_VCPU, FD_VM, FD_DEV); }

TEST(unmap_run_before_close)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_two_syncs);
	struct vmw86_run *run;

	vcpu_run_expect_sync(vcpu, 1);
	ASSERT_EQ(0, munmap(vcpu->run, vcpu->run_size));
	/* Map it again: same shared page, same content. */
	run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	ASSERT_NE(MAP_FAILED, run);
	vcpu->run = run;
	EXPECT_EQ(VMW86_EXIT_IO, run->exit_reason);
	vcpu_run_expect_sync(vcpu, 2);
	vm_free(vm);
}

static void guest_spin_forever(void)
{
	GUEST_SYNC(1);
	for (;;)
		cpu_relax();
}

static void guest_done_now(void)
{
}

static void sigkill_round(struct __test_metadata *_metadata)
{
	int pipefd[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vmw86_vcpu *vcpu;
		struct vmw86_vm *vm;

		close(pipefd[0]);
		vm = vm_create_with_one_vcpu(&vcpu, guest_spin_forever);
		(void)vm;	/* lives until the SIGKILL */
		vcpu_run_expect_sync(vcpu, 1);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(3);
		__vcpu_run(vcpu);
		_exit(2);	/* RUN must not return */
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1)) TH_LOG("child failed early");
	close(pipefd[0]);
	usleep(200 * 1000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
}

TEST(sigkill_child_in_guest_then_new_vm)
{
	for (int i = 0; i < 3; i++) {
		struct vmw86_vcpu *vcpu;
		struct vmw86_vm *vm;

		sigkill_round(_metadata);
		vm = vm_create_with_one_vcpu(&vcpu, guest_done_now);
		vcpu_run_expect_done(vcpu);
		vm_free(vm);
	}
}

TEST(forked_child_gets_eio)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_two_syncs);
	int status;
	pid_t pid;

	vcpu_run_expect_sync(vcpu, 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fails = 0;
		void *mem = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (__vcpu_run(vcpu) != -1 || errno != EIO)
			fails |= 1;
		if (__vm_set_memory_region(vm, 5, 0, 0x40000000, PAGE_SIZE,
					   mem) != -1 || errno != EIO)
			fails |= 2;
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child: bit 0 RUN, bit 1 SET_MEMORY_REGION did not "
		       "fail with EIO");
	/* The parent's VM carries on where it was. */
	vcpu_run_expect_sync(vcpu, 2);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_spin_until_stop(void)
{
	while (!stop)
		cpu_relax();
	GUEST_SYNC(3);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

struct runner {
	struct vmw86_vcpu *vcpu;
	int ret, err;
};

static void *runner_thread(void *arg)
{
	struct runner *r = arg;

	r->ret = __vcpu_run(r->vcpu);
	r->err = errno;
	return NULL;
}

TEST(close_vm_fd_while_vcpu_runs)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_spin_until_stop);
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct runner r = { .vcpu = vcpu };
	pthread_t t;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, runner_thread, &r));
	usleep(200 * 1000);
	close(vm->fd);
	vm->fd = -1;
	close(vm->dev_fd);
	vm->dev_fd = -1;
	usleep(100 * 1000);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);

	*(uint64_t *)addr_gpa2hva(vm, (uint64_t)&stop) = 1;
	vcpu_run_expect_sync(vcpu, 3);
	vm_free(vm);
}

TEST_HARNESS_MAIN
