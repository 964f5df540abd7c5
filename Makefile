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

.PHONY: all module selftests check check-debug fuzz stress qemu run shell clean deps lint bench \
	launcher install uninstall deb vmw86-stat

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

# vmw86-stat alone (static): the counters of a running launcher.
vmw86-stat:
	$(MAKE) -C tools/vmw86-stat OUTPUT=$(BUILD)/vmw86-stat

# The launcher alone (static), without its tests and their guests.
launcher:
	$(MAKE) -C tools/vmw86-run OUTPUT=$(BUILD)/vmw86-run $(BUILD)/vmw86-run/vmw86-run

# make install / uninstall: the launcher, vmw86-stat and their man pages under PREFIX, the
# udev rule and the sysusers.d entry for group vmw86 where udev and
# systemd-sysusers look under PREFIX, and the module's source with a
# dkms.conf in /usr/src/vmw86-VERSION (DKMS looks nowhere else, whatever
# PREFIX). README.md ("Installing") lists every file; make check compares
# (scripts/install-test.sh). Packages use PREFIX=/usr (make deb).
VERSION := $(shell cat $(CURDIR)/VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DKMSDIR := /usr/src/vmw86-$(VERSION)
# What DKMS needs to build vmw86.ko: the Kbuild files, the module's sources
# (kbuild's generated *.mod.c left out) and the uapi header.
MODULE_FILES := Kbuild VERSION drivers/vmw86/Kbuild include/uapi/linux/vmw86.h \
	$(filter-out %.mod.c,$(sort $(wildcard drivers/vmw86/*.[chS] drivers/vmw86/svm/*.[chS])))
MODULE_DIRS := drivers/vmw86/svm drivers/vmw86 drivers include/uapi/linux include/uapi include

install: launcher vmw86-stat
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BUILD)/vmw86-run/vmw86-run $(DESTDIR)$(BINDIR)/vmw86-run
	install -m 0644 tools/vmw86-run/vmw86-run.1 $(DESTDIR)$(MANDIR)/man1/vmw86-run.1
	install -m 0755 $(BUILD)/vmw86-stat/vmw86-stat $(DESTDIR)$(BINDIR)/vmw86-stat
	install -m 0644 tools/vmw86-stat/vmw86-stat.1 $(DESTDIR)$(MANDIR)/man1/vmw86-stat.1
	install -m 0644 scripts/udev/60-vmw86.rules $(DESTDIR)$(UDEVRULESDIR)/60-vmw86.rules
	install -m 0644 scripts/sysusers.d/vmw86.conf $(DESTDIR)$(SYSUSERSDIR)/vmw86.conf
	for f in $(MODULE_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit 1; \
	done
	sed 's/@VERSION@/$(VERSION)/g' scripts/dkms/dkms.conf.in > $(DESTDIR)$(DKMSDIR)/dkms.conf
	chmod 0644 $(DESTDIR)$(DKMSDIR)/dkms.conf
	@[ -n "$(DESTDIR)" ] || echo "make install: now, as root: systemd-sysusers vmw86.conf;" \
		"udevadm control --reload; dkms install vmw86/$(VERSION)" >&2

# The Debian packages vmw86-dkms and vmw86-utils, from debian/, checked with
# lintian: build/deb/ (scripts/deb.sh).
deb:
	scripts/deb.sh

# Leaves the shared directories (bin, man1, rules.d, ...) as they were.
# After "dkms install", run "dkms remove vmw86/VERSION --all" first.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmw86-run $(DESTDIR)$(MANDIR)/man1/vmw86-run.1 \
		$(DESTDIR)$(BINDIR)/vmw86-stat $(DESTDIR)$(MANDIR)/man1/vmw86-stat.1 \
		$(DESTDIR)$(UDEVRULESDIR)/60-vmw86.rules $(DESTDIR)$(SYSUSERSDIR)/vmw86.conf \
		$(DESTDIR)$(DKMSDIR)/dkms.conf $(addprefix $(DESTDIR)$(DKMSDIR)/,$(MODULE_FILES))
	for d in $(MODULE_DIRS); do \
		[ ! -d $(DESTDIR)$(DKMSDIR)/$$d ] || rmdir $(DESTDIR)$(DKMSDIR)/$$d || exit 1; \
	done
	[ ! -d $(DESTDIR)$(DKMSDIR) ] || rmdir $(DESTDIR)$(DKMSDIR)

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
# scripts/qemu/patches (done by every target that boots it, and cached),
# and QEMU with -accel vmw86 (tools/qemu/; make check builds it too).
qemu: deps
	scripts/qemu/build.sh
	VMW86_QEMU_FLAVOUR=accel scripts/qemu/build.sh

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
