#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkguest.sh [-m "MODULE..."] [-b PROGRAM]... OUT.cpio.gz INIT: a small guest
# initramfs that
# vmw86-run boots in its tests: a static busybox with all its applet links
# (symbolic links cost nothing) and INIT as /init.
#
# -b adds a (static) PROGRAM to /bin, named without a "guest-" prefix.
# -m also packs the named kernel modules of the guest kernel and everything
# they depend on, resolved from its modules.dep, as plain ELF (busybox
# insmod cannot unpack .ko.xz) in /lib/modules/, with /lib/modules/order
# listing them so that loading them top to bottom satisfies each in turn,
# in the order asked for.
# The guest kernel is Debian's, the one scripts/kernel-version.sh names
# (make check-debug's test machine has another kernel, never its guest);
# VMW86_GUEST_MODDIR names another module directory.
set -eu
modules='' programs=''
while getopts m:b: opt; do
	case $opt in
	m) modules=$OPTARG ;;
	b) programs="$programs $OPTARG" ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 2 ] || { echo "usage: mkguest.sh [-m MODULES] [-b PROGRAM]... OUT.cpio.gz INIT" >&2; exit 2; }
out=$1 init=$2
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "mkguest.sh: $*" >&2; exit 1; }

bb=$(command -v busybox) || die "busybox not installed (busybox-static)"
if readelf -l "$bb" | grep -q 'program interpreter'; then
	die "$bb is dynamically linked; install busybox-static"
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/vmw86-guest.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/mnt" "$root/tmp"
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
install -m 0755 "$init" "$root/init"
for p in $programs; do
	name=$(basename "$p")
	install -m 0755 "$p" "$root/bin/${name#guest-}"
done

if [ -n "$modules" ]; then
	if [ -n "${VMW86_GUEST_MODDIR:-}" ]; then
		moddir=$VMW86_GUEST_MODDIR
	else
		kver=$("$here/../../../scripts/kernel-version.sh") || die "no kernel with headers found"
		moddir=/lib/modules/$kver
	fi
	[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep missing"
	mkdir -p "$root/lib/modules"
	# modules.dep: "path: dependency..." with the dependencies listed so
	# that loading them from last to first works (depmod's order, the
	# one modprobe follows). Module names compare with - and _ alike.
	awk -v want="$modules" '
		function name(p) {
			sub(/.*\//, "", p); sub(/\.ko.*$/, "", p); gsub(/-/, "_", p)
			return p
		}
		BEGIN {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) { gsub(/-/, "_", w[i]); wanted[w[i]] = i }
		}
		{
			sub(/:/, "", $1)
			if (name($1) in wanted)
				line[wanted[name($1)]] = $0
		}
		END {
			for (i = 1; i <= n; i++) {
				if (!(i in line)) { print "missing " w[i]; exit 1 }
				k = split(line[i], f, " ")
				for (j = k; j >= 2; j--)
					if (!(f[j] in seen)) { seen[f[j]] = 1; print f[j] }
				if (!(f[1] in seen)) { seen[f[1]] = 1; print f[1] }
			}
		}
	' "$moddir/modules.dep" >"$root/modlist" ||
		die "$(grep '^missing' "$root/modlist" | sed 's/^missing //' | tr '\n' ' ')not in $moddir/modules.dep"
	while read -r path; do
		file=$(basename "$path")
		file=${file%%.ko*}.ko
		case $path in
		*.ko) cp "$moddir/$path" "$root/lib/modules/$file" ;;
		*.ko.xz) xz -dc "$moddir/$path" >"$root/lib/modules/$file" ;;
		*.ko.gz) gzip -dc "$moddir/$path" >"$root/lib/modules/$file" ;;
		*.ko.zst) zstd -qdc "$moddir/$path" >"$root/lib/modules/$file" ;;
		*) die "$path: unknown module format" ;;
		esac
		echo "$file" >>"$root/lib/modules/order"
	done <"$root/modlist"
	rm -f "$root/modlist"
fi

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --owner=0:0 --quiet) | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
