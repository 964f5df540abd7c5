#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the version (e.g. 6.1.0-56-amd64) of the newest Debian kernel in /boot
# that also has its headers installed: the module is built against those
# headers and the test machine boots that very kernel, so both must match.
# Called from the Makefile via $(shell ...): stay quiet, print nothing and
# exit 1 when there is no such kernel.
set -euo pipefail

shopt -s nullglob
vers=()
for img in /boot/vmlinuz-*-amd64; do
	vers+=("${img#/boot/vmlinuz-}")
done
((${#vers[@]})) || exit 1

# Newest first (version order, not string order: 6.1.0-10 > 6.1.0-9).
while IFS= read -r ver; do
	if [[ -d /usr/src/linux-headers-$ver ]]; then
		printf '%s\n' "$ver"
		exit 0
	fi
done < <(printf '%s\n' "${vers[@]}" | sort -rV)
exit 1
