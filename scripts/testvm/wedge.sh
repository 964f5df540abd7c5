#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Watch one test machine run for a wedged emulator: the console has been
# silent for VMW86_WEDGE_SECONDS (default 180; every test prints at least
# that often) while QEMU still runs.
#
# Why this exists: now and then (twice in fresh-clone CI runs and once in
# make check-debug, in several dozen passes) the test machine stops in the
# middle of a test and its console stays silent: nothing inside it can
# notice, since its timers are what stopped (the harness's own per-test
# timeouts never fired), and the pass only ended at VMW86_TIMEOUT with no
# clue left. One form of it was
# caught with QEMU's monitor: the CPU kept running the nested guest with the
# INTR intercept set while the test machine's timer vector waited in its
# local APIC's IRR, which AMD APM vol. 2, 15.21.4 forbids, and an NMI from
# the monitor ended it. The other form, QEMU idle at 0% CPU, has not been
# caught with the monitor yet; this script is there to catch it.
#
# What it does, each time the console falls silent:
#   1. writes the evidence to the wedge log: QEMU's CPU use over 5 s, and
#      from QEMU's monitor the CPU registers twice (RIP moving or not, HLT,
#      IF), whether the CPU is halted, the local APIC (IRR, ISR, PPR) and
#      the top of the stack;
#   2. sends an NMI from the monitor, which ended the stall that was seen.
#      Linux only logs it ("NMI received for unknown reason"), a line the
#      kernel-log check does not count. A pass that goes on after it keeps
#      its results, and the wedge stays in the output for whoever reads it;
#   3. if the console does not move again within 60 s, or the machine
#      wedged VMW86_WEDGE_MAX (3) times already, kills QEMU, so the pass
#      fails at once instead of at VMW86_TIMEOUT.
# A console that moves only with the kernel's soft-lockup and RCU-stall
# reports is a stopped machine too (stalled() below): the evidence is taken
# at the first report, and QEMU is killed when they go on.
# check.sh then names the functions of the RIPs in the evidence
# (scripts/testvm/resolve-rips.sh).
# Every event is one "check.sh: ..." line on stdout, so CI shows it.
#
# usage: wedge.sh CONSOLE-LOG MONITOR-SOCKET QEMU-PIDFILE WEDGE-LOG
# Needs socat (scripts/deps.sh). Ends by itself when QEMU is gone.
set -uo pipefail

log=$1 sock=$2 pidfile=$3 out=$4
silent_max=${VMW86_WEDGE_SECONDS:-180}
wedges_max=${VMW86_WEDGE_MAX:-3}

say() { echo "check.sh: $*"; echo "== $(date +%T) $*" >>"$out"; }

# One HMP command; its answer without the terminal's escape sequences.
monitor() {
	printf '%s\n' "$1" | timeout 10 socat -t 2 - "UNIX-CONNECT:$sock" 2>&1 |
		sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r//g' | grep -v '^(qemu)\|^QEMU .* monitor'
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

qemu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# The test the console last began, for the message.
current_test() {
	tr -d '\r' <"$log" | sed -n 's/.*VMW86-TEST-BEGIN \([^ ]*\).*/\1/p' | tail -n 1
}

# The state of the stopped machine, into the wedge log; check.sh names the
# functions of its RIPs afterwards (resolve-rips.sh).
evidence() {
	{
		echo "--- info registers (twice, 1 s apart)"
		monitor "info registers" | sed "/^FCW=/,\$d"
		sleep 1
		monitor "info registers" | sed "/^FCW=/,\$d"
		echo "--- info cpus (halted or not)"
		monitor "info cpus"
		echo "--- info lapic"
		monitor "info lapic"
		echo "--- the stack (x/32gx \$sp)"
		# shellcheck disable=SC2016 # $sp is the monitor's, not ours
		monitor 'x/32gx $sp'
		# What the monitor cannot show: GIF, guest mode, HIF and the
		# interrupt requests QEMU holds for each CPU, and its threads.
		timeout 60 gdb -nx -batch -p "$pid" -x "$here/wedge-gdb.py" 2>&1 |
			grep -v '^\[New LWP\|^\[Thread debugging\|^Using host libthread'
	} >>"$out"
}

pid=''
for _ in $(seq 60); do
	[[ -s $pidfile ]] && pid=$(cat "$pidfile") && break
	sleep 1
done
[[ -n $pid ]] || exit 0

size() { stat -c %s "$log" 2>/dev/null || echo 0; }

# A console that moves only with the kernel's own stall reports: a CPU
# stuck with interrupts off, or one that never lets its threads run, while
# the timer interrupt that reports it still comes (seen once: both CPUs in
# the clock's read side for 1200 s, the console reporting it every 28 s
# until VMW86_TIMEOUT). The first report takes the evidence; a report
# VMW86_STALL_SECONDS (120) after that one stops the machine.
stall_re='watchdog: BUG: soft lockup|rcu: INFO: rcu_[a-z]+ (self-)?detected stall'
stall_max=${VMW86_STALL_SECONDS:-120}
stall_reports=0 stall_first=0
stalled() {
	local n line
	n=$(tr -d '\r' <"$log" | grep -cE "$stall_re")
	((n > stall_reports)) || return 0
	stall_reports=$n
	if ((stall_first == 0)); then
		stall_first=$SECONDS
		line=$(tr -d '\r' <"$log" | grep -m1 -E "$stall_re" | sed 's/^\[[ 0-9.]*\] //')
		say "the test machine's kernel reports a stall in $(current_test): '$line'; state in $out"
		evidence
	elif ((SECONDS - stall_first >= stall_max)); then
		say "stall reports for $((SECONDS - stall_first)) s: stopping it"
		kill -TERM "$pid"
		exit 0
	fi
}

last=$(size) quiet=0 wedges=0
: >"$out"
while kill -0 "$pid" 2>/dev/null; do
	sleep 5
	now=$(size)
	if [[ $now != "$last" ]]; then
		last=$now quiet=0
		stalled
		continue
	fi
	quiet=$((quiet + 5))
	((quiet >= silent_max)) || continue

	wedges=$((wedges + 1))
	t1=$(qemu_ticks "$pid")
	sleep 5
	t2=$(qemu_ticks "$pid")
	cpu=$(((t2 - t1) * 100 / (5 * $(getconf CLK_TCK))))
	say "test machine silent for ${quiet} s in $(current_test), QEMU at ${cpu}% CPU; state in $out"
	evidence
	if ((wedges > wedges_max)); then
		say "wedged $wedges times: stopping it"
		kill -TERM "$pid"
		exit 0
	fi
	say "sending the test machine an NMI (wedge $wedges of at most $wedges_max)"
	monitor nmi >>"$out"
	quiet=0
	for _ in $(seq 12); do
		sleep 5
		[[ $(size) != "$last" ]] && break
	done
	if [[ $(size) == "$last" ]]; then
		say "still silent 60 s after the NMI: stopping it"
		kill -TERM "$pid"
		exit 0
	fi
	last=$(size)
	say "the test machine runs again after the NMI"
done
exit 0
