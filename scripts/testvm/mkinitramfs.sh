#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the test machine's initramfs (cpio newc, gzip):
#   /init, /bin/busybox + applet links, /bin/run-tests, /lib/vmw86/lib.sh
#   /vmw86.ko                      the module under test (debug info stripped)
#   /lib/modules/kvm/*.ko, order   Debian's kvm-amd and its dependencies
#   /lib/modules/net/tun.ko        TAP devices, for vmw86-run --net
#   /tests/<binaries>, run_list    the test binaries, in run order
#   /lib*/...                      shared objects of any dynamically linked
#                                  test (from ldd, plus DIR/initramfs_libs)
#   with -r RUNDIR (vmw86-run's build directory):
#   /bin/vmw86-run                 the launcher
#   /bin/vmw86-stat                its counters (vmw86_run_stat)
#   /bin/vmw86-run-asan            the same with ASan and UBSan (dynamic: its
#                                  shared objects go with it, from ldd)
#   /tests/<its tests>, guest initramfs images, guest programs (*.elf),
#                                  pty-run; after the selftests in run_list
#   /boot/vmlinuz-$KVER            the kernel the launcher boots as a guest
#   /boot/vmlinux-$KVER            the same, uncompressed (ELF)
#   /bin/{mke2fs,mkfs.ext4,e2fsck,debugfs}, /etc/mke2fs.conf
#                                  e2fsprogs, for the disk tests' images
#   /bin/gdb                       Debian's gdb-minimal (no Python), for
#                                  vmw86_run_gdb, when that test is packed
#                                  (scripts/testvm/gdb-minimal.sh fetches it)
#   with -q QDIR (scripts/testvm/common.sh's build_qemu_accel):
#   /bin/qemu-system-x86_64        QEMU with -accel vmw86 (dynamic: its
#                                  shared objects go with it, from ldd)
#   /usr/share/qemu/*              the firmware it loads for -machine pc:
#                                  SeaBIOS, linuxboot_dma.bin, kvmvapic.bin;
#                                  and OVMF's (UEFI) code and variables
#   /tests/<its tests>             after the launcher's in run_list
#   /tests/*.cpio.gz               their guests (guest-devices.cpio.gz)
#   /tests/guest-shell.iso         with -r and QDIR/grub.cfg: a hybrid ISO
#                                  (grub-mkrescue, BIOS and UEFI) of that
#                                  grub.cfg, /boot/vmlinuz-$KVER and
#                                  RUNDIR's guest-shell.cpio.gz
#   with -d DKMS_KO -e "NAME...":
#   /dkms/vmw86.ko                 the module DKMS built from the packages
#                                  (scripts/dkms-test.sh), as DKMS left it
#   /tests/dkms_<NAME>, dkms_list  copies of those selftests, run against it
#                                  after the suite (init)
#   with -a (check.sh's nosvm pass):
#   /lib/modules/$KVER/extra/vmw86.ko and depmod's indexes of it
#                                  (modules.dep, .alias, .devname, ...), so
#                                  that the kernel's request_module() finds
#                                  vmw86 by its aliases as on an installed host
#   /sbin/kmod, /sbin/{insmod,modprobe}  the build host's kmod (dynamic: its
#                                  shared objects go with it), which loads a
#                                  module once where busybox's insmod tries
#                                  finit_module() and then init_module()
#
# usage: mkinitramfs.sh -o OUT.cpio.gz -k vmw86.ko -t SELFTESTS_DIR [-r RUNDIR] [-q QDIR]
#                       [-s "NAME..."] [-R "NAME..." -n N] [-l FILE]
#                       [-d DKMS_KO -e "NAME..."] [-a] [-L LIST]
# -s keeps only the named binaries of run_list (in run_list order); -R and
# -n run the named ones (of those kept) N more times after the rest, in
# rounds (make stress); -l also writes the run_list actually packed to FILE,
# for the host's parser. -L names the list in SELFTESTS_DIR to pack instead
# of run_list (nosvm_list: the tests of a test machine without SVM), and
# leaves out RUNDIR's and QDIR's lists (QDIR's QEMU still goes in: the
# nosvm pass runs it once, to see it refuse).
# KVER selects the kernel whose kvm modules are packed (default: the newest,
# see scripts/kernel-version.sh). For a kernel not installed in /boot and
# /lib/modules (make check-debug's), VMW86_MODDIR names its module directory
# and VMW86_GUEST_KERNEL the image vmw86-run boots as a guest (packed as
# /boot/vmlinuz-$KVER all the same, where the tests look for it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out='' ko='' tdir='' rdir='' qdir='' select='' listout='' repeat='' rounds=0 dkms_ko='' dkms_tests=''
autoload=0 list=run_list
while getopts o:k:t:r:q:s:l:R:n:d:e:aL: opt; do
	case $opt in
	o) out=$OPTARG ;;
	k) ko=$OPTARG ;;
	t) tdir=$OPTARG ;;
	r) rdir=$OPTARG ;;
	q) qdir=$OPTARG ;;
	s) select=$OPTARG ;;
	l) listout=$OPTARG ;;
	R) repeat=$OPTARG ;;
	n) rounds=$OPTARG ;;
	d) dkms_ko=$OPTARG ;;
	e) dkms_tests=$OPTARG ;;
	a) autoload=1 ;;
	L) list=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[[ -n $out && -n $ko && -n $tdir ]] || { echo "usage: $0 -o OUT -k KO -t DIR [-s NAMES] [-l FILE]" >&2; exit 2; }
