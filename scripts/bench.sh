#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench": measure vmw86 against Debian's KVM in one boot of the test
# machine (Documentation/virt/vmw86/performance.rst). Builds vmw86.ko,
# bench/vmw86-bench and vmw86-run, boots them with kvm-amd beside them and
# with QEMU (for the KVM side of the figures that boot a guest), and turns
# the console log into a table on this terminal, the same table in
# bench/results/<date>-<commit>.md and .csv, and a chart of the ratios
# vmw86/KVM in .png. Exit status 0 only for a clean run (no errors, a
# clean kernel log, the module unloaded).
#
# Environment:
#   VMW86_BENCH_ROUNDS  rounds, each measuring both hypervisors (default 7)
#   VMW86_BENCH_BOOT_ROUNDS  of those, how many also boot guests (figures
#                       4 to 6g, 8 and 9, tens of seconds a round; default 5)
#   VMW86_BENCH_ONLY    only these groups of figures, comma separated:
#                       io,cpuid,touch,thp,churn,alive,kmem,boot,disk,net,
#                       qemu
#                       (default all)
#   VMW86_BENCH_REV     build the module and vmw86-run from this git revision
#                       instead of the working tree (e.g. HEAD, or a commit
#                       to compare)
#   VMW86_BENCH_OUT     results directory (default bench/results)
#   VMW86_TIMEOUT       seconds for the whole test machine run (default 1700)
#   VMW86_KO, VMW86_SKIP_DEPS, VMW86_VERBOSE, KVER, BUILD   as for make check
#   VMW86_SMP (default 1 here), VMW86_MEM, VMW86_APPEND, VMW86_QEMU_ARGS
#                       the test machine's shape, as for make check
set -euo pipefail

# shellcheck source=SCRIPTDIR/testvm/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/testvm/common.sh"

# gnuplot draws the chart; make check does not need it.
[[ ${VMW86_SKIP_DEPS:-0} == 1 ]] || "$ROOT/scripts/deps.sh" gnuplot-nox
lock_build
resolve_kver
resolve_qemu

BDIR=$BUILD/bench
LOG=$BDIR/console.log
mkdir -p "$BDIR"
j=-j$(nproc)

# What is measured: the working tree, or the revision asked for. A result
# named after a commit whose module, launcher or benchmark sources were
# changed says "-dirty".
launcher_src=$ROOT/tools/vmw86-run
if [[ -n ${VMW86_KO:-} ]]; then
	KO=$VMW86_KO
	commit=$(git -C "$ROOT" rev-parse --short HEAD)-ko
elif [[ -n ${VMW86_BENCH_REV:-} ]]; then
	commit=$(git -C "$ROOT" rev-parse --short "$VMW86_BENCH_REV")
	src=$BDIR/src-$commit
	rm -rf "$src"
	mkdir -p "$src"
	# What the module and the launcher are built from, as far as that
	# revision has it (VERSION came later), with all of tools/: the
	# launcher's build reaches into tools/lib and tools/vmw86-stat.
	paths=()
	for p in Kbuild Makefile VERSION drivers include tools \
		 scripts/kernel-version.sh; do
		git -C "$ROOT" cat-file -e "$commit:$p" 2>/dev/null && paths+=("$p")
	done
	git -C "$ROOT" archive "$commit" "${paths[@]}" | tar -x -C "$src"
	make -C "$src" "$j" module
	KO=$src/drivers/vmw86/vmw86.ko
	launcher_src=$src/tools/vmw86-run
else
	commit=$(git -C "$ROOT" rev-parse --short HEAD)
	git -C "$ROOT" diff --quiet HEAD -- Kbuild drivers include tools/vmw86-run \
		tools/lib tools/vmw86-stat bench ||
		commit=$commit-dirty
	make -C "$ROOT" "$j" module
	KO=$ROOT/drivers/vmw86/vmw86.ko
fi
make -C "$ROOT/bench" "$j" OUTPUT="$BDIR"
# The launcher in a directory of its own: make check's stays as it is.
RDIR=$BDIR/vmw86-run
make -C "$launcher_src" "$j" OUTPUT="$RDIR"

# The test machine's initramfs as make check packs it, with vmw86-run and
# the guest kernel (-r) but only vmw86-bench to run (-s), then a second
# archive, which the kernel unpacks over the first: figure 5's program and
# the guests' initramfs images (figures 4 to 6g, 8's with a disk, 9's with
# a NIC) in /tests, and QEMU for the KVM side of figures 4 to 9, the host's
# own binary with the shared objects ldd names at the same paths and the
# two firmware files its microvm machine loads (seen with strace: qboot as
# bios-microvm.bin, and linuxboot_dma.bin for -kernel).
INITRD=$TESTVM_DIR/bench-initramfs.cpio.gz
mkdir -p "$TESTVM_DIR"
"$ROOT/scripts/testvm/mkinitramfs.sh" -o "$INITRD" -k "$KO" -t "$BDIR" -r "$RDIR" -s vmw86-bench
extra=$(mktemp -d "${TMPDIR:-/tmp}/vmw86-bench-extra.XXXXXX")
trap 'rm -rf "$extra"' EXIT
mkdir -p "$extra/tests" "$extra/usr/bin" "$extra/usr/share/qemu"
install -m 0755 "$BDIR/vmw86-bench-compute" "$extra/tests/"
install -m 0644 "$BDIR/bench-guest.cpio.gz" "$BDIR/bench-disk-guest.cpio.gz" \
	"$BDIR/bench-net-guest.cpio.gz" "$extra/tests/"
