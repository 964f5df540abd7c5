#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing vmw86-run's virtio devices from the guest (busybox sh, TAP). The
# guest is guest-vqfuzz.elf, a program booted as a vmlinux that drives the
# virtio-mmio devices itself (see its header): seeded rounds of malformed
# registers, rings, descriptor chains and indirect tables, resets in the
# middle of I/O, and between them clean rounds whose requests are checked
# (a block write read back, the read-only disk's known contents, error
# statuses, entropy). Devices: a writable disk (a scratch image), a
# read-only disk (sector N holds "vqfuzz sector N" padded with spaces) and
# the entropy device. No --net: the fuzzer sets up only queue 0 well, and
# virtio-net's transmit queue is queue 1 (left to do).
#
# For each seed, with vmw86-run-asan (AddressSanitizer and UBSan, halting
# on the first report, which shows any access outside guest RAM or the
# launcher's own objects):
# - the launcher stays up and exits 0 when the guest powers off after its
#   summary line: a malformed queue stops the device, never the launcher;
# - no sanitizer report on stderr;
# - every clean-round check passed (so each device works after a reset);
# - the devices did refuse malformed input: there are lines "... device
#   stopped until reset" (their count and kinds are printed);
# - stderr holds nothing but such lines, refused feature sets and the
#   power-off line;
# - the devices' lines (errors and refused features share virtio.c's rate
#   limit: a burst of 10, then one a second) number no more than 11 plus
#   the run's seconds, however many the guest caused.
# And the checks can fail: with a read-only disk whose sectors say
# "vqfuzz sectoR N", the guest reports failed data checks.
# The ASan launcher runs with --no-sandbox: its run-time makes system calls
# that the seccomp allow-list, written for the static launcher, rightly
# refuses (seen: sigaltstack when a thread ends, madvise from its
# allocator; writing a report needs more). So the static launcher, sandbox
# on, runs one more seed with the same checks but the sanitizer's.
#
# VQFUZZ_ROUNDS, VQFUZZ_SEEDS and VQFUZZ_STATIC_SEED change the run (the
# defaults below take about a minute in the test machine, all runs
# together).

V=${VMW86_RUN:-/bin/vmw86-run}
VA=${VMW86_RUN_ASAN:-/bin/vmw86-run-asan}
GUEST=${0%/*}/guest-vqfuzz.elf
T=${TMPDIR:-/tmp}/vmw86-run-vqfuzz.$$
ROUNDS=${VQFUZZ_ROUNDS:-1000}
SEEDS=${VQFUZZ_SEEDS:-"1 2 3"}
STATIC_SEED=${VQFUZZ_STATIC_SEED:-4}
mkdir -p "$T"
n=0

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

# Any line of a device, its error line, and the other lines stderr may hold.
HELD='device messages before this one not logged'
DEVLINE='^vmw86-run: virtio-[a-z]+ at 0x[0-9a-f]+: '
DEVERR="$DEVLINE.*; device stopped until reset( \\([0-9]+ $HELD\\))?\$"
EXPECTED="$DEVERR|${DEVLINE}driver features 0x[0-9a-f]+ refused \(.*\)$|^vmw86-run: guest powered off \(ACPI S5: SLP_EN in PM1a_CNT\)$"
SANITIZER='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: (Address|Undefined)'

# fuzz NAME LAUNCHER SEED OPTIONS...: the run's console, stderr, status
# ($rc) and time ($secs); the guest's console is copied here.
fuzz() {
	name=$1 launcher=$2 seed=$3
	shift 3
	start=$(date +%s)
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:halt_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	timeout 300 "$launcher" --kernel "$GUEST" --memory 256M \
		--cmdline "vqfuzz.seed=$seed vqfuzz.rounds=${RUN_ROUNDS:-$ROUNDS}" \
		--disk "$T/rw.img" --disk "${RO:-$T/ro.img},readonly" --rng "$@" \
		>"$T/$name.console" 2>"$T/$name.err" </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	tr -d '\r' <"$T/$name.console" >"$T/$name.tmp" && mv "$T/$name.tmp" "$T/$name.console"
	sed "s/^/# $name guest| /" "$T/$name.console"
	echo "# $name: vmw86-run exit status $rc after ${secs}s"
}

summary() { # NAME KEY: a value of the guest's summary line
	sed -n "s/^VQFUZZ-SUMMARY .* $2=\([0-9]*\).*/\1/p" "$T/$1.console" | head -n 1
}

