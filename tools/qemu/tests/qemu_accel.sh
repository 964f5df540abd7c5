#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_accel: QEMU with -accel vmw86 (tools/qemu/, kernel-irqchip=off:
# QEMU's own PIC, APIC, IOAPIC, PIT, HPET and ACPI) in the test machine,
# with the same QEMU binary under -accel kvm as the peer (Debian's
# kvm-amd, loaded by the test machine's init; vmw86 and KVM take turns).
# - Bad input ends QEMU with one line and a non-zero status before any
#   guest runs: no /dev/vmw86, more vCPUs than vmw86 has, SVM taken by a
#   KVM guest running beside it.
# - Debian's kernel (the test machine's own file) and the launcher tests'
#   shell guest (guest-shell.cpio.gz) boot through SeaBIOS and the
#   linuxboot option ROM on "-machine pc -cpu max" to the guest's shell,
#   which answers commands typed on QEMU's serial console: arithmetic,
#   the kernel release, nproc, a computation on every vCPU, and its kernel
#   log's err-level lines (listed; they must be none, or lines the same
#   boot under KVM has too: the platform's, not vmw86's). Leaving the
#   shell powers the guest off through ACPI, which ends QEMU with status 0.
#   Under vmw86, the accelerator warns of nothing it dropped.
# - On 1 and on 2 vCPUs (the APs started by QEMU's APIC with INIT and
#   SIPI), under vmw86 and under KVM.
# The guest's console is copied here with a "# NAME| " prefix.
# Runs in the test machine (busybox sh), prints TAP.

# The commands typed into the guest expand there, not here.
# shellcheck disable=SC2016
Q=${QEMU:-/bin/qemu-system-x86_64}
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-shell.cpio.gz
T=$(mktemp -d)
n=0
# shellcheck source=SCRIPTDIR/../../vmw86-run/tests/tap-lib.sh
. "${0%/*}/tap-lib.sh"

echo "TAP version 13"
echo "1..31"

if [ ! -x "$Q" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ]; then
	echo "Bail out! missing $Q, $KERNEL or $GUEST"
	exit 1
fi

# The machine every boot gets: only what -nodefaults leaves, the serial
# console on stdio, no reboot (a reset ends QEMU, status 0 as well: the
# tests below tell them apart by the guest's own words).
# $T/qemu ACCEL SMP [QEMU-ARG...]: a script, so that timeout can run it.
cat >"$T/qemu" <<EOF
#!/bin/sh
accel=\$1 smp=\$2
shift 2
exec "$Q" -L /usr/share/qemu -accel "\$accel" -machine pc -cpu max -m 256 \\
	-smp "\$smp" -nodefaults -no-user-config -display none -no-reboot \\
	-serial stdio -kernel "$KERNEL" -initrd "$GUEST" \\
	-append "console=ttyS0 panic=-1 quiet" "\$@"
EOF
chmod +x "$T/qemu"

# bad_qemu NAME REGEX ACCEL SMP: that QEMU fails at once, saying REGEX
# (its own line, and QEMU's "failed to initialize" after it).
bad_qemu() {
	name=$1 re=$2
	shift 2
	timeout 60 "$T/qemu" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ $rc != 0 ] && [ $rc != 143 ] && grep -qE -e "$re" "$T/err" &&
	   [ "$(grep -c . "$T/err")" -le 2 ] && [ ! -s "$T/out" ]; then
		ok "bad input: $name"
	else
		notok "bad input: $name (rc=$rc, want non-zero and /$re/)"
		sed 's/^/#   stderr: /' "$T/err"
	fi
}

# Diagnosis: the kernel parameter qemu_accel_thp=never (VMW86_APPEND), which
# init passes on, sets the test machine's transparent hugepage mode: QEMU
# asks for huge pages for guest RAM (MADV_HUGEPAGE), vmw86-run does not.
THP=/sys/kernel/mm/transparent_hugepage/enabled
if [ -n "${qemu_accel_thp:-}" ] && [ -w $THP ]; then
	echo "$qemu_accel_thp" >$THP
	echo "# transparent hugepages: $(cat $THP)"
fi
# qemu_accel_shell_wait=SECONDS: how long a boot may take to reach the
# guest's shell (default 420; a boot that stops does so in SeaBIOS).
# qemu_accel_debug=1: the accelerator says when it reads or sets a vCPU's
# whole state (VMW86_QEMU_DEBUG).
[ "${qemu_accel_debug:-0}" = 1 ] && export VMW86_QEMU_DEBUG=1

