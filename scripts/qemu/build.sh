#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the project's own QEMU for the test machine from Debian's source
# package, with the patches in scripts/qemu/patches/ (each says why), and
# print the path of its qemu-system-x86_64 on stdout.
#
# Why our own: the test machine runs nested SVM under QEMU's software
# emulation, and Debian's 7.2 loses SVM state there between its vCPU
# threads: interrupt requests (patches/0001-*.patch) and the first CPU's
# hflags2 (patches/0002-*.patch; design.rst, Testing); it also lost a CPUID
# leaf without SVM (0003) and let INT3 escape the #BP intercept that guest
# debugging's breakpoints rely on (0004). A build of our own also
# carries debug information, so that scripts/testvm/wedge.sh can read the
# emulated CPU's hidden state (GIF, guest mode, pending interrupt requests)
# with gdb when a test machine stops; Debian's debug-symbol archive cannot
# be had here.
#
# VMW86_QEMU_FLAVOUR=accel builds the other QEMU, the -accel vmw86
# front-end (tools/qemu/, README.md): the same source and patches, then
# tools/qemu/patches/ (the glue), tools/qemu/'s own files copied into the
# tree (the accelerator, target/i386/vmw86/) with the uapi header
# (linux-headers/linux/vmw86.h, from include/uapi/linux/vmw86.h) and the
# MMIO decoder the launcher shares (tools/lib/vmw86/), configured with
# vmw86 and KVM (the peer it is compared with), and with user networking
# (libslirp) for its guests' NICs. It has a cache directory
# of its own (<version>-accel-<hash>), so the test machine's QEMU is
# neither rebuilt nor changed by it; the copied files are not in the key:
# when they change, the next run copies them and ninja rebuilds what
# depends on them.
#
# The build is cached outside the clone, keyed by the Debian source version,
# the configure line and the patches' hash, in
#   ${VMW86_CACHE:-/var/cache/vmw86}/qemu/<version>-<hash>/
# so a fresh clone builds it once per machine (about 6 minutes on 2 cores)
# and reuses it afterwards. Source and build trees are kept there too (gdb
# reads the source; about 550 MB a build); other builds are left alone.
#
# Environment: VMW86_CACHE (cache root), VMW86_QEMU_SRC_VERSION (the Debian
# version of "qemu" to build; default: that of the installed
# qemu-system-x86, so the firmware in /usr/share/qemu matches),
# VMW86_QEMU_PATCHES (a directory of patches to apply instead of ours; an
# empty one builds Debian's QEMU as it is, with debug information, which is
# how make stress measures the unpatched emulator).
# Needs root for apt (scripts/deps.sh installs the build packages).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${VMW86_CACHE:-/var/cache/vmw86}
log() { echo "qemu/build.sh: $*" >&2; }

# Debian's archive serves source packages to apt once a deb-src line is
# present. The project keeps its own sources file and lists, so the
# system's apt configuration is never edited.
aptdir=$cache/apt
apt_opts=(-o "Dir::Etc::SourceList=$aptdir/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$aptdir/lists")
mkdir -p "$aptdir/lists/partial"
cat >"$aptdir/sources.list.new" <<'EOF'
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
EOF
mv "$aptdir/sources.list.new" "$aptdir/sources.list"

version=${VMW86_QEMU_SRC_VERSION:-$(dpkg-query -W -f='${source:Version}' qemu-system-x86)}
[[ -n $version ]] || { log "qemu-system-x86 is not installed (scripts/deps.sh)"; exit 1; }

# One configure line for every use: only the x86_64 system emulator, TCG,
# and what the test machine's command line needs (boot.sh). Debug info on,
# optimised as usual, so that gdb can read a running test machine.
config=(--target-list=x86_64-softmmu --without-default-features
	--enable-tcg --enable-fdt=system --enable-debug-info
	--disable-docs --disable-werror --disable-user)

