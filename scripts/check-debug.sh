#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check-debug": the suite of make check on a debug kernel. The test
# machine boots a kernel built from Debian's linux-source-6.1 with KASAN,
# lockdep (PROVE_LOCKING), kmemleak, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, debug
# objects and KFENCE (scripts/debug-kernel.config; built once and cached by
# scripts/debug-kernel.sh), with vmw86.ko built against that kernel and kvm
# and kvm-amd from the same build. vmw86-run's tests still boot Debian's
# kernel as their guest. Everything else is scripts/check.sh: the same
# verdict line "N passed, N failed", plus the harness check "kmemleak"
# (objects vmw86 allocated and never freed, after the tests and after rmmod).
#
# Environment, besides check.sh's:
#   VMW86_PASSES          default "la57" (the whole suite on two CPUs with
#                         5-level paging)
#   VMW86_TIMEOUT         seconds per test machine boot (default 5400)
#   VMW86_TIMEOUT_SCALE   factor on every test's own timeout (default 4)
#   VMW86_SKIP_TESTS      default vmw86_run_shell: it asserts that its guest
#                         runs the test machine's own kernel (uname -r), and
#                         here the guest is Debian's; the debug kernel as
#                         the guest took over 19 minutes in vmw86_run_boot
#                         without finishing, against 92 s for Debian's.
#                         VMW86_SKIP_TESTS= runs it (and fails that check).
#   VMW86_GUEST_KERNEL    the image vmw86-run's tests boot (default Debian's)
# Console logs: build/testvm-console-debug-<pass>.log.
#   VMW86_DEBUG_JOBS, VMW86_DEBUG_BUILD_TIMEOUT   see scripts/debug-kernel.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export BUILD

verdict=0
# shellcheck disable=SC2317 # only reached through the trap
on_exit() {
	local rc=$?
	((verdict)) && return
	echo "check-debug.sh: failed before the tests ran (exit $rc)" >&2
	echo "0 passed, 1 failed"
}
trap on_exit EXIT

# The kernel build's own needs on top of make check's.
[[ ${VMW86_SKIP_DEPS:-0} == 1 ]] || "$ROOT/scripts/deps.sh" flex bison libelf-dev

dk=$("$ROOT/scripts/debug-kernel.sh")
rel=$(cat "$dk/kernelrelease")
guest=/boot/vmlinuz-$("$ROOT/scripts/kernel-version.sh")

# vmw86.ko for the debug kernel, built from a copy of the sources: the
# objects in drivers/vmw86 belong to make module (Debian's headers). Under
# the test machine lock, taken here for check.sh too: the module must come
# from the same tree as the test binaries check.sh builds.
# shellcheck source=SCRIPTDIR/testvm/common.sh
. "$ROOT/scripts/testvm/common.sh"
lock_build
export VMW86_BUILD_LOCKED=1
mod=$BUILD/debug-module
rm -rf "$mod"
mkdir -p "$mod"
tar -C "$ROOT" -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='*.order' --exclude='*.a' --exclude=Module.symvers \
	Kbuild drivers include | tar -C "$mod" -xf -
echo "check-debug.sh: building vmw86.ko against $rel ($dk/obj)"
# -g: the module's DWARF maps a splat's vmw86 frames to lines (the packed
# copy is stripped; this one stays in $mod for scripts/faddr2line).
make -C "$dk/obj" M="$mod" W=1 KCFLAGS=-g -j2 modules

verdict=1 # check.sh prints the verdict from here on
export KVER=$rel
export VMW86_KERNEL_IMAGE=$dk/obj/arch/x86/boot/bzImage
export VMW86_MODDIR=$dk/modroot/lib/modules/$rel
export VMW86_GUEST_KERNEL=${VMW86_GUEST_KERNEL:-$guest}
export VMW86_KO=$mod/drivers/vmw86/vmw86.ko
export VMW86_SKIP_DEPS=1 VMW86_SKIP_LINT=1
# QEMU's -accel vmw86 boots the test machine's kernel as its guest, which
# is the debug kernel here: its test (qemu_accel) is make check's.
export VMW86_QEMU_ACCEL=${VMW86_QEMU_ACCEL:-0}
export VMW86_PASSES=${VMW86_PASSES:-la57}
export VMW86_SKIP_TESTS=${VMW86_SKIP_TESTS-vmw86_run_shell}
export VMW86_LOG_TAG=debug
export VMW86_TIMEOUT=${VMW86_TIMEOUT:-5400}
# Its console falls silent as much longer as its tests take.
export VMW86_WEDGE_SECONDS=${VMW86_WEDGE_SECONDS:-$((180 * ${VMW86_TIMEOUT_SCALE:-4}))}
export VMW86_APPEND="vmw86_kmemleak=1 vmw86_timeout_scale=${VMW86_TIMEOUT_SCALE:-4} ${VMW86_APPEND:-}"
exec "$ROOT/scripts/check.sh"