# A QEMU that dies leaves the fifo without a reader: the next command
# typed must fail as a test, not kill this script (SIGPIPE).
trap '' PIPE

mv /dev/vmw86 /dev/vmw86.away
bad_qemu "no /dev/vmw86" "vmw86: no /dev/vmw86" vmw86 1
mv /dev/vmw86.away /dev/vmw86
bad_qemu "more vCPUs than vmw86 runs" "vmw86: 100 vCPUs asked for, vmw86 runs at most" vmw86 100
# A KVM guest that holds SVM: QEMU -S (paused, but its VM exists).
"$T/qemu" kvm 1 -S </dev/null >/dev/null 2>&1 &
kvm=$!
sleep 5
bad_qemu "SVM taken by a KVM guest" "vmw86: SVM is taken by another hypervisor" vmw86 1
kill $kvm
wait $kvm 2>/dev/null

# Wait up to $3 seconds for a line matching $2 in console $1; give up at
# once when QEMU has ended, since nothing more will come.
wait_for() {
	i=0
	while ! tr -d '\r' <"$1" | grep -q "$2"; do
		i=$((i + 1))
		[ $i -gt "$3" ] && return 1
		if ! kill -0 "$pid" 2>/dev/null; then
			tr -d '\r' <"$1" | grep -q "$2"
			return
		fi
		# A line now and then: the harness takes a silent console for
		# a stopped test machine (scripts/testvm/wedge.sh).
		[ $((i % 60)) = 0 ] && echo "# waiting for $2 ($i s)"
		sleep 1
	done
}

# One value from the console: the text between PREFIX- and -END.
answer() { # CONSOLE PREFIX
	tr -d '\r' <"$1" | sed -n "s/.*$2-\(.*\)-END.*/\1/p" | tail -n 1
}

