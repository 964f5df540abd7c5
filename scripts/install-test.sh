#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check's installation checks, on the host, as TAP lines (like
# lint.sh): make install DESTDIR=... PREFIX=/usr gives exactly the file list
# of README.md ("Installing"), its DKMS tree builds vmw86.ko the way
# dkms.conf tells DKMS to, make uninstall removes every file again, and
# make deb builds both packages, which pass lintian and hold that same
# list. Exits 1 if any failed; the findings go to stderr. DKMS itself, with
# those packages in a Debian root, is scripts/dkms-test.sh's; the module it
# builds is loaded in the test machine (check.sh, la57 pass).
#
# usage: install-test.sh  (KDIR/KVER/BUILD as for the top-level Makefile)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BUILD=${BUILD:-$ROOT/build}
KVER=${KVER:-$("$ROOT/scripts/kernel-version.sh")}
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
VERSION=$(cat "$ROOT/VERSION")
cd "$ROOT" || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=SCRIPTDIR/host-tap.sh
. "$ROOT/scripts/host-tap.sh"

# README.md's list: the first word of each line starting with / between
# its two install-files markers, vmw86-VERSION with the tree's version,
# and DIR/** standing for every file git tracks in DIR.
documented() {
	local l dir
	sed -n '/<!-- install-files -->/,/<!-- \/install-files -->/p' README.md |
		grep '^/' | while IFS= read -r l; do
		l=${l%% *} l=${l//vmw86-VERSION/vmw86-$VERSION}
		if [[ $l == */'**' ]]; then
			dir=${l%/\*\*}
			git ls-files "${dir#/usr/src/vmw86-"$VERSION"/}" | sed "s|^|/usr/src/vmw86-$VERSION/|"
		else
			printf '%s\n' "$l"
		fi
	done | sort
}
documented >"$tmp/expected"
[[ -s $tmp/expected ]] || tap "README.md lists the installed files" "no list found"

dest=$tmp/root
out=$(make -s install DESTDIR="$dest" PREFIX=/usr 2>&1) ||
	tap "make install DESTDIR=... PREFIX=/usr" "$out"
(cd "$dest" 2>/dev/null && find . ! -type d -printf '/%P\n' | sort) >"$tmp/installed"
tap "make install DESTDIR=... PREFIX=/usr: the $(wc -l <"$tmp/expected") files of README.md" \
	"$(diff -u "$tmp/expected" "$tmp/installed" | tail -n +3)"

# Modes: the two programs executables, the rest read-only data.
bad=$(cd "$dest" 2>/dev/null && find . ! -type d ! -path ./usr/bin/vmw86-run ! -path ./usr/bin/vmw86-stat \
		! -perm 0644 -printf '%m /%P\n'
	for p in usr/bin/vmw86-run usr/bin/vmw86-stat; do
		[[ $(stat -c %a $p 2>/dev/null) == 755 ]] || echo "$p not mode 755"
		file -b $p | grep -q 'statically linked' || echo "$p not static"
	done)
tap "make install: modes 0755 for vmw86-run and vmw86-stat (static), 0644 for the rest" "$bad"

# As DKMS does: a copy of the source in $dkms_tree/NAME/VERSION/build and
# dkms.conf's MAKE[0] run there against the kernel's headers.
build=$tmp/dkms/vmw86/$VERSION/build
mkdir -p "$build" && cp -a "$dest/usr/src/vmw86-$VERSION/." "$build/"
out=$( (
	# shellcheck disable=SC2034 # dkms.conf reads them
	kernel_source_dir=$KDIR dkms_tree=$tmp/dkms
	# shellcheck disable=SC1091 # written by make install
	. "$build/dkms.conf" || exit 1
	cd "$build" || exit 1
	if ! eval "${MAKE[0]}" >/dev/null 2>"$tmp/dkms-build.log"; then
		cat "$tmp/dkms-build.log"
		exit 1
	fi
	ko=$build/${BUILT_MODULE_LOCATION[0]}${BUILT_MODULE_NAME[0]}.ko
	[[ $PACKAGE_NAME == vmw86 && $PACKAGE_VERSION == "$VERSION" && $AUTOINSTALL == yes ]] ||
		echo "dkms.conf: name $PACKAGE_NAME, version $PACKAGE_VERSION, AUTOINSTALL $AUTOINSTALL"
	info=$(modinfo -F version "$ko"; modinfo -F alias "$ko")
	for want in "$VERSION" devname:vmw86 char-major-10-248; do
		grep -qx -- "$want" <<<"$info" || echo "$ko: no '$want' in modinfo"
	done
) 2>&1)
tap "DKMS tree: dkms.conf's MAKE[0] builds vmw86.ko $VERSION for $KVER, with its devname alias" "$out"

out=$(make -s uninstall DESTDIR="$dest" PREFIX=/usr 2>&1; cd "$dest" && find . ! -type d -printf '/%P\n')
tap "make uninstall DESTDIR=... PREFIX=/usr: no file left" "$out"

out=$("$ROOT/scripts/deb.sh" 2>"$tmp/deb.err") || cat "$tmp/deb.err" >&2
debs=("$BUILD/deb/vmw86-dkms_${VERSION}_all.deb" "$BUILD/deb/vmw86-utils_${VERSION}_amd64.deb")
missing=$(for d in "${debs[@]}"; do [[ -f $d ]] || echo "no $d"; done)
tap "make deb: vmw86-dkms and vmw86-utils $VERSION" "$missing"
if [[ -z $missing && -f $BUILD/deb/lintian.log ]]; then
	printf '%s\n' "$out" | sed 's/^/# lintian: /'
	# deb.sh fails on any error or warning; overridden ones are "O:".
	tap "lintian: no error or warning ($(grep -c '^O:' "$BUILD/deb/lintian.log") overridden, with reasons)" \
		"$(grep -E '^[EW]:' "$BUILD/deb/lintian.log"; [[ -s $tmp/deb.err ]] && grep 'failed' "$tmp/deb.err")"
	# The packages ship make install's files, the man page compressed.
	for d in "${debs[@]}"; do dpkg-deb -c "$d"; done |
		awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' |
		grep -Ev "^/usr/share/(doc|lintian/overrides)/" | sed 's|\.1\.gz$|.1|' | sort >"$tmp/packaged"
	tap "the packages hold README.md's files, each once" \
		"$(diff -u "$tmp/expected" "$tmp/packaged" | tail -n +3)"
else
	tap "lintian" "not run: no packages"
	tap "the packages hold README.md's files" "not checked: no packages"
fi
exit "$failed"
