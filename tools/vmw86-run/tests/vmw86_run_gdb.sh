#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86-run --gdb in the test machine (busybox sh, TAP), with Debian's
# gdb-minimal in batch mode against guest-gdb.elf, whose every address and
# byte is known (see its header), the sandbox on throughout:
# - bad input exits 1 with its one line before any guest runs: an address
#   that is not tcp: or unix:, a port that is not one, a socket in a
#   directory that does not exist, --gdb-wait without --gdb, a port already
#   in use;
# - --gdb tcp::PORT --gdb-wait: the guest does not start before gdb
#   attaches; gdb finds RIP at the 64-bit entry (16 MiB) and its bytes
#   (CLI, MOV %rsi,%r15), cannot read the kernel text mapping before the
#   guest has made it (E14), steps one instruction (RIP + 1), runs to
#   gdb_mapped (a temporary breakpoint) and then to a breakpoint on
#   gdb_target, where RIP and the bytes read (the breakpoint's INT3 not
#   among them) are gdb_target's; stepi moves RIP past the MOV, RAX is
#   0x1234; RAX set to 0x5000 and gdb_data[0] to 0x5a read back; with the
#   breakpoints deleted the guest runs to its end: its own INT3 handed
#   back to it (int3=0x1), gdb_target returning 0x5001 and gdb_data[0]
#   0x5a, as its console line says; gdb hears the exit (status 0); with
#   QEMU's Qqemu.PhyMemMode:1 memory is read at guest-physical addresses;
# - --gdb unix:PATH without --gdb-wait, two vCPUs: gdb attaches to a
#   running guest (spinning until gdb_release is set), finds it stopped
#   with two threads, is interrupted (SIGINT to gdb, which sends 0x03)
#   during a continue, sets gdb_release and detaches; the guest runs on to
#   its end untouched otherwise (rax=0x1235 data=0x11);
# - gdb's kill ends the launcher at once (status 0), before the guest ran;
# - hardware breakpoints (Z1, Z2): hbreak on gdb_target stops the guest
#   there and, deleted, lets it on; a write watchpoint on gdb_watched
#   stops it just after its one store, with the new value, and the guest
#   ends normally; a read watchpoint, which x86 lacks (Z3), is the
#   access watchpoint (Z4) gdb falls back to, and stops at the guest's
#   read of gdb_data[0].

