// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_turns: vmw86 and Debian's kvm-amd take turns on one machine.
 *
 * Both hypervisors own EFER.SVME (and the host save area) while they have
 * VMs. Each must refuse to start while the other holds SVM - vmw86 with
 * EBUSY from VMW86_CREATE_VM, KVM with EBUSY from KVM_CREATE_VM - instead
 * of silently sharing it (which corrupts the other's host state), and
 * each must hand SVM back when its last VM closes so the other works
 * again. A tiny real-mode KVM guest (OUT, then HLT) shows KVM really runs.
 * Skipped when /dev/kvm is absent.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define KVM_DEV		"/dev/kvm"
#define KVM_MEM_SIZE	0x10000
#define KVM_CODE_GPA	0x1000

struct kvm_vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	void *mem;
};

static int open_kvm(void)
{
	return open(KVM_DEV, O_RDWR | O_CLOEXEC);
}

/* Real mode: mov $0x42, %al; out %al, $0x10; hlt. */
static const uint8_t kvm_guest_code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };

/*
 * KVM's own tiny guest: map the code, create vCPU 0, run to the OUT and the
 * HLT. Returns NULL, or what went wrong.
 */
static const char *kvm_vm_run_tiny_guest(struct kvm_vm *k)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = KVM_MEM_SIZE,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = KVM_CODE_GPA, .rflags = 2 };

	k->mem = mmap(NULL, KVM_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (k->mem == MAP_FAILED) {
		k->mem = NULL;
		return "mmap of guest memory failed";
	}
	memcpy((char *)k->mem + KVM_CODE_GPA, kvm_guest_code,
	       sizeof(kvm_guest_code));
	region.userspace_addr = (uint64_t)k->mem;
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		return "KVM_SET_USER_MEMORY_REGION failed";
	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0)
		return "KVM_CREATE_VCPU failed";
	k->run_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return "mmap of kvm_run failed";
	}
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &sregs))
		return "KVM_GET_SREGS failed";
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &sregs) ||
	    ioctl(k->vcpu_fd, KVM_SET_REGS, &regs))
		return "KVM_SET_SREGS/REGS failed";
	if (ioctl(k->vcpu_fd, KVM_RUN, 0) || k->run->exit_reason != KVM_EXIT_IO ||
	    k->run->io.port != 0x10 ||
	    k->run->io.direction != KVM_EXIT_IO_OUT ||
	    *((uint8_t *)k->run + k->run->io.data_offset) != 0x42)
		return "first exit is not OUT 0x42 to port 0x10";
	if (ioctl(k->vcpu_fd, KVM_RUN, 0) || k->run->exit_reason != KVM_EXIT_HLT)
		return "second exit is not HLT";
	return NULL;
}

static void kvm_vm_close(struct kvm_vm *k)
{
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	close(k->vm_fd);
	close(k->kvm_fd);
	if (k->mem)
		munmap(k->mem, KVM_MEM_SIZE);
}

/*
 * What KVM's guest did instead: the exit, where the guest was, and what the
 * code page holds as user space sees it. Right bytes with a wrong exit mean
 * the guest read other memory than the page it was given (the stale memory
 * of scripts/qemu/patches/0002-*.patch looked like that).
 */
static void kvm_vm_log_exit(struct __test_metadata *_metadata,
			    struct kvm_vm *k)
{
	const uint8_t *code = k->mem ? (uint8_t *)k->mem + KVM_CODE_GPA : NULL;
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (k->run)
		TH_LOG("exit_reason %u; io: direction %u size %u port 0x%x count %u",
		       k->run->exit_reason, k->run->io.direction, k->run->io.size,
		       k->run->io.port, k->run->io.count);
	if (k->vcpu_fd >= 0 && !ioctl(k->vcpu_fd, KVM_GET_REGS, &regs) &&
	    !ioctl(k->vcpu_fd, KVM_GET_SREGS, &sregs))
		TH_LOG("guest cs 0x%x (base 0x%llx) rip 0x%llx rax 0x%llx rdx 0x%llx cr0 0x%llx",
		       sregs.cs.selector, (unsigned long long)sregs.cs.base,
		       (unsigned long long)regs.rip, (unsigned long long)regs.rax,
		       (unsigned long long)regs.rdx, (unsigned long long)sregs.cr0);
	if (code)
		TH_LOG("code page at GPA 0x%x: %02x %02x %02x %02x %02x",
		       KVM_CODE_GPA, code[0], code[1], code[2], code[3], code[4]);
}

