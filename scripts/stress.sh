#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make stress": boot the test machine again and again in the pattern in
# which it was seen to stop (the whole selftest suite, then Linux guests
# with virtio disks and networks, powering off and rebooting, booted round
# after round), and count how often it wedges or fails. Each run is one
# make check pass (scripts/check.sh), with its kernel-log scan and module
# unload, whose guest-boot tests are repeated VMW86_STRESS_ROUNDS times.
#
# Ends with:   stress: N runs, N wedged, N failed, N guest boots
# and exits non-zero if any run wedged or failed.
#
# Environment:
#   VMW86_STRESS_SECONDS  start no new run after this long (default 3600)
#   VMW86_STRESS_RUNS     at most this many runs (default: no limit)
#   VMW86_STRESS_PASS     la57 or no5lvl (default la57)
#   VMW86_STRESS_ROUNDS   rounds of the guest-boot tests per run (default 4)
#   VMW86_STRESS_TESTS    the tests repeated (default: vmw86_run_boot
#                         vmw86_run_disk vmw86_run_net)
#   VMW86_SMP             the test machine's CPUs (default 2 here)
#   and whatever make check takes (VMW86_QEMU, VMW86_WEDGE_SECONDS, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
limit=${VMW86_STRESS_SECONDS:-3600}
max_runs=${VMW86_STRESS_RUNS:-0}
pass=${VMW86_STRESS_PASS:-la57}
rounds=${VMW86_STRESS_ROUNDS:-4}
tests=${VMW86_STRESS_TESTS:-vmw86_run_boot vmw86_run_disk vmw86_run_net}
export VMW86_SMP=${VMW86_SMP:-2}
case $pass in
la57 | no5lvl) ;;
*) echo "stress.sh: VMW86_STRESS_PASS is la57 or no5lvl, not '$pass'" >&2; exit 2 ;;
esac

runs=0 wedged=0 failed=0 boots=0 first=1
start=$SECONDS
out=$BUILD/stress
mkdir -p "$out"
while ((SECONDS - start < limit)) && ((max_runs == 0 || runs < max_runs)); do
	runs=$((runs + 1))
	skip=()
	((first)) || skip=(VMW86_SKIP_DEPS=1 VMW86_SKIP_LINT=1)
	first=0
	tag=stress-$runs
	echo "stress.sh: run $runs: pass $pass on $VMW86_SMP CPU(s), $rounds more rounds of: $tests"
	set +e
	env "${skip[@]}" VMW86_PASSES="$pass" VMW86_LOG_TAG="$tag" \
		VMW86_REPEAT_TESTS="$tests" VMW86_REPEAT="$rounds" \
		VMW86_TIMEOUT="${VMW86_TIMEOUT:-$((900 + rounds * 900))}" \
		"$ROOT/scripts/check.sh" >"$out/run-$runs.log" 2>&1
	set -e
	log=$BUILD/testvm-console-$tag-$pass.log
	# A guest boot is one launcher run that a test reports the end of.
	n=$(tr -d '\r' <"$log" | grep -cE '^# [^ ]+: vmw86-run exit status|^(not )?ok [0-9]+ .*: guest powers off: exit status' || true)
	boots=$((boots + n))
	verdict=$(tail -n 1 "$out/run-$runs.log")
	w=''
	if grep -q '^check.sh: test machine silent' "$out/run-$runs.log"; then
		wedged=$((wedged + 1)) w=', WEDGED'
	fi
	if ! [[ $verdict =~ ^[0-9]+\ passed,\ 0\ failed ]]; then
		failed=$((failed + 1))
		grep -E '^  FAIL|^         failed:|did not finish|^check.sh: (test machine silent|.*stopping)' "$out/run-$runs.log" | head -n 20 || true
	fi
	echo "stress.sh: run $runs: $verdict, $n guest boots$w ($((SECONDS - start)) s so far; $out/run-$runs.log)"
done
echo "stress: $runs runs, $wedged wedged, $failed failed, $boots guest boots"
((wedged == 0 && failed == 0))
