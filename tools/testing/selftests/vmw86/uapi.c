// SPDX-License-Identifier: GPL-2.0
/*
 * uapi: the ABI of include/uapi/linux/vmw86.h, at compile time and against
 * the running module.
 *
 * The header is included first and alone, so this file would not build if
 * it depended on anything but <linux/types.h> and <linux/ioctl.h>; the
 * static asserts pin every structure's size and the offsets user space
 * relies on (the run structure is shared memory: a moved field corrupts
 * silently). At run time it checks what the device fd reports (version,
 * capabilities, mmap size) and the errnos the header promises for bad
 * VMW86_CREATE_VM and VMW86_CREATE_VCPU arguments.
 */
#include <linux/vmw86.h>

#define LAYOUT(expr) _Static_assert(expr, #expr)
#define OFF(type, field) __builtin_offsetof(struct type, field)

LAYOUT(sizeof(struct vmw86_memory_region) == 32);
LAYOUT(OFF(vmw86_memory_region, guest_phys_addr) == 8);
LAYOUT(OFF(vmw86_memory_region, userspace_addr) == 24);
LAYOUT(sizeof(struct vmw86_regs) == 144);
LAYOUT(OFF(vmw86_regs, rip) == 128);
LAYOUT(sizeof(struct vmw86_segment) == 24);
LAYOUT(OFF(vmw86_segment, selector) == 12);
LAYOUT(OFF(vmw86_segment, unusable) == 22);
LAYOUT(sizeof(struct vmw86_dtable) == 16);
LAYOUT(sizeof(struct vmw86_sregs) == 280);
LAYOUT(OFF(vmw86_sregs, gdt) == 192);
LAYOUT(OFF(vmw86_sregs, cr0) == 224);
LAYOUT(OFF(vmw86_sregs, efer) == 264);
LAYOUT(sizeof(struct vmw86_msr_entry) == 16);
LAYOUT(sizeof(struct vmw86_msrs) == 8);
LAYOUT(OFF(vmw86_msrs, entries) == 8);
LAYOUT(sizeof(struct vmw86_cpuid_entry) == 40);
LAYOUT(sizeof(struct vmw86_cpuid) == 8);
LAYOUT(sizeof(struct vmw86_xsave) == 4096);
LAYOUT(sizeof(struct vmw86_run) == 416);
LAYOUT(OFF(vmw86_run, regs_dirty) == 1);
LAYOUT(OFF(vmw86_run, exit_reason) == 8);
LAYOUT(OFF(vmw86_run, regs) == 16);
LAYOUT(OFF(vmw86_run, io) == 160);
LAYOUT(OFF(vmw86_run, io.data_offset) == 168);
LAYOUT(OFF(vmw86_run, mmio.insn_len) == 172);
LAYOUT(OFF(vmw86_run, mmio.insn) == 176);
LAYOUT(OFF(vmw86_run, fail_entry.hardware_exit_reason) == 160);
LAYOUT(OFF(vmw86_run, internal.data) == 168);
LAYOUT(OFF(vmw86_run, shutdown.rip) == 160);
LAYOUT(OFF(vmw86_run, shutdown.cr3) == 168);
LAYOUT(OFF(vmw86_run, debug.exception) == 160);
LAYOUT(OFF(vmw86_run, debug.pc) == 168);
LAYOUT(OFF(vmw86_run, debug.dr7) == 184);
LAYOUT(sizeof(struct vmw86_guest_debug) == 72);
LAYOUT(OFF(vmw86_guest_debug, debugreg) == 8);
LAYOUT(VMW86_SET_GUEST_DEBUG ==
	_IOW(0xAF, 0xcc, struct vmw86_guest_debug));
LAYOUT(sizeof(struct vmw86_msi) == 32);
LAYOUT(OFF(vmw86_msi, data) == 8);
LAYOUT(VMW86_SIGNAL_MSI == _IOW(0xAF, 0xb3, struct vmw86_msi));
LAYOUT(VMW86_CREATE_LAPIC == _IO(0xAF, 0xb2));
LAYOUT(VMW86_SET_MEMORY_REGION ==
	_IOW(0xAF, 0xb0, struct vmw86_memory_region));
LAYOUT(_IOC_SIZE(VMW86_GET_SREGS) == 280);
LAYOUT(_IOC_SIZE(VMW86_GET_XSAVE) == 4096);
LAYOUT(_IOC_SIZE(VMW86_GET_MSRS) == 8);
LAYOUT(VMW86_GET_STATS_FD == _IO(0xAF, 0xcb));
LAYOUT(sizeof(struct vmw86_stats_header) == 24);
LAYOUT(OFF(vmw86_stats_header, data_offset) == 20);
LAYOUT(sizeof(struct vmw86_stats_desc) == 16);
LAYOUT(OFF(vmw86_stats_desc, exponent) == 4);
LAYOUT(OFF(vmw86_stats_desc, size) == 6);
LAYOUT(OFF(vmw86_stats_desc, offset) == 8);
LAYOUT(OFF(vmw86_stats_desc, name) == 16);
LAYOUT(VMW86_STATS_NAME_SIZE == 48);

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define VMW86_DEV "/dev/vmw86"

