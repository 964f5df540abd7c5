# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by scripts/check.sh and scripts/testvm/shell.sh: find or build what
# goes into the test machine and pack it, the same way for both.
#
# Environment:
#   KVER              kernel to build against and boot (default: newest with headers)
#   BUILD             build directory (default: <repo>/build)
#   VMW86_KO          use this vmw86.ko instead of running "make module"
#   VMW86_SELFTESTS   use this directory (binaries + run_list) instead of
#                     running "make selftests" and using $BUILD/selftests
#   VMW86_RUN_BUILD   use this vmw86-run build directory (launcher, its tests,
#                     run_list, guest initramfs) instead of building it into
#                     $BUILD/vmw86-run
#   VMW86_TESTS       only these binaries of run_list ("a b" or "a,b")
#   VMW86_REPEAT_TESTS, VMW86_REPEAT   run these (of those packed) this many
#                     more times after the rest (scripts/stress.sh)
#   VMW86_QEMU        the test machine's emulator (default: scripts/qemu/build.sh)
#   VMW86_QEMU_ACCEL=0  build_qemu_accel: leave QEMU's -accel vmw86 and its
#                     test out of the test machine
#   DKMS_KO, DKMS_TESTS   pack_initramfs: also this DKMS-built vmw86.ko and
#                     copies of these selftests to run against it after the
#                     suite (check.sh's la57 pass)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export BUILD
TESTVM_DIR=$BUILD/testvm
# shell.sh passes "shell": its image must not change under a running check.
INITRD=$TESTVM_DIR/${TESTVM_FLAVOR:-check}-initramfs.cpio.gz
RUN_LIST=$TESTVM_DIR/${TESTVM_FLAVOR:-check}-run_list

# One build and test machine run at a time per build directory: people and
# tools share a working tree, and two runs would mix their console logs.
# VMW86_BUILD_LOCKED=1: the caller holds the lock already (on fd 9, which
# this process inherited), as scripts/check-debug.sh does.
lock_build() {
	[[ ${VMW86_BUILD_LOCKED:-0} == 1 ]] && return
	mkdir -p "$BUILD"
	exec 9>"$BUILD/.testvm.lock"
	if ! flock -n 9; then
		echo "waiting for another make check / shell.sh using $BUILD ..." >&2
		flock 9
	fi
}

resolve_kver() {
	KVER=${KVER:-$("$ROOT/scripts/kernel-version.sh")} ||
		{ echo "no /boot/vmlinuz-*-amd64 with matching /usr/src/linux-headers-*" >&2; return 1; }
	export KVER
}

# The test machine's emulator: VMW86_QEMU if given, else the project's own
# QEMU (scripts/qemu/build.sh builds it once and caches it).
resolve_qemu() {
	VMW86_QEMU=${VMW86_QEMU:-$("$ROOT/scripts/qemu/build.sh")} || return
	export VMW86_QEMU
}

# Build (unless given prebuilt) the module, the test binaries and the
# launcher with its tests; sets KO, TDIR, RDIR.
build_payload() {
	# An explicit -j: a jobserver inherited from "make check" is not passed on.
	local j
	j=-j$(nproc)
	if [[ -n ${VMW86_KO:-} ]]; then
		KO=$VMW86_KO
	else
		make -C "$ROOT" "$j" module
		KO=$ROOT/drivers/vmw86/vmw86.ko
	fi
	if [[ -n ${VMW86_SELFTESTS:-} ]]; then
		TDIR=$VMW86_SELFTESTS
	else
		make -C "$ROOT" "$j" selftests
		TDIR=$BUILD/selftests
	fi
	if [[ -n ${VMW86_RUN_BUILD:-} ]]; then
		RDIR=$VMW86_RUN_BUILD
	else
		make -C "$ROOT/tools/vmw86-run" "$j" OUTPUT="$BUILD/vmw86-run"
		RDIR=$BUILD/vmw86-run
	fi
}

# QEMU with -accel vmw86 (VMW86_QEMU_FLAVOUR=accel scripts/qemu/build.sh,
# tools/qemu/), to run inside the test machine with its test: its binary
# without debug information, tools/qemu/tests/ and their run_list in
# $BUILD/qemu-accel; sets QDIR (empty with VMW86_QEMU_ACCEL=0).
build_qemu_accel() {
	local bin
	QDIR=
	[[ ${VMW86_QEMU_ACCEL:-1} == 1 ]] || return 0
	bin=$(VMW86_QEMU_FLAVOUR=accel "$ROOT/scripts/qemu/build.sh") || return
	QDIR=$BUILD/qemu-accel
	mkdir -p "$QDIR"
	if [[ ! -x $QDIR/qemu-system-x86_64 || $bin -nt $QDIR/qemu-system-x86_64 ]]; then
		strip --strip-debug -o "$QDIR/qemu-system-x86_64.tmp" "$bin"
		mv "$QDIR/qemu-system-x86_64.tmp" "$QDIR/qemu-system-x86_64"
	fi
	install -m 0755 "$ROOT/tools/qemu/tests/qemu_accel.sh" "$QDIR/qemu_accel"
	# Its dev boots' guest: the shell guest with the guest kernel's
	# drivers for QEMU's virtio-blk-pci, AHCI and e1000 (each before the
	# bus that probes its devices), loaded by the test; made again when
	# what makes it changed.
	local mk=$ROOT/tools/vmw86-run/tests/mkguest.sh init=$ROOT/tools/vmw86-run/tests/guest-shell-init
	local guest=$QDIR/guest-devices.cpio.gz
	if [[ ! $guest -nt $mk || ! $guest -nt $init || ! $guest -nt ${BASH_SOURCE[0]} ]]; then
		"$mk" -m "virtio_blk sd_mod ahci e1000 virtio_pci" "$guest" "$init" || return
	fi
	install -m 0644 "$ROOT/tools/qemu/tests/grub.cfg" "$QDIR/grub.cfg"
	# Six refusals, twenty boots to the shell (1, 2 and 4 vCPUs, q35, gdb,
	# -cpu host and EPYC, QEMU's disks and NIC, the ISO through SeaBIOS and
	# OVMF) and four of resets, under vmw86 and KVM: its own pass, 824 s
	# in the test machine in a fresh-clone make check on two idle cores.
	echo "qemu_accel 1500" >"$QDIR/run_list"
}

pack_initramfs() {
	mkdir -p "$TESTVM_DIR"
	"$ROOT/scripts/testvm/mkinitramfs.sh" -o "$INITRD" -k "$KO" -t "$TDIR" -r "$RDIR" \
		${QDIR:+-q "$QDIR"} \
		-s "${VMW86_TESTS:-}" -l "$RUN_LIST" \
		${VMW86_REPEAT_TESTS:+-R "$VMW86_REPEAT_TESTS" -n "${VMW86_REPEAT:-1}"} \
		${DKMS_KO:+-d "$DKMS_KO" -e "$DKMS_TESTS"} "$@"
}
