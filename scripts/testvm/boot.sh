#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test machine: Debian's own kernel with the given initramfs, under
# QEMU software emulation. Always TCG, never the host's KVM: the tests need
# SVM from "-cpu max", which only TCG offers on every host (KVM on an Intel
# host has none).
#
# usage: boot.sh [-i] INITRD [KERNEL-PARAM...]
#   -i  interactive: serial console and QEMU monitor on this terminal
#       (Ctrl-A x quits, Ctrl-A c toggles the monitor)
# Without -i the console goes to stdout and stdin is ignored.
# Environment: VMW86_QEMU (the emulator: the project's own build, made by
# scripts/qemu/build.sh, which says why), KVER, VMW86_CPU (the -cpu model,
# max: "max,-svm" is a host without SVM), VMW86_SMP (2), VMW86_MEM
# (2G), VMW86_APPEND (extra kernel parameters, e.g. "no5lvl"),
# VMW86_QEMU_ARGS (extra QEMU arguments), VMW86_KERNEL_IMAGE (boot this
# image instead of /boot/vmlinuz-$KVER: the debug kernel of make
# check-debug; KVER is then its release),
# VMW86_MONITOR (a QEMU monitor on this Unix socket) and VMW86_PIDFILE
# (QEMU's PID goes there), for scripts/testvm/wedge.sh; VMW86_TSC_RELIABLE
# (1: see tsc=reliable below).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
interactive=0
if [[ ${1:-} == -i ]]; then
	interactive=1
	shift
fi
initrd=${1:?usage: boot.sh [-i] INITRD [KERNEL-PARAM...]}
shift
KVER=${KVER:-$("$here/../kernel-version.sh")}
kernel=${VMW86_KERNEL_IMAGE:-/boot/vmlinuz-$KVER}
[[ -r $kernel ]] || { echo "boot.sh: $kernel not readable" >&2; exit 1; }

# quiet: only errors reach the console while tests print; init dumps the
# full kernel log itself. panic=-1 + -no-reboot: a panic ends QEMU at once.
# tsc=reliable: the test machine keeps time with its TSC, not the HPET.
# Linux takes an AMD CPU's TSCs for unsynchronized when there are two or
# more and CPUID has no invariant TSC (unsynchronized_tsc() in
# arch/x86/kernel/tsc.c), as under TCG's -cpu max, and falls back to the
# HPET: then every clock read of the test machine's kernel, and every
# clock_gettime() of its programs (the vDSO cannot read an HPET), is an
# MMIO access emulated by QEMU's HPET under QEMU's global lock, from both
# CPUs at once; both were once caught looping in read_hpet() inside timer
# interrupts (design.rst, after "The two-CPU failures"). TCG's TSC is
# one counter for the whole machine, read under a lock and never going
# backwards (cpu_get_ticks() in QEMU's softmmu/cpu-timers.c), so every CPU
# sees one TSC: what tsc=reliable tells Linux, which then also leaves out
# its TSC watchdog.
# VMW86_TSC_RELIABLE=0 leaves it out.
tsc=''
[[ ${VMW86_TSC_RELIABLE:-1} == 1 ]] && tsc=tsc=reliable
append="console=ttyS0 quiet panic=-1${tsc:+ $tsc} $* ${VMW86_APPEND:-}"

serial=stdio
((interactive)) && serial=mon:stdio
# -nodefaults: no NIC, VGA, etc. to probe; isa-debug-exit lets init end the
# run with an exit status (outb c to 0xf4 -> QEMU exits (c << 1) | 1).
# shellcheck disable=SC2086 # VMW86_QEMU_ARGS is a word list on purpose
# -L: the project's QEMU is built without firmware; Debian's packages
# (qemu-system-data, seabios) have it, for either binary.
exec "${VMW86_QEMU:-qemu-system-x86_64}" -L /usr/share/qemu -L /usr/share/seabios \
	-machine q35 -accel "tcg,thread=${VMW86_TCG_THREAD:-multi}" -cpu "${VMW86_CPU:-max}" \
	-m "${VMW86_MEM:-2G}" -smp "${VMW86_SMP:-2}" \
	-nodefaults -no-user-config -display none -no-reboot \
	-serial "$serial" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	${VMW86_MONITOR:+-monitor "unix:$VMW86_MONITOR,server,nowait"} \
	${VMW86_PIDFILE:+-pidfile "$VMW86_PIDFILE"} \
	${VMW86_QEMU_ARGS:-}
