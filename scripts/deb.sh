#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make deb": the Debian packages vmw86-dkms and vmw86-utils from the tree's
# debian/ directory, built with "dpkg-buildpackage -b" in a copy of the tree
# under $BUILD/deb (the work tree gets none of the build's files), then
# checked with lintian. The .debs, .changes, .buildinfo and lintian's
# output (lintian.log) end up in $BUILD/deb.
#
# debian/changelog is not kept in the tree: it is written here, with the
# version from VERSION, the Maintainer of debian/control and the date of the
# last commit, so that the version lives in one place.
#
# A build is reused while the copied tree is the same, byte for byte
# ($BUILD/deb/tree.sha256); VMW86_DEB_REBUILD=1 builds anew.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=$BUILD/deb
cd "$ROOT"
VERSION=$(cat VERSION)
SRC=$OUT/vmw86-$VERSION

# The files of the tree: what git tracks or would track (not what it
# ignores, so no build output), as they are in the work tree now.
tree_files() {
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				[[ -f $f || -L $f ]] && printf '%s\0' "$f"
			done
	else
		find . -path ./build -prune -o -path ./.git -prune -o \
			\( -type f -o -type l \) -printf '%P\0'
	fi
}
mapfile -d '' files < <(tree_files | sort -z -u)
key=$(printf '%s\0' "${files[@]}" |
	tar --null -T - --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-cf - | sha256sum | cut -d' ' -f1)

debs=("$OUT/vmw86-dkms_${VERSION}_all.deb" "$OUT/vmw86-utils_${VERSION}_amd64.deb")
if [[ ${VMW86_DEB_REBUILD:-0} != 1 && -f $OUT/tree.sha256 &&
	$(cat "$OUT/tree.sha256") == "$key" && -f ${debs[0]} && -f ${debs[1]} &&
	-f $OUT/lintian.log ]]; then
	echo "deb.sh: tree unchanged since the last build, reusing ${debs[*]##*/}" >&2
	cat "$OUT/lintian.log"
	exit 0
fi

rm -rf "$OUT"
mkdir -p "$SRC"
printf '%s\0' "${files[@]}" | tar --null -T - -cf - | tar -xf - -C "$SRC"

maint=$(sed -n 's/^Maintainer: //p' debian/control)
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
desc=$(git describe --always --dirty 2>/dev/null || true)
cat >"$SRC/debian/changelog" <<CHANGELOG
vmw86 ($VERSION) unstable; urgency=medium

  * Built from the vmw86 tree${desc:+ at $desc}.

 -- $maint  $date
CHANGELOG

echo "deb.sh: dpkg-buildpackage -b in $SRC (log: $OUT/build.log)" >&2
if ! (cd "$SRC" && dpkg-buildpackage -b -us -uc) >"$OUT/build.log" 2>&1; then
	tail -n 40 "$OUT/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed" >&2
	exit 1
fi
rm -rf "$SRC"

# Any error or warning fails. Overridden tags (debian/*.lintian-overrides,
# each saying why) are shown too, as "O:" lines, by a second run: lintian
# 2.116 exits 2 for them when it shows them.
changes=$OUT/vmw86_${VERSION}_amd64.changes
rc=0
lintian --fail-on error,warning --display-info "$changes" >/dev/null 2>&1 || rc=$?
lintian --display-info --show-overrides "$changes" 2>&1 |
	grep -v '^running with root privileges is not recommended!$' >"$OUT/lintian.log" || true
cat "$OUT/lintian.log"
if ((rc)); then
	echo "deb.sh: lintian failed (exit $rc)" >&2
	exit 1
fi
echo "$key" >"$OUT/tree.sha256"
