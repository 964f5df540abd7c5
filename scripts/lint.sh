#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Style checks of the module and the uapi header, the way the kernel checks
# its own code: checkpatch.pl --strict (taken from Debian's linux-source
# tarball at first use, never kept in the tree), and a build with sparse
# (C=2: every file) and W=1. Prints one TAP line per check and exits 1 if
# any failed; the findings themselves go to stderr.
#
# usage: lint.sh  (KDIR/KVER/BUILD as for the top-level Makefile)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TARBALL=/usr/src/linux-source-6.1.tar.xz
CP_DIR=$BUILD/checkpatch
CP_FILES=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)

if [[ ! -x $CP_DIR/scripts/checkpatch.pl ]]; then
	mkdir -p "$CP_DIR"
	tar -xJf "$TARBALL" -C "$CP_DIR" --strip-components=1 \
		"${CP_FILES[@]/#/linux-source-6.1/}"
fi

cd "$ROOT"
mapfile -t sources < <(git ls-files 'drivers/vmw86/*.[chS]' 'include/uapi/linux/vmw86.h' 2>/dev/null ||
	find drivers/vmw86 -name '*.[chS]' -o -name vmw86.h)
failed=0

out=$(perl "$CP_DIR/scripts/checkpatch.pl" --strict --no-tree --terse \
	--show-types -f "${sources[@]}" 2>&1 | grep -v '^total:' || true)
if [[ -z $out ]]; then
	echo "ok 1 checkpatch --strict (${#sources[@]} files)"
else
	echo "not ok 1 checkpatch --strict"
	printf '%s\n' "$out" >&2
	failed=1
fi

out=$(make -s module W=1 C=2 2>&1 | grep -E 'warning:|error:|ERROR:' || true)
if [[ -z $out ]]; then
	echo "ok 2 sparse (C=2) and W=1 build"
else
	echo "not ok 2 sparse (C=2) and W=1 build"
	printf '%s\n' "$out" >&2
	failed=1
fi
exit "$failed"
