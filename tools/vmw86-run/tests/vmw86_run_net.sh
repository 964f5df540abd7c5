#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86_run_net: virtio-net on a TAP device, in the test machine (busybox
# sh, TAP output).
# - every malformed --net is bad input: exit status 1 and one line, no VM;
#   so is a TAP that cannot be had (an interface of that name that is not
#   a TAP);
# - the guest (the device tests' image, guest-virtio.cpio.gz, with this
#   test's /case.sh appended) finds the virtio-net device through the DSDT,
#   binds virtio_net to it and has the MAC given with mac=; the launcher
#   made the TAP vmw86tap0, which this side configures as 10.86.0.1/24
#   while the guest takes 10.86.0.2/24;
# - ping both ways, every packet answered (also frames of 1400 bytes);
# - a frame larger than the guest's receive buffers (the TAP's MTU raised
#   to 9000 for one ping) is dropped and counted by the launcher, and the
#   device goes on working;
# - 4 MiB of random bytes each way over TCP (busybox nc), the SHA-256 the
#   same on both sides;
# - the launcher lost no frame (no "not sent" or "dropped" line besides the
#   one above) and the guest powers off: exit status 0.
# All of that twice: with the static launcher (sandbox on), then with
# vmw86-run-asan (AddressSanitizer and UBSan, as vmw86_run_vqfuzz runs it),
# which must print no report: every frame size, the drop into the
# launcher's own tail buffer, the device's reset at the guest's power-off.
# Every wait is bounded; the guest powers off by itself whatever happens,
# and the launcher is killed at the end if it has not.

V=${VMW86_RUN:-/bin/vmw86-run}
VA=${VMW86_RUN_ASAN:-/bin/vmw86-run-asan}
SANITIZER='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: (Address|Undefined)'
# For vmw86-run-asan alone, as vmw86_run_vqfuzz sets them: stop at the
# first report; no leak check (the launcher leaves its allocations to exit).
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-virtio.cpio.gz
TUN_KO=/lib/modules/net/tun.ko
TAP=vmw86tap0
MAC=02:86:00:00:00:02
HOST_IP=10.86.0.1
GUEST_IP=10.86.0.2
SIZE=4194304
T=${TMPDIR:-/tmp}/vmw86-run-net.$$
mkdir -p "$T"
n=0

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"
check_cmd() { # check_cmd DESCRIPTION COMMAND...: ok if COMMAND succeeds
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}

# The guest's console, without the UART's carriage returns.
console() { tr -d '\r' <"$T/console"; }

# wait_for REGEX SECONDS: until the guest's console has a matching line,
# or the launcher has ended.
wait_for() {
	i=0
	while ! console | grep -q -e "$1"; do
		i=$((i + 1))
		[ $i -gt "$2" ] && return 1
		kill -0 "$vm" 2>/dev/null || { console | grep -q -e "$1"; return; }
		sleep 1
	done
}

# The value after MARKER in the guest's console: "MARKER value".
guest_says() { console | sed -n "s/^$1 //p" | tail -n 1; }

echo "TAP version 13"
echo "1..47"

if [ ! -x "$V" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ]; then
	echo "Bail out! missing $V, $KERNEL or $GUEST"
	exit 1
fi
# The launcher makes its TAP through /dev/net/tun: Debian's tun module,
# packed in the test machine's initramfs (scripts/testvm/mkinitramfs.sh).
if [ ! -c /dev/net/tun ] && ! insmod "$TUN_KO"; then
	echo "Bail out! no /dev/net/tun and $TUN_KO does not load"
	exit 1
fi

bad "--net without tap=" "no tap=NAME" --kernel "$KERNEL" --net mac=02:86:00:00:00:01
bad "--net with an unknown key" "unknown 'vlan=3'" --kernel "$KERNEL" --net tap=t0,vlan=3
bad "TAP name empty" "a TAP name has 1 to 15 characters" --kernel "$KERNEL" --net tap=
bad "TAP name of 16 characters" "a TAP name has 1 to 15 characters" --kernel "$KERNEL" \
	--net tap=abcdefghijklmnop
