#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A throwaway Debian 12 (bookworm) root for make check's DKMS test
# (scripts/dkms-test.sh): debootstrap --variant=minbase, then dkms, gcc,
# make and linux-headers-$KVER installed in it with its own apt, the
# headers of the kernel the test machine boots, and
# systemd-standalone-sysusers (vmw86-utils needs a systemd-sysusers for its
# group, and a minbase root has no systemd). Prints the path of a tar
# of that root on stdout; the caller unpacks a copy for each use.
#
# Debian's archive is reached through the same mirrors as the host's apt
# (the bookworm, bookworm-updates and bookworm-security entries of
# /etc/apt/sources.list and /etc/apt/sources.list.d/, read, never edited;
# deb.debian.org if there are none). linux-headers-$KVER of a point
# release's kernel lives in bookworm-security or bookworm-updates, hence
# all three.
#
# The tar is cached outside the clone, keyed by the kernel version and a
# hash of what goes into it (suite, mirrors, packages, FORMAT below):
#   ${VMW86_CACHE:-/var/cache/vmw86}/debroot/bookworm-$KVER-<hash>.tar
# so only the first run on a machine pays for it (a few minutes of
# downloading and unpacking); other tars there are removed when a new one
# is made. VMW86_DEBROOT_REBUILD=1 makes it anew.
#
# usage: debroot.sh  (KVER as for the Makefile; needs root and debootstrap)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KVER=${KVER:-$("$ROOT/scripts/kernel-version.sh")}
cache=${VMW86_CACHE:-/var/cache/vmw86}/debroot
log() { echo "debroot.sh: $*" >&2; }
# Bumped when the way the root is made changes in a way the key misses.
FORMAT=1
SUITE=bookworm
pkgs=(dkms gcc make "linux-headers-$KVER" systemd-standalone-sysusers)

# "URI SUITE" for each bookworm entry of type deb of the host's apt
# sources, one-line (.list) and deb822 (.sources) alike.
host_sources() {
	local f
	shopt -s nullglob
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		# deb [options] URI SUITE COMPONENT...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" && NF >= 4 { print $2, $3 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		awk '
			function flush(  i, j, nu, ns, u, s) {
				if (types ~ /(^| )deb( |$)/ && enabled != "no") {
					nu = split(uris, u, " "); ns = split(suites, s, " ")
					for (i = 1; i <= nu; i++)
						for (j = 1; j <= ns; j++) print u[i], s[j]
				}
				types = uris = suites = enabled = ""
			}
			{ sub(/#.*/, "") }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:" { $1 = ""; types = $0 " " }
			tolower($1) == "uris:" { $1 = ""; uris = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			END { flush() }' "$f"
	done
}
mapfile -t entries < <(host_sources | awk -v s="$SUITE" \
	'$2 == s || $2 == s "-updates" || $2 == s "-security" { sub(/\/+$/, "", $1); print $1, $2 }' |
	awk '!seen[$0]++')
mirror=
for e in "${entries[@]}"; do
	[[ ${e#* } == "$SUITE" ]] && { mirror=${e%% *}; break; }
done
if [[ -z $mirror ]]; then
	mirror=http://deb.debian.org/debian
	entries=("$mirror $SUITE" "$mirror $SUITE-updates"
		"http://deb.debian.org/debian-security $SUITE-security")
fi
sources=$(for e in "${entries[@]}"; do echo "deb ${e%% *} ${e#* } main"; done)

key=$(printf '%s\n' "$FORMAT" "$SUITE" "$sources" "${pkgs[@]}" | sha256sum | cut -c1-12)
tar=$cache/$SUITE-$KVER-$key.tar
if [[ ${VMW86_DEBROOT_REBUILD:-0} != 1 && -s $tar ]]; then
	echo "$tar"
	exit 0
fi

command -v debootstrap >/dev/null || { log "debootstrap not installed (scripts/deps.sh)"; exit 1; }
((EUID == 0)) || { log "needs root (debootstrap, chroot)"; exit 1; }
mkdir -p "$cache"
exec 8>"$cache/.lock"
flock 8
if [[ ${VMW86_DEBROOT_REBUILD:-0} != 1 && -s $tar ]]; then
	echo "$tar"
	exit 0
fi

dir=$cache/build-$key
# Whatever happens, nothing stays mounted in the root being made.
cleanup() {
	if mountpoint -q "$dir/proc" && ! umount "$dir/proc"; then
		log "could not unmount $dir/proc; $dir left as it is"
		return
	fi
	rm -rf --one-file-system "$dir"
}
trap cleanup EXIT
rm -rf "$dir"
SECONDS=0
log "debootstrap --variant=minbase $SUITE from $mirror into $dir (log: $cache/debootstrap.log)"
if ! debootstrap --variant=minbase "$SUITE" "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1; then
	tail -n 20 "$cache/debootstrap.log" >&2
	log "debootstrap failed"
	exit 1
fi
log "debootstrap took ${SECONDS}s; installing ${pkgs[*]}"
printf '%s\n' "$sources" >"$dir/etc/apt/sources.list"
cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$dir/proc"
export DEBIAN_FRONTEND=noninteractive
if ! chroot "$dir" sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" &&
	apt-get clean' sh "${pkgs[@]}" >"$cache/apt.log" 2>&1; then
	tail -n 20 "$cache/apt.log" >&2
	log "apt-get install in the root failed"
	exit 1
fi
umount "$dir/proc"
rm -rf "$dir"/var/lib/apt/lists/* "$dir/etc/resolv.conf"
[[ -d $dir/usr/src/linux-headers-$KVER ]] || { log "no linux-headers-$KVER in the root"; exit 1; }

rm -f "$cache/$SUITE"-*.tar
tar -C "$dir" --numeric-owner -cf "$tar.tmp" .
mv "$tar.tmp" "$tar"
log "made $tar ($(du -h "$tar" | cut -f1)) in ${SECONDS}s"
echo "$tar"
