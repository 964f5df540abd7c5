#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86-run in the test machine (busybox sh, TAP):
# - every kind of bad input exits 1 with its one-line message, before any
#   VM is made;
# - Debian's own kernel (/boot/vmlinuz-$(uname -r), packed by the harness)
#   boots under vmw86 with the small guest initramfs (guest-init), with no
#   options but its console: it prints its version banner on the serial
#   console, reaches /init, and its "poweroff -f" ends vmw86-run with exit
#   status 0 through ACPI S5; --boot-time reports the time to guest user
#   space; its kernel log has no warning and it sees the vCPUs asked for;
#   it takes its TSC rate from vmw86 (VMware's interface), calibrates
#   nothing, keeps the TSC as its clocksource and initialises machine
#   checks without an error;
#   it reaches PCI configuration space through mechanism #1, takes the
#   root bridge PCI0 from the DSDT and finds the host bridge at 00:00.0;
# - the guest's "reboot -f" ends vmw86-run with status 2 through the ACPI
#   reset register; with reboot=t (Linux's triple-fault reboot, a
#   deliberate triple fault) with status 3 and a one-line diagnosis;
# - with --cpus 4 the guest runs on four vCPUs (skipped while the module
#   has no local APIC: then --cpus 4 must be refused, saying so);
# - on 1 and on 4 vCPUs the guest's kernel log has no message of
#   priority err or worse;
# - the same kernel uncompressed (an ELF vmlinux, /boot/vmlinux-*, packed
#   by the harness) boots to /init and powers off, without the
#   decompressor.
# - the sandbox (on in every boot above): a forbidden system call made on
#   purpose (--sandbox-selftest) ends vmw86-run with status 4 and one line
#   naming it; --user drops to that user (numeric: the test machine has no
#   /etc/passwd) and the guest still powers off; an unknown user is bad
#   input.
# The guest's console is copied here with a "# guest| " prefix.