bad "TAP name with a slash" "'/' cannot be in an interface name" --kernel "$KERNEL" --net tap=a/b
bad "MAC too short" "not of the form XX:XX:XX:XX:XX:XX" --kernel "$KERNEL" \
	--net tap=t0,mac=02:86:00:00:00
bad "MAC not hexadecimal" "not of the form XX:XX:XX:XX:XX:XX" --kernel "$KERNEL" \
	--net tap=t0,mac=02:86:00:00:00:0g
bad "multicast MAC" "is a multicast address" --kernel "$KERNEL" --net tap=t0,mac=01:00:5e:00:00:01
bad "the same TAP twice" "TAP t0 given twice" --kernel "$KERNEL" --net tap=t0 --net tap=t0
# lo exists and is no TAP: TUNSETIFF refuses it (EINVAL).
bad "an interface that is not a TAP" "tap=lo: TUNSETIFF: Invalid argument" --kernel "$KERNEL" \
	--net tap=lo

# The guest's side, appended to the device tests' image as /case.sh (the
# kernel unpacks concatenated archives into one root). Its lines start
# with NET-; each step is bounded, so the guest always powers off.
mkdir -p "$T/case"
cat >"$T/case/case.sh" <<EOF
dev=\$(ls /sys/class/net | grep -vx lo | head -n 1)
echo "NET-DEV \$dev \$(cat /sys/class/net/\$dev/address)"
ip link set lo up
ip addr add $GUEST_IP/24 dev \$dev && ip link set \$dev up && echo "NET-UP"
# The test machine configures its side once the TAP exists: wait for it.
i=0
until ping -c 1 -W 1 $HOST_IP >/dev/null 2>&1; do
	i=\$((i + 1))
	[ \$i -ge 90 ] && break
done
ping -c 5 -w 30 $HOST_IP | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/NET-PING-HOST \1 \2/p'
ping -c 3 -s 1400 -w 30 $HOST_IP | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/NET-PING-HOST-1400 \1 \2/p'
# Receiver of the test machine's 4 MiB. Its standard input must never end:
# busybox nc then closes its sending half, and the sender stops.
mkfifo /tmp/hold
timeout 150 nc -l -p 5001 <>/tmp/hold >/tmp/rx &
rx=\$!
head -c $SIZE /dev/urandom >/tmp/tx
echo "NET-TX-SUM \$(sha256sum </tmp/tx | cut -d' ' -f1)"
i=0
start=\$(cut -d' ' -f1 /proc/uptime)
until timeout 120 nc $HOST_IP 5000 </tmp/tx; do
	i=\$((i + 1))
	[ \$i -ge 20 ] && break
	sleep 1
	start=\$(cut -d' ' -f1 /proc/uptime)
done
echo "NET-TX-DONE \$start \$(cut -d' ' -f1 /proc/uptime)"
echo "NET-LISTEN"
wait \$rx
echo "NET-RX-SUM \$(sha256sum </tmp/rx | cut -d' ' -f1) \$(wc -c </tmp/rx)"
EOF
# Compressed too: the kernel takes an uncompressed archive only at a
# 4-byte aligned offset (init/initramfs.c), a compressed one anywhere.
(cd "$T/case" && echo case.sh | cpio -o -H newc 2>/dev/null) | gzip >"$T/case.cpio.gz"
cat "$GUEST" "$T/case.cpio.gz" >"$T/guest.img"