/*
 * A KVM VM whose tiny guest ran correctly: KVM works after vmw86 held SVM
 * and let it go. There is no retry: the stale memory KVM's guest used to
 * read on the two-CPU test machine was QEMU's (see
 * scripts/qemu/patches/0002-*.patch), and a KVM that fails once here has
 * been left broken.
 */
static void kvm_vm_create_and_run(struct __test_metadata *_metadata,
				  struct kvm_vm *k, int kvm_fd)
{
	const char *why;

	*k = (struct kvm_vm){ .kvm_fd = kvm_fd, .vcpu_fd = -1 };
	k->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	ASSERT_LE(0, k->vm_fd) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	why = kvm_vm_run_tiny_guest(k);
	if (why)
		kvm_vm_log_exit(_metadata, k);
	ASSERT_EQ(NULL, why) TH_LOG("KVM's guest: %s", why);
}

static void guest_hello(void)
{
	GUEST_SYNC(0x4e110);
}

static void run_vmw86_guest(void)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hello);

	vcpu_run_expect_sync(vcpu, 0x4e110);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST(take_turns)
{
	struct kvm_vm k = { .vcpu_fd = -1 };
	struct vmw86_vm *vm;
	int kvm_fd, dev_fd, ret;

	kvm_fd = open_kvm();
	if (kvm_fd < 0)
		SKIP(return, "%s: %s (kvm-amd not loaded)", KVM_DEV,
		     strerror(errno));

	/* 1. vmw86 holds SVM: KVM must refuse. */
	vm = vm_create();
	errno = 0;
	ret = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, errno) TH_LOG("KVM_CREATE_VM with a vmw86 VM open: "
				       "ret %d errno %d (%s)", ret, errno,
				       strerror(errno));
	if (ret >= 0)
		close(ret);
	/* vmw86 itself is unaffected. */
	{
		struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_hello);

		vcpu_run_expect_sync(vcpu, 0x4e110);
	}
	vm_free(vm);

	/* 2. vmw86 let go: KVM runs a guest, and vmw86 must refuse. */
	kvm_vm_create_and_run(_metadata, &k, kvm_fd);

	dev_fd = open_vmw86_dev();
	errno = 0;
	ret = ioctl(dev_fd, VMW86_CREATE_VM, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, errno) TH_LOG("VMW86_CREATE_VM with a KVM VM open: "
				       "ret %d errno %d (%s)", ret, errno,
				       strerror(errno));
	if (ret >= 0)
		close(ret);
	/* KVM is unaffected. */
	{
		struct kvm_regs regs = { .rip = KVM_CODE_GPA, .rflags = 2 };

		ASSERT_EQ(0, ioctl(k.vcpu_fd, KVM_SET_REGS, &regs));
		ASSERT_EQ(0, ioctl(k.vcpu_fd, KVM_RUN, 0));
		EXPECT_EQ(KVM_EXIT_IO, k.run->exit_reason);
	}
	kvm_vm_close(&k);

	/* 3. KVM let go: vmw86 works again. */
	ret = ioctl(dev_fd, VMW86_CREATE_VM, 0);
	EXPECT_LE(0, ret) TH_LOG("VMW86_CREATE_VM after KVM closed its VM: %s",
				 strerror(errno));
	if (ret >= 0)
		close(ret);
	close(dev_fd);
	run_vmw86_guest();

	/* 4. And KVM once more. */
	kvm_fd = open_kvm();
	ASSERT_LE(0, kvm_fd);
	kvm_vm_create_and_run(_metadata, &k, kvm_fd);
	kvm_vm_close(&k);
}

TEST_HARNESS_MAIN