static int open_dev(struct __test_metadata *_metadata)
{
	int fd = open(VMW86_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", VMW86_DEV, strerror(errno));
	return fd;
}

TEST(api_version)
{
	int fd = open_dev(_metadata);

	EXPECT_EQ(VMW86_API_VERSION, ioctl(fd, VMW86_GET_API_VERSION, 0));
	close(fd);
}

TEST(capabilities)
{
	int fd = open_dev(_metadata);
	int bits;

	EXPECT_EQ(32, ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_NR_MEMSLOTS));
	EXPECT_EQ(64, ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_MAX_VCPUS));
	EXPECT_EQ(1, ioctl(fd, VMW86_CHECK_EXTENSION,
			   VMW86_CAP_READONLY_MEM));
	EXPECT_EQ(1, ioctl(fd, VMW86_CHECK_EXTENSION,
			   VMW86_CAP_IMMEDIATE_EXIT));
	EXPECT_EQ(1, ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_SYNC_REGS));
	EXPECT_EQ(1, ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_LAPIC));
	bits = ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_GUEST_PHYS_BITS);
	EXPECT_LE(32, bits);
	EXPECT_GE(52, bits);
	/* An unknown capability is absent, not an error. */
	EXPECT_EQ(0, ioctl(fd, VMW86_CHECK_EXTENSION, 0));
	EXPECT_EQ(0, ioctl(fd, VMW86_CHECK_EXTENSION, 0x7fff));
	close(fd);
}

/*
 * Who may open /dev/vmw86: the node is 0660 root:root (root:vmw86 with
 * scripts/udev/60-vmw86.rules); a user outside the group gets EACCES and
 * so cannot make a VM at all.
 */
TEST(device_access_control)
{
	struct stat st;
	pid_t pid;
	int status;

	ASSERT_EQ(0, stat(VMW86_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	if (getuid() != 0)
		SKIP(return, "needs root to become another user");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* nobody:nogroup, outside the device's group */
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		if (open(VMW86_DEV, O_RDWR) >= 0)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("2: could not drop privileges; 3: opened; 4: not EACCES");
}

TEST(vcpu_mmap_size)
{
	int fd = open_dev(_metadata);
	long page = sysconf(_SC_PAGESIZE);

	EXPECT_EQ(VMW86_RUN_PAGES * page,
		  ioctl(fd, VMW86_GET_VCPU_MMAP_SIZE, 0));
	close(fd);
}

TEST(create_vm_bad_arg)
{
	int fd = open_dev(_metadata);

	EXPECT_EQ(-1, ioctl(fd, VMW86_CREATE_VM, 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST(create_vm_is_cloexec)
{
	int fd = open_dev(_metadata);
	int vm = ioctl(fd, VMW86_CREATE_VM, 0);

	ASSERT_LE(0, vm) TH_LOG("VMW86_CREATE_VM: %s", strerror(errno));
	EXPECT_EQ(FD_CLOEXEC, fcntl(vm, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(vm, F_GETFL) & O_ACCMODE);
	close(vm);
	close(fd);
}

TEST(create_vcpu_ids)
{
	int fd = open_dev(_metadata);
	int vm = ioctl(fd, VMW86_CREATE_VM, 0);
	int v0, v63;

	ASSERT_LE(0, vm) TH_LOG("VMW86_CREATE_VM: %s", strerror(errno));
	v0 = ioctl(vm, VMW86_CREATE_VCPU, 0);
	EXPECT_LE(0, v0);
	v63 = ioctl(vm, VMW86_CREATE_VCPU, 63);
	EXPECT_LE(0, v63);

	EXPECT_EQ(-1, ioctl(vm, VMW86_CREATE_VCPU, 64));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm, VMW86_CREATE_VCPU, -1UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm, VMW86_CREATE_VCPU, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioctl(vm, VMW86_CREATE_VCPU, 63));
	EXPECT_EQ(EEXIST, errno);

	close(v0);
	close(v63);
	close(vm);
	close(fd);
}

TEST(get_supported_cpuid_e2big)
{
	int fd = open_dev(_metadata);
	struct vmw86_cpuid *cpuid;
	size_t size = sizeof(*cpuid) +
		      VMW86_MAX_CPUID_ENTRIES * sizeof(cpuid->entries[0]);
	__u32 needed;

	cpuid = calloc(1, size);
	ASSERT_NE(NULL, cpuid);
	cpuid->nent = 1;
	EXPECT_EQ(-1, ioctl(fd, VMW86_GET_SUPPORTED_CPUID, cpuid));
	EXPECT_EQ(E2BIG, errno);
	needed = cpuid->nent;
	EXPECT_LT(1, needed);
	EXPECT_GE(VMW86_MAX_CPUID_ENTRIES, needed);

	cpuid->nent = needed;
	EXPECT_EQ(0, ioctl(fd, VMW86_GET_SUPPORTED_CPUID, cpuid))
		TH_LOG("with nent %u: %s", needed, strerror(errno));
	EXPECT_EQ(needed, cpuid->nent);
	free(cpuid);
	close(fd);
}

TEST_HARNESS_MAIN
