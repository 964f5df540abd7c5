#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86-run in the test machine (busybox sh, TAP):
# - every kind of bad input exits 1 with its one-line message, before any
#   VM is made;
# - Debian's own kernel (/boot/vmlinuz-$(uname -r), packed by the harness)
#   boots under vmw86 with the small guest initramfs (guest-init): it prints
#   its version banner on the serial console, reaches /init, and powers off
#   with exit status 0; --boot-time reports the time to guest user space.
# The guest's console is copied here with a "# guest| " prefix.

V=${VMW86_RUN:-/bin/vmw86-run}
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-initramfs.cpio.gz
T=${TMPDIR:-/tmp}/vmw86-run-test.$$
mkdir -p "$T"
n=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }

# bad NAME MESSAGE-REGEX ARGS...: exits 1 and says MESSAGE on stderr.
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

echo "TAP version 13"
echo "1..22"

if [ ! -x "$V" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ]; then
	echo "Bail out! missing $V, $KERNEL or $GUEST"
	exit 1
fi

if "$V" --help >"$T/out" 2>&1 && grep -q -- --kernel "$T/out"; then
	ok "--help"
else
	notok "--help"
fi

# An image with boot protocol 2.00 in its header (version at 0x206).
dd if="$KERNEL" of="$T/old" bs=4096 count=16 2>/dev/null
printf '\000\002' | dd of="$T/old" bs=1 seek=518 conv=notrunc 2>/dev/null
long=$(head -c 3000 /dev/zero | tr '\0' x)

bad "no --kernel" "no --kernel" --memory 64M
bad "missing kernel" "kernel '/nonexistent'.*No such file" --kernel /nonexistent
bad "not a kernel" "not a bzImage" --kernel /bin/busybox
bad "boot protocol too old" "boot protocol 2.00" --kernel "$T/old"
bad "kernel does not fit" "needs guest RAM up to" --kernel "$KERNEL" --memory 32M
bad "missing initrd" "initrd '/nonexistent'" --kernel "$KERNEL" --initrd /nonexistent
bad "initrd does not fit" "do not fit in guest RAM" --kernel "$KERNEL" --initrd "$KERNEL" --memory 82M
bad "command line too long" "3000 characters, the kernel takes at most" --kernel "$KERNEL" --cmdline "$long"
bad "memory 0" "--memory 0" --kernel "$KERNEL" --memory 0
bad "memory not a number" "not a size" --kernel "$KERNEL" --memory lots
bad "memory beyond the host" "more than the host has|cannot map" --kernel "$KERNEL" --memory 64T
bad "cpus 0" "--cpus 0" --kernel "$KERNEL" --cpus 0
bad "cpus 2: not yet" "not supported yet" --kernel "$KERNEL" --cpus 2
bad "cpus beyond VMW86_CAP_MAX_VCPUS" "at most [0-9]+ vCPUs" --kernel "$KERNEL" --cpus 1000

# The boot. No "quiet": the banner is a KERN_NOTICE line.
start=$(cut -d' ' -f1 /proc/uptime)
timeout 300 "$V" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M --boot-time \
	--cmdline "console=ttyS0 panic=-1" >"$T/console" 2>"$T/err" </dev/null
rc=$?
end=$(cut -d' ' -f1 /proc/uptime)
tr -d '\r' <"$T/console" | sed 's/^/# guest| /'
sed 's/^/# stderr| /' "$T/err"
echo "# vmw86-run exit status $rc after $start..$end s of test machine uptime"

if grep -q "Linux version 6\." "$T/console"; then
	ok "guest kernel prints its version banner"
else
	notok "guest kernel prints its version banner"
fi
# Linux's PIT loop wants >= 1000 port reads in 10 ms (tsc.c); each read is
# an exit to user space, which nested emulation makes too slow for that.
if grep -q "tsc: Detected\|tsc: Fast TSC calibration using PIT" "$T/console"; then
	ok "guest calibrates its TSC against the PIT"
elif grep -q "Unable to calibrate against PIT" "$T/console"; then
	ok "guest calibrates its TSC against the PIT # SKIP too few PIT reads per ms here (TSC marked unstable; jiffies clock)"
else
	notok "guest calibrates its TSC against the PIT"
fi
irq0=$(sed -n 's/.*VMW86RUN-GUEST-IRQ0 *0: *\([0-9]*\).*/\1/p' "$T/console")
if [ "${irq0:-0}" -gt 0 ] 2>/dev/null; then
	ok "guest takes timer interrupts (IRQ 0 through the PIC): $irq0"
else
	notok "guest takes timer interrupts (IRQ 0 through the PIC)"
fi
if grep -q "Freeing unused kernel" "$T/console"; then
	ok "guest kernel finishes booting"
else
	notok "guest kernel finishes booting"
fi
if grep -q "VMW86RUN-GUEST-INIT" "$T/console"; then
	ok "guest reaches /init"
else
	notok "guest reaches /init"
fi
if [ $rc = 0 ]; then ok "guest powers off: exit status 0"; else notok "guest powers off: exit status 0 (got $rc)"; fi
if grep -q "boot time: [0-9.]* s from launch to guest user space" "$T/err"; then
	ok "--boot-time reports the time to guest user space"
else
	notok "--boot-time reports the time to guest user space"
fi
[ "$n" = 22 ] || echo "# planned 22, ran $n"
rm -rf "$T"
