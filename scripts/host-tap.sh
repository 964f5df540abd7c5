# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP lines for make check's host-side checks (install-test.sh,
# dkms-test.sh), sourced by each: tap DESCRIPTION FINDINGS prints "ok N"
# when FINDINGS is empty, otherwise "not ok N" with FINDINGS on stderr,
# and sets failed=1.
# shellcheck disable=SC2034 # failed is read by the scripts that source this
n=0 failed=0
tap() {
	n=$((n + 1))
	if [[ -z $2 ]]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		printf '%s\n' "$2" >&2
		failed=1
	fi
}