# boot NAME ACCEL SMP: one boot, its checks, its console in the log.
boot() {
	name=$1 accel=$2 smp=$3 c=$T/$1.console
	rm -f "$T/in"
	mkfifo "$T/in"
	start=$(cut -d' ' -f1 /proc/uptime)
	# SeaBIOS's own log (its debug port, 0x402), shown if the boot fails.
	# QEMU's monitor on two fifos, to read the vCPUs of a boot that stops.
	rm -f "$T/mon.in" "$T/mon.out"
	mkfifo "$T/mon.in" "$T/mon.out"
	timeout 600 "$T/qemu" "$accel" "$smp" \
		-chardev "file,id=seabios,path=$T/$name.seabios" \
		-device isa-debugcon,iobase=0x402,chardev=seabios \
		-monitor "pipe:$T/mon" \
		<"$T/in" >"$c" 2>"$T/$name.err" &
	pid=$!
	exec 3>"$T/in"
	# Drain the monitor's output, so that it never blocks QEMU.
	cat "$T/mon.out" >"$T/$name.mon" &
	mon=$!
	exec 4<>"$T/mon.in"
	wait_s=60
	if wait_for "$c" "VMW86RUN-GUEST-SHELL" "${qemu_accel_shell_wait:-420}"; then
		up=$(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime)
		ok "$name: the guest reaches its shell through SeaBIOS ($up s)"
	else
		notok "$name: the guest reaches its shell through SeaBIOS"
		tail -n 40 "$T/$name.seabios" | sed "s/^/# $name seabios| /"
		# Where each vCPU is (the accelerator reads its state from
		# vmw86 for this), and what it runs there.
		printf 'info cpus\ninfo registers -a\nx /6i $pc\ncpu 1\nx /6i $pc\ninfo pic\n' >&4
		sleep 10
		sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' "$T/$name.mon" | tr -d '\r' | sed "s/^/# $name monitor| /"
		# Each QEMU thread's state and kernel stack: a monitor that does
		# not answer means a main loop that waits, and this says on what.
		# $pid is QEMU itself (busybox's timeout execs its command and
		# watches from a child).
		for t in /proc/"$pid"/task/*; do
			echo "# $name thread| $(cat "$t/comm") $(sed 's/.*) //' "$t/stat" | cut -d' ' -f1) wchan=$(cat "$t/wchan")"
			sed "s/^/# $name thread|   /" "$t/stack"
		done
		# And in user space, where gdb is packed: each thread's stack,
		# by QEMU's function names (the test machine's copy is without
		# debug information, but keeps its symbol table).
		if [ -x /bin/gdb ]; then
			timeout 60 /bin/gdb -nx -batch -p "$pid" \
				-ex "thread apply all bt 12" </dev/null 2>&1 |
				grep -E '^(Thread|#)' | sed "s/^/# $name gdb| /"
		fi
		# The commands below would only wait for nothing.
		wait_s=1
	fi
	sleep 1
	printf 'echo SUM-$((6 * 7))-END\n' >&3
	wait_for "$c" "SUM-42-END" $wait_s
	check $? "$name: a typed command runs in the guest: 6 * 7 = 42"
	printf 'echo UNAME-$(uname -r)-END\n' >&3
	wait_for "$c" "UNAME-[^ ]*-END" $wait_s
	[ "$(answer "$c" UNAME)" = "$(uname -r)" ]
	check $? "$name: the guest runs the test machine's kernel ($(answer "$c" UNAME))"
	printf 'echo NPROC-$(nproc)-END\n' >&3
	wait_for "$c" "NPROC-[0-9]*-END" $wait_s
	[ "$(answer "$c" NPROC)" = "$smp" ]
	check $? "$name: the guest sees $smp CPUs (nproc: $(answer "$c" NPROC))"
	# One sum per CPU, in parallel: 1 + ... + 20000 = 200010000 each.
	printf 'for i in $(seq %s); do (seq 20000 | awk "{s+=\\$1} END {print s}") & done >/sums; wait; echo PAR-$(sort -u /sums | tr "\\n" ,)$(wc -l </sums)-END\n' "$smp" >&3
	wait_for "$c" "PAR-200010000,$smp-END" $((wait_s * 2))
	check $? "$name: a computation on every CPU gives the right sums"
	# Every kernel message of priority err or worse (<0>-<3>), untimed.
	printf 'dmesg -r | grep -E "^<[0-3]>" | sed -e "s/^<[0-3]>\\[[ 0-9.]*\\] //" -e "s/^/ERRLOG /"; echo ERRN-$(dmesg -r | grep -cE "^<[0-3]>")-END\n' >&3
	wait_for "$c" "ERRN-[0-9]*-END" $wait_s && answer "$c" ERRN >"$T/$name.errn"
	tr -d '\r' <"$c" | sed -n 's/^ERRLOG //p' >"$T/$name.errlog"
	printf 'exit\n' >&3
	# A guest that never reached its shell will not power off either.
	[ "$wait_s" = 60 ] || kill $pid 2>/dev/null
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	# A QEMU whose main loop never runs again cannot act on SIGTERM.
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	exec 3>&- 4>&-
	kill $mon 2>/dev/null
	wait $mon 2>/dev/null
	[ $rc = 0 ] && tr -d '\r' <"$c" | grep -q "reboot: Power down"
	check $? "$name: leaving the shell powers the guest off: QEMU exits 0 (got $rc)"
	# The accelerator warns of what it dropped or could not do.
	if [ "$accel" = vmw86 ]; then
		! grep -q "vmw86:" "$T/$name.err"
		check $? "$name: the accelerator warned of nothing ($(grep -c "vmw86:" "$T/$name.err") lines)"
	fi
	tr -d '\r' <"$c" | sed "s/^/# $name| /"
	sed "s/^/# $name stderr| /" "$T/$name.err"
}

# The err-level lines under vmw86 must be none, or also KVM's.
errlog() { # NAME PEER
	if [ ! -s "$T/$1.errn" ]; then
		notok "$1: the guest's err-level log has no line the same boot under KVM lacks (no answer)"
		return
	fi
	extra=$(grep -vxF -f "$T/$2.errlog" "$T/$1.errlog" 2>/dev/null)
	[ -s "$T/$2.errlog" ] || extra=$(cat "$T/$1.errlog")
	sed "s/^/# $1 err-level: /" "$T/$1.errlog"
	[ -z "$extra" ]
	check $? "$1: the guest's err-level log has no line the same boot under KVM lacks ($(cat "$T/$1.errn") lines)"
}

# qemu_accel_boots="NAME...": only these boots (diagnosis); the others,
# and the err-level checks that need them, fail as not run.
want() {
	case " ${qemu_accel_boots:-$1} " in *" $1 "*) return 0 ;; esac
	notok "$1: not run (qemu_accel_boots)"
	return 1
}
want vmw86-smp1 && boot vmw86-smp1 vmw86 1
want vmw86-smp2 && boot vmw86-smp2 vmw86 2
want kvm-smp1 && boot kvm-smp1 kvm 1
want kvm-smp2 && boot kvm-smp2 kvm 2
errlog vmw86-smp1 kvm-smp1
errlog vmw86-smp2 kvm-smp2
rm -rf "$T"
