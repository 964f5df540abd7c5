#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test machine with vmw86.ko (loaded) and the test binaries, and give
# an interactive busybox shell on this terminal instead of running the tests.
# In it: "run-tests [NAME...]" runs tests as make check does; "exit" powers
# off; Ctrl-A x kills QEMU.
#
# Builds like make check (same environment: VMW86_KO, VMW86_SELFTESTS,
# VMW86_TESTS, VMW86_SMP, VMW86_MEM, VMW86_APPEND, VMW86_QEMU_ARGS, KVER,
# BUILD). VMW86_INSMOD=0 leaves the module unloaded. VMW86_MODE=run boots a
# Linux guest under vmw86-run instead (make run), its shell on this terminal.
set -euo pipefail

TESTVM_FLAVOR=shell
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
lock_build
resolve_kver
resolve_qemu
build_payload
pack_initramfs
exec 9>&- # QEMU reads the image at start; do not hold the lock for the session
exec "$ROOT/scripts/testvm/boot.sh" -i "$INITRD" "vmw86_mode=${VMW86_MODE:-shell}" \
	"vmw86_insmod=${VMW86_INSMOD:-1}" "vmw86_timeout=${VMW86_TEST_TIMEOUT:-300}"
