# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Shared by the test machine's /init and /bin/run-tests (busybox sh, sourced;
# installed as /lib/vmw86/lib.sh). Everything the host parses is printed as a
# line starting with "VMW86-" (see scripts/testvm/parse.awk), so kernel
# messages that land on the same console cannot be mistaken for results.

TESTS_DIR=/tests
RUN_LIST=$TESTS_DIR/run_list

# Lines in dmesg that mean the kernel is unhappy. Word-bounded BUG so DEBUG
# does not match. Most reports of the debug kernel (make check-debug) start
# with "BUG:" or "WARNING:" ("BUG: KASAN: ...", "BUG: sleeping function
# called from invalid context", "WARNING: possible circular locking
# dependency", "WARNING: inconsistent lock state"); their key words are
# listed as well, in case a report's first line is lost or reworded.
BAD_RE='WARNING|(^|[^A-Za-z_])BUG([^A-Za-z_]|$)|Oops|general protection|lockdep|possible circular locking|possible recursive locking|inconsistent lock state|sleeping function called from invalid context|scheduling while atomic|refcount_t|refcount:|Call Trace|UBSAN|KASAN|KFENCE|ODEBUG|list_add corruption|list_del corruption|unreferenced object|blocked for more than|soft lockup|Kernel panic|stack-protector|double fault'
# Expected noise: an unsigned out-of-tree module taints the kernel, and a user
# program's own #GP ("traps: prog[pid] general protection fault ip:...") is
# reported through the binary's exit status, not as a kernel problem. The
# debug kernel says at boot "rcu: RCU lockdep checking is enabled."
TAINT_RE='loading out-of-tree module taints kernel|module verification failed'
IGNORE_RE="$TAINT_RE"'|traps: .*\[[0-9]+\] general protection fault ip:|RCU lockdep checking is enabled'

