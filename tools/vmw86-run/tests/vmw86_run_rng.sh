#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86-run --rng in the test machine (busybox sh, TAP): virtio-rng backed
# by the host's getrandom(2), seen by Debian's unmodified kernel.
# - with --rng the guest's hw_random core picks virtio_rng as its source;
#   two reads of 64 KiB from /dev/hwrng come back whole, differ from each
#   other, hold all 256 byte values (the chance that 64 KiB of random bytes
#   miss one is below 10^-100) and do not compress (gzip -9 output at least
#   as large as its input: a constant, a counter or a short repeated
#   pattern shrinks to a fraction);
# - without --rng there is no virtio device and no hw_random source.
# The guest is guest-virtio.cpio.gz with the case's commands appended as
# /case.sh; its console is copied here with a "# NAME guest| " prefix.

V=${VMW86_RUN:-/bin/vmw86-run}
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-virtio.cpio.gz
T=${TMPDIR:-/tmp}/vmw86-run-rng.$$
mkdir -p "$T"
n=0
PLAN=9

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

echo "TAP version 13"
echo "1..$PLAN"

if [ ! -x "$V" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ]; then
	echo "Bail out! missing $V, $KERNEL or $GUEST"
	exit 1
fi

# The guest measures: per read, its size, distinct byte values, gzip -9
# size and checksum.
case_initrd rng <<-'EOF'
	echo "VT-CURRENT $(cat /sys/class/misc/hw_random/rng_current)"
	for r in 1 2; do
		head -c 65536 /dev/hwrng >/tmp/r$r
		echo "VT-READ$r $(wc -c </tmp/r$r) $(od -An -v -tx1 /tmp/r$r | tr -s ' ' '\n' | grep . | sort -u | wc -l) $(gzip -9 -c /tmp/r$r | wc -c) $(sha256sum /tmp/r$r | cut -d' ' -f1)"
	done
EOF
cp "$T/rng.initrd" "$T/none.initrd"

boot_case rng --rng
if [ $rc = 0 ] && grep -q "^VMW86RUN-GUEST-VIRTIO .* device=0x0004 driver=virtio_rng" "$T/rng.console"; then
	ok "the guest finds the entropy device (virtio-mmio, device ID 4, virtio_rng) and powers off"
else
	notok "the guest finds the entropy device (virtio-mmio, device ID 4, virtio_rng) and powers off (status $rc)"
fi
case $(field rng VT-CURRENT) in
virtio_rng*) ok "hw_random uses it: rng_current is $(field rng VT-CURRENT)" ;;
*) notok "hw_random uses it: rng_current is '$(field rng VT-CURRENT)'" ;;
esac
# shellcheck disable=SC2046 # fields of the guest's lines, split on purpose
set -- $(field rng VT-READ1) $(field rng VT-READ2)
[ "$1" = 65536 ] && [ "$5" = 65536 ]
check $? "two reads of 64 KiB from /dev/hwrng return 64 KiB each (got ${1:-?} and ${5:-?} bytes)"
[ -n "$4" ] && [ -n "$8" ] && [ "$4" != "$8" ]
check $? "the two reads differ"
[ "$2" = 256 ] && [ "$6" = 256 ]
check $? "each read holds all 256 byte values (${2:-?} and ${6:-?})"
[ "${3:-0}" -ge 65536 ] && [ "${7:-0}" -ge 65536 ]
check $? "neither compresses: gzip -9 makes ${3:-?} and ${7:-?} bytes of 65536"
b=$(field rng VMW86RUN-GUEST-BADLOG)
[ "${b:-1}" = 0 ]
check $? "the guest kernel log has no WARNING, BUG or hung task (${b:-no count})"

boot_case none
[ $rc = 0 ] && grep -q "^VMW86RUN-GUEST-MODULES ok" "$T/none.console" &&
	! grep -q "^VMW86RUN-GUEST-VIRTIO" "$T/none.console"
check $? "without --rng: no virtio device, the guest powers off (status $rc)"
[ "$(field none VT-CURRENT)" = none ]
check $? "without --rng: no hw_random source (rng_current '$(field none VT-CURRENT)')"

[ "$n" = $PLAN ] || echo "# planned $PLAN, ran $n"
rm -rf "$T"