# net_run NAME LAUNCHER OPTIONS...: the guest's session, 18 checks, each
# named after NAME; the guest's console and the launcher's stderr are
# copied here.
net_run() {
	name=$1 launcher=$2
	shift 2
	opts=$*
	# This side's receiver, before the guest can send.
	rm -f "$T/hold"
	mkfifo "$T/hold"
	timeout 300 nc -l -p 5000 <>"$T/hold" >"$T/from-guest" &
	listener=$!
	head -c $SIZE /dev/urandom >"$T/to-guest"

	ip link del $TAP 2>/dev/null
	# shellcheck disable=SC2086 # $opts: options, split on purpose
	timeout 360 "$launcher" --kernel "$KERNEL" --initrd "$T/guest.img" --memory 256M \
		--net tap=$TAP,mac=$MAC --cmdline "console=ttyS0 quiet" $opts \
		>"$T/console" 2>"$T/err" </dev/null &
	vm=$!

	i=0
	while [ ! -d /sys/class/net/$TAP ] && [ $i -lt 30 ] && kill -0 $vm 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	if [ -d /sys/class/net/$TAP ] && ip addr add $HOST_IP/24 dev $TAP && ip link set $TAP up; then
		ok "$name: the launcher makes TAP $TAP; it takes $HOST_IP/24"
	else
		notok "$name: the launcher makes TAP $TAP; it takes $HOST_IP/24"
	fi

	if wait_for "^NET-UP" 240; then
		ok "$name: guest finds the device and brings it up with $GUEST_IP/24"
	else
		notok "$name: guest finds the device and brings it up with $GUEST_IP/24"
	fi
	check_cmd "$name: guest binds virtio_net to a virtio-mmio device of ID 1 (network)" \
		sh -c "tr -d '\r' <'$T/console' | grep -q '^VMW86RUN-GUEST-VIRTIO .* device=0x0001 driver=virtio_net'"
	dev=$(guest_says NET-DEV)
	check_cmd "$name: guest's interface has the MAC given with mac=: $dev" [ "${dev#* }" = "$MAC" ]

	# This side's pings, while the guest pings us.
	sent=$(ping -c 5 -w 60 $GUEST_IP | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\1 \2/p')
	check_cmd "$name: ping test machine -> guest: 5 sent, 5 answered ($sent)" [ "$sent" = "5 5" ]
	sent=$(ping -c 3 -s 1400 -w 30 $GUEST_IP | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\1 \2/p')
	check_cmd "$name: ping test machine -> guest, 1400 bytes: 3 sent, 3 answered ($sent)" [ "$sent" = "3 3" ]
	wait_for "^NET-PING-HOST-1400" 90
	got=$(guest_says NET-PING-HOST)
	check_cmd "$name: ping guest -> test machine: 5 sent, 5 answered ($got)" [ "$got" = "5 5" ]
	got=$(guest_says NET-PING-HOST-1400)
	check_cmd "$name: ping guest -> test machine, 1400 bytes: 3 sent, 3 answered ($got)" [ "$got" = "3 3" ]

	# A frame bigger than the guest's receive buffers (1518 bytes of frame
	# without MRG_RXBUF or GUEST_TSO): the launcher drops and counts it. The
	# TAP itself would hand it over cut short, without a word.
	ip link set $TAP mtu 9000
	ping -c 1 -s 4000 -W 5 $GUEST_IP >/dev/null 2>&1
	big=$?
	ip link set $TAP mtu 1500
	if [ $big != 0 ] && grep -q "virtio-net $TAP: a 4042-byte frame dropped: the guest's buffer holds [0-9]*" "$T/err"; then
		ok "$name: a 4042-byte frame is dropped and counted, not written past the guest's buffer"
	else
		notok "$name: a 4042-byte frame is dropped and counted (ping status $big)"
	fi
	sent=$(ping -c 2 -w 30 $GUEST_IP | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\1 \2/p')
	check_cmd "$name: the device goes on after the drop: 2 pings answered ($sent)" [ "$sent" = "2 2" ]

	# Guest -> test machine: 4 MiB over TCP.
	if wait_for "^NET-TX-DONE" 180; then
		ok "$name: guest sends $SIZE bytes to the test machine (nc)"
	else
		notok "$name: guest sends $SIZE bytes to the test machine (nc)"
	fi
	i=0
	while kill -0 $listener 2>/dev/null && [ $i -lt 30 ]; do
		sleep 1
		i=$((i + 1))
	done
	want=$(guest_says NET-TX-SUM)
	got=$(sha256sum <"$T/from-guest" | cut -d' ' -f1)
	got="$got $(wc -c <"$T/from-guest")"
	check_cmd "$name: guest -> test machine: SHA-256 and size the same on both sides (${want:-none})" \
		[ "$got" = "$want $SIZE" ]

	# Test machine -> guest: 4 MiB, once the guest listens.
	wait_for "^NET-LISTEN" 60
	i=0
	start=$(cut -d' ' -f1 /proc/uptime)
	until timeout 120 nc $GUEST_IP 5001 <"$T/to-guest"; do
		i=$((i + 1))
		[ $i -ge 10 ] && break
		sleep 1
		start=$(cut -d' ' -f1 /proc/uptime)
	done
	end=$(cut -d' ' -f1 /proc/uptime)
	if wait_for "^NET-RX-SUM" 150; then
		ok "$name: test machine sends $SIZE bytes to the guest (nc)"
	else
		notok "$name: test machine sends $SIZE bytes to the guest (nc)"
	fi
	want="$(sha256sum <"$T/to-guest" | cut -d' ' -f1) $SIZE"
	got=$(guest_says NET-RX-SUM)
	check_cmd "$name: test machine -> guest: SHA-256 and size the same on both sides (${got:-none})" \
		[ "$got" = "$want" ]
	# Throughput, for the record (the guest's clock for its own sending).
	rate() { awk -v a="$1" -v b="$2" -v n=$SIZE 'BEGIN { if (b > a) printf "%.1f s, %.2f MiB/s", b - a, n / 1048576 / (b - a); else printf "?" }'; }
	times=$(guest_says NET-TX-DONE)
	echo "# TCP guest -> test machine: $SIZE bytes in $(rate "${times% *}" "${times#* }")"
	echo "# TCP test machine -> guest: $SIZE bytes in $(rate "$start" "$end")"

	# The end: the guest powers off, the launcher exits 0, nothing was lost.
	i=0
	while kill -0 $vm 2>/dev/null && [ $i -lt 60 ]; do
		sleep 1
		i=$((i + 1))
	done
	kill $vm 2>/dev/null
	wait $vm
	rc=$?
	kill $listener 2>/dev/null
	check_cmd "$name: guest powers off: exit status 0 (got $rc)" [ $rc = 0 ]
	lost=$(grep -c "not sent\|reading the TAP\|NEEDS_RESET\|needs reset" "$T/err")
	dropped=$(grep -c "frame dropped" "$T/err")
	check_cmd "$name: launcher logged no lost frame, no device error ($lost lines) and one drop ($dropped)" \
		[ "$lost $dropped" = "0 1" ]
	check_cmd "$name: guest kernel log has no WARNING, BUG or Call Trace" \
		sh -c "tr -d '\r' <'$T/console' | grep -q '^VMW86RUN-GUEST-BADLOG 0\$'"
	check_cmd "$name: the TAP is gone with the launcher" [ ! -d /sys/class/net/$TAP ]
	console | sed "s/^/# $name guest| /"
	sed "s/^/# $name stderr| /" "$T/err"
}

net_run static "$V"
# The same under AddressSanitizer and UBSan (vmw86-run-asan, as the fuzz
# test runs it, without the sandbox its run-time does not fit): frames of
# every size, the drop into the launcher's tail, resets; any access outside
# guest RAM or the launcher's objects halts it with a report.
if [ -x "$VA" ]; then
	net_run asan "$VA" --no-sandbox
	n_san=$(grep -cE "$SANITIZER" "$T/err")
	check_cmd "asan: no sanitizer report ($n_san lines)" [ "$n_san" = 0 ]
else
	i=0
	while [ $i -lt 19 ]; do
		ok "asan # SKIP no $VA"
		i=$((i + 1))
	done
fi

[ "$n" = 47 ] || echo "# planned 47, ran $n"
rm -rf "$T"
