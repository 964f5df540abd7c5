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

.PHONY: all module selftests check run clean deps lint

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

# An interactive test machine with vmw86.ko loaded (see README.md).
run:
	scripts/testvm/shell.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	rm -rf $(BUILD)
