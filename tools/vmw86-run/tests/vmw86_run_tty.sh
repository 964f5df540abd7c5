#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86_run_tty: vmw86-run on a terminal, the sandbox on (issue 13). The
# launcher is run on a new pseudo-terminal (pty-run), as its controlling
# terminal, as in "make run" or any interactive use; the guest's console is
# that terminal. For every way out it must end with its documented exit
# status, with no "forbidden system call" stop by the sandbox, and leave
# the terminal as it found it ("stty -g" before and after the same):
# - the shell guest (guest-shell-init), with and without --user, told on
#   the terminal to "exit" (power-off: 0), to "reboot -f" (reset: 2), and
#   to "reboot -f" with reboot=t (triple fault: 3); while the guest runs,
#   the terminal is in raw mode;
# - Ctrl-A x typed during the boot (0); SIGTERM and, with --user, SIGHUP
#   (the launcher dies of the signal: 128 + N);
# - --sandbox-selftest, with and without --user (a forbidden call on
#   purpose: 4 and one line naming it);
# - bad input (1, before the terminal is touched).
# Without a terminal: the guest (guest-init) with --user reboots (2),
# triple-faults (3), and --sandbox-selftest stops (4). vmw86_run_boot runs
# the rest without a terminal: power-off, reset, triple fault and the
# self-test without --user, and power-off with it.
# Runs in the test machine (busybox sh), prints TAP.