V=${VMW86_RUN:-/bin/vmw86-run}
KERNEL=/boot/vmlinuz-$(uname -r)
VMLINUX=/boot/vmlinux-$(uname -r)
GUEST=${0%/*}/guest-initramfs.cpio.gz
T=${TMPDIR:-/tmp}/vmw86-run-test.$$
mkdir -p "$T"
n=0

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

echo "TAP version 13"
echo "1..42"

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
bad "not a kernel" "not a bzImage" --kernel "$0"
bad "an ELF program, not a kernel" "not a Linux vmlinux" --kernel /bin/busybox
bad "boot protocol too old" "boot protocol 2.00" --kernel "$T/old"
bad "kernel does not fit" "needs guest RAM up to" --kernel "$KERNEL" --memory 32M
bad "vmlinux does not fit" "needs guest RAM at 0x" --kernel "$VMLINUX" --memory 32M
bad "missing initrd" "initrd '/nonexistent'" --kernel "$KERNEL" --initrd /nonexistent
bad "initrd does not fit" "do not fit in guest RAM" --kernel "$KERNEL" --initrd "$KERNEL" --memory 82M
bad "command line too long" "3000 characters, the kernel takes at most" --kernel "$KERNEL" --cmdline "$long"
bad "memory 0" "--memory 0" --kernel "$KERNEL" --memory 0
bad "memory not a number" "not a size" --kernel "$KERNEL" --memory lots
bad "memory beyond the host" "more than the host has|cannot map" --kernel "$KERNEL" --memory 64T
bad "cpus 0" "--cpus 0" --kernel "$KERNEL" --cpus 0
bad "cpus not a number" "--cpus 'two': not a CPU count" --kernel "$KERNEL" --cpus two
bad "cpus beyond VMW86_CAP_MAX_VCPUS" "at most [0-9]+ vCPUs" --kernel "$KERNEL" --cpus 1000
bad "unknown --user" "--user 'vmw86-no-such-user': no such user" --kernel "$KERNEL" \
	--user vmw86-no-such-user

# boot NAME CPUS CMDLINE [IMAGE]: boots the guest (IMAGE: $KERNEL), with
# $boot_args as further options; its console, stderr and exit status land
# in $T/NAME.console, $T/NAME.err and $rc, and are shown here.
boot_args=
boot() {
	name=$1 cpus=$2 cmdline=$3 image=${4:-$KERNEL}
	start=$(cut -d' ' -f1 /proc/uptime)
	# shellcheck disable=SC2086 # $boot_args: options, split on purpose
	timeout 90 "$V" --kernel "$image" --initrd "$GUEST" --memory 256M --boot-time \
		--cpus "$cpus" --cmdline "$cmdline" $boot_args \
		>"$T/$name.console" 2>"$T/$name.err" </dev/null
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	tr -d '\r' <"$T/$name.console" >"$T/$name.tmp" && mv "$T/$name.tmp" "$T/$name.console"
	sed "s/^/# $name guest| /" "$T/$name.console"
	sed "s/^/# $name stderr| /" "$T/$name.err"
	echo "# $name: vmw86-run exit status $rc after $start..$end s of test machine uptime"
}

# The boot. No "quiet": the banner is a KERN_NOTICE line. Nothing on the
# command line but the console: no noapic, nolapic, tsc=, lpj=, pci=off.
boot poweroff 1 "console=ttyS0"
cp "$T/poweroff.console" "$T/console"
cp "$T/poweroff.err" "$T/err"

if grep -q "Linux version 6\." "$T/console"; then
	ok "guest kernel prints its version banner"
else
	notok "guest kernel prints its version banner"
fi
# Time from vmw86 (design.rst, "Time"): the guest finds VMware's interface,
# reads the TSC and APIC timer rates through its backdoor, calibrates
# nothing (Linux's calibration needs faster port reads than an exit here
# gives, and failing marks the TSC unstable) and keeps the TSC as its
# clocksource.
cal=$(grep -E "Fast TSC calibration|calibrate against PIT|Marking TSC unstable|Marking clocksource|HPET/PMTIMER calibration failed|TSC clocksource calibration" "$T/console" | head -n 3 | tr '\n' ' ')
cs=$(sed -n "s/.*VMW86RUN-GUEST-CLOCKSOURCE //p" "$T/console")
if grep -q "vmware: TSC freq read from hypervisor" "$T/console" &&
   grep -q "tsc: Detected [0-9.]* MHz processor" "$T/console" &&
   [ -z "$cal" ] && [ "$cs" = tsc ]; then
	ok "guest takes its TSC rate from vmw86, calibrates nothing, clocksource tsc"
else
	notok "guest takes its TSC rate from vmw86, calibrates nothing, clocksource tsc (clocksource ${cs:-?}; ${cal:-no calibration line})"
fi
# A machine-check architecture Linux initialises (no banks), no error.
if grep -q "VMW86RUN-GUEST-INIT" "$T/console" &&
   ! grep -q "VMW86RUN-GUEST-ERRLINE.*mce:" "$T/console"; then
	ok "guest initialises machine checks: no mce: error in its log"
else
	notok "guest initialises machine checks: no mce: error in its log"
fi
irq0=$(sed -n 's/.*VMW86RUN-GUEST-IRQ0 *0: *\([0-9]*\).*/\1/p' "$T/console")
if [ "${irq0:-0}" -gt 0 ] 2>/dev/null; then
	ok "guest takes timer interrupts (IRQ 0 through the PIC or IOAPIC): $irq0"
else
	notok "guest takes timer interrupts (IRQ 0 through the PIC or IOAPIC)"
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
if [ $rc = 0 ] && grep -q "guest powered off (ACPI S5" "$T/err"; then
	ok "poweroff goes through ACPI S5 (SLP_EN in PM1a_CNT)"
else
	notok "poweroff goes through ACPI S5 (SLP_EN in PM1a_CNT)"
fi
# The FADT's PM timer port, as parsed; not "clocksource: acpi_pm", which
# also needs two back-to-back reads of the counter to be under 0xfff ticks
# (1.1 ms) apart when they straddle its wrap (drivers/clocksource/
# acpi_pm.c), and a test machine under emulation sometimes takes longer.
if grep -q "ACPI: PM: (supports S0 S5)" "$T/console" &&
   grep -q "ACPI: PM-Timer IO Port: 0x608" "$T/console"; then
	ok "guest kernel takes the ACPI tables: S5 and the PM timer"
else
	notok "guest kernel takes the ACPI tables: S5 and the PM timer"
fi
# PCI (hw/pci.c, the DSDT's PCI0): the kernel reaches configuration space
# through mechanism #1, takes its root bridge from the DSDT with the bus
# range of its _CRS, and finds the 82441FX host bridge at 00:00.0.
if grep -q "^VMW86RUN-GUEST-PCI .*PCI: Using configuration type 1" "$T/console" &&
   grep -q "^VMW86RUN-GUEST-PCI .*ACPI: PCI Root Bridge \[PCI0\] (domain 0000 \[bus 00\])" "$T/console"; then
	ok "guest kernel uses PCI configuration type 1 and the DSDT's root bridge PCI0 (bus 00)"
else
	notok "guest kernel uses PCI configuration type 1 and the DSDT's root bridge PCI0 (bus 00)"
fi
if grep -q "^VMW86RUN-GUEST-PCIDEV 0000:00:00.0 vendor=0x8086\$" "$T/console" &&
   grep -q "^VMW86RUN-GUEST-PCIDEV 0000:00:00.0 device=0x1237\$" "$T/console" &&
   grep -q "^VMW86RUN-GUEST-PCIDEV 0000:00:00.0 class=0x060000\$" "$T/console"; then
	ok "guest finds the host bridge 8086:1237, class 0x060000, at 00:00.0"
else
	notok "guest finds the host bridge 8086:1237, class 0x060000, at 00:00.0"
fi
bad=$(sed -n 's/^VMW86RUN-GUEST-BADLOG \([0-9]*\).*/\1/p' "$T/console")
if [ "$bad" = 0 ]; then
	ok "guest kernel log has no WARNING, BUG, Call Trace, ACPI or firmware error"
else
	notok "guest kernel log has no WARNING, BUG, Call Trace, ACPI or firmware error (${bad:-no} lines)"
fi
# errlog NAME: the guest's messages of priority err or worse, none (issue
# 13), and those it had, as lines of the failure.
errlog() {
	errs=$(sed -n 's/^VMW86RUN-GUEST-ERRLOG n=\([0-9]*\).*/\1/p' "$T/$1.console")
	if [ "$errs" = 0 ]; then
		ok "$2: guest kernel log has no message at err level or worse"
	else
		notok "$2: guest kernel log has no message at err level or worse (${errs:-no count})"
		sed -n 's/^VMW86RUN-GUEST-ERRLINE /#   /p' "$T/$1.console"
	fi
}
errlog poweroff "1 vCPU"
if grep -q "^VMW86RUN-GUEST-NPROC 1\$" "$T/console"; then
	ok "guest sees 1 CPU with --cpus 1"
else
	notok "guest sees 1 CPU with --cpus 1"
fi

# The guest's reboot, as any Linux does it: ACPI's reset register first.
boot reboot 1 "console=ttyS0 quiet vmw86run_end=reboot"
if [ $rc = 2 ] && grep -q "reset (ACPI reset register, port 0xcf9)" "$T/reboot.err"; then
	ok "guest reboot: exit status 2 through the ACPI reset register"
else
	notok "guest reboot: exit status 2 through the ACPI reset register (got $rc)"
fi

# reboot=t: Linux reboots by loading an empty IDT and raising #BP, a triple
# fault on purpose (arch/x86/kernel/reboot.c, BOOT_TRIPLE).
boot triple 1 "console=ttyS0 quiet reboot=t vmw86run_end=reboot"
if [ $rc = 3 ] && [ "$(grep -vc "boot time:\|a guest PIT read took" "$T/triple.err")" = 1 ] &&
   grep -q "guest triple fault (VMW86_EXIT_SHUTDOWN) at RIP 0xffffffff[0-9a-f]* " "$T/triple.err"; then
	ok "guest triple fault: exit status 3, one line naming the exit and RIP"
else
	notok "guest triple fault: exit status 3, one line naming the exit and RIP (got $rc)"
fi

# More than one vCPU needs the module's local APIC (VMW86_CAP_LAPIC);
# without it the launcher must refuse, in one line, before making a VM.
# Four: more vCPUs than the test machine's two CPUs, so that they take
# turns on them.
boot smp 4 "console=ttyS0 quiet"
if [ $rc = 1 ] && grep -q "more than one vCPU needs vmw86's local APIC" "$T/smp.err"; then
	ok "guest on 4 vCPUs # SKIP the module has no VMW86_CAP_LAPIC (refused in one line)"
	ok "guest on 4 vCPUs powers off # SKIP no VMW86_CAP_LAPIC"
	ok "4 vCPUs: guest kernel log has no message at err level or worse # SKIP no VMW86_CAP_LAPIC"
else
	if grep -q "^VMW86RUN-GUEST-NPROC 4\$" "$T/smp.console"; then
		ok "guest sees 4 CPUs with --cpus 4"
	else
		notok "guest sees 4 CPUs with --cpus 4"
	fi
	if [ $rc = 0 ] && grep -q "^VMW86RUN-GUEST-BADLOG 0\$" "$T/smp.console"; then
		ok "guest on 4 vCPUs powers off (status 0), kernel log clean"
	else
		notok "guest on 4 vCPUs powers off (status 0), kernel log clean (got $rc)"
	fi
	errlog smp "4 vCPUs"
fi
# The uncompressed vmlinux: ELF segments at their physical addresses, the
# 64-bit entry at startup_64, no decompressor.
boot elf 1 "console=ttyS0 quiet" "$VMLINUX"
if [ $rc = 0 ] && grep -q "VMW86RUN-GUEST-INIT" "$T/elf.console" &&
   grep -q "^VMW86RUN-GUEST-BADLOG 0\$" "$T/elf.console"; then
	ok "vmlinux (ELF) boots to /init and powers off, kernel log clean: $(sed -n 's/.*boot time: \([0-9.]* s\).*/\1/p' "$T/elf.err")"
else
	notok "vmlinux (ELF) boots to /init and powers off, kernel log clean (got $rc)"
fi

# The sandbox: once set up, the launcher may make only its run loop's
# system calls. --sandbox-selftest makes a forbidden one (socket) right
# after; the SIGSYS handler must name it in one line and exit with 4.
"$V" --kernel "$KERNEL" --initrd "$GUEST" --memory 256M --sandbox-selftest \
	>"$T/selftest.console" 2>"$T/selftest.err" </dev/null
rc=$?
sed 's/^/# selftest stderr| /' "$T/selftest.err"
if [ $rc = 4 ] && [ "$(wc -l <"$T/selftest.err")" = 1 ] &&
   grep -q "^vmw86-run: sandbox: forbidden system call socket " "$T/selftest.err"; then
	ok "sandbox: a forbidden system call (socket) ends it: status 4, one line naming it"
else
	notok "sandbox: a forbidden system call (socket) ends it: status 4, one line naming it (got $rc)"
fi

# --user: the IDs in /proc while the guest runs are the ones asked for.
(
	while :; do
		for p in $(pidof vmw86-run); do
			grep "^[UG]id:" "/proc/$p/status"
		done
		sleep 0.2
	done
) >"$T/ids" 2>/dev/null &
watcher=$!
boot_args="--user 65534:65534"
boot user 1 "console=ttyS0 quiet"
boot_args=
kill $watcher
wait $watcher 2>/dev/null
if [ $rc = 0 ] && grep -q "VMW86RUN-GUEST-INIT" "$T/user.console" &&
   grep -q "guest powered off (ACPI S5" "$T/user.err"; then
	ok "--user 65534:65534: the guest boots to /init and powers off (status 0)"
else
	notok "--user 65534:65534: the guest boots to /init and powers off (status 0, got $rc)"
fi
if grep -q "^Uid:[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534\$" "$T/ids" &&
   grep -q "^Gid:[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534\$" "$T/ids"; then
	ok "--user 65534:65534: the launcher runs as UID and GID 65534"
else
	notok "--user 65534:65534: the launcher runs as UID and GID 65534"
	sort -u "$T/ids" | sed 's/^/#   seen: /'
fi

[ "$n" = 42 ] || echo "# planned 42, ran $n"
rm -rf "$T"
