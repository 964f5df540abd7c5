#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# gdb-minimal.sh: prints the path of Debian's gdb-minimal binary (gdb
# without Python, small) for the test machine, where vmw86_run_gdb debugs
# a guest of vmw86-run with it. The package is not installed: it conflicts
# with package gdb, which the host keeps for scripts/testvm/wedge.sh. So it
# is fetched once with "apt-get download" (Debian's archive, apt's own
# configuration) and unpacked with dpkg-deb into
#   ${VMW86_CACHE:-/var/cache/vmw86}/gdb-minimal/<version>/root/
# keyed by the version apt offers, and taken from there after. Its shared
# objects are the host's (the same as package gdb's, which deps.sh
# installs): mkinitramfs.sh packs them with ldd, as for any binary.
set -euo pipefail

die() { echo "gdb-minimal.sh: $*" >&2; exit 1; }

ver=$(apt-cache policy gdb-minimal 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
[[ -n $ver && $ver != "(none)" ]] || die "apt knows no package gdb-minimal (apt-get update?)"
dir=${VMW86_CACHE:-/var/cache/vmw86}/gdb-minimal/$ver
if [[ ! -x $dir/root/usr/bin/gdb ]]; then
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	# As root, apt's download sandbox user (_apt) cannot write here.
	(cd "$dir.tmp" && apt-get download -q -o APT::Sandbox::User=root "gdb-minimal=$ver") >&2 ||
		die "apt-get download gdb-minimal=$ver failed"
	dpkg-deb -x "$dir.tmp"/gdb-minimal_*.deb "$dir.tmp/root" ||
		die "dpkg-deb could not unpack gdb-minimal $ver"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi
echo "$dir/root/usr/bin/gdb"
