#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": install dependencies, build vmw86.ko and the selftests, boot
# them in the QEMU test machine (software emulation, SVM from -cpu max), and
# turn its console log into a verdict. The last line printed is always
# "N passed, N failed[, N skipped]"; exit 0 only if nothing failed.
#
# Environment (see also scripts/testvm/common.sh and boot.sh):
#   VMW86_TESTS         run only these binaries of run_list ("a b" or "a,b")
#   VMW86_TIMEOUT       seconds for the whole test machine run (default 1500)
#   VMW86_TEST_TIMEOUT  seconds per test binary (default 300; a second field
#                       in run_list overrides it for one binary)
#   VMW86_PASSES        test machine boots to run the suite in (default
#                       "la57 qemu no5lvl nosvm": the suite with 5-level
#                       host paging, QEMU's -accel vmw86 test, the suite
#                       with 4-level paging, each on two CPUs, then a CPU
#                       without SVM, where vmw86 must refuse to load)
#   VMW86_SMP, VMW86_MEM, VMW86_APPEND, VMW86_QEMU_ARGS   test machine shape
#   VMW86_KO, VMW86_SELFTESTS   prebuilt module / test directory (skip make)
#   VMW86_SKIP_DEPS=1   do not run scripts/deps.sh
#   VMW86_SKIP_LINT=1   no host-side checks: checkpatch/sparse, make install,
#                       make deb and DKMS in a Debian root, and so no DKMS
#                       module in the la57 pass (make check-debug: they do
#                       not depend on its kernel, and make check runs them)
#   VMW86_DKMS_TESTS    selftests the la57 pass runs against the DKMS-built
#                       module after the suite (default "modes")
#   VMW86_KERNEL_IMAGE, VMW86_MODDIR, VMW86_GUEST_KERNEL   another kernel
#                       for the test machine (scripts/check-debug.sh)
#   VMW86_SKIP_TESTS    binaries of run_list not to run, each counted as
#                       skipped ("a b" or "a,b"; VMW86_TESTS overrides)
#   VMW86_LOG_TAG       console logs are testvm-console-TAG-<pass>.log
#   VMW86_VERBOSE=1     stream the whole console, not just progress lines
#   VMW86_WEDGE_SECONDS console silence taken for a wedged test machine
#                       (default 180; scripts/testvm/wedge.sh)
#   KVER, BUILD
set -euo pipefail

# shellcheck source=SCRIPTDIR/testvm/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/testvm/common.sh"
LOG=$BUILD/testvm-console.log	# a link to the last pass's log

# Whatever goes wrong before the verdict, CI still gets a count line last.
verdict=0
# shellcheck disable=SC2317 # only reached through the trap
on_exit() {
	local rc=$?
	((verdict)) && return
	echo "check.sh: failed before the tests ran (exit $rc)" >&2
	echo "0 passed, 1 failed"
}
trap on_exit EXIT

[[ ${VMW86_SKIP_DEPS:-0} == 1 ]] || "$ROOT/scripts/deps.sh"
lock_build
resolve_kver
resolve_qemu
build_payload
build_qemu_accel

# Host-side checks first: checkpatch --strict and sparse/W=1 on the module
# (lint.sh), then make install/uninstall, the DKMS tree and make deb with
# lintian (install-test.sh), then those packages installed into a Debian
# root where DKMS builds the module (dkms-test.sh), which the la57 pass
# loads. Their TAP lines count as the tests do; "#" lines are shown, not
# counted.
total_p=0 total_f=0 total_s=0 all_ok=0 dkms_checked=0
# What a wedged or stalled pass left, repeated just above the last line:
# CI shows the end of this output, and the evidence printed with the pass
# scrolls out of it.
wedge_digest=''
host_checks() {
	local label=$1 status rest
	shift
	while read -r status rest; do
		if [[ $status == ok ]]; then
			echo "  ok   $label: ${rest#* }"
			total_p=$((total_p + 1))
		elif [[ $status == '#' ]]; then
			echo "       $label: $rest"
		else
			echo "  FAIL $label: ${rest#ok * }"
			total_f=$((total_f + 1)) all_ok=1
		fi
	done < <("$@" || true)
}
if [[ ${VMW86_SKIP_LINT:-0} != 1 ]]; then
	host_checks lint "$ROOT/scripts/lint.sh"
	host_checks install "$ROOT/scripts/install-test.sh"
	host_checks dkms env VMW86_TREE_KO="$KO" "$ROOT/scripts/dkms-test.sh"
	dkms_checked=1