qemu_bin=$(command -v qemu-system-x86_64)
cp -L "$qemu_bin" "$extra/usr/bin/qemu-system-x86_64"
for f in bios-microvm.bin linuxboot_dma.bin; do
	cp -L "/usr/share/qemu/$f" "$extra/usr/share/qemu/$f"
done
# copy_libs BIN: the shared objects ldd names for BIN, at the same paths.
copy_libs() {
	ldd "$1" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' |
		while read -r lib; do
			mkdir -p "$extra$(dirname "$lib")"
			cp -L "$lib" "$extra$lib"
		done
}
copy_libs "$qemu_bin"
# Figures 10a and 10b: vmw86's build of QEMU (-accel vmw86 and kvm), as
# make check builds it (VMW86_QEMU_ACCEL=0: not measured), beside Debian's,
# with the firmware of its pc machine.
build_qemu_accel
if [[ -n $QDIR ]]; then
	cp -L "$QDIR/qemu-system-x86_64" "$extra/usr/bin/qemu-system-x86_64-vmw86"
	cp -L /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
		"$extra/usr/share/qemu/"
	copy_libs "$QDIR/qemu-system-x86_64"
fi
(cd "$extra" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -n -6 >>"$INITRD"

# The test machine's init runs run_list (here: vmw86-bench alone) exactly as
# for make check, with the same kernel log and unload checks afterwards.
# One CPU: the figures are single-threaded, and a second vCPU thread of
# QEMU would compete with the first for the host's cores.
rounds=${VMW86_BENCH_ROUNDS:-7}
smp=${VMW86_SMP:-1}
params=(vmw86_mode=check "vmw86_bench_rounds=$rounds")
[[ -z ${VMW86_BENCH_BOOT_ROUNDS:-} ]] ||
	params+=("vmw86_bench_boot_rounds=$VMW86_BENCH_BOOT_ROUNDS")
[[ -z ${VMW86_BENCH_ONLY:-} ]] || params+=("vmw86_bench_only=$VMW86_BENCH_ONLY")
timeout_s=${VMW86_TIMEOUT:-1700}

echo "bench.sh: booting the test machine (kernel $KVER, $smp CPU(s)," \
	"$rounds rounds, limit ${timeout_s}s); console: $LOG"
SECONDS=0
set +e
VMW86_SMP=$smp timeout --foreground -k 10 "$timeout_s" \
	"$ROOT/scripts/testvm/boot.sh" "$INITRD" "${params[@]}" </dev/null 2>&1 |
	tee "$LOG" |
	while IFS= read -r l; do
		l=${l%$'\r'}
		if [[ ${VMW86_VERBOSE:-0} == 1 ]]; then
			printf '%s\n' "$l"
		elif [[ $l =~ VMW86-(INIT|KVM|WARN|RESULT|BENCH\ (round|error|note)) ]]; then
			printf '[%4ds] %s\n' "$SECONDS" "${l#*VMW86-}"
		fi
	done
qemu_rc=${PIPESTATUS[0]}
set -e
exec 9>&-
echo "bench.sh: test machine ran ${SECONDS}s (QEMU exit $qemu_rc; 1 is a normal end)"

out=${VMW86_BENCH_OUT:-$ROOT/bench/results}
mkdir -p "$out"
base=$out/$(date +%Y-%m-%d)-$commit
qemu="$("$VMW86_QEMU" --version | head -n 1) (the project's build, scripts/qemu/build.sh)"
cpu=$(grep -m1 'VMW86-CPU' "$LOG" | tr -d '\r' | sed 's/.*VMW86-CPU //' || true)
meta="commit: $commit ($(git -C "$ROOT" log -1 --format=%s "${commit%%-*}"))"
meta+="|test machine: $qemu, -cpu max (TCG), $smp CPU(s), ${VMW86_MEM:-2G}, kernel $KVER${VMW86_APPEND:+ $VMW86_APPEND}"
meta+="|its CPU: ${cpu:-unknown}"
meta+="|host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

echo
set +e
awk -v md="$base.md" -v csv="$base.csv" -v dat="$BDIR/ratios.dat" \
	-v title="vmw86 / KVM, $(date +%Y-%m-%d) $commit" -v meta="$meta" \
	-f "$ROOT/bench/report.awk" "$LOG"
clean=$?
set -e
files=$base.md,$base.csv
if [[ -s $BDIR/ratios.dat ]]; then
	files+=",$base.png"
	gnuplot -e "dat='$BDIR/ratios.dat'; png='$base.png'; title='vmw86 / KVM ($(date +%Y-%m-%d) $commit): ratio of medians, range of rounds'" \
		"$ROOT/bench/ratios.gp"
fi
echo
echo "bench.sh: results in $files"
exit "$clean"