die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }

KVER=${KVER:-$("$here/../kernel-version.sh")} || die "no kernel with headers found"
moddir=${VMW86_MODDIR:-/lib/modules/$KVER}
guest_kernel=${VMW86_GUEST_KERNEL:-/boot/vmlinuz-$KVER}
[[ -f $ko ]] || die "$ko: no such module"
[[ -f $tdir/$list ]] || die "$tdir/$list missing"
[[ -z $rdir || -f $rdir/run_list ]] || die "$rdir/run_list missing"
[[ -z $qdir || -f $qdir/run_list ]] || die "$qdir/run_list missing"

root=$(mktemp -d "${TMPDIR:-/tmp}/vmw86-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,root,tests,lib/vmw86,lib/modules/kvm}

# Static busybox: the dynamic one (package "busybox") would not run there.
bb=$(command -v busybox) || die "busybox not installed (package busybox-static)"
if readelf -l "$bb" | grep -q 'program interpreter'; then
	die "$bb is dynamically linked; install busybox-static"
fi
cp "$bb" "$root/bin/busybox"
# Every applet, not only those init uses: the same image serves shell.sh.
for a in $("$bb" --list); do
	[[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"
done
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/run-tests" "$root/bin/run-tests"
install -m 0644 "$here/lib.sh" "$root/lib/vmw86/lib.sh"

# add_libs BIN: the shared objects BIN needs (ldd, and its loader), to
# be copied to the same paths below.
add_libs() {
	ldd "$1" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' >>"$root/libs" ||
		die "ldd $1 failed"
}

# Kernel modules may be shipped compressed; busybox insmod wants plain ELF.
unpack_module() { # SRC DEST
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*) die "$1: unknown module format" ;;
	esac
}

# kvm-amd and its dependencies; modules.dep lists them so that loading the
# list backwards (irqbypass, kvm, ccp, then kvm-amd) satisfies each in turn.
[[ -f $moddir/modules.dep ]] || die "$moddir/modules.dep missing (package linux-image-$KVER)"
dep=$(grep -E '^kernel/arch/x86/kvm/kvm-amd\.ko(\.[a-z]+)?:' "$moddir/modules.dep") ||
	die "kvm-amd not in $moddir/modules.dep"
read -r -a deps <<<"${dep#*:}"
mods=("${dep%%:*}")
for ((i = 0; i < ${#deps[@]}; i++)); do mods=("${deps[i]}" "${mods[@]}"); done
for m in "${mods[@]}"; do
	name=$(basename "$m")
	name=${name%%.ko*}.ko
	unpack_module "$moddir/$m" "$root/lib/modules/kvm/$name"
	echo "$name" >>"$root/lib/modules/kvm/order"
done
# tun, for vmw86-run's TAP devices (vmw86_run_net loads it); it depends on
# nothing. A kernel with tun built in (a debug build) lists none.
mkdir -p "$root/lib/modules/net"
if tun=$(grep -oE '^kernel/drivers/net/tun\.ko(\.[a-z]+)?' "$moddir/modules.dep"); then
	unpack_module "$moddir/$tun" "$root/lib/modules/net/tun.ko"
fi

# The module under test. Its DWARF (Debian's config has DEBUG_INFO) is
# several MB the guest would unpack for nothing; symbols stay for traces.
want=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1 || true)
if [[ -n $want && $want != "$KVER" ]]; then
	echo "mkinitramfs.sh: warning: $ko is built for $want, the test machine boots $KVER" >&2
fi
strip --strip-debug -o "$root/vmw86.ko" "$ko"

# -a: the module where an installed one lives, indexed by the build host's
# depmod (kmod) as a package's postinst would, so that modprobe finds it by
# its aliases (char-major-10-248, devname:vmw86) and modules.devname names
# the node that "kmod static-nodes" would make at boot.
if ((autoload)); then
	mkdir -p "$root/lib/modules/$KVER/extra"
	cp "$root/vmw86.ko" "$root/lib/modules/$KVER/extra/vmw86.ko"
	for f in modules.builtin modules.builtin.modinfo; do
		[[ ! -f $moddir/$f ]] || cp "$moddir/$f" "$root/lib/modules/$KVER/"
	done
	echo extra/vmw86.ko >"$root/lib/modules/$KVER/modules.order"
	depmod_bin=$(PATH=/usr/sbin:/sbin:$PATH command -v depmod) || die "depmod not installed (package kmod)"
	"$depmod_bin" -b "$root" "$KVER" || die "depmod -b $root $KVER failed"
	kmod_bin=$(PATH=/usr/bin:/bin:$PATH command -v kmod) || die "kmod not installed (package kmod)"
	mkdir -p "$root/sbin"
	install -m 0755 "$kmod_bin" "$root/sbin/kmod"
	ln -sf kmod "$root/sbin/insmod"
	ln -sf kmod "$root/sbin/modprobe"
	add_libs "$kmod_bin"
fi

# vmw86-run: the launcher, the guest it boots (Debian's kernel, the same
# file the test machine runs, and a busybox initramfs), and its tests, which
# run after the selftests.
all_list=$root/all_list
cat "$tdir/$list" >"$all_list"
qlist=1
[[ $list == run_list ]] || rdir='' qlist=''
if [[ -n $rdir ]]; then
	[[ -x $rdir/vmw86-run ]] || die "$rdir/vmw86-run missing"
	install -m 0755 "$rdir/vmw86-run" "$root/bin/vmw86-run"
	[[ ! -x $rdir/vmw86-stat ]] || install -m 0755 "$rdir/vmw86-stat" "$root/bin/vmw86-stat"
	install -m 0644 "$rdir"/*.cpio.gz "$rdir/tap-lib.sh" "$root/tests/"
	# The fuzz test's guest program and sanitizer build of the launcher.
	for f in "$rdir"/*.elf; do
		[[ ! -f $f ]] || install -m 0644 "$f" "$root/tests/"
	done
	# vmw86_run_tty's pseudo-terminal (static).
	[[ ! -x $rdir/pty-run ]] || install -m 0755 "$rdir/pty-run" "$root/tests/pty-run"
	if [[ -x $rdir/vmw86-run-asan ]]; then
		install -m 0755 "$rdir/vmw86-run-asan" "$root/bin/vmw86-run-asan"
		add_libs "$rdir/vmw86-run-asan"
	fi
	mkdir -p "$root/boot"
	cp "$guest_kernel" "$root/boot/vmlinuz-$KVER" || die "$guest_kernel unreadable"
	# The same kernel uncompressed, for the launcher's ELF path: taken out
	# of the bzImage by the kernel's own scripts/extract-vmlinux (from
	# Debian's linux-source tarball, at build time), cached next to OUT.
	vmlinux=$(dirname "$out")/vmlinux-$KVER
	if [[ ! -s $vmlinux || $guest_kernel -nt $vmlinux ]]; then
		xv=$(dirname "$out")/extract-vmlinux
		if [[ ! -s $xv ]]; then
			tar -xJOf /usr/src/linux-source-6.1.tar.xz \
				linux-source-6.1/scripts/extract-vmlinux >"$xv.tmp" ||
				die "extract-vmlinux not in /usr/src/linux-source-6.1.tar.xz"
			mv "$xv.tmp" "$xv"
		fi
		sh "$xv" "$guest_kernel" >"$vmlinux.tmp" ||
			die "extract-vmlinux could not unpack $guest_kernel"
		mv "$vmlinux.tmp" "$vmlinux"
	fi
	cp "$vmlinux" "$root/boot/vmlinux-$KVER"
	cat "$rdir/run_list" >>"$all_list"
	# The disk tests make, check and read ext4 images of the guest's
	# disks: e2fsprogs' mke2fs (mkfs.ext4), e2fsck and debugfs, the
	# build host's own (dynamic: their libraries go with them, below),
	# in place of busybox's mke2fs, which cannot make ext4.
	for t in mke2fs e2fsck debugfs; do
		bin=$(PATH=/usr/sbin:/sbin:$PATH command -v "$t") ||
			die "$t not installed (package e2fsprogs)"
		rm -f "$root/bin/$t"
		install -m 0755 "$bin" "$root/bin/$t"
		add_libs "$bin"
	done
	ln -sf mke2fs "$root/bin/mkfs.ext4"
	[[ ! -f /etc/mke2fs.conf ]] || cp /etc/mke2fs.conf "$root/etc/"
	# vmw86_run_gdb's debugger, about 10 MB with its shared objects:
	# only when that test goes in, or QEMU's (qemu_accel shows with it
	# where each thread of a QEMU that stopped answering is).
	if [[ -z $select || " ${select//,/ } " == *" vmw86_run_gdb "* || -n $qdir ]]; then
		gdb_bin=$("$here/gdb-minimal.sh") ||
			die "no gdb-minimal for vmw86_run_gdb (scripts/testvm/gdb-minimal.sh)"
		install -m 0755 "$gdb_bin" "$root/bin/gdb"
		add_libs "$gdb_bin"
	fi
fi

# make_iso OUT: the boot CD of qemu_accel's ISO boots, the test machine's
# kernel and the launcher tests' shell initramfs under GRUB, for SeaBIOS
# (El Torito, and an MBR for a disk) and for UEFI (an EFI system partition
# image, made with mtools), by grub-mkrescue (xorriso). Only the GRUB
# modules its grub.cfg and GRUB's own start-up need, no fonts, locales or
# themes: about 4 MB besides the two files.
make_iso() {
	local iso
	iso=$(mktemp -d "${TMPDIR:-/tmp}/vmw86-iso.XXXXXX")
	mkdir -p "$iso/boot/grub"
	cp "$guest_kernel" "$iso/boot/vmlinuz"
	cp "$rdir/guest-shell.cpio.gz" "$iso/boot/"
	cp "$qdir/grub.cfg" "$iso/boot/grub/"
	command -v grub-mkrescue >/dev/null ||
		die "grub-mkrescue not installed (packages grub-pc-bin, grub-efi-amd64-bin, xorriso, mtools)"
	# grub-efi's start-up loads every partition map module it has.
	grub-mkrescue -o "$1" --fonts= --locales= --themes= --compress=xz \
		--install-modules="linux normal iso9660 serial terminal fat \
			search search_fs_uuid search_label $(cd /usr/lib/grub/x86_64-efi &&
				echo part_*.mod | sed 's/\.mod//g')" \
		"$iso" >"$iso.log" 2>&1 || { cat "$iso.log" >&2; rm -rf "$iso" "$iso.log"; die "grub-mkrescue failed"; }
	rm -rf "$iso" "$iso.log"
}

# QEMU with -accel vmw86, the firmware of -machine pc and OVMF, from Debian's
# packages (seabios, qemu-system-data, ovmf), at the paths -L /usr/share/qemu
# finds them; its test runs after the launcher's, whose guests it boots.
if [[ -n $qdir ]]; then
	install -m 0755 "$qdir/qemu-system-x86_64" "$root/bin/qemu-system-x86_64"
	add_libs "$qdir/qemu-system-x86_64"
	# The firmware only where QEMU boots guests (nosvm's only refuses).
	if [[ -n $qlist ]]; then
		mkdir -p "$root/usr/share/qemu"
		for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
			/usr/share/qemu/kvmvapic.bin /usr/share/OVMF/OVMF_CODE_4M.fd \
			/usr/share/OVMF/OVMF_VARS_4M.fd; do
			[[ -r $f ]] || die "$f missing (packages seabios, qemu-system-data, ovmf)"
			cp -L "$f" "$root/usr/share/qemu/"
		done
		install -m 0644 "$qdir"/*.cpio.gz "$root/tests/"
		cat "$qdir/run_list" >>"$all_list"
		[[ -z $rdir || ! -f $qdir/grub.cfg ]] || make_iso "$root/tests/guest-shell.iso"
	fi
fi

# Test binaries: run_list (NAME [TIMEOUT] per line), optionally narrowed.
declare -A keep=()
if [[ -n $select ]]; then
	for n in ${select//,/ }; do keep[$n]=1; done
	for n in "${!keep[@]}"; do
		awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' "$all_list" ||
			die "test '$n' is not in $tdir/$list${rdir:+ or $rdir/run_list}${qdir:+ or $qdir/run_list}"
	done
fi
: >"$root/tests/run_list"
while read -r name rest; do
	[[ -z $name || $name == \#* ]] && continue
	[[ -z $select || -n ${keep[$name]:-} ]] || continue
	echo "$name${rest:+ $rest}" >>"$root/tests/run_list"
	bin=$tdir/$name
	[[ -f $bin || -z $rdir || ! -f $rdir/$name ]] || bin=$rdir/$name
	[[ -f $bin || -z $qdir || ! -f $qdir/$name ]] || bin=$qdir/$name
	if [[ ! -f $bin ]]; then
		# Still listed: the guest reports it as a failed, missing binary.
		echo "mkinitramfs.sh: warning: $bin missing" >&2
		continue
	fi
	install -m 0755 "$bin" "$root/tests/$name"
	# Most tests are static; a dynamic one takes its libraries along.
	if readelf -l "$bin" 2>/dev/null | grep -q 'program interpreter'; then
		add_libs "$bin"
	fi
done <"$all_list"
# make stress: the named tests again, round after round, as already listed.
for ((i = 0; i < rounds; i++)); do
	for n in ${repeat//,/ }; do
		awk -v n="$n" '$1 == n { print; f = 1; exit } END { exit !f }' \
			"$root/tests/run_list" >>"$root/tests/run_list.more" ||
			die "-R: test '$n' is not among those packed"
	done
done
[[ ! -f $root/tests/run_list.more ]] ||
	{ cat "$root/tests/run_list.more" >>"$root/tests/run_list"; rm "$root/tests/run_list.more"; }
rm -f "$all_list"

# The DKMS-built module, byte for byte (DKMS strips it already), and the
# selftests to run against it, under names that say so; their run_list
# lines keep the suite's timeouts.
if [[ -n $dkms_ko ]]; then
	[[ -f $dkms_ko ]] || die "$dkms_ko: no such module"
	[[ -n $dkms_tests ]] || die "-d needs -e NAMES"
	mkdir -p "$root/dkms"
	cp "$dkms_ko" "$root/dkms/vmw86.ko"
	: >"$root/tests/dkms_list"
	for n in ${dkms_tests//,/ }; do
		line=$(awk -v n="$n" '$1 == n { print; exit }' "$tdir/run_list")
		[[ -n $line && -f $tdir/$n ]] || die "-e: '$n' is not a selftest of $tdir"
		install -m 0755 "$tdir/$n" "$root/tests/dkms_$n"
		echo "dkms_$line" >>"$root/tests/dkms_list"
	done
fi

# Shared objects, at the paths the loader will look for them; the selftests
# build may list more in initramfs_libs (one absolute path a line).
[[ ! -f $tdir/initramfs_libs ]] || cat "$tdir/initramfs_libs" >>"$root/libs"
[[ ! -f $root/libs ]] || sort -u "$root/libs" | while read -r lib; do
	[[ -n $lib ]] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
rm -f "$root/libs"

[[ -z $listout ]] || cat "$root/tests/run_list" ${dkms_ko:+"$root/tests/dkms_list"} >"$listout"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -n -6 >"$out.tmp"
mv "$out.tmp" "$out"