fi

timeout_s=${VMW86_TIMEOUT:-1500}
# Progress for CI: marker lines as they arrive, with host seconds.
progress() {
	local l
	while IFS= read -r l; do
		l=${l%$'\r'}
		if [[ ${VMW86_VERBOSE:-0} == 1 ]]; then
			printf '%s\n' "$l"
		elif [[ $l =~ VMW86-(INIT|CPU|KVM|TEST-BEGIN|TEST-END|RESULT|WARN|DONE) ]]; then
			printf '[%4ds] %s\n' "$SECONDS" "${l#*VMW86-}"
		fi
	done
}

# wedge_digest PASS CONSOLE WEDGE-LOG: the few lines that say what stopped
# a pass: wedge.sh's events, the first kernel stall report with its RIP and
# call trace, the CPUs' state from QEMU, and the functions of their RIPs.
wedge_digest() {
	echo "check.sh: pass '$1' wedge digest (whole: $3):"
	grep '^== ' "$3" | head -n 8
	tr -d '\r' <"$2" | awk '
		/watchdog: BUG: soft lockup|rcu: INFO: rcu_[a-z]+ (self-)?detected stall/ && !on { on = 1; print; next }
		on && /RIP: 00|Call Trace|^\[ *[0-9.]+\]  [a-z_0-9.]+\+0x|CPU: [0-9]+ PID/ { print; if (++n >= 24) exit }
	'
	grep -E '^cpu [0-9]+: |^--- kernel-space|^ffff[0-9a-f]{12}' "$3" | head -n 16
}

