# SPDX-License-Identifier: GPL-2.0
#
# tap-lib.sh: the helpers every vmw86_run_* test shares, sourced from the
# directory the tests run in (/tests in the test machine). The test sets
# n=0 (results so far), V (the launcher), T (its scratch directory) and,
# for case_initrd and boot, GUEST (the guest image) and KERNEL first.

ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }

# check STATUS DESCRIPTION: ok if STATUS is 0.
check() {
	if [ "$1" = 0 ]; then ok "$2"; else notok "$2"; fi
}

# bad NAME MESSAGE-REGEX ARGS...: vmw86-run ARGS exits 1 with the one line
# MESSAGE on stderr, before any VM is made.
bad() {
	name=$1 re=$2
	shift 2
	"$V" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ $rc = 1 ] && grep -qE -e "$re" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ]; then
		ok "bad input: $name"
	else
		notok "bad input: $name (rc=$rc, want 1 and /$re/)"
		sed 's/^/#   stderr: /' "$T/err"
	fi
}

# case_initrd NAME: $GUEST with stdin appended as /case.sh (a second,
# gzip-compressed cpio archive; the kernel unpacks both) in $T/NAME.initrd.
case_initrd() {
	mkdir -p "$T/$1.case"
	cat >"$T/$1.case/case.sh"
	cp "$GUEST" "$T/$1.initrd"
	(cd "$T/$1.case" && echo case.sh | cpio -o -H newc 2>/dev/null) | gzip -n >>"$T/$1.initrd"
}

# boot_case NAME ARGS...: boots KERNEL with $T/NAME.initrd (case_initrd NAME)
# and vmw86-run options ARGS; console, stderr and exit status land in
# $T/NAME.console, $T/NAME.err and $rc, and are shown here.
boot_case() {
	name=$1
	shift
	timeout 120 "$V" --kernel "$KERNEL" --initrd "$T/$name.initrd" --memory 256M \
		--cmdline "console=ttyS0 quiet panic=-1" "$@" \
		>"$T/$name.console" 2>"$T/$name.err" </dev/null
	rc=$?
	show "$name"
}

# show NAME: NAME's console (without the UART's carriage returns), its
# stderr and $rc, each line marked with NAME.
show() {
	tr -d '\r' <"$T/$1.console" >"$T/$1.tmp" && mv "$T/$1.tmp" "$T/$1.console"
	sed "s/^/# $1 guest| /" "$T/$1.console"
	sed "s/^/# $1 stderr| /" "$T/$1.err"
	echo "# $1: vmw86-run exit status $rc"
}

# field NAME KEY: the rest of the guest's first "KEY ..." line.
field() {
	sed -n "s/^$2 //p" "$T/$1.console" | head -n 1
}
