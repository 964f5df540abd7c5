#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the debug test machine's kernel for make check-debug: Debian's
# linux-source-6.1 with allnoconfig plus scripts/debug-kernel.config (KASAN,
# lockdep, kmemleak, ...), its modules (kvm, kvm-amd) installed beside it.
# The result is cached under $BUILD/debug-kernel/<key>, the key a hash of the
# config fragment, the source package's version, the compiler and this
# recipe, so a second run reuses it. Prints that directory, which holds:
#   obj/                         the kernel build tree (KDIR for M= builds)
#   obj/arch/x86/boot/bzImage    the image the test machine boots
#   modroot/lib/modules/<rel>/   its modules and modules.dep
#   kernelrelease                <rel>, what uname -r says there
#   build.log                    the build's output
#
# The build is slow (about seven minutes on two otherwise idle cores) and shares the machine:
# it runs under nice -n 19 with VMW86_DEBUG_JOBS jobs (default 2), bounded by
# VMW86_DEBUG_BUILD_TIMEOUT seconds (default 7200), one at a time per BUILD.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TARBALL=/usr/src/linux-source-6.1.tar.xz
FRAGMENT=$ROOT/scripts/debug-kernel.config
# Bump when the steps below change what gets built.
RECIPE=1
DK=$BUILD/debug-kernel
die() { echo "debug-kernel.sh: $*" >&2; exit 1; }

[[ -r $TARBALL ]] || die "$TARBALL missing (package linux-source-6.1; make deps)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "package linux-source-6.1 not installed"
key=$( {
	echo "recipe $RECIPE source $srcver"
	gcc --version | head -n 1
	cat "$FRAGMENT"
} | sha256sum | cut -c1-16)
out=$DK/$key
src=$DK/src-$srcver

mkdir -p "$DK"
exec 8>"$DK/.lock"
if ! flock -n 8; then
	echo "debug-kernel.sh: waiting for another build of the debug kernel ..." >&2
	flock 8
fi

if [[ -f $out/.done ]]; then
	echo "debug-kernel.sh: reusing $out ($(cat "$out/kernelrelease"))" >&2
	printf '%s\n' "$out"
	exit 0
fi

if [[ ! -f $src/.unpacked ]]; then
	echo "debug-kernel.sh: unpacking $TARBALL ($srcver)" >&2
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$TARBALL" -C "$src" --strip-components=1
	touch "$src/.unpacked"
fi

rm -rf "$out"
mkdir -p "$out/obj"
log=$out/build.log
kmake() {
	nice -n 19 make -C "$src" O="$out/obj" ARCH=x86_64 "$@"
}

# allnoconfig with the fragment as its "all" values, then the defaults of
# whatever the fragment's options pulled in.
echo "debug-kernel.sh: configuring $out/obj" >&2
cp "$FRAGMENT" "$out/fragment.config"
{
	kmake KCONFIG_ALLCONFIG="$out/fragment.config" allnoconfig
	kmake olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configuration failed (see $log)"; }

# Every requested value must have survived: a missing dependency must not
# quietly give a kernel without, say, KASAN.
lost=$(grep -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "$FRAGMENT" |
	while IFS= read -r want; do
		if [[ $want == \#* ]]; then
			opt=${want#\# }
			opt=${opt%% *}
			! grep -q "^$opt=" "$out/obj/.config" || echo "$want"
		else
			grep -qxF -- "$want" "$out/obj/.config" || echo "$want"
		fi
	done)
[[ -z $lost ]] || die "not in the final .config (a dependency missing?):"$'\n'"$lost"

jobs=${VMW86_DEBUG_JOBS:-2}
limit=${VMW86_DEBUG_BUILD_TIMEOUT:-7200}
echo "debug-kernel.sh: building bzImage and modules (nice 19, -j$jobs, at most ${limit}s; log $log)" >&2
SECONDS=0
if ! timeout -k 30 "$limit" nice -n 19 make -C "$src" O="$out/obj" ARCH=x86_64 -j"$jobs" \
	bzImage modules >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "build failed or took over ${limit}s (see $log)"
fi
kmake INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "modules_install failed (see $log)"; }
cp "$out/obj/include/config/kernel.release" "$out/kernelrelease"
echo "debug-kernel.sh: built $(cat "$out/kernelrelease") in ${SECONDS}s" | tee -a "$log" >&2
touch "$out/.done"
ln -sfn "$key" "$DK/current"
printf '%s\n' "$out"
