#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86_run_shell: the distribution kernel boots under vmw86-run to a shell,
# and what is typed on vmw86-run's standard input reaches that shell through
# the guest's UART (receive buffer and interrupt); its answers come back on
# standard output. The commands check the guest itself: arithmetic, the
# number of CPUs and a computation on all of them, the kernel release (the
# test machine's own kernel file), the date from the RTC against the test
# machine's clock, the guest's own kernel log, its time taken from vmw86
# without calibration, machine checks initialised without an error, the
# TSC as clocksource staying selected, and a clean power-off.
# Runs in the test machine (busybox sh), prints TAP.
echo "1..11"
n=0
# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

V=/bin/vmw86-run
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-shell.cpio.gz
T=$(mktemp -d)
mkfifo "$T/in"

# Wait up to $2 seconds for a line matching $1 in the guest console; give
# up at once when the launcher has ended, since nothing more will come.
wait_for() {
	i=0
	while ! tr -d '\r' <"$T/console" | grep -q "$1"; do
		i=$((i + 1))
		[ $i -gt "$2" ] && return 1
		if ! kill -0 "$pid" 2>/dev/null; then
			tr -d '\r' <"$T/console" | grep -q "$1"
			return
		fi
		sleep 1
	done
}

# Twice as many vCPUs as the test machine has CPUs (2 on the one-CPU
# machine, 4 on the two-CPU one): a guest with more vCPUs than host CPUs
# must still make progress.
cpus=$((2 * $(grep -c ^processor /proc/cpuinfo)))
# A launcher that dies or is killed leaves the fifo without a reader: the
# next command typed must fail as a test, not kill this script (SIGPIPE).
trap '' PIPE
timeout 300 "$V" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M \
	--cpus $cpus --cmdline "console=ttyS0 panic=-1 quiet" \
	<"$T/in" >"$T/console" 2>"$T/err" &
pid=$!
exec 3>"$T/in"	# the guest's keyboard, open until the end

if wait_for "VMW86RUN-GUEST-SHELL" 200; then
	ok "guest boots to its shell"
else
	notok "guest boots to its shell"
fi
sleep 1
printf 'echo SUM-$((6 * 7))-END\n' >&3
if wait_for "SUM-42-END" 60; then
	ok "typed command runs in the guest: 6 * 7 = 42"
else
	notok "typed command runs in the guest: 6 * 7 = 42"
fi
printf 'echo CS1-$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)-END\n' >&3
wait_for "CS1-[a-z_0-9-]*-END" 60
printf 'echo NPROC-$(nproc)-END\n' >&3
if wait_for "NPROC-$cpus-END" 60; then
	ok "guest sees $cpus CPUs (nproc)"
else
	notok "guest sees $cpus CPUs (nproc)"
fi
# One sum per CPU, in parallel: 1 + ... + 20000 = 200010000 each.
printf 'for i in $(seq %s); do (seq 20000 | awk "{s+=\\$1} END {print s}") & done >/sums; wait; echo PAR-$(sort -u /sums | tr "\\n" ,)$(wc -l </sums)-END\n' "$cpus" >&3
if wait_for "PAR-200010000,$cpus-END" 120; then
	ok "a computation on all $cpus CPUs gives the right sums"
else
	notok "a computation on all $cpus CPUs gives the right sums"
fi
printf 'echo UNAME-$(uname -r)-END\n' >&3
if wait_for "UNAME-$(uname -r)-END" 60; then
	ok "guest runs the test machine's kernel: $(uname -r)"
else
	notok "guest runs the test machine's kernel: $(uname -r)"
fi
printf 'echo DATE-$(date +%%s)-END\n' >&3
if wait_for "DATE-[0-9]*-END" 60; then
	guest=$(tr -d '\r' <"$T/console" | sed -n 's/.*DATE-\([0-9]*\)-END.*/\1/p' | tail -n 1)
	host=$(date +%s)
	d=$((host - guest))
	[ $d -lt 0 ] && d=$((-d))
	if [ $d -le 60 ]; then
		ok "guest date within a minute of the host's (off by $d s)"
	else
		notok "guest date within a minute of the host's (off by $d s)"
	fi
else
	notok "guest date within a minute of the host's (no answer)"