V=${VMW86_RUN:-/bin/vmw86-run}
GDB=${GDB:-/bin/gdb}
GUEST=${0%/*}/guest-gdb.elf
T=${TMPDIR:-/tmp}/vmw86-run-gdb.$$
PORT=41234
mkdir -p "$T"
n=0

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

echo "TAP version 13"
echo "1..36"

if [ ! -x "$V" ] || [ ! -x "$GDB" ] || [ ! -r "$GUEST" ]; then
	echo "Bail out! missing $V, $GDB or $GUEST"
	exit 1
fi
# gdb reaches the TCP stub on 127.0.0.1: the test machine's init leaves
# the loopback interface down.
ip link set lo up

bad "--gdb not tcp: nor unix:" "^vmw86-run: --gdb 'nonsense': not tcp:\[HOST:\]PORT or unix:PATH\$" \
	--kernel "$GUEST" --gdb nonsense
bad "--gdb tcp:nonsense" "^vmw86-run: --gdb 'tcp:nonsense': not a port" \
	--kernel "$GUEST" --gdb tcp:nonsense
bad "--gdb unix: in a missing directory" \
	"^vmw86-run: --gdb 'unix:/nonexistent/gdb.sock': cannot listen on /nonexistent/gdb.sock: No such file or directory\$" \
	--kernel "$GUEST" --gdb unix:/nonexistent/gdb.sock
bad "--gdb-wait without --gdb" "^vmw86-run: --gdb-wait: waits for gdb, but no --gdb says where\$" \
	--kernel "$GUEST" --gdb-wait

# launch NAME ARGS...: vmw86-run on the guest in the background ($pid).
launch() {
	name=$1
	shift
	timeout 300 "$V" --kernel "$GUEST" --memory 64M "$@" \
		>"$T/$name.console" 2>"$T/$name.err" </dev/null &
	pid=$!
}

# wait_for FILE REGEX: until FILE has a line matching REGEX (60 s).
wait_for() {
	i=0
	while [ $i -lt 600 ]; do
		grep -qE -e "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# run_gdb NAME: gdb in batch mode on the guest's symbols, one -ex per line
# of standard input (a sourced script would stop at the first error, and
# reading an unmapped address is one on purpose); output in $T/NAME.gdb.
run_gdb() {
	set --
	while IFS= read -r line; do
		set -- "$@" -ex "$line"
	done
	timeout 90 "$GDB" -nx -batch -ex "set pagination off" -ex "set confirm off" \
		"$@" "$GUEST" >"$T/$gdb_name.gdb" 2>&1 </dev/null
}

# after NAME MARK: the line after gdb's "echo MARK".
after() {
	sed -n "/^$2\$/{n;p;q}" "$T/$1.gdb"
}

# finish NAME: waits for the launcher (60 s at most, then SIGKILL: one
# that still waits for a gdb that failed must not hold the test up); its
# status in $rc, shown here.
finish() {
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	show "$1"
	sed "s/^/# $1 gdb| /" "$T/$1.gdb"
}

# --- 1: TCP, --gdb-wait, stopping on breakpoints --------------------------
launch wait --gdb "tcp::$PORT" --gdb-wait
wait_for "$T/wait.err" "^vmw86-run: waiting for gdb on tcp:127.0.0.1:$PORT \(--gdb-wait\)\$"
got=$?
sleep 1
[ $got = 0 ] && ! grep -q GDBGUEST-START "$T/wait.console"
check $? "--gdb-wait: the launcher waits for gdb on tcp:127.0.0.1:$PORT, the guest not started"
bad "--gdb port already in use" \
	"^vmw86-run: --gdb 'tcp::$PORT': cannot listen on 127.0.0.1 port $PORT: Address (already )?in use\$" \
	--kernel "$GUEST" --gdb "tcp::$PORT"

gdb_name="wait"
run_gdb <<EOF
target remote 127.0.0.1:$PORT
echo GDBT-ENTRY\n
info registers rip
echo GDBT-BYTES\n
x/4xb 0x1000000
echo GDBT-UNMAPPED\n
x/1xb gdb_target
echo GDBT-STEP\n
stepi
echo GDBT-STEPPED\n
info registers rip
tbreak *((long)&gdb_mapped - 0xffffffff80000000)
continue
break *gdb_target
continue
echo GDBT-BP\n
info registers rip
echo GDBT-BPBYTES\n
x/5xb gdb_target
stepi
echo GDBT-STEP2\n
info registers rip
echo GDBT-RAX\n
p/x \$rax
set \$rax = 0x5000
echo GDBT-RAX2\n
p/x \$rax
set var gdb_data[0] = 0x5a
echo GDBT-DATA\n
p/x gdb_data[0]
maint packet Qqemu.PhyMemMode:1
echo GDBT-PHYS\n
x/4xb 0x1000000
echo GDBT-PHYSHIGH\n
x/1xb gdb_target
maint packet Qqemu.PhyMemMode:0
delete
continue
EOF
finish wait

after wait GDBT-ENTRY | grep -qE '^rip +0x1000000 '
check $? "gdb attaches with RIP at the 64-bit entry, 0x1000000"
after wait GDBT-BYTES | grep -qE '^0x1000000:[[:space:]]+0xfa[[:space:]]+0x49[[:space:]]+0x89[[:space:]]+0xf7$'
check $? "x/4xb at the entry: fa 49 89 f7 (CLI, MOV %rsi,%r15)"
after wait GDBT-UNMAPPED | grep -q 'Cannot access memory at address 0xffffffff81000060$'
check $? "the kernel text mapping, not yet made, cannot be read (E14)"
after wait GDBT-STEPPED | grep -qE '^rip +0x1000001 '
check $? "stepi moves RIP past the CLI, to 0x1000001"
grep -q '^Temporary breakpoint 1, 0x0000000001000039 in ' "$T/wait.gdb"
check $? "a temporary breakpoint at gdb_mapped's physical address stops the guest there"
grep -q '^Breakpoint 2, 0xffffffff81[0-9a-f]* in gdb_target ()' "$T/wait.gdb"
check $? "the breakpoint on gdb_target stops the guest there"
after wait GDBT-BP | grep -qE '^rip +0xffffffff81[0-9a-f]+ +0xffffffff81[0-9a-f]+ <gdb_target>$'
check $? "RIP is gdb_target's address"
after wait GDBT-BPBYTES | grep -qE '<gdb_target>:[[:space:]]+0xb8[[:space:]]+0x34[[:space:]]+0x12[[:space:]]+0x00[[:space:]]+0x00$'
check $? "x/5xb gdb_target: b8 34 12 00 00 (MOV \$0x1234,%eax), no INT3 seen"
after wait GDBT-STEP2 | grep -qE '<gdb_target\+5>$'
check $? "stepi on the breakpoint moves RIP to gdb_target+5"
[ "$(after wait GDBT-RAX)" = "\$1 = 0x1234" ]
check $? "RAX after the MOV is 0x1234"
[ "$(after wait GDBT-RAX2)" = "\$2 = 0x5000" ]
check $? "RAX set to 0x5000 reads back"
[ "$(after wait GDBT-DATA)" = "\$3 = 0x5a" ]
check $? "gdb_data[0] written (0x5a) reads back"
after wait GDBT-PHYSHIGH | grep -q 'Cannot access memory at address 0xffffffff81000060$' &&
	after wait GDBT-PHYS | grep -qE '^0x1000000:[[:space:]]+0xfa[[:space:]]+0x49[[:space:]]+0x89[[:space:]]+0xf7$'
check $? "Qqemu.PhyMemMode:1: guest-physical addresses (0x1000000: the entry's bytes; gdb_target's virtual one: none)"
grep -q 'exited normally\]' "$T/wait.gdb"
check $? "gdb hears the guest's end: exited normally (W00)"
grep -q '^GDBGUEST-RESULT rax=0x5001 data=0x5a int3=0x1 watched=0x5001$' "$T/wait.console" &&
	grep -q '^GDBGUEST-END$' "$T/wait.console"
check $? "the guest ran with gdb's RAX and byte, took its own INT3, and ended"
[ $rc = 0 ] && grep -q "guest powered off (ACPI S5" "$T/wait.err"
check $? "the launcher exits 0 at the guest's power-off (status $rc)"
! grep -q 'sandbox: forbidden' "$T/wait.err"
check $? "the sandbox allowed everything the stub did"

# --- 2: a Unix socket, attaching to a running guest, Ctrl-C, detach -------
launch attach --gdb "unix:$T/gdb.sock" --cpus 2 --cmdline gdbguest.spin
wait_for "$T/attach.console" '^GDBGUEST-SPIN'
gdb_name=attach
run_gdb <<EOF &
target remote $T/gdb.sock
echo GDBT-THREADS\n
info threads
echo GDBT-RELEASE\n
p gdb_release
continue
echo GDBT-INTERRUPTED\n
set var gdb_release = 1
detach
EOF
bg=$!
# Ctrl-C: SIGINT to gdb itself (not to the subshell that runs it) while
# it continues; gdb sends 0x03.
wait_for "$T/attach.gdb" "^[\$]1 = "
sleep 2
kill -INT "$(pidof gdb)"
wait $bg
finish attach

sed -n '/^GDBT-THREADS$/,/^GDBT-RELEASE$/p' "$T/attach.gdb" | grep -q 'Thread 2 (vCPU 1)'
check $? "attached: two vCPUs, two threads (vCPU 0, vCPU 1)"
[ "$(after attach GDBT-RELEASE)" = "\$1 = 0" ]
check $? "attached to a running guest, which gdb finds stopped in its wait"
grep -q 'received signal SIGINT' "$T/attach.gdb"
check $? "Ctrl-C (0x03) stops the running guest: SIGINT"
grep -q '^GDBGUEST-RELEASED$' "$T/attach.console" &&
	grep -q '^GDBGUEST-RESULT rax=0x1235 data=0x11 int3=0x1 watched=0x1235$' "$T/attach.console"
check $? "after gdb set gdb_release and detached, the guest ran on to its end, untouched"
[ $rc = 0 ] && ! grep -q 'sandbox: forbidden' "$T/attach.err"
check $? "the launcher exits 0, the sandbox on (status $rc)"

# --- 3: gdb's kill --------------------------------------------------------
launch kill --gdb "tcp::$PORT" --gdb-wait
wait_for "$T/kill.err" "waiting for gdb"
gdb_name="kill"
run_gdb <<EOF
target remote 127.0.0.1:$PORT
kill
EOF
finish kill
[ $rc = 0 ] && ! grep -q GDBGUEST-START "$T/kill.console"
check $? "gdb's kill ends the launcher: status 0 (got $rc), the guest never ran"
! grep -qi 'error\|Remote communication' "$T/kill.gdb"
check $? "kill: gdb reports no error"

# --- 4: hardware breakpoints: hbreak, watch (Z1, Z2) -------------------
launch hw --gdb "tcp::$PORT" --gdb-wait
wait_for "$T/hw.err" "waiting for gdb"
gdb_name="hw"
run_gdb <<EOF
target remote 127.0.0.1:$PORT
tbreak *((long)&gdb_mapped - 0xffffffff80000000)
continue
hbreak *gdb_target
continue
echo GDBT-HBREAK\n
info registers rip
delete
watch gdb_watched
continue
echo GDBT-WATCH\n
p/x gdb_watched
delete
rwatch gdb_data[0]
continue
delete
continue
EOF
finish hw
grep -q '^Hardware assisted breakpoint 2 at 0xffffffff81[0-9a-f]*' "$T/hw.gdb"
check $? "hbreak on gdb_target: a hardware breakpoint (Z1)"
after hw GDBT-HBREAK | grep -qE '^rip +0xffffffff81[0-9a-f]+ +0xffffffff81[0-9a-f]+ <gdb_target>$'
check $? "the hardware breakpoint stops the guest on gdb_target"
grep -q '^Hardware watchpoint 3: gdb_watched$' "$T/hw.gdb" &&
	grep -q '^New value = 4661$' "$T/hw.gdb"
check $? "watch gdb_watched (Z2) stops the guest after its store: new value 4661 (0x1235)"
[ "$(after hw GDBT-WATCH)" = "\$1 = 0x1235" ]
check $? "gdb_watched reads 0x1235 at the watchpoint's stop"
grep -q '^Hardware read watchpoint 4: gdb_data\[0\]$' "$T/hw.gdb" &&
	grep -q "^Value = 17 " "$T/hw.gdb"
check $? "rwatch gdb_data[0] (Z3 unsupported: gdb uses Z4) stops at the guest's read: 17"
grep -q '^GDBGUEST-RESULT rax=0x1235 data=0x11 int3=0x1 watched=0x1235$' "$T/hw.console" &&
	[ $rc = 0 ] && ! grep -q 'sandbox: forbidden' "$T/hw.err"
check $? "the guest ends normally after both, the sandbox on (status $rc)"

[ "$n" = 36 ] || echo "# planned 36, ran $n"
rm -rf "$T"