# One boot of the test machine with the suite; adds to the totals.
# $1 names the pass, $2 are its extra kernel parameters, $3 its CPUs, $4
# the tests of run_list it runs. The nosvm pass runs nosvm_list instead, on
# a CPU without SVM, with its own harness checks (init's nosvm mode).
run_pass() {
	local name=$1 params=$2 smp=$3 tests=$4
	local log=$BUILD/testvm-console${VMW86_LOG_TAG:+-$VMW86_LOG_TAG}-$1.log
	local qemu_rc qemu_status summary ok counts p f s
	local INITRD=$TESTVM_DIR/check-$name-initramfs.cpio.gz
	local RUN_LIST=$TESTVM_DIR/check-$name-run_list
	local dkms_ko='' harness='' checks='' mode=check cpu=max pack=()
	if [[ $name == nosvm ]]; then
		mode=nosvm cpu=max,-svm pack=(-a -L nosvm_list)
		checks="nosvm_cpu nosvm_load_refused nosvm_load_message nosvm_devname nosvm_autoload kernel_log_clean"
		# QEMU's -accel vmw86 there refuses too (init).
		[[ -z $QDIR ]] || checks="$checks nosvm_qemu"
	fi

	# The la57 pass also loads the module DKMS built (dkms-test.sh) once
	# the suite is done and runs selftests against it; with none to load,
	# the DKMS module fails rather than going unchecked.
	if [[ $name == la57 ]] && ((dkms_checked)); then
		if [[ -f $BUILD/dkms/vmw86.ko ]]; then
			dkms_ko=$BUILD/dkms/vmw86.ko
			harness="dkms_module_load dkms_kernel_log_clean dkms_module_unload"
		else
			echo "  FAIL dkms_module_load  # no DKMS-built $BUILD/dkms/vmw86.ko to load: see the dkms: lines"
			total_f=$((total_f + 1)) all_ok=1
		fi
	fi
	# QEMU and its firmware only go into a pass that runs its test, and
	# into nosvm's, where it must refuse to start.
	local qdir=$QDIR
	[[ -n $qemu_pass && $name != qemu && $name != nosvm ]] && qdir=
	QDIR=$qdir VMW86_TESTS=$tests DKMS_KO=$dkms_ko \
		DKMS_TESTS=${VMW86_DKMS_TESTS:-modes} pack_initramfs "${pack[@]}"
	echo "check.sh: pass '$name': booting the test machine (kernel $KVER," \
		"$smp CPUs${params:+, $params}${pack:+, -cpu $cpu}, limit ${timeout_s}s); console: $log"
	SECONDS=0
	set +e
	# A wedged emulator is caught by its silent console (wedge.sh says why).
	local mon=$BUILD/testvm-monitor-$name.sock pidf=$BUILD/testvm-qemu-$name.pid
	local wedge_log=${log%.log}.wedge.log watcher
	rm -f "$mon" "$pidf" "$wedge_log"
	: >"$log"
	"$ROOT/scripts/testvm/wedge.sh" "$log" "$mon" "$pidf" "$wedge_log" &
	watcher=$!
	# --foreground: QEMU stays in our process group, so Ctrl-C reaches it;
	# -k: a QEMU that ignores TERM is killed 10 s later.
	VMW86_SMP=$smp VMW86_APPEND="${VMW86_APPEND:-} $params" VMW86_CPU=$cpu \
	VMW86_MONITOR=$mon VMW86_PIDFILE=$pidf \
	timeout --foreground -k 10 "$timeout_s" "$ROOT/scripts/testvm/boot.sh" "$INITRD" \
		"vmw86_mode=$mode" "vmw86_timeout=${VMW86_TEST_TIMEOUT:-300}" </dev/null 2>&1 |
		tee "$log" | progress
	qemu_rc=${PIPESTATUS[0]}
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	rm -f "$mon" "$pidf"
	set -e
	ln -sf "$(basename "$log")" "$LOG"

	# isa-debug-exit from init gives 1; anything else means it did not get there.
	case $qemu_rc in
	1) qemu_status="" ;;
	124 | 137) qemu_status="killed after ${timeout_s}s (VMW86_TIMEOUT)" ;;
	0) qemu_status="QEMU exited 0: guest reset or powered off early (panic?)" ;;
	*) qemu_status="QEMU exited $qemu_rc" ;;
	esac
	if [[ $qemu_rc != 1 ]] && grep -q "stopping it" "$wedge_log" 2>/dev/null; then
		qemu_status="stopped as wedged (state in $wedge_log)"
	fi
	echo "check.sh: pass '$name': test machine ran ${SECONDS}s${qemu_status:+, $qemu_status}"

	set +e
	summary=$(awk -v runlist="$RUN_LIST" -v qemu_status="$qemu_status" \
		-v harness="$harness" -v checks="$checks" \
		-f "$ROOT/scripts/testvm/parse.awk" "$log")
	ok=$?
	set -e
	if ((ok != 0)); then
		echo "---- last 60 lines of $log ----"
		tail -n 60 "$log" | tr -d '\r'
		echo "----"
		all_ok=1
	fi
	if [[ -s $wedge_log ]]; then
		# The functions of its RIPs, from a symbol table of this kernel
		# made once by a short boot (kallsyms.sh; about 15 s).
		local table
		table=$(KVER=$KVER VMW86_QEMU=$VMW86_QEMU \
			"$ROOT/scripts/testvm/kallsyms.sh" "$INITRD") || table=''
		# Into a file of its own first: it reads the wedge log.
		"$ROOT/scripts/testvm/resolve-rips.sh" "$log" "$wedge_log" \
			"${table:-/dev/null}" >"$wedge_log.rips" 2>&1
		cat "$wedge_log.rips" >>"$wedge_log"
		rm -f "$wedge_log.rips"
		echo "---- $wedge_log ----"
		cat "$wedge_log"
		echo "----"
		wedge_digest+=$(wedge_digest "$name" "$log" "$wedge_log")$'\n'
	fi
	# Every line but the count goes out as it is; the count is summed.
	printf '%s\n' "$summary" | sed '$d'
	counts=$(printf '%s\n' "$summary" | tail -n 1)
	read -r p f s < <(awk '{ print $1, $3, ($5 == "" ? 0 : $5) }' <<<"$counts")
	echo "  pass '$name': $counts"
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
}