# verdict NAME WHAT SANITIZED: the checks of one run.
verdict() {
	name=$1 what=$2 sanitized=$3
	rounds=$(summary "$name" rounds)
	passed=$(summary "$name" checks_passed)
	failed=$(summary "$name" checks_failed)
	needs=$(summary "$name" needs_reset)
	errs=$(grep -cE "$DEVERR" "$T/$name.err")

	[ $rc = 0 ] && [ -n "$rounds" ] && [ "$rounds" -gt 0 ]
	check $? "$what: vmw86-run stays up and exits 0 at the guest's power-off, after ${rounds:-no} rounds, $(summary "$name" requests) requests, $(summary "$name" resets) resets (status $rc, ${secs}s)"
	if [ "$sanitized" = 1 ]; then
		if grep -qE "$SANITIZER" "$T/$name.err"; then
			notok "$what: no AddressSanitizer or UBSan report"
			grep -E -A40 "$SANITIZER" "$T/$name.err" | head -n 80 | sed "s/^/# $name stderr| /"
		else
			ok "$what: no AddressSanitizer or UBSan report"
		fi
	fi
	[ -n "$passed" ] && [ "$passed" -gt 0 ] && [ "$failed" = 0 ]
	check $? "$what: all ${passed:-?} checks of valid requests and resets passed (${failed:-?} failed)"
	[ "$errs" -gt 0 ]
	check $? "$what: the devices refused malformed input: $errs device error lines (the guest saw NEEDS_RESET in ${needs:-?} rounds)"
	held=$(sed -n "s/.* (\([0-9]*\) $HELD)\$/\1/p" "$T/$name.err" | awk '{ s += $1 } END { print s + 0 }')
	lines=$(grep -cE "$DEVLINE" "$T/$name.err")
	[ "$lines" -le $((11 + secs)) ]
	check $? "$what: device lines are rate-limited: $lines in ${secs}s ($errs errors), and $held more counted but not logged"
	# The kinds of error, numbers folded, most frequent first.
	grep -E "$DEVERR" "$T/$name.err" |
		sed -E 's/^vmw86-run: ([a-z-]+) at 0x[0-9a-f]+: /\1: /; s/; device stopped until reset( \(.*\))?$//; s/0x[0-9a-f]+/X/g; s/[0-9]+/N/g' |
		sort | uniq -c | sort -rn | sed "s/^/# $name errors| /"
	if grep -vqE "$EXPECTED" "$T/$name.err"; then
		notok "$what: stderr holds only device error lines, refused features and the power-off"
		grep -vE "$EXPECTED" "$T/$name.err" | head -n 20 | sed "s/^/# $name stderr| /"
	else
		ok "$what: stderr holds only device error lines, refused features and the power-off"
	fi
}

nseeds=$(echo "$SEEDS" | wc -w)
PLAN=$((nseeds * 6 + 6))
echo "TAP version 13"
echo "1..$PLAN"

if [ ! -x "$V" ] || [ ! -x "$VA" ] || [ ! -r "$GUEST" ]; then
	echo "Bail out! missing $V, $VA or $GUEST"
	exit 1
fi

# 1 MiB each: the read-only disk's sectors as the guest expects them.
awk 'BEGIN { for (i = 0; i < 2048; i++) printf "%-512s", "vqfuzz sector " i }' >"$T/ro.img"
cp "$T/ro.img" "$T/rw.img"
if [ "$(wc -c <"$T/ro.img")" != 1048576 ]; then
	echo "Bail out! the read-only image is $(wc -c <"$T/ro.img") bytes, not 1 MiB"
	exit 1
fi

total=0
for seed in $SEEDS; do
	fuzz "asan-$seed" "$VA" "$seed" --no-sandbox
	verdict "asan-$seed" "seed $seed, ASan+UBSan launcher" 1
	total=$((total + secs))
done
fuzz "static-$STATIC_SEED" "$V" "$STATIC_SEED"
verdict "static-$STATIC_SEED" "seed $STATIC_SEED, static launcher, sandbox on" 0
total=$((total + secs))
# The control: the same guest and checks, a read-only disk not as
# expected; a few rounds suffice.
awk 'BEGIN { for (i = 0; i < 2048; i++) printf "%-512s", "vqfuzz sectoR " i }' >"$T/ro-bad.img"
RO=$T/ro-bad.img RUN_ROUNDS=200 fuzz control "$V" 1
failed=$(summary control checks_failed)
[ $rc = 0 ] && [ "${failed:-0}" -gt 0 ] && grep -q "^VQFUZZ-FAIL .* dev=1 blk-data" "$T/control.console"
check $? "control: a read-only disk with other contents fails ${failed:-no} checks (blk-data on device 1)"
echo "# $ROUNDS rounds per seed; seeds $SEEDS (ASan) and $STATIC_SEED (static): ${total}s in all"

[ "$n" = $PLAN ] || echo "# planned $PLAN, ran $n"
rm -rf "$T"