mapfile -t patches < <(find "${VMW86_QEMU_PATCHES:-$here/patches}" -name '*.patch' | sort)
flavour=${VMW86_QEMU_FLAVOUR:-test}
tag=''
case $flavour in
test) ;;
accel)
	tree=$(cd "$here/../.." && pwd)
	# slirp: -netdev user, for the guest's NIC in qemu_accel (only here,
	# so that the test machine's QEMU keeps its key).
	config+=(--enable-vmw86 --enable-kvm --enable-slirp)
	mapfile -t -O "${#patches[@]}" patches < <(find "$tree/tools/qemu/patches" -name '*.patch' | sort)
	tag=-accel
	;;
*) log "VMW86_QEMU_FLAVOUR=$flavour: 'test' or 'accel'"; exit 2 ;;
esac
key=$( { printf '%s\n' "$version" "${config[@]}"; cat "${patches[@]}"; } |
	sha256sum | cut -c1-12)
dest=$cache/qemu/${version//[:+~]/_}$tag-$key
bin=$dest/build/qemu-system-x86_64

# accel: the files copied into the source tree, as "SOURCE DEST" lines.
overlay_list() {
	local f
	(cd "$tree/tools/qemu" && find target include -type f | sort) |
		while read -r f; do echo "$tree/tools/qemu/$f $f"; done
	echo "$tree/include/uapi/linux/vmw86.h linux-headers/linux/vmw86.h"
	for f in "$tree"/tools/lib/vmw86/*.[ch]; do
		echo "$f target/i386/vmw86/$(basename "$f")"
	done
}
overlay_hash() {
	overlay_list | while read -r from to; do echo "$to"; cat "$from"; done |
		sha256sum | cut -c1-12
}
# Copy what changed (unchanged files keep their times, so ninja rebuilds
# only what depends on the others).
overlay_copy() {
	local from to
	overlay_list | while read -r from to; do
		cmp -s "$from" "$dest/src/$to" && continue
		mkdir -p "$(dirname "$dest/src/$to")"
		cp "$from" "$dest/src/$to"
	done
}
done_stamp() {
	if [[ $flavour == accel ]]; then overlay_hash; else echo; fi
}

if [[ -x $bin && -e $dest/.complete && $(cat "$dest/.complete") == "$(done_stamp)" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache/qemu"
exec 8>"$cache/qemu/.lock"
flock 8
if [[ -x $bin && -e $dest/.complete && $(cat "$dest/.complete") == "$(done_stamp)" ]]; then
	echo "$bin"
	exit 0
fi
# accel, configured before: the copied files changed (or the last build
# failed on them); rebuild what they touch.
if [[ $flavour == accel && -e $dest/build/build.ninja ]]; then
	log "rebuilding $dest with the tools/qemu files as they are now"
	overlay_copy
	nice -n 19 ninja -C "$dest/build" -j"$(nproc)" qemu-system-x86_64 >"$dest/build/ninja.log" 2>&1 ||
		{ tail -n 30 "$dest/build/ninja.log" >&2; log "build failed"; exit 1; }
	done_stamp >"$dest/.complete"
	echo "$bin"
	exit 0
fi

log "building QEMU $version with ${#patches[@]} patch(es) into $dest"
rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"
if ! apt-get "${apt_opts[@]}" source --download-only -q "qemu=$version" >&2 2>/dev/null; then
	apt-get "${apt_opts[@]}" update -q >&2
	apt-get "${apt_opts[@]}" source --download-only -q "qemu=$version" >&2
fi
# dpkg-source applies Debian's own patch series; ours go on top.
dpkg-source -x --no-check ./*.dsc src >&2
for p in "${patches[@]}"; do
	log "applying $(basename "$p")"
	patch -d src -p1 --forward --quiet <"$p" >&2
done
[[ $flavour != accel ]] || overlay_copy
mkdir build
cd build
../src/configure "${config[@]}" >configure.log 2>&1 ||
	{ tail -n 30 configure.log >&2; log "configure failed"; exit 1; }
log "compiling (ninja, $(nproc) jobs; log in $dest/build/ninja.log)"
ninja -j"$(nproc)" qemu-system-x86_64 >ninja.log 2>&1 ||
	{ tail -n 30 ninja.log >&2; log "build failed"; exit 1; }
done_stamp >"$dest/.complete"
echo "$bin"