# The nested page table has the host's paging depth: the test machine's
# kernel uses 5 levels (LA57), most real hosts 4 ("no5lvl"). Both run the
# whole suite on two CPUs, so that vCPU threads move between CPUs, TLB
# shootdowns and kicks are real IPIs, CPUs go offline with VMs alive, and
# guest-SMP tests have vCPUs really running side by side. (The two-CPU test
# machine used to lose SVM state in QEMU: scripts/qemu/patches/0002-*.)
# VMW86_SMP=1 runs the suite on one CPU; "smp2" is the old third pass, the
# two-CPU tests alone on two CPUs.
all_tests=$(awk '{ print $1 }' "$TDIR/run_list" "$RDIR/run_list" ${QDIR:+"$QDIR/run_list"} | tr '\n' ' ')
smp_tests="cpus lapic smp vmw86_run_shell"
# vmw86-run's devices and its terminal handling are the launcher's user
# space, the same whatever the host's paging depth: their tests (several
# guest boots each) run in the la57 pass only, and so does QEMU's -accel
# vmw86 (qemu_accel: its boots through SeaBIOS and OVMF).
la57_only="vmw86_run_tty vmw86_run_disk vmw86_run_rng vmw86_run_net vmw86_run_stat qemu_accel"
# QEMU's tests (qemu_accel) have a boot of their own, the "qemu" pass, when
# it is one of the passes: they take longer than the rest of the suite, and
# a QEMU that stops the test machine then costs only their own results,
# within their own time limit.
passes=${VMW86_PASSES:-la57 qemu no5lvl nosvm}
qemu_tests=''
[[ -z $QDIR ]] || qemu_tests=$(awk '{ print $1 }' "$QDIR/run_list" | tr '\n' ' ')
qemu_pass=''
[[ " $passes " == *" qemu "* ]] && qemu_pass=1
if [[ -n ${VMW86_TESTS:-} ]]; then
	all_tests=$VMW86_TESTS smp_tests=$VMW86_TESTS la57_only=
else
	skip=${VMW86_SKIP_TESTS:-}
	for t in ${skip//,/ }; do
		[[ " $all_tests $smp_tests " == *" $t "* ]] || continue
		all_tests=" $all_tests " smp_tests=" $smp_tests "
		all_tests=${all_tests// $t / } smp_tests=${smp_tests// $t / }
		echo "  SKIP $t  (VMW86_SKIP_TESTS)"
		total_s=$((total_s + 1))
	done
fi
# $all_tests without QDIR's tests, when the qemu pass runs them
without_qemu() {
	local t tests=" ${all_tests//,/ } "
	if [[ -n $qemu_pass ]]; then
		for t in $qemu_tests; do tests=${tests// $t / }; done
	fi
	echo "$tests"
}
# QDIR's tests among $all_tests
qemu_only() {
	local t tests=''
	for t in $qemu_tests; do
		[[ " ${all_tests//,/ } " == *" $t "* ]] && tests+="$t "
	done
	echo "$tests"
}
for pass in $passes; do
	case $pass in
	la57)
		tests=$(without_qemu)
		[[ -n ${tests// /} ]] && run_pass la57 "" "${VMW86_SMP:-2}" "$tests" ;;
	qemu)
		tests=$(qemu_only)
		if [[ -z $QDIR ]]; then
			echo "check.sh: pass 'qemu': none (VMW86_QEMU_ACCEL=0)"
		elif [[ -n ${tests// /} ]]; then
			run_pass qemu "" "${VMW86_SMP:-2}" "$tests"
		fi ;;
	no5lvl)
		tests=" $(without_qemu) "
		for t in $la57_only; do tests=${tests// $t / }; done
		[[ -n ${tests// /} ]] && run_pass no5lvl no5lvl "${VMW86_SMP:-2}" "$tests" ;;
	smp2) run_pass smp2 "" 2 "$smp_tests" ;;
	# A host without SVM, where the package installed vmw86 all the same:
	# the load fails with one line, the node's open with ENODEV.
	nosvm) run_pass nosvm "" 1 "" ;;
	*) echo "check.sh: unknown pass '$pass' (VMW86_PASSES: la57 qemu no5lvl nosvm smp2)" >&2; exit 2 ;;
	esac
done

[[ -z $wedge_digest ]] || printf '%s' "$wedge_digest"
verdict=1
line="$total_p passed, $total_f failed"
((total_s == 0)) || line="$line, $total_s skipped"
printf '%s\n' "$line"
exit "$all_ok"
