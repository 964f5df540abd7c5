#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make fuzz": make check's two fuzzers for longer, one test machine boot
# (pass la57) per seed. For each seed of VMW86_FUZZ_SEEDS:
#   fuzz_ioctl        both variants (random ioctls; random ioctls and random
#                     guests) run VMW86_FUZZ_SECONDS each (default 60, the
#                     most its per-test timeout allows; make check: 20), and
#                     its teardown-under-fire cases;
#   vmw86_run_vqfuzz  the virtqueue fuzzer against the sanitizer-built
#                     launcher, with VQFUZZ_ROUNDS rounds per guest seed
#                     (default 5000; make check: 1000) and a guest seed
#                     derived from the seed.
# The kernel log is checked and the module unloaded after every boot, as in
# make check. The last line sums the boots: "N passed, N failed".
#
# Environment: VMW86_FUZZ_SEEDS (default "0x7e57f00d 1 2"),
# VMW86_FUZZ_SECONDS, VQFUZZ_ROUNDS, and what make check takes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seeds=${VMW86_FUZZ_SEEDS:-"0x7e57f00d 1 2"}
seconds=${VMW86_FUZZ_SECONDS:-60}
rounds=${VQFUZZ_ROUNDS:-5000}
passed=0 failed=0 first=1

for seed in $seeds; do
	guest_seed=$((seed % 1000 + 11))
	echo "fuzz.sh: seed $seed: fuzz_ioctl ${seconds}s per variant, vqfuzz $rounds rounds (guest seed $guest_seed)"
	skip=()
	((first)) || skip=(VMW86_SKIP_DEPS=1 VMW86_SKIP_LINT=1)
	first=0
	out=$(env "${skip[@]}" VMW86_PASSES=la57 \
		VMW86_TESTS="fuzz_ioctl vmw86_run_vqfuzz" \
		VMW86_TEST_TIMEOUT=900 VMW86_TIMEOUT=2400 \
		VMW86_WEDGE_SECONDS="${VMW86_WEDGE_SECONDS:-600}" \
		VMW86_APPEND="${VMW86_APPEND:-} VMW86_FUZZ_GUESTS=1 VMW86_FUZZ_SEED=$seed VMW86_FUZZ_SECONDS=$seconds VQFUZZ_ROUNDS=$rounds VQFUZZ_SEEDS=$guest_seed" \
		"$ROOT/scripts/check.sh" | tee /dev/stderr | tail -n 1) || true
	if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
((failed == 0))