fi
# The guest's own kernel log, as issue 3 asks: no warning, oops or
# consistency complaint.
printf 'echo BAD-$(dmesg | grep -cE "WARNING|BUG:|Call Trace|XSAVE consistency|unchecked MSR|soft lockup|rcu.*stall")-END\n' >&3
if wait_for "BAD-[0-9]*-END" 60; then
	bad=$(tr -d '\r' <"$T/console" | sed -n 's/.*BAD-\([0-9]*\)-END.*/\1/p' | tail -n 1)
	if [ "$bad" = 0 ]; then
		ok "guest kernel log has no WARNING, BUG, Call Trace, XSAVE, soft-lockup or RCU-stall line"
	else
		notok "guest kernel log has no WARNING, BUG, Call Trace, XSAVE, soft-lockup or RCU-stall line ($bad lines)"
		printf 'dmesg | grep -E -B2 -A8 "WARNING|BUG:|Call Trace|XSAVE consistency|unchecked MSR|soft lockup|rcu.*stall"\n' >&3
		sleep 5
	fi
else
	notok "guest kernel log has no WARNING, BUG, Call Trace, XSAVE, soft-lockup or RCU-stall line (no answer)"
fi
# Time from vmw86 on all the vCPUs (design.rst, "Time"): the TSC rate read
# through VMware's backdoor, Linux's own line for it, no calibration.
printf 'echo TIME-$(dmesg | grep -c "vmware: TSC freq read from hypervisor")-$(dmesg | grep -c "tsc: Detected [0-9.]* MHz processor")-$(dmesg | grep -cE "Fast TSC calibration|calibrate against PIT|Marking TSC unstable|Marking clocksource|HPET/PMTIMER calibration failed|TSC clocksource calibration")-END\n' >&3
if wait_for "TIME-[0-9]*-[0-9]*-[0-9]*-END" 60; then
	t=$(tr -d '\r' <"$T/console" | sed -n 's/.*TIME-\([0-9]*-[0-9]*-[0-9]*\)-END.*/\1/p' | tail -n 1)
	if [ "$t" = 1-1-0 ]; then
		ok "guest takes its TSC rate from vmw86 and calibrates nothing"
	else
		notok "guest takes its TSC rate from vmw86 and calibrates nothing (hypervisor, detected, calibration lines: $t)"
		printf 'dmesg | grep -E "tsc:|vmware:|clocksource"\n' >&3
		sleep 5
	fi
else
	notok "guest takes its TSC rate from vmw86 and calibrates nothing (no answer)"
fi
# The guest's log at err level and above (kernel priorities 0-3) is
# empty: the platform gives it nothing to complain of. That includes
# "mce: Unable to init MCE device" (the MCA vmw86 offers) and "PCI: Fatal"
# (hw/pci.c). The lines, if any, are listed in the console below.
printf 'dmesg -r | grep -E "^<[0-3]>" | sed "s/^/ERRLOG /"; echo ERR-$(dmesg -r | grep -cE "^<[0-3]>")-$(dmesg -r | grep -E "^<[0-3]>" | grep -c "mce:")-END\n' >&3
if wait_for "ERR-[0-9]*-[0-9]*-END" 60; then
	e=$(tr -d '\r' <"$T/console" | sed -n 's/.*ERR-\([0-9]*-[0-9]*\)-END.*/\1/p' | tail -n 1)
	if [ "$e" = 0-0 ]; then
		ok "guest kernel log has nothing at err level or above, no mce: line among it"
	else
		notok "guest kernel log has nothing at err level or above, no mce: line among it (err lines, mce lines: $e)"
		tr -d '\r' <"$T/console" | sed -n 's/^ERRLOG /#   /p' | head -n 20
	fi
else
	notok "guest kernel log has nothing at err level or above, no mce: line among it (no answer)"
fi
# After all that work, the TSC still the clocksource, none marked unstable.
printf 'echo CS2-$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)-$(dmesg | grep -c "clocksource.*unstable\\|Marking clocksource")-END\n' >&3
if wait_for "CS2-[a-z_0-9-]*-[0-9]*-END" 60; then
	cs1=$(tr -d '\r' <"$T/console" | sed -n 's/.*CS1-\([a-z_0-9-]*\)-END.*/\1/p' | tail -n 1)
	cs2=$(tr -d '\r' <"$T/console" | sed -n 's/.*CS2-\([a-z_0-9-]*\)-\([0-9]*\)-END.*/\1 \2/p' | tail -n 1)
	if [ "$cs1" = tsc ] && [ "$cs2" = "tsc 0" ]; then
		ok "the guest's clocksource is tsc and stays selected"
	else
		notok "the guest's clocksource is tsc and stays selected (before: $cs1, after and unstable lines: $cs2)"
	fi
else
	notok "the guest's clocksource is tsc and stays selected (no answer)"
fi
printf 'exit\n' >&3
wait $pid
rc=$?
exec 3>&-
if [ $rc = 0 ]; then
	ok "leaving the shell powers the guest off: exit status 0"
else
	notok "leaving the shell powers the guest off: exit status 0 (got $rc)"
fi
tr -d '\r' <"$T/console" | sed 's/^/# guest| /'
sed 's/^/# stderr| /' "$T/err"
rm -rf "$T"
