// SPDX-License-Identifier: GPL-2.0
/*
 * nosvm: a host whose CPU has no SVM, as a user without one meets vmw86
 * once it is installed (README, "On a real AMD host"). make check runs it
 * alone, in a test machine booted with "-cpu max,-svm" (check.sh's nosvm
 * pass), after init has tried "insmod vmw86.ko" and made /dev/vmw86 from
 * modules.devname as "kmod static-nodes" does at boot. The module is not
 * loaded; opening the node makes misc_open() request "char-major-10-248",
 * the load fails again, and the open must fail with ENODEV, never hang or
 * succeed (main.c, "The module loads on first use"):
 *
 * - static_node: /dev/vmw86 is the character device 10:248 that
 *   modules.devname names, so the first open reaches misc_open();
 * - open_gives_enodev: O_RDWR and O_RDONLY opens fail with ENODEV, each
 *   time (a failed load leaves nothing half registered), and vmw86 is
 *   still not loaded afterwards;
 * - no_module_sysfs: /sys/module/vmw86 does not exist.
 *
 * Whether the kernel really asked modprobe for the module, and what the
 * failed loads logged, init checks (nosvm_autoload, nosvm_load_message).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define VMW86_DEV	"/dev/vmw86"
#define MISC_MAJOR	10
#define VMW86_MINOR	248	/* drivers/vmw86/main.c */

static int module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/vmw86", &st) == 0;
}

TEST(static_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(VMW86_DEV, &st)) {
		TH_LOG("%s: %s (init makes it from modules.devname)",
		       VMW86_DEV, strerror(errno));
	}
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
	EXPECT_EQ(VMW86_MINOR, minor(st.st_rdev));
}

TEST(open_gives_enodev)
{
	static const int flags[] = { O_RDWR, O_RDONLY, O_RDWR };
	unsigned int i;
	int fd;

	ASSERT_FALSE(module_loaded());
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		errno = 0;
		fd = open(VMW86_DEV, flags[i] | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(-1, fd) {
			TH_LOG("open %d of %s succeeded without SVM", i, VMW86_DEV);
		}
		EXPECT_EQ(ENODEV, errno) {
			TH_LOG("open %d: %s, not ENODEV", i, strerror(errno));
		}
	}
	EXPECT_FALSE(module_loaded());
}

TEST(no_module_sysfs)
{
	struct stat st;

	errno = 0;
	EXPECT_EQ(-1, stat("/sys/module/vmw86", &st));
	EXPECT_EQ(ENOENT, errno);
}

TEST_HARNESS_MAIN
