#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check's DKMS checks, on the host, as TAP lines (like install-test.sh):
# the packages of make deb, installed with dpkg into a throwaway Debian 12
# root (scripts/debroot.sh: debootstrap, dkms and the headers of the kernel
# the test machine boots, cached), build vmw86.ko there through DKMS, from
# their /usr/src/vmw86-VERSION, as they would on a user's machine; the source
# DKMS built from is the tree's; and purging the packages removes the module
# and its DKMS tree again. Everything runs in that root, with chroot: the
# host's own /lib/modules, dkms and depmod are never touched, and nothing is
# loaded.
#
# The module DKMS built is left in $BUILD/dkms/vmw86.ko, which check.sh
# loads in the test machine after the suite (a selftest runs against it
# there); a failed or skipped build leaves none, and check.sh counts that as
# a failure. Exits 1 if any check failed; the findings go to stderr.
#
# usage: dkms-test.sh  (KVER/BUILD as for the top-level Makefile;
#                       VMW86_TREE_KO: the tree's vmw86.ko, whose srcversion
#                       the DKMS one must have; default drivers/vmw86/vmw86.ko)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BUILD=${BUILD:-$ROOT/build}
KVER=${KVER:-$("$ROOT/scripts/kernel-version.sh")}
export KVER
VERSION=$(cat "$ROOT/VERSION")
TREE_KO=${VMW86_TREE_KO:-$ROOT/drivers/vmw86/vmw86.ko}
OUT=$BUILD/dkms
root=$OUT/root
ko=$OUT/vmw86.ko new=$OUT/vmw86.new.ko
cd "$ROOT" || exit 1

# shellcheck source=SCRIPTDIR/host-tap.sh
. "$ROOT/scripts/host-tap.sh"

# The root is thrown away whatever happens; /proc is unmounted first, and
# if that fails the root is left alone rather than removed through it.
cleanup() {
	if mountpoint -q "$root/proc" && ! umount "$root/proc"; then
		echo "dkms-test.sh: could not unmount $root/proc; $root left" >&2
		return
	fi
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
mkdir -p "$OUT"
rm -f "$ko" "$new"
cleanup

# In the root, with its own /proc (dpkg and dkms want it), as a user's
# shell would run it; output to $OUT/dkms-test.log.
in_root() {
	echo "# chroot: $*" >>"$OUT/dkms-test.log"
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@" >>"$OUT/dkms-test.log" 2>&1
}
: >"$OUT/dkms-test.log"

SECONDS=0
tar=$("$ROOT/scripts/debroot.sh" 2>"$OUT/debroot.err")
rc=$?
tap "a Debian 12 root with dkms and linux-headers-$KVER (scripts/debroot.sh, ${SECONDS}s)" \
	"$( ((rc == 0)) || { tail -n 20 "$OUT/debroot.err"; echo "debroot.sh: exit $rc"; })"
((rc == 0)) || exit 1
echo "# debroot: $tar"
sed 's/^/# /' "$OUT/debroot.err"

debs=("$BUILD/deb/vmw86-dkms_${VERSION}_all.deb" "$BUILD/deb/vmw86-utils_${VERSION}_amd64.deb")
out=$("$ROOT/scripts/deb.sh" 2>&1 >/dev/null) || {
	tap "make deb" "$out"
	exit 1
}

SECONDS=0
mkdir -p "$root"
out=$(tar -C "$root" -xf "$tar" 2>&1 && cp "${debs[@]}" "$root/tmp/" 2>&1 &&
	mount -t proc proc "$root/proc" 2>&1) || {
	tap "unpack the Debian root" "$out"
	exit 1
}

# The packages' own maintainer scripts do it: dh_dkms's postinst adds the
# source to DKMS and builds and installs the module for every kernel in
# /lib/modules with headers, here only $KVER (the chroot's "uname -r" is
# the host's, which it recognises as a chroot's host and leaves out).
mod=/lib/modules/$KVER/updates/dkms/vmw86.ko
out=$(in_root dpkg -i "/tmp/${debs[0]##*/}" "/tmp/${debs[1]##*/}" || { echo "dpkg -i failed:"; tail -n 30 "$OUT/dkms-test.log"; }
	st=$(chroot "$root" dkms status vmw86 2>&1)
	grep -qx "vmw86/$VERSION, $KVER, x86_64: installed" <<<"$st" ||
		echo "dkms status: ${st:-nothing}, not vmw86/$VERSION installed for $KVER"
	grep -q '^vmw86:' "$root/etc/group" || echo "no group vmw86 in the root's /etc/group"
	shopt -s nullglob
	built=("$root$mod"*)
	if ((${#built[@]} != 1)); then
		echo "not one $mod* in the root: ${built[*]##"$root"}"
	else
		case ${built[0]} in
		*.ko) cp "${built[0]}" "$new" ;;
		*.ko.xz) xz -dc "${built[0]}" >"$new" ;;
		*.ko.zst) zstd -qdc "${built[0]}" >"$new" ;;
		*) echo "${built[0]##"$root"}: unknown module format" ;;
		esac
		vermagic=$(modinfo -F vermagic "$new" 2>&1)
		version=$(modinfo -F version "$new" 2>&1)
		[[ ${vermagic%% *} == "$KVER" ]] || echo "$mod: vermagic '$vermagic', not $KVER"
		[[ $version == "$VERSION" ]] || echo "$mod: version '$version', not $VERSION"
	fi)
