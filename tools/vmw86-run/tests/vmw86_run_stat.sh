#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86-stat in the test machine (busybox sh, TAP): pointed at a running
# vmw86-run, which keeps its statistics fds open, it finds them through
# /proc/PID/fd and shows the VM's exits, non-zero, and its vCPU's, in the
# --once table and in --json; pointed at a process without any, or without
# a PID, or given a PID or an interval that is no number, it fails with a
# message.
# The guest is Debian's kernel with the interactive shell image, which
# waits on its console (a fifo this script holds open and never writes)
# for input that never comes; the launcher is killed after.

V=${VMW86_RUN:-/bin/vmw86-run}
S=${VMW86_STAT:-/bin/vmw86-stat}
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-shell.cpio.gz
T=${TMPDIR:-/tmp}/vmw86-stat-test.$$
mkdir -p "$T"
n=0

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

echo "TAP version 13"
echo "1..8"

if [ ! -x "$V" ] || [ ! -x "$S" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ]; then
	echo "Bail out! missing $V, $S, $KERNEL or $GUEST"
	exit 1
fi

"$S" >"$T/out" 2>&1
check "$([ $? = 2 ] && grep -q usage "$T/out" && echo 0)" "no PID: usage, exit status 2"
"$S" --once 1 >"$T/out" 2>&1
check "$([ $? = 1 ] && grep -q 'no vmw86 statistics fd' "$T/out" && echo 0)" \
	"a process without statistics fds: exit status 1 and why"
"$S" --once 12x >"$T/out" 2>&1
check "$([ $? = 1 ] && grep -q '12x: not a process id' "$T/out" && echo 0)" \
	"PID 12x: exit status 1 and why"
"$S" -i 0 --once 1 >"$T/out" 2>&1
check "$([ $? = 1 ] && grep -q -- '-i 0: not a number of seconds' "$T/out" && echo 0)" \
	"-i 0: exit status 1 and why"

# No process may outlive the test holding its output open (the harness
# reads to the end): the keyboard is a fifo, not a pipe from a sleep.
mkfifo "$T/in"
"$V" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M \
	--cmdline "console=ttyS0 quiet panic=-1" <"$T/in" >"$T/console" 2>&1 &
pid=$!
exec 3>"$T/in"

# Exits begin with the first instruction; give the boot a few seconds.
i=0 got=1
while [ $i -lt 60 ]; do
	sleep 1
	i=$((i + 1))
	kill -0 "$pid" 2>/dev/null || break
	if "$S" --once -i 0.5 "$pid" >"$T/once" 2>&1 &&
	   grep -qE '^  exits +[1-9][0-9]* ' "$T/once"; then
		got=0
		break
	fi
done
check $got "--once: vmw86-$pid has non-zero exits"
sed 's/^/#   /' "$T/once"
check "$(grep -qE '^  vcpu-0 +[1-9][0-9]* ' "$T/once" && echo 0)" \
	"--once: the vCPU's exits too"

"$S" --json -i 0.5 "$pid" >"$T/json" 2>&1
rc=$?
check "$([ $rc = 0 ] && grep -q "\"id\": \"vmw86-$pid\", \"stats\": {" "$T/json" &&
	grep -qE '"exits": [1-9]' "$T/json" && echo 0)" "--json: the VM's exits, non-zero"
check "$(grep -q "\"id\": \"vmw86-$pid/vcpu-0\"" "$T/json" && echo 0)" \
	"--json: its vCPU"

# The launcher's threads block the usual signals: SIGKILL, as the disk
# test ends it.
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exec 3>&-
if [ $got != 0 ]; then
	sed 's/^/# guest| /' "$T/console" | tail -n 30
fi
rm -rf "$T"