# Guest uptime in centiseconds, for per-binary timings.
uptime_cs() {
	local up
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

fmt_cs() {
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# result ok|"not ok" NAME [DETAIL]: a harness-level test result.
result() {
	if [ -n "${3:-}" ]; then
		echo "VMW86-RESULT $1 $2 # $3"
	else
		echo "VMW86-RESULT $1 $2"
	fi
}

# Read and clear the kernel log into FILE, copying it to the console with a
# prefix so the host log holds the full record without confusing the parser.
take_dmesg() { # FILE TAG
	dmesg -c >"$1"
	echo "VMW86-DMESG-BEGIN $2 lines=$(wc -l <"$1")"
	sed 's/^/dmesg| /' "$1"
	echo "VMW86-DMESG-END $2"
}

# Print offending kernel log lines of FILE; succeed if there are none.
dmesg_clean() { # FILE
	local bad
	bad=$(grep -E "$BAD_RE" "$1" | grep -vE "$IGNORE_RE")
	[ -z "$bad" ] && return 0
	echo "$bad" | sed 's/^/VMW86-BADLOG /' # every line, not just the first
	return 1
}

# kmemleak (make check-debug, kernel parameter vmw86_kmemleak=1): what the
# run leaked, judged by where each object was allocated. An object counts
# against vmw86 if its allocation backtrace has a [vmw86] frame or a frame
# that does not resolve: vmw86's code after rmmod, or its init code, freed
# once it is loaded. (The kvm modules stay loaded; what their init leaked
# is cleared with boot's.)
KMEMLEAK=/sys/kernel/debug/kmemleak
# Forget what boot and the kvm modules leaked: scan, then mark all reported
# so far as seen. Objects younger than 5 s are not reported yet, hence the
# pause, so that kvm's cannot turn up later among vmw86's.
kmemleak_start() {
	[ -e $KMEMLEAK ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	[ -w $KMEMLEAK ] || return 1
	sleep 6
	echo scan >$KMEMLEAK && echo clear >$KMEMLEAK
}

# Scan now, append the report to FILE, and clear it so that the next scan
# reports only objects found since. Objects younger than 5 s are not
# reported yet, hence the pause.
kmemleak_take() { # FILE
	[ -w $KMEMLEAK ] || return 1
	sleep 6
	echo scan >$KMEMLEAK
	cat $KMEMLEAK >>"$1"
	echo clear >$KMEMLEAK
}

# Copy the report in FILE to the console ("kmemleak| " prefix) and print
# the result line for it.
kmemleak_result() { # FILE
	local counts mine others
	if [ ! -f "$1" ]; then
		result "not ok" kmemleak "no $KMEMLEAK (kernel without DEBUG_KMEMLEAK, or kmemleak off)"
		return
	fi
	sed 's/^/kmemleak| /' "$1"
	counts=$(awk '
		function flush() { if (n) { if (mine) m++; else o++ } }
		/^unreferenced object/ { flush(); n = 1; mine = 0 }
		/\[vmw86\]/ || /\] 0x[0-9a-f]+[ \t]*$/ { mine = 1 }
		END { flush(); print m + 0, o + 0 }' "$1")
	mine=${counts% *} others=${counts#* }
	[ "$others" = 0 ] ||
		echo "VMW86-WARN kmemleak: $others unreferenced objects not allocated by vmw86 (not counted)"
	if [ "$mine" = 0 ]; then
		result ok kmemleak
	else
		result "not ok" kmemleak "$mine unreferenced objects allocated by vmw86: see the kmemleak| lines"
	fi
}

# Run one test binary: its TAP goes straight to the console between markers,
# so a hang or crash still leaves everything it printed in the host log.
run_one() { # NAME [TIMEOUT]
	local name=$1 t=${2:-${vmw86_timeout:-300}} start end rc pid st note='' polls=0
	# A slower kernel (make check-debug's) stretches every timeout.
	t=$((t * ${vmw86_timeout_scale:-1}))
	echo "VMW86-TEST-BEGIN $name timeout=$t"
	if [ ! -x "$TESTS_DIR/$name" ]; then
		echo "# $TESTS_DIR/$name: not found in the initramfs"
		echo "VMW86-TEST-END $name rc=127 time=0.00 missing"
		return
	fi
	start=$(uptime_cs)
	# Own session/process group, so whatever the test forks can be reaped
	# with it; TERM at the deadline, KILL 5 s later. stdin is /dev/null.
	(cd "$TESTS_DIR" && exec timeout -s TERM -k 5 "$t" setsid "./$name") </dev/null &
	pid=$!
	# Poll rather than "wait": a test stuck in the kernel ignores even
	# SIGKILL, and must not take the rest of the run down with it. (ash
	# reaps the job meanwhile and "wait" still returns its status.)
	while [ -e /proc/$pid ]; do
		st=
		read -r _ _ st _ </proc/$pid/stat 2>/dev/null
		[ "$st" = Z ] && break
		if [ "$(uptime_cs)" -ge $((start + (t + 30) * 100)) ]; then
			note=stuck
			break
		fi
		# Quick tests are the common case: look often at first.
		if [ $((polls += 1)) -lt 20 ]; then sleep 0.05; else sleep 0.25; fi
	done
	if [ "$note" = stuck ]; then
		rc=255
		echo "# $name (pid $pid, state $st) survived SIGKILL; blocked tasks go to the kernel log"
		# sysrq w: stacks of all D-state tasks, into dmesg (and so into
		# the kernel_log_clean verdict: a task SIGKILL cannot end is a bug).
		echo w >/proc/sysrq-trigger
	else
		wait $pid
		rc=$?
	fi
	kill -KILL -$pid 2>/dev/null
	end=$(uptime_cs)
	# busybox timeout does not exit 124: the test just dies of the signal.
	if [ -z "$note" ] && [ $rc -ge 128 ] && [ $((end - start)) -ge $((t * 100)) ]; then
		note=timeout
	fi
	echo "VMW86-TEST-END $name rc=$rc time=$(fmt_cs $((end - start))) $note"
}

# Run the binaries named in ARGS, or all of run_list (optional 2nd field: a
# per-binary timeout in seconds overriding vmw86_timeout).
run_tests() {
	local name t
	if [ $# -gt 0 ]; then
		for name in "$@"; do
			t=$(awk -v n="$name" '$1 == n { print $2; exit }' "$RUN_LIST")
			run_one "$name" ${t:+"$t"}
		done
		return
	fi
	while read -r name t _; do
		case "$name" in "" | \#*) continue ;; esac
		run_one "$name" ${t:+"$t"}
	done <"$RUN_LIST"
}
