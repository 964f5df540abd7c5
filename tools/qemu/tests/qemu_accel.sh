#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_accel: QEMU with -accel vmw86 (tools/qemu/, kernel-irqchip=off:
# QEMU's own PIC, APIC, IOAPIC, PIT, HPET and ACPI) in the test machine,
# with the same QEMU binary under -accel kvm as the peer (Debian's
# kvm-amd, loaded by the test machine's init; vmw86 and KVM take turns).
# - Bad input ends QEMU with one line and a non-zero status before any
#   guest runs: no /dev/vmw86, a user without permission on it, more
#   vCPUs than vmw86 has, SVM taken by a KVM guest running beside it (and
#   in the nosvm pass, a CPU without SVM: scripts/testvm/init).
# - Debian's kernel (the test machine's own file) and the launcher tests'
#   shell guest (guest-shell.cpio.gz) boot through SeaBIOS and the
#   linuxboot option ROM on "-machine pc -cpu max" to the guest's shell,
#   which answers commands typed on QEMU's serial console: arithmetic,
#   the kernel release, nproc, a computation on every vCPU, and its kernel
#   log's err-level lines (listed; they must be none, or lines the same
#   boot under KVM has too: the platform's, not vmw86's). Leaving the
#   shell powers the guest off through ACPI, which ends QEMU with status 0.
#   Under vmw86, the accelerator warns of nothing it dropped.
# - On 1, 2 and 4 vCPUs (the APs started by QEMU's APIC with INIT and
#   SIPI) on -machine pc, and on 2 on -machine q35 (PCI Express, its
#   configuration space through MMIO), under vmw86 and under KVM.
# - gdb on QEMU's gdbstub (gdb_session), and resets (reset_boot), under
#   vmw86 and under KVM.
# - QEMU's own devices (dev boots, on 2 vCPUs, under vmw86 and under KVM):
#   a virtio-blk-pci disk and an AHCI disk (ide-hd) on raw image files of
#   random data written here, which the guest reads back with their MD5s,
#   then copies the first onto the second, whose file must then hold it;
#   an e1000 NIC on QEMU's user networking (slirp), through whose gateway
#   the guest fetches a file from busybox httpd here, with its MD5. The
#   guest is the shell guest with the guest kernel's drivers for these
#   (guest-devices.cpio.gz, scripts/testvm/common.sh), loaded by the test.
# - "-cpu host" and "-cpu EPYC" (on 2 and 1 vCPUs) under both; a feature
#   vmw86 lacks is refused with QEMU's warning (with enforce: an error).
# - The same kernel and shell guest from a hybrid ISO of GRUB's
#   grub-mkrescue (guest-shell.iso, made when the test machine's initramfs
#   is packed; GRUB on the serial console) as a CD-ROM (iso_boots), with
#   the same checks: through SeaBIOS on -machine pc (1 vCPU) and q35 (4),
#   and through OVMF (UEFI, its code in read-only pflash) on q35 (2),
#   under vmw86 and under KVM.
# The guest's console is copied here with a "# NAME| " prefix.
# Runs in the test machine (busybox sh), prints TAP.

