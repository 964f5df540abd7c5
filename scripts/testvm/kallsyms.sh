#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test machine's kernel symbol table, made once per kernel and kept in
# the cache, so that scripts/testvm/resolve-rips.sh can name the function
# of every RIP a wedge log holds. Debian ships no System.map with its
# kernel (the file in /boot is a stub) and its debug archive cannot be
# reached from every build host, so the table comes from the kernel
# itself: one short boot of the test machine in init's "kallsyms" mode,
# which prints /proc/kallsyms's text symbols before any module loads.
# They are stored as offsets from _text, which KASLR does not change.
#
# usage: kallsyms.sh INITRD
#   INITRD  any initramfs made by scripts/testvm/mkinitramfs.sh
# Environment: those of boot.sh (VMW86_QEMU, KVER), and VMW86_CACHE.
# Prints the table's path; it is ${VMW86_CACHE:-/var/cache/vmw86}/
# kallsyms/KVER.txt, lines "OFFSET NAME" (OFFSET: 8 hex digits), sorted.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
initrd=${1:?usage: kallsyms.sh INITRD}
KVER=${KVER:-$("$here/../kernel-version.sh")}
dir=${VMW86_CACHE:-/var/cache/vmw86}/kallsyms
table=$dir/$KVER.txt
if [[ -s $table ]]; then
	echo "$table"
	exit 0
fi
mkdir -p "$dir"
raw=$(mktemp)
trap 'rm -f "$raw" "$table.tmp"' EXIT
# One CPU is enough, and leaves the other to the host.
VMW86_SMP=1 VMW86_APPEND='' timeout -k 10 600 "$here/boot.sh" "$initrd" \
	vmw86_mode=kallsyms </dev/null >"$raw" 2>&1 || true
# "ADDRESS t NAME": the offset from _text in 8 hex digits, so that a
# string comparison orders the lines as numbers.
tr -d '\r' <"$raw" | sed -n '/^VMW86-KALLSYMS-BEGIN/,/^VMW86-KALLSYMS-END/p' |
	perl -ne '
		no warnings "portable";
		next unless /^([0-9a-f]{16}) [tT] (\S+)/;
		push @s, [hex($1), $2];
		$text = hex($1) if $2 eq "_text";
		END {
			die "kallsyms.sh: no _text in the test machine'"'"'s symbols\n"
				unless defined $text;
			printf "%08x %s\n", $_->[0] - $text, $_->[1]
				for grep { $_->[0] >= $text } @s;
		}' | sort >"$table.tmp"
if [[ ! -s $table.tmp ]]; then
	echo "kallsyms.sh: the test machine printed no symbols; its console:" >&2
	tail -n 20 "$raw" >&2
	exit 1
fi
mv "$table.tmp" "$table"
echo "$table"
