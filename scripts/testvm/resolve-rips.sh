#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Name the function of each kernel-space RIP in a wedge log
# (scripts/testvm/wedge.sh): init prints where the test machine's kernel
# text starts after KASLR ("VMW86-INIT ... text="), and the table of
# scripts/testvm/kallsyms.sh holds every text symbol's offset from there.
# A RIP more than 64 MiB past the text is a module's (vmw86.ko, kvm-amd)
# or a guest's, and is said to be so.
#
# usage: resolve-rips.sh CONSOLE-LOG WEDGE-LOG [TABLE]
# Prints one line per distinct RIP; with no TABLE, offsets only.
set -euo pipefail

console=${1:?usage: resolve-rips.sh CONSOLE-LOG WEDGE-LOG [TABLE]}
wedge=${2:?usage: resolve-rips.sh CONSOLE-LOG WEDGE-LOG [TABLE]}
table=${3:-/dev/null}
text=$(tr -d '\r' <"$console" |
	sed -n 's/.*VMW86-INIT .* text=\(ffffffff[0-9a-f]*\).*/\1/p' | head -n 1)
if [[ -z $text ]]; then
	echo "--- no KASLR base in $console: RIPs left unresolved"
	exit 0
fi
echo "--- kernel-space RIPs against the test machine's _text ($text)"
# QEMU's monitor writes RIP=..., gdb on QEMU eip=0x...
grep -oE '(RIP=|eip=0x)ffff[0-9a-f]{12}' "$wedge" | sed 's/.*[=x]//' | sort -u |
	perl -e '
		no warnings "portable";
		my ($text, $table) = @ARGV;
		$text = hex($text);
		my (@off, @name);
		open(my $t, "<", $table) or die "$table: $!\n";
		while (<$t>) {
			next unless /^([0-9a-f]{8}) (\S+)/;
			push @off, hex($1);
			push @name, $2;
		}
		while (my $rip = <STDIN>) {
			chomp $rip;
			my $off = hex($rip) - $text;
			if ($off < 0 || $off >= 64 << 20) {
				print "$rip: not in the kernel text (a module or a guest)\n";
				next;
			}
			# The last symbol at or below the offset.
			my ($lo, $hi) = (0, scalar(@off));
			while ($lo < $hi) {
				my $mid = int(($lo + $hi) / 2);
				if ($off[$mid] <= $off) { $lo = $mid + 1 } else { $hi = $mid }
			}
			if ($lo == 0) {
				printf "%s = _text+%#x\n", $rip, $off;
			} else {
				printf "%s = %s+%#x (_text+%#x)\n", $rip, $name[$lo - 1],
					$off - $off[$lo - 1], $off;
			}
		}' "$text" "$table"