# The commands typed into the guest expand there, not here.
# shellcheck disable=SC2016
Q=${QEMU:-/bin/qemu-system-x86_64}
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-shell.cpio.gz
DEV_GUEST=${0%/*}/guest-devices.cpio.gz
# A terminal's control sequence starts so (ESC [): busybox's sed has no \x1b.
CSI="$(printf '\033')\\["
# plain: a console or monitor log without carriage returns and terminal
# control sequences (GRUB's menu, the shell's, the monitor's).
plain() { tr -d '\r' | sed -e "s/${CSI}[0-9;=?]*[A-Za-z]//g"; }
T=$(mktemp -d)
n=0
# shellcheck source=SCRIPTDIR/../../vmw86-run/tests/tap-lib.sh
. "${0%/*}/tap-lib.sh"

echo "TAP version 13"
echo "1..198"

if [ ! -x "$Q" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ] || [ ! -r "$DEV_GUEST" ]; then
	echo "Bail out! missing $Q, $KERNEL, $GUEST or $DEV_GUEST"
	exit 1
fi

# The machine every boot gets: only what -nodefaults leaves, the serial
# console on stdio, and unless QEMU_REBOOT=1 no reboot (a reset ends QEMU,
# status 0 as well: the tests below tell them apart by the guest's own
# words); QEMU_MACHINE is -machine (pc unless said), QEMU_CPU -cpu (max
# unless said). QEMU_MEDIA is what it boots: kernel (unless said), the
# kernel and initramfs by -kernel and -initrd (QEMU_INITRD, $GUEST unless
# said), where QEMU_APPEND adds to the kernel's command line; cdrom,
# the same two in $ISO (a hybrid ISO of GRUB's grub-mkrescue, packed by
# scripts/testvm/mkinitramfs.sh with grub.cfg of this directory) as a
# CD-ROM that SeaBIOS boots; ovmf, that CD-ROM booted by OVMF (UEFI) on
# its code as read-only pflash and a fresh copy of its variables, with
# 512 MiB (with 256, grub-efi's linux loader runs out of memory).
# $T/qemu ACCEL SMP [QEMU-ARG...]: a script, so that timeout can run it.
ISO=${0%/*}/guest-shell.iso
OVMF=/usr/share/qemu/OVMF_CODE_4M.fd
cat >"$T/qemu" <<EOF
#!/bin/sh
accel=\$1 smp=\$2 mem=256
shift 2
[ "\${QEMU_REBOOT:-0}" = 1 ] || set -- -no-reboot "\$@"
case \${QEMU_MEDIA:-kernel} in
kernel)
	set -- -kernel "$KERNEL" -initrd "\${QEMU_INITRD:-$GUEST}" \\
		-append "console=ttyS0 panic=-1 quiet \${QEMU_APPEND:-}" "\$@" ;;
cdrom) set -- -drive "file=$ISO,format=raw,media=cdrom" "\$@" ;;
ovmf)
	cp /usr/share/qemu/OVMF_VARS_4M.fd "$T/ovmf-vars.fd" || exit
	set -- -drive "if=pflash,format=raw,readonly=on,file=$OVMF" \\
		-drive "if=pflash,format=raw,file=$T/ovmf-vars.fd" \\
		-drive "file=$ISO,format=raw,media=cdrom" "\$@"
	mem=512 ;;
*) echo "QEMU_MEDIA=\$QEMU_MEDIA: not kernel, cdrom or ovmf" >&2; exit 2 ;;
esac
exec "$Q" -L /usr/share/qemu -accel "\$accel" -machine "\${QEMU_MACHINE:-pc}" \\
	-cpu "\${QEMU_CPU:-max}" -m "\$mem" \\
	-smp "\$smp" -nodefaults -no-user-config -display none \\
	-serial stdio "\$@"
EOF
chmod +x "$T/qemu"

# bad_qemu NAME REGEX ACCEL SMP: that QEMU fails at once, saying REGEX
# (its own line, and QEMU's "failed to initialize" after it). With
# BAD_QEMU_USER set, QEMU runs as that user, on a command line of its own:
# another user cannot reach $T (mktemp -d makes it 0700), and QEMU refuses
# before it opens any file the line names. BAD_QEMU_CPU is -cpu (max).
bad_qemu() {
	name=$1 re=$2
	shift 2
	if [ -n "${BAD_QEMU_USER:-}" ]; then
		timeout 60 su -s /bin/sh "$BAD_QEMU_USER" -c \
			"exec $Q -L /usr/share/qemu -accel $1 -smp $2 -machine pc -m 64 -nodefaults -no-user-config -display none" \
			>"$T/out" 2>"$T/err" </dev/null
	else
		QEMU_CPU=${BAD_QEMU_CPU:-max} timeout 60 "$T/qemu" "$@" \
			>"$T/out" 2>"$T/err" </dev/null
	fi
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

# gdb_session's gdb reaches QEMU's gdbstub on the loopback interface,
# which the test machine's init leaves down.
ip link set lo up

# A QEMU that dies leaves the fifo without a reader: the next command
# typed must fail as a test, not kill this script (SIGPIPE).
trap '' PIPE

mv /dev/vmw86 /dev/vmw86.away
bad_qemu "no /dev/vmw86" "vmw86: no /dev/vmw86" vmw86 1
mv /dev/vmw86.away /dev/vmw86
# A user who is neither root nor in the node's group (the udev rule's
# vmw86): nobody, with the node 0600.
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
mode=$(stat -c %a /dev/vmw86)
chmod 0600 /dev/vmw86
BAD_QEMU_USER=nobody bad_qemu "no permission on /dev/vmw86" \
	"vmw86: /dev/vmw86: permission denied" vmw86 1
chmod "$mode" /dev/vmw86
bad_qemu "more vCPUs than vmw86 runs" "vmw86: 100 vCPUs asked for, vmw86 runs at most" vmw86 100
# A CPU feature vmw86 does not offer (its guests get no SVM of their own),
# asked for with enforce: QEMU's warning names it, as under KVM, and
# enforce makes it fatal.
BAD_QEMU_CPU=max,+svm,enforce bad_qemu "a CPU feature vmw86 lacks, with enforce" \
	"host doesn't support requested feature: CPUID.80000001H:ECX.svm" vmw86 1
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

# gdb_session NAME: Debian's gdb on the gdbstub of a QEMU started with -S
# (vmw86: VMW86_SET_GUEST_DEBUG under QEMU's breakpoints and steps), at
# the kernel's 32-bit entry, startup_32 at 1 MiB, where the boot protocol
# has ESI on boot_params: a hardware breakpoint there; two single steps
# (its first instructions are CLD and CLI, one byte each, as the bytes
# read say); a write watchpoint on boot_params.scratch (offset 0x1e4),
# which startup_32 uses as its stack for a CALL, so that the value
# written is the return address, the RIP the watchpoint reports; a
# software breakpoint on the 64-bit entry (startup_64, 1 MiB + 0x200);
# then detach, and the boot goes on to its shell.
gdb_session() { # NAME
	cat >"$T/$1.gdb" <<-'EOF'
	set pagination off
	set confirm off
	target remote 127.0.0.1:1234
	hbreak *0x100000
	continue
	printf "GDB-HBREAK %#x\n", $pc
	printf "GDB-BYTES %#x %#x\n", *(unsigned char *)0x100000, *(unsigned char *)0x100001
	stepi
	printf "GDB-STEP1 %#x\n", $pc
	stepi
	printf "GDB-STEP2 %#x\n", $pc
	set $scratch = (unsigned int)$rsi + 0x1e4
	delete
	eval "watch *(unsigned int *)%#x", $scratch
	continue
	printf "GDB-WATCH %#x %#x\n", $pc, *(unsigned int *)$scratch
	delete
	break *0x100200
	continue
	printf "GDB-BREAK %#x\n", $pc
	delete
	detach
	printf "GDB-DETACHED\n"
	EOF
	# Until QEMU listens on port 1234 (0x04D2, state 0A in /proc/net/tcp).
	i=0
	while ! awk '$2 ~ /:04D2$/ && $4 == "0A" { found = 1 } END { exit !found }' \
		/proc/net/tcp && [ $i -lt 60 ]; do
		sleep 1
		i=$((i + 1))
	done
	timeout 120 /bin/gdb -nx -batch -x "$T/$1.gdb" </dev/null \
		>"$T/$1.gdbout" 2>&1
	gdb_out=$T/$1.gdbout
	g() { sed -n "s/^GDB-$1 //p" "$gdb_out" | tr -d '\r'; }
	[ "$(g HBREAK)" = 0x100000 ]
	check $? "$1: gdb's hardware breakpoint stops at startup_32 (pc $(g HBREAK))"
	[ "$(g BYTES)" = "0xfc 0xfa" ] && [ "$(g STEP1)" = 0x100001 ] &&
		[ "$(g STEP2)" = 0x100002 ]
	check $? "$1: gdb's stepi steps CLD and CLI ($(g BYTES): $(g STEP1), $(g STEP2))"
	# shellcheck disable=SC2046 # the two words of GDB-WATCH
	set -- "$1" $(g WATCH)
	[ $# = 3 ] && [ "$2" = "$3" ] && grep -q "^New value = " "$gdb_out"
	check $? "$1: gdb's watchpoint stops at the CALL's return address, which it wrote (pc $2, written $3)"
	[ "$(g BREAK)" = 0x100200 ]
	check $? "$1: gdb's software breakpoint stops at startup_64 (pc $(g BREAK))"
	grep -q "^GDB-DETACHED" "$T/$1.gdbout"
	check $? "$1: gdb detaches"
	sed "s/^/# $1 gdb| /" "$T/$1.gdbout"
}

# ask PREFIX SECONDS COMMAND: what COMMAND, typed into the guest's shell,
# prints there (stdout and stderr, on one line), or nothing when no answer
# came within SECONDS. The typed line spells PREFIX apart ("PRE""FIX-"),
# so that the console's echo of it is never taken for the answer.
ask() {
	printf '%s\n' "a=\$( { $3; } 2>&1 | tr '\\n' ' '); echo \"$1\"\"-\${a% }-END\"" >&3
	wait_for "$c" "$1-.*-END" "$2"
	answer "$c" "$1"
}

# The dev boots' devices (devices_setup): two disks on raw image files of
# random data, and an e1000 NIC on user networking, whose gateway
# (10.0.2.2) is this machine's loopback, where httpd serves a third such
# file; new files for every boot. Sets $devargs, QEMU's options for them.
devices_setup() {
	mkdir -p "$T/www"
	for f in vd sd www/blob; do
		dd if=/dev/urandom of="$T/$f" bs=1M count=4 2>/dev/null
	done
	vd_md5=$(md5sum <"$T/vd" | cut -d' ' -f1)
	sd_md5=$(md5sum <"$T/sd" | cut -d' ' -f1)
	blob_md5=$(md5sum <"$T/www/blob" | cut -d' ' -f1)
	if [ -z "${httpd:-}" ]; then
		httpd -f -p 127.0.0.1:8080 -h "$T/www" &
		httpd=$!
	fi
	# romfile=: no PXE option ROM (the test machine has none to give).
	devargs="-drive file=$T/vd,format=raw,if=none,id=vd -device virtio-blk-pci,drive=vd
		-drive file=$T/sd,format=raw,if=none,id=sd -device ahci,id=ahci
		-device ide-hd,drive=sd,bus=ahci.0
		-netdev user,id=net -device e1000,netdev=net,romfile="
}

# devices_guest: the dev boot's checks in its guest, which has reached its
# shell (or not: then each fails at once, without an answer).
devices_guest() {
	# The drivers, in the order mkguest.sh resolved (each after what it
	# needs); PCI probes each device as its driver registers.
	v=$(ask MODS $((wait_s * 2)) 'n=0; for m in $(cat /lib/modules/order); do insmod /lib/modules/$m && n=$((n + 1)); done; echo $n of $(wc -l </lib/modules/order) loaded')
	# shellcheck disable=SC2086 # the answer's words
	set -- $v
	[ $# = 4 ] && [ "$4" = loaded ] && [ "$1" = "$3" ] && [ "$1" != 0 ]
	check $? "$name: the guest's drivers for virtio-pci, AHCI and e1000 load (${v:-no answer})"
	# blk DEV: DEV's MD5, once it is there (libata probes its ports
	# after ahci has loaded).
	printf '%s\n' 'blk() { i=0; while [ ! -b "$1" ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done; md5sum <"$1" | cut -d" " -f1; }' >&3
	md5_check VDSUM 'blk /dev/vda' "$vd_md5" "the guest reads the virtio-blk-pci disk"
	md5_check SDSUM 'blk /dev/sda' "$sd_md5" "the guest reads the AHCI disk"
	md5_check SDCOPY 'if dd if=/dev/vda of=/dev/sda bs=64k conv=fsync 2>/dd.err; then echo 3 >/proc/sys/vm/drop_caches; blk /dev/sda; else cat /dd.err; fi' \
		"$vd_md5" "the guest copies the virtio-blk-pci disk onto the AHCI disk and reads the copy back"
	# eth0 (no udev to rename it) on slirp's network, once e1000 says
	# its link is up; the answer is the MD5 and the seconds it took.
	md5_check NET 'ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0; i=0; while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done; s=$(date +%s); wget -q -O - http://10.0.2.2:8080/blob | md5sum | cut -d" " -f1; echo $(($(date +%s) - s)) s' \
		"$blob_md5" "the guest fetches 4 MiB over TCP from httpd here through e1000 and slirp"
}

# md5_check PREFIX COMMAND MD5 WHAT: the check WHAT, that the answer to
# COMMAND (ask) starts with MD5; up to two minutes for it.
md5_check() {
	v=$(ask "$1" $((wait_s * 2)) "$2")
	[ "${v%% *}" = "$3" ]
	check $? "$name: $4 (md5 ${v:-no answer}, want $3)"
}

# devices_file: after the dev boot, what the guest wrote to the AHCI disk
# is in its image file.
devices_file() {
	v=$(md5sum <"$T/sd" | cut -d' ' -f1)
	[ "$v" = "$vd_md5" ]
	check $? "$name: the AHCI disk's image file holds the copy the guest wrote (md5 $v, want $vd_md5)"
}

# since UPTIME: the seconds since /proc/uptime said UPTIME.
since() { awk -v s="$1" '{ printf "%.1f", $1 - s }' /proc/uptime; }

# boot NAME ACCEL SMP [gdb|dev]: one boot, its checks, its console in the
# log; with gdb, QEMU waits for gdb_session first; with dev, it has the
# devices of devices_setup, and the guest their drivers. On -machine
# $machine, with -cpu $cpu, from $media (QEMU_MEDIA of $T/qemu), through
# $fw: SeaBIOS, and its option ROM (-kernel) or GRUB (the CD-ROM), or OVMF
# and GRUB.
machine=pc cpu=max media=kernel
boot() {
	name=$1 accel=$2 smp=$3 c=$T/$1.console
	case $media in
	kernel) fw=SeaBIOS ;;
	cdrom) fw="SeaBIOS and GRUB from a CD-ROM" ;;
	ovmf) fw="OVMF and GRUB from a CD-ROM" ;;
	esac
	debug="" initrd="" devargs=""
	[ "${4:-}" = gdb ] && debug="-S -gdb tcp:127.0.0.1:1234"
	[ "${4:-}" = dev ] && initrd=$DEV_GUEST && devices_setup
	rm -f "$T/in"
	mkfifo "$T/in"
	start=$(cut -d' ' -f1 /proc/uptime)
	# The firmware's own log (its debug port, 0x402: SeaBIOS's; Debian's
	# OVMF is a release build, which writes none), shown if the boot fails.
	# QEMU's monitor on two fifos, to read the vCPUs of a boot that stops.
	rm -f "$T/mon.in" "$T/mon.out"
	mkfifo "$T/mon.in" "$T/mon.out"
	# shellcheck disable=SC2086 # $debug and $devargs are options or none
	QEMU_MACHINE=$machine QEMU_CPU=$cpu QEMU_INITRD=$initrd QEMU_MEDIA=$media \
		timeout 600 "$T/qemu" "$accel" "$smp" \
		-chardev "file,id=fwlog,path=$T/$name.fwlog" \
		-device isa-debugcon,iobase=0x402,chardev=fwlog \
		-monitor "pipe:$T/mon" $debug $devargs \
		<"$T/in" >"$c" 2>"$T/$name.err" &
	pid=$!
	exec 3>"$T/in"
	# Drain the monitor's output, so that it never blocks QEMU.
	cat "$T/mon.out" >"$T/$name.mon" &
	mon=$!
	exec 4<>"$T/mon.in"
	if [ -n "$debug" ]; then
		gdb_session "$name"
		# A session that failed leaves QEMU stopped (-S).
		printf 'cont\n' >&4
	fi
	wait_s=60
	if wait_for "$c" "VMW86RUN-GUEST-SHELL" "${qemu_accel_shell_wait:-420}"; then
		ok "$name: the guest reaches its shell through $fw ($(since "$start") s)"
	else
		notok "$name: the guest reaches its shell through $fw"
		tail -n 40 "$T/$name.fwlog" | sed "s/^/# $name firmware| /"
		# Where each vCPU is (the accelerator reads its state from
		# vmw86 for this), and what it runs there.
		printf 'info cpus\ninfo registers -a\nx /6i $pc\ncpu 1\nx /6i $pc\ninfo pic\n' >&4
		sleep 10
		plain <"$T/$name.mon" | sed "s/^/# $name monitor| /"
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
	[ "${4:-}" = dev ] && devices_guest
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
	echo "# $name: $(since "$start") s from QEMU's start to its end"
	[ $rc = 0 ] && tr -d '\r' <"$c" | grep -q "reboot: Power down"
	check $? "$name: leaving the shell powers the guest off: QEMU exits 0 (got $rc)"
	[ "${4:-}" = dev ] && devices_file
	# The accelerator warns of what it dropped or could not do.
	if [ "$accel" = vmw86 ]; then
		! grep -q "vmw86:" "$T/$name.err"
		check $? "$name: the accelerator warned of nothing ($(grep -c "vmw86:" "$T/$name.err") lines)"
	fi
	plain <"$c" | sed "s/^/# $name| /"
	sed "s/^/# $name stderr| /" "$T/$name.err"
}

# reset_boot NAME ACCEL MODE: resets that QEMU carries out (QEMU_REBOOT=1):
# the monitor's system_reset, then the guest's own "reboot -f" with the
# kernel's reboot=MODE (k: the keyboard controller's reset line; t: a
# triple fault, an empty IDT and an INT3), each back through SeaBIOS to the
# guest's shell; then the monitor's info registers, and quit ends QEMU 0.
reset_boot() {
	name=$1 accel=$2 c=$T/$1.console
	rm -f "$T/in" "$T/mon.in" "$T/mon.out"
	mkfifo "$T/in" "$T/mon.in" "$T/mon.out"
	QEMU_REBOOT=1 QEMU_APPEND="reboot=$3" timeout 600 "$T/qemu" "$accel" 1 \
		-monitor "pipe:$T/mon" <"$T/in" >"$c" 2>"$T/$name.err" &
	pid=$!
	exec 3>"$T/in"
	cat "$T/mon.out" >"$T/$name.mon" &
	mon=$!
	exec 4<>"$T/mon.in"
	shells() { tr -d '\r' <"$c" | grep -c "VMW86RUN-GUEST-SHELL"; }
	# Up to $1 seconds for the guest's shell number $2.
	shell_n() {
		i=0
		while [ "$(shells)" -lt "$2" ] && [ $i -lt "$1" ] &&
		      kill -0 $pid 2>/dev/null; do
			sleep 1
			i=$((i + 1))
		done
		[ "$(shells)" -ge "$2" ]
	}
	shell_n "${qemu_accel_shell_wait:-420}" 1
	printf 'system_reset\n' >&4
	shell_n 120 2
	check $? "$name: the monitor's system_reset restarts the guest through SeaBIOS to its shell"
	sleep 1
	printf 'reboot -f\n' >&3
	shell_n 120 3
	check $? "$name: the guest's reboot=$3 restarts it through SeaBIOS to its shell"
	printf 'info registers\n' >&4
	sleep 3
	tr -d '\r' <"$T/$name.mon" | grep -q "^RIP=[0-9a-f]\{16\} "
	check $? "$name: the monitor's info registers shows the vCPU's registers"
	printf 'quit\n' >&4
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 60 ]; do
		sleep 1
		i=$((i + 1))
	done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	exec 3>&- 4>&-
	kill $mon 2>/dev/null
	wait $mon 2>/dev/null
	[ $rc = 0 ]
	check $? "$name: the monitor's quit ends QEMU with status 0 (got $rc)"
	if [ "$accel" = vmw86 ]; then
		! grep -q "vmw86:" "$T/$name.err"
		check $? "$name: the accelerator warned of nothing ($(grep -c "vmw86:" "$T/$name.err") lines)"
	fi
	tr -d '\r' <"$c" | grep -v "^\[" | sed "s/^/# $name| /"
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

# iso_boots: the ISO's boots, from firmware through GRUB, each under vmw86
# and KVM with their err-level logs compared: SeaBIOS from the CD-ROM on
# -machine pc with one vCPU and on q35 with four, OVMF on q35 with two.
iso_boots() {
	media=cdrom machine=pc
	boot_pair cd-pc 1
	machine=q35
	boot_pair cd-q35 4
	media=ovmf
	boot_pair ovmf 2
	media=kernel machine=pc
	errlog vmw86-cd-pc kvm-cd-pc
	errlog vmw86-cd-q35 kvm-cd-q35
	errlog vmw86-ovmf kvm-ovmf
}

# qemu_accel_boots="NAME...": only these boots (diagnosis); the others,
# and the err-level checks that need them, fail as not run.
want() {
	case " ${qemu_accel_boots:-$1} " in *" $1 "*) return 0 ;; esac
	notok "$1: not run (qemu_accel_boots)"
	return 1
}

# boot_pair NAME SMP [gdb|dev]: boot's vmw86-NAME, then its peer kvm-NAME.
boot_pair() {
	want "vmw86-$1" && boot "vmw86-$1" vmw86 "$2" "${3:-}"
	want "kvm-$1" && boot "kvm-$1" kvm "$2" "${3:-}"
}
boot_pair smp1 1
boot_pair smp2 2
boot_pair smp4 4
machine=q35
boot_pair q35 2
machine=pc
boot_pair dev 2 dev
boot_pair gdb 1 gdb
# The host's CPU (vmw86-cpu.c: its vendor, model and brand, with what
# vmw86 offers), and a named model.
cpu=host
boot_pair host 2
cpu=EPYC
boot_pair epyc 1
cpu=max
want vmw86-reset-k && reset_boot vmw86-reset-k vmw86 k
want vmw86-reset-t && reset_boot vmw86-reset-t vmw86 t
want kvm-reset-k && reset_boot kvm-reset-k kvm k
want kvm-reset-t && reset_boot kvm-reset-t kvm t
errlog vmw86-smp1 kvm-smp1
errlog vmw86-smp2 kvm-smp2
errlog vmw86-smp4 kvm-smp4
errlog vmw86-q35 kvm-q35
errlog vmw86-dev kvm-dev
errlog vmw86-host kvm-host
errlog vmw86-epyc kvm-epyc
iso_boots
[ -z "${httpd:-}" ] || kill "$httpd"
rm -rf "$T"