V=${VMW86_RUN:-/bin/vmw86-run}
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-initramfs.cpio.gz
SHELL_GUEST=${0%/*}/guest-shell.cpio.gz
PTY=${0%/*}/pty-run
USER_ARG=65534:65534	# the test machine has no /etc/passwd
T=${TMPDIR:-/tmp}/vmw86-run-tty.$$
mkdir -p "$T"
n=0

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

echo "TAP version 13"
echo "1..48"

if [ ! -x "$V" ] || [ ! -x "$PTY" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ] ||
   [ ! -r "$SHELL_GUEST" ]; then
	echo "Bail out! missing $V, $PTY, $KERNEL, $GUEST or $SHELL_GUEST"
	exit 1
fi

# What runs on the terminal: the terminal's settings and name, the
# launcher, the settings again; the launcher's exit status.
cat >"$T/on-tty" <<'EOF'
#!/bin/sh
# on-tty NAME COMMAND...
t=$1
shift
stty -g >"$t.before"
tty >"$t.ttyname"
"$@"
rc=$?
stty -g >"$t.after"
exit $rc
EOF
chmod +x "$T/on-tty"

# A launcher that died leaves the fifo without a reader: typing must fail
# as a test, not kill this script (SIGPIPE).
trap '' PIPE

# tty_start NAME ARGS...: vmw86-run ARGS on a new terminal, in the
# background ($pid: pty-run's, which kills it after 150 s); what it shows
# lands in $T/NAME.console, what is written to fd 3 is typed on it.
tty_start() {
	name=$1
	shift
	rm -f "$T/$name.in" "$T/$name.before" "$T/$name.after" "$T/$name.ttyname"
	mkfifo "$T/$name.in"
	"$PTY" -t 150 "$T/on-tty" "$T/$name" "$V" "$@" \
		<"$T/$name.in" >"$T/$name.console" 2>"$T/$name.err" &
	pid=$!
	exec 3>"$T/$name.in"
}

# tty_end NAME: waits for it; $rc is the launcher's exit status, and the
# terminal's output is shown here, each line marked with NAME.
tty_end() {
	wait $pid
	rc=$?
	exec 3>&-
	show "$1"
}

# wait_for NAME REGEX SECONDS: until REGEX is in NAME's terminal output;
# fails at once when the launcher has ended, since nothing more will come.
wait_for() {
	i=0
	while ! tr -d '\r' <"$T/$1.console" | grep -q -e "$2"; do
		i=$((i + 1))
		[ $i -gt "$3" ] && return 1
		if ! kill -0 "$pid" 2>/dev/null; then
			tr -d '\r' <"$T/$1.console" | grep -q -e "$2"
			return
		fi
		sleep 1
	done
}

# launcher_pid: the one vmw86-run running (its tests never run two).
launcher_pid() {
	pidof vmw86-run | cut -d' ' -f1
}

# status_is NAME WANT WHAT: $rc is WANT.
status_is() {
	if [ "$rc" = "$2" ]; then
		ok "$1: $3: exit status $2"
	else
		notok "$1: $3: exit status $2 expected, $rc seen"
	fi
}

# no_stop NAME: no sandbox stop in NAME's output (stderr is the terminal,
# or $T/NAME.err without one).
no_stop() {
	lines=$(cat "$T/$1.console" "$T/$1.err" | tr -d '\r' | grep "forbidden system call")
	if [ -z "$lines" ]; then
		ok "$1: no \"forbidden system call\" stop"
	else
		notok "$1: no \"forbidden system call\" stop expected, seen: $lines"
	fi
}

# same_tty NAME: the terminal's settings after the launcher are those
# before it.
same_tty() {
	before=$(cat "$T/$1.before" 2>/dev/null)
	after=$(cat "$T/$1.after" 2>/dev/null)
	if [ -n "$before" ] && [ "$before" = "$after" ]; then
		ok "$1: terminal left as found (stty -g $before)"
	else
		notok "$1: terminal left as found: stty -g '${before:-(none)}' expected after, '${after:-(none)}' seen"
	fi
}

# tty_case NAME WANT WHAT: the three checks of a run on the terminal.
tty_case() {
	status_is "$1" "$2" "$3"
	no_stop "$1"
	same_tty "$1"
}

# shell_case NAME CMDLINE-EXTRA COMMAND WANT WHAT [ARGS...]: the shell
# guest on the terminal, COMMAND typed once its shell runs (with a
# carriage return, as a terminal's Enter sends it).
shell_case() {
	name=$1 extra=$2 cmd=$3 want=$4 what=$5
	shift 5
	tty_start "$name" --kernel "$KERNEL" --initrd "$SHELL_GUEST" --memory 256M \
		--cmdline "console=ttyS0 quiet panic=-1$extra" "$@"
	if wait_for "$name" "VMW86RUN-GUEST-SHELL" 200; then
		sleep 1
		# The terminal in raw mode meanwhile: the restore is no no-op.
		during=$( (stty -g <"$(cat "$T/$name.ttyname")") 2>&1)
		printf '%s\r' "$cmd" >&3
	else
		during="(the shell never came)"
	fi
	tty_end "$name"
	tty_case "$name" "$want" "$what"
	if echo "$during" | grep -qx "[0-9a-f:]*:[0-9a-f:]*" &&
	   [ "$during" != "$(cat "$T/$name.before" 2>/dev/null)" ]; then
		ok "$name: terminal in raw mode while the guest runs (stty -g $during)"
	else
		notok "$name: terminal settings other than '$(cat "$T/$name.before" 2>/dev/null)' expected while the guest runs, '$during' seen"
	fi
}

# The shell guest: what issue 13 saw ("exit", then status 159).
shell_case exit "" "exit" 0 "'exit' powers off"
shell_case reboot "" "reboot -f" 2 "'reboot -f' resets"
shell_case triple " reboot=t" "reboot -f" 3 "'reboot -f' with reboot=t triple-faults"
shell_case user-exit "" "exit" 0 "--user, 'exit' powers off" --user "$USER_ARG"
shell_case user-reboot "" "reboot -f" 2 "--user, 'reboot -f' resets" --user "$USER_ARG"
shell_case user-triple " reboot=t" "reboot -f" 3 "--user, 'reboot -f' with reboot=t triple-faults" \
	--user "$USER_ARG"

# early_case NAME ACTION WANT WHAT [ARGS...]: the small guest on the
# terminal, ACTION done as soon as the guest kernel prints (so in the
# sandbox: no guest instruction runs outside it).
early_case() {
	name=$1 action=$2 want=$3 what=$4
	shift 4
	tty_start "$name" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M \
		--cmdline "console=ttyS0 panic=-1" "$@"
	if wait_for "$name" "Linux version" 120; then
		$action
	else
		echo "# $name: the guest printed nothing"
	fi
	tty_end "$name"
	tty_case "$name" "$want" "$what"
}
ctrl_a_x() { printf '\001x' >&3; }
sigterm() { kill -TERM "$(launcher_pid)"; }
sighup() { kill -HUP "$(launcher_pid)"; }

early_case ctrl-a-x ctrl_a_x 0 "Ctrl-A x leaves"
early_case sigterm sigterm 143 "SIGTERM ends it (128 + 15)"
early_case user-sighup sighup 129 "--user, SIGHUP ends it (128 + 1)" --user "$USER_ARG"

# selftest_check NAME: exactly one stop, socket's, and no other line.
selftest_check() {
	lines=$(cat "$T/$1.console" "$T/$1.err" | tr -d '\r' | grep -c .)
	stop=$(cat "$T/$1.console" "$T/$1.err" | tr -d '\r' |
		grep -c "^vmw86-run: sandbox: forbidden system call socket ")
	if [ "$lines" = 1 ] && [ "$stop" = 1 ]; then
		ok "$1: one line names the forbidden call (socket)"
	else
		notok "$1: one line naming socket expected, $lines lines ($stop naming socket) seen"
	fi
}

# The sandbox's own stop on the terminal: its handler restores it.
for u in "" user-; do
	name=${u}selftest
	# shellcheck disable=SC2046 # --user USER or nothing, split on purpose
	tty_start "$name" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M \
		--sandbox-selftest $([ -n "$u" ] && echo --user "$USER_ARG")
	tty_end "$name"
	status_is "$name" 4 "--sandbox-selftest stops it"
	selftest_check "$name"
	same_tty "$name"
done

# Bad input on the terminal: refused before raw mode.
tty_start badinput --kernel "$KERNEL" --memory 0
tty_end badinput
tty_case badinput 1 "--memory 0 is bad input"

# Without a terminal, with --user: what vmw86_run_boot does not run.
# notty_case NAME WANT WHAT CMDLINE-EXTRA
notty_case() {
	name=$1 want=$2 what=$3
	timeout 120 "$V" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M \
		--cmdline "console=ttyS0 quiet panic=-1$4" --user "$USER_ARG" \
		>"$T/$name.console" 2>"$T/$name.err" </dev/null
	rc=$?
	show "$name"
	status_is "$name" "$want" "$what"
	no_stop "$name"
}
notty_case notty-user-reboot 2 "no terminal, --user, reboot" " vmw86run_end=reboot"
notty_case notty-user-triple 3 "no terminal, --user, reboot=t" " reboot=t vmw86run_end=reboot"

"$V" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M --sandbox-selftest \
	--user "$USER_ARG" >"$T/notty-user-selftest.console" \
	2>"$T/notty-user-selftest.err" </dev/null
rc=$?
show notty-user-selftest
status_is notty-user-selftest 4 "no terminal, --user, --sandbox-selftest stops it"
selftest_check notty-user-selftest

[ "$n" = 48 ] || echo "# planned 48, ran $n"
rm -rf "$T"
