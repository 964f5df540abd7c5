// SPDX-License-Identifier: GPL-2.0
/*
 * many: many VMs and vCPUs at once stay separate.
 *
 * Sixteen VMs with four vCPUs each are all alive at the same time; every
 * vCPU reports its own id and its VM's tag (a value written only into that
 * VM's memory), so vCPUs mixed up between VMs, or VMs sharing memory or
 * nested page tables, show up as a wrong report. Then vCPUs run
 * concurrently from their own threads, each exiting hundreds of times, to
 * shake out locking and per-CPU state problems in the world switch; and a
 * second thread calling VMW86_RUN on a vCPU that is already running gets
 * EBUSY.
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define NR_VMS		16
#define NR_VCPUS	4
#define ITERATIONS	200

static volatile uint64_t vm_tag;

static void guest_report(uint64_t id, uint64_t iterations)
{
	for (uint64_t i = 0; i < iterations; i++)
		GUEST_SYNC3(id, vm_tag, i);
}

static void expect_report(struct vmw86_vcpu *vcpu, uint64_t tag, uint64_t i)
{
	struct ucall uc;
	uint64_t cmd = vcpu_run_ucall(vcpu, &uc);

	TEST_ASSERT(cmd == UCALL_SYNC, "vCPU %u: ucall %lu", vcpu->id, cmd);
	TEST_ASSERT(uc.args[0] == vcpu->id && uc.args[1] == tag &&
		    uc.args[2] == i,
		    "vCPU %u of VM tag 0x%lx iteration %lu reported id %lu "
		    "tag 0x%lx iteration %lu", vcpu->id, tag, i, uc.args[0],
		    uc.args[1], uc.args[2]);
}

static struct vmw86_vm *create_tagged_vm(uint64_t tag, int nr_vcpus,
					 uint64_t iterations)
{
	struct vmw86_vm *vm = vm_create();

	*(uint64_t *)addr_gpa2hva(vm, (uint64_t)&vm_tag) = tag;
	for (int v = 0; v < nr_vcpus; v++) {
		/* Sparse ids: 0, 21, 42, 63. */
		struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, v * 21, guest_report);

		vcpu_args_set(vcpu, 2, (uint64_t)vcpu->id, iterations);
	}
	return vm;
}

FIXTURE(many)
{
};

FIXTURE_SETUP(many)
{
}

FIXTURE_TEARDOWN(many)
{
}

TEST_F_TIMEOUT(many, vms_and_vcpus_alive_together, 120)
{
	struct vmw86_vm *vms[NR_VMS];

	for (int i = 0; i < NR_VMS; i++)
		vms[i] = create_tagged_vm(0x7a900 + i, NR_VCPUS, 3);

	/* Interleave: every vCPU of every VM, round by round. */
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < NR_VMS; i++)
			for (int v = 0; v < VM_MAX_VCPUS; v++)
				if (vms[i]->vcpus[v])
					expect_report(vms[i]->vcpus[v],
						      0x7a900 + i, round);
	for (int i = 0; i < NR_VMS; i++) {
		for (int v = 0; v < VM_MAX_VCPUS; v++)
			if (vms[i]->vcpus[v])
				vcpu_run_expect_done(vms[i]->vcpus[v]);
		vm_free(vms[i]);
	}
}

struct vcpu_job {
	struct vmw86_vcpu *vcpu;
	uint64_t tag;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_job *job = arg;

	for (uint64_t i = 0; i < ITERATIONS; i++)
		expect_report(job->vcpu, job->tag, i);
	vcpu_run_expect_done(job->vcpu);
	return NULL;
}

TEST_F_TIMEOUT(many, concurrent_vcpu_threads, 240)
{
	enum { VMS = 4 };
	struct vmw86_vm *vms[VMS];
	struct vcpu_job jobs[VMS * NR_VCPUS];
	pthread_t threads[VMS * NR_VCPUS];
	int n = 0;

	for (int i = 0; i < VMS; i++) {
		vms[i] = create_tagged_vm(0xc0c0 + i, NR_VCPUS, ITERATIONS);
		for (int v = 0; v < VM_MAX_VCPUS; v++) {
			if (!vms[i]->vcpus[v])
				continue;
			jobs[n] = (struct vcpu_job){ vms[i]->vcpus[v],
						     0xc0c0 + i };
			n++;
		}
	}
	for (int t = 0; t < n; t++)
		ASSERT_EQ(0, pthread_create(&threads[t], NULL, vcpu_thread,
					    &jobs[t]));
	for (int t = 0; t < n; t++)
		ASSERT_EQ(0, pthread_join(threads[t], NULL));
	for (int i = 0; i < VMS; i++)
		vm_free(vms[i]);
}

static volatile uint64_t stop;

static void guest_spin(void)
{
	while (!stop)
		cpu_relax();
	GUEST_SYNC(7);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

struct runner {
	struct vmw86_vcpu *vcpu;
	int ret, err;
	volatile int started;
};

static void *runner_thread(void *arg)
{
	struct runner *r = arg;

	r->started = 1;
	r->ret = __vcpu_run(r->vcpu);
	r->err = errno;
	return NULL;
}

TEST_F_TIMEOUT(many, second_runner_gets_ebusy, 60)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct runner r = { .vcpu = vcpu };
	pthread_t t;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, runner_thread, &r));
	while (!r.started)
		usleep(1000);
	usleep(300 * 1000);	/* let it enter the guest */

	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EBUSY, errno);

	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);

	*(uint64_t *)addr_gpa2hva(vm, (uint64_t)&stop) = 1;
	vcpu_run_expect_sync(vcpu, 7);
	vm_free(vm);
}

TEST_HARNESS_MAIN
