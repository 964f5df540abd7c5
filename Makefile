# SPDX-License-Identifier: GPL-2.0
#
# Top-level build for vmw86: the kernel module, the launcher, the selftests,
# and the test machine that runs them (see README.md).
#
# KDIR selects the kernel headers the module is built against. By default it
# is Debian's headers for the newest installed distribution kernel, which is
# also the kernel the test machine boots.

KVER ?= $(shell scripts/kernel-version.sh)
KDIR ?= /usr/src/linux-headers-$(KVER)
BUILD ?= $(CURDIR)/build

.PHONY: all module selftests check check-debug fuzz stress qemu run shell clean deps lint bench

all: module selftests

deps:
	scripts/deps.sh

# W=1 always: the module must stay clean under it (scripts/lint.sh).
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

lint:
	scripts/lint.sh

selftests:
	$(MAKE) -C tools/testing/selftests/vmw86 OUTPUT=$(BUILD)/selftests

check:
	scripts/check.sh

# The same suite on a debug kernel (KASAN, lockdep, kmemleak, ...) built from
# Debian's linux-source-6.1 and cached in $(BUILD)/debug-kernel; the first
# run builds it (about seven minutes on two cores).
check-debug:
	scripts/check-debug.sh

# make check's fuzzers for longer, one test machine boot per seed
# (scripts/fuzz.sh: VMW86_FUZZ_SEEDS, VMW86_FUZZ_SECONDS, VQFUZZ_ROUNDS).
fuzz:
	scripts/fuzz.sh

# The test machine booted again and again in the pattern it once stopped
# in, counting runs, wedges and failures (scripts/stress.sh:
# VMW86_STRESS_SECONDS, VMW86_STRESS_PASS, VMW86_STRESS_ROUNDS).
stress:
	scripts/stress.sh

# The test machine's QEMU, built from Debian's source with the patches in
# scripts/qemu/patches (done by every target that boots it, and cached).
qemu: deps
	scripts/qemu/build.sh

# vmw86 against KVM, side by side in one test machine boot: a table and a
# chart in bench/results/ (Documentation/virt/vmw86/performance.rst).
bench:
	scripts/bench.sh

# The main job (see README.md): Debian's kernel booted under vmw86 by
# vmw86-run, in the test machine, its shell on this terminal.
run: deps
	VMW86_MODE=run scripts/testvm/shell.sh

# The test machine itself at a shell, with vmw86.ko loaded and the tests.
shell: deps
	scripts/testvm/shell.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	rm -rf $(BUILD)