tap "dpkg -i vmw86-dkms vmw86-utils in it: DKMS builds vmw86.ko $VERSION for $KVER into $mod, group vmw86 made (${SECONDS}s)" "$out"

# What DKMS built from is what the package ships, the tree's own files:
# every file in /usr/src/vmw86-VERSION the same as the tree's (dkms.conf
# as make install writes it), and the module's srcversion, modpost's hash
# of the sources it was built from, that of the tree's vmw86.ko.
src=$root/usr/src/vmw86-$VERSION
out=$(if [[ ! -d $src ]]; then
	echo "no /usr/src/vmw86-$VERSION in the root"
else
	(cd "$src" && find . -type f -printf '%P\n' | sort) | while IFS= read -r f; do
		if [[ $f == dkms.conf ]]; then
			sed "s/@VERSION@/$VERSION/g" scripts/dkms/dkms.conf.in | cmp -s - "$src/$f" ||
				echo "dkms.conf differs from scripts/dkms/dkms.conf.in"
		elif ! cmp -s "$src/$f" "$ROOT/$f"; then
			echo "/usr/src/vmw86-$VERSION/$f differs from the tree's $f"
		fi
	done
	for f in $(git ls-files drivers/vmw86 include/uapi/linux/vmw86.h Kbuild VERSION); do
		[[ -f $src/$f ]] || echo "the tree's $f is not in /usr/src/vmw86-$VERSION"
	done
	if [[ ! -f $new ]]; then
		echo "no DKMS-built module to compare"
	elif [[ ! -f $TREE_KO ]]; then
		echo "no $TREE_KO (make module) to compare with"
	else
		a=$(modinfo -F srcversion "$new") b=$(modinfo -F srcversion "$TREE_KO")
		[[ -n $a && $a == "$b" ]] ||
			echo "srcversion: DKMS's vmw86.ko '$a', the tree's $TREE_KO '$b'"
	fi
fi)
tap "DKMS built it from the tree's source: /usr/src/vmw86-$VERSION as in the tree, same srcversion as the tree's vmw86.ko" "$out"
[[ ! -f $new ]] || mv "$new" "$ko"

out=$(in_root dpkg --purge vmw86-dkms vmw86-utils || { echo "dpkg --purge failed:"; tail -n 30 "$OUT/dkms-test.log"; }
	left=$(cd "$root" && find "./lib/modules/$KVER/updates" "./usr/src/vmw86-$VERSION" ./var/lib/dkms/vmw86 \
		./usr/bin/vmw86-run ./usr/lib/udev/rules.d/60-vmw86.rules -print 2>/dev/null | grep -v "^./lib/modules/$KVER/updates\$")
	[[ -z $left ]] || echo "left after purge: $left"
	st=$(chroot "$root" dkms status 2>&1)
	[[ -z $st ]] || echo "dkms status after purge: $st"
	! grep -q vmw86 "$root/lib/modules/$KVER/modules.dep" 2>/dev/null ||
		echo "modules.dep still lists vmw86")
tap "dpkg --purge vmw86-dkms vmw86-utils: module, DKMS tree and source gone" "$out"
exit "$failed"
