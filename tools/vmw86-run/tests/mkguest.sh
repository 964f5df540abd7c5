#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkguest.sh OUT.cpio.gz INIT: the small guest initramfs that vmw86-run
# boots in its tests: a static busybox with a few applet links and INIT.
set -eu
out=$1 init=$2
bb=$(command -v busybox) || { echo "mkguest.sh: busybox not installed (busybox-static)" >&2; exit 1; }
if readelf -l "$bb" | grep -q 'program interpreter'; then
	echo "mkguest.sh: $bb is dynamically linked; install busybox-static" >&2
	exit 1
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/vmw86-guest.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys"
cp "$bb" "$root/bin/busybox"
for a in sh mount cat cut dd dmesg echo grep head nproc printf sed uname poweroff reboot; do
	ln -s busybox "$root/bin/$a"
done
install -m 0755 "$init" "$root/init"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --owner=0:0 --quiet) | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
