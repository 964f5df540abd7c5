#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmw86-run --disk in the test machine (busybox sh, TAP): virtio-blk over a
# raw image file, seen by Debian's unmodified kernel as the guest.
# - bad input (a missing file, a size that is not whole sectors, an
#   unknown option) exits 1 with one line, before any VM is made;
# - an ext4 image made here (mke2fs -d, with a file of known content): the
#   guest mounts it, reads that file back, writes new files, syncs,
#   unmounts, powers off; here e2fsck -f -n finds the image clean and
#   debugfs reads every new file back with the checksum the guest printed;
# - the same, with vmw86-run killed (SIGKILL) as soon as the guest says its
#   sync returned, while it goes on writing: what was synced survives. The
#   file system was not unmounted, so its journal needs replaying, as after
#   any crash: the check replays it on a copy (e2fsck -E journal_only, the
#   recovery a mount would do), then requires e2fsck -f -n to find nothing
#   at all to repair, and the synced files' checksums. A journal that had
#   to be repaired beyond replay, or a synced file that differs, fails;
# - the guest sees a write-back cache (the device offers flush), so that
#   its sync reaches the device as a flush at all;
# - ,readonly: the guest sees a read-only disk (/sys/block/vda/ro), so its
#   own kernel refuses a raw write (EPERM) and mounts it read-only; the
#   image is unchanged, byte for byte. (Debian's 6.1 refuses every write
#   path to a read-only disk before it reaches the device: write(2) in
#   block/fops.c, BLKZEROOUT and BLKDISCARD in block/blk-lib.c, shared
#   writable mmap in fops.c. The device's own refusal (VIRTIO_BLK_S_IOERR)
#   needs a guest that drives the queue itself: the virtqueue fuzz test.)
# - two disks at once: vda and vdb, in the order given, with their sizes
#   and contents, one of them read-only;
# - an I/O error of the back end (an image on a full tmpfs: pwrite fails
#   with ENOSPC) reaches the guest as an I/O error within seconds, not a
#   hung queue, the disk still reads correctly afterwards, and the
#   launcher's stderr says what failed on the host and why.
# The guest is guest-virtio.cpio.gz with each case's commands appended as
# /case.sh; its console is copied here with a "# NAME guest| " prefix.

V=${VMW86_RUN:-/bin/vmw86-run}
KERNEL=/boot/vmlinuz-$(uname -r)
GUEST=${0%/*}/guest-virtio.cpio.gz
T=${TMPDIR:-/tmp}/vmw86-run-disk.$$
mkdir -p "$T"
n=0
PLAN=30

# shellcheck source=SCRIPTDIR/tap-lib.sh
. "${0%/*}/tap-lib.sh"

# bad_disk NAME MESSAGE-REGEX ARGS...: bad input with a kernel given, so
# that only the disk option is wrong.
bad_disk() {
	bname=$1 bre=$2
	shift 2
	bad "$bname" "$bre" --kernel "$KERNEL" "$@"
}

# fsck_n IMAGE: e2fsck -f -n of IMAGE, its output shown here; returns
# e2fsck's status.
fsck_n() {
	e2fsck -f -n "$1" >"$T/fsck" 2>&1
	fsck_rc=$?
	sed 's/^/#   e2fsck| /' "$T/fsck"
	return $fsck_rc
}

# file_sum IMAGE PATH: sha256 of PATH in the ext4 IMAGE, read by debugfs.
file_sum() {
	debugfs -R "cat $2" "$1" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# files_match NAME IMAGE: every "VT-FILE PATH SUM" line on NAME's console
# has its file in IMAGE with that checksum; there are COUNT such lines.
files_match() { # NAME IMAGE COUNT
	grep '^VT-FILE ' "$T/$1.console" >"$T/files"
	[ "$(wc -l <"$T/files")" = "$3" ] || {
		echo "#   the guest printed $(wc -l <"$T/files") checksums, not $3"
		return 1
	}
	while read -r _ f sum; do
		got=$(file_sum "$2" "/$f")
		if [ "$got" != "$sum" ]; then
			echo "#   $f: the guest wrote $sum, the image has $got"
			return 1
		fi
	done <"$T/files"
}

echo "TAP version 13"
echo "1..$PLAN"

if [ ! -x "$V" ] || [ ! -r "$KERNEL" ] || [ ! -r "$GUEST" ] ||
   ! command -v mkfs.ext4 >/dev/null || ! command -v debugfs >/dev/null; then
	echo "Bail out! missing $V, $KERNEL, $GUEST or e2fsprogs"
	exit 1
fi

# --- bad input -------------------------------------------------------------
head -c 1000 /dev/zero >"$T/odd.img"
truncate -s 1M "$T/ok.img"
bad_disk "--disk of a missing file" "/nonexistent/disk.img" --disk /nonexistent/disk.img
bad_disk "--disk of 1000 bytes, not whole 512-byte sectors" "odd.img.*512|512.*odd.img" \
	--disk "$T/odd.img"
bad_disk "--disk with an unknown option" "bogus" --disk "$T/ok.img,bogus"
bad_disk "--disk of a directory" "$T" --disk "$T"

# --- an ext4 image: write, sync, unmount, power off --------------------------
# A seed directory for mke2fs -d: one file of known content (1 MiB).
mkdir -p "$T/seed"
head -c 1048576 /dev/urandom >"$T/seed/known"
known=$(sha256sum "$T/seed/known" | cut -d' ' -f1)
mkimage() { # IMAGE
	rm -f "$1"
	mkfs.ext4 -q -F -d "$T/seed" "$1" 64M >"$T/mkfs" 2>&1 ||
		sed 's/^/#   mkfs.ext4| /' "$T/mkfs"
}

# The guest's part: mount, the known file's checksum, new files of
# several sizes (whole MiBs, and an odd size that ends mid-block), their
# checksums, sync. $1: what comes after the sync.
write_case() {
	cat <<-EOF
	echo "VT-WRITE-CACHE \$(cat /sys/block/vda/queue/write_cache)"
	mount -t ext4 /dev/vda /mnt || echo "VT-MOUNT-FAILED"
	echo "VT-KNOWN \$(sha256sum /mnt/known | cut -d' ' -f1)"
	mkdir -p /mnt/dir
	for f in a:3145728 dir/b:1048576 c:12345 dir/d:4096; do
		head -c \${f#*:} /dev/urandom >/mnt/\${f%:*}
		echo "VT-FILE \${f%:*} \$(sha256sum /mnt/\${f%:*} | cut -d' ' -f1)"
	done
	sync && echo "VT-SYNCED"
	$1
	EOF
}

mkimage "$T/write.img"
write_case 'umount /mnt && echo "VT-UMOUNTED"' | case_initrd write
boot_case write --disk "$T/write.img"
if [ $rc = 0 ] && grep -q "^VMW86RUN-GUEST-VIRTIO .* device=0x0002 driver=virtio_blk" "$T/write.console"; then
	ok "the guest finds the disk (virtio-mmio, device ID 2, virtio_blk) and powers off"
else
	notok "the guest finds the disk (virtio-mmio, device ID 2, virtio_blk) and powers off (rc=$rc)"
fi
[ "$(field write VT-WRITE-CACHE)" = "write back" ]
check $? "the guest sees a write-back cache: the device offers flush (got '$(field write VT-WRITE-CACHE)')"
[ "$(field write VT-KNOWN)" = "$known" ]
check $? "the guest reads the file made on the host, checksum equal"
grep -q "^VT-SYNCED" "$T/write.console" && grep -q "^VT-UMOUNTED" "$T/write.console"
check $? "the guest writes 4 files, syncs and unmounts"
fsck_n "$T/write.img"
check $? "e2fsck -f -n: the image is clean"
files_match write "$T/write.img" 4
check $? "the host reads the guest's 4 files back, checksums equal"
[ "$(file_sum "$T/write.img" /known)" = "$known" ]
check $? "the known file is unchanged on the host"

# --- the same, killed after sync ------------------------------------------
# After "VT-SYNCED" the guest keeps writing (unsynced, mid-flight when the
# kill lands) and never unmounts. The host kills vmw86-run the moment the
# line shows on the console.
mkimage "$T/kill.img"
write_case 'while :; do head -c 1048576 /dev/urandom >/mnt/after-sync; done' | case_initrd kill
"$V" --kernel "$KERNEL" --initrd "$T/kill.initrd" --memory 256M \
	--cmdline "console=ttyS0 quiet panic=-1" --disk "$T/kill.img" \
	>"$T/kill.console" 2>"$T/kill.err" </dev/null &
pid=$!
deadline=$(($(cut -d. -f1 /proc/uptime) + 120))
while ! grep -q "^VT-SYNCED" "$T/kill.console" 2>/dev/null; do
	if ! kill -0 $pid 2>/dev/null || [ "$(cut -d. -f1 /proc/uptime)" -ge $deadline ]; then
		break
	fi
	usleep 20000
done
kill -9 $pid 2>/dev/null
wait $pid
rc=$?
show kill
[ $rc = 137 ] && grep -q "^VT-SYNCED" "$T/kill.console"
check $? "vmw86-run killed (SIGKILL) right after the guest's sync returned (status $rc)"
[ "$(field kill VT-KNOWN)" = "$known" ]
check $? "the guest read the known file before the kill"
fsck_n "$T/kill.img"
echo "# e2fsck -f -n before any replay: status $? (a journal that needs recovery is expected)"
cp "$T/kill.img" "$T/kill-replayed.img"
e2fsck -y -E journal_only "$T/kill-replayed.img" >"$T/fsck" 2>&1
replay_rc=$?
sed 's/^/#   e2fsck journal_only| /' "$T/fsck"
# 0 or 1: replayed, or nothing to replay; anything more is a failure.
[ $replay_rc -le 1 ]
check $? "the journal replays (e2fsck -E journal_only: status $replay_rc)"
# Exit status 0. It may still say the superblock's free block and inode
# counts are wrong: ext4 keeps those up to date in the group descriptors
# only and writes the superblock's at unmount, and e2fsck does not count
# that as an error (PR_5_FREE_*_COUNT are PR_NO_OK in e2fsprogs' problem
# table); anything it does count gives status 4.
fsck_n "$T/kill-replayed.img"
check $? "after journal replay e2fsck -f -n finds the image clean"
files_match kill "$T/kill-replayed.img" 4
check $? "the 4 synced files survive the kill, checksums equal"

# --- read-only ----------------------------------------------------------------
mkimage "$T/ro.img"
before=$(sha256sum "$T/ro.img" | cut -d' ' -f1)
case_initrd ro <<-'EOF'
	echo "VT-RO $(cat /sys/block/vda/ro)"
	if dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/tmp/dd.err; then
		echo "VT-DD ok"
	else
		echo "VT-DD failed: $(grep -v records /tmp/dd.err | tail -n 1)"
	fi
	mount -t ext4 -o ro /dev/vda /mnt || echo "VT-MOUNT-FAILED"
	echo "VT-KNOWN $(sha256sum /mnt/known | cut -d' ' -f1)"
	umount /mnt
EOF
boot_case ro --disk "$T/ro.img,readonly"
[ $rc = 0 ] && [ "$(field ro VT-RO)" = 1 ]
check $? "readonly: the guest sees a read-only disk (/sys/block/vda/ro: $(field ro VT-RO))"
case $(field ro VT-DD) in
*"Operation not permitted") ok "readonly: the guest refuses a raw write, EPERM ($(field ro VT-DD))" ;;
*) notok "readonly: the guest refuses a raw write, EPERM (got '$(field ro VT-DD)')" ;;
esac
[ "$(field ro VT-KNOWN)" = "$known" ]
check $? "readonly: the guest mounts it read-only and reads the known file"
[ "$(sha256sum "$T/ro.img" | cut -d' ' -f1)" = "$before" ]
check $? "readonly: the image is unchanged, byte for byte"

# --- two disks ------------------------------------------------------------------
# Each image starts with its own name, and has its own size.
truncate -s 32M "$T/one.img"
truncate -s 48M "$T/two.img"
printf 'disk-one' | dd of="$T/one.img" conv=notrunc 2>/dev/null
printf 'disk-two' | dd of="$T/two.img" conv=notrunc 2>/dev/null
case_initrd two <<-'EOF'
	for d in vda vdb; do
		echo "VT-DISK $d $(cat /sys/block/$d/size) $(cat /sys/block/$d/ro) $(head -c 8 /dev/$d)"
	done
	ls /sys/block | grep -c '^vd' | sed 's/^/VT-DISKS /'
EOF
boot_case two --disk "$T/one.img" --disk "$T/two.img,readonly"
[ $rc = 0 ] && [ "$(field two VT-DISKS)" = 2 ]
check $? "two disks: the guest finds 2 and powers off (got $(field two VT-DISKS), status $rc)"
[ "$(field two "VT-DISK vda")" = "65536 0 disk-one" ]
check $? "two disks: vda is the first, 32 MiB (65536 sectors), writable: $(field two "VT-DISK vda")"
[ "$(field two "VT-DISK vdb")" = "98304 1 disk-two" ]
check $? "two disks: vdb is the second, 48 MiB (98304 sectors), read-only: $(field two "VT-DISK vdb")"

# --- back-end I/O errors ---------------------------------------------------------
# A 64 MiB sparse image on a 4 MiB tmpfs: writes past what fits make
# pwrite fail with ENOSPC. The guest first writes 1 MiB that fits, then
# 16 MiB that cannot, then reads the first MiB back.
mkdir -p "$T/small"
mount -t tmpfs -o size=4m small "$T/small"
truncate -s 64M "$T/small/full.img"
head -c 1048576 /dev/urandom >"$T/pattern"
pattern=$(sha256sum "$T/pattern" | cut -d' ' -f1)
cp "$T/pattern" "$T/full.case.pattern"
mkdir -p "$T/full.case"
mv "$T/full.case.pattern" "$T/full.case/pattern"
cat >"$T/full.case/case.sh" <<-'EOF'
	dd if=/pattern of=/dev/vda bs=1M count=1 oflag=direct 2>/dev/null && echo "VT-FIRST ok"
	start=$(cut -d' ' -f1 /proc/uptime)
	if timeout 60 dd if=/dev/urandom of=/dev/vda bs=1M seek=8 count=16 oflag=direct 2>/tmp/dd.err; then
		echo "VT-FULL ok"
	else
		echo "VT-FULL failed: $(grep -v records /tmp/dd.err | tail -n 1)"
	fi
	echo "VT-FULL-TIME $start $(cut -d' ' -f1 /proc/uptime)"
	echo "VT-READBACK $(dd if=/dev/vda bs=1M count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"
EOF
cp "$GUEST" "$T/full.initrd"
(cd "$T/full.case" && printf 'case.sh\npattern\n' | cpio -o -H newc 2>/dev/null) | gzip -n >>"$T/full.initrd"
boot_case full --disk "$T/small/full.img"
[ $rc = 0 ]
check $? "full back end: the guest powers off (vmw86-run not hung, status $rc)"
[ "$(field full VT-FIRST)" = ok ]
check $? "full back end: a write that fits succeeds"
case $(field full VT-FULL) in
*"Input/output error") ok "full back end: ENOSPC reaches the guest as an I/O error ($(field full VT-FULL))" ;;
*) notok "full back end: ENOSPC reaches the guest as an I/O error (got '$(field full VT-FULL)')" ;;
esac
[ "$(field full VT-READBACK)" = "$pattern" ]
check $? "full back end: after the error the disk still reads back what was written"
grep -qE "^vmw86-run: virtio-blk at 0x[0-9a-f]+: write of [0-9]+ bytes at sector [0-9]+ failed on the host: No space left on device; the guest gets an I/O error" "$T/full.err"
check $? "full back end: the launcher says why, in one line: the host's ENOSPC"
umount "$T/small"

# Guest kernels' complaints in any of the boots above (I/O errors are
# pr_err lines, not counted).
# (The killed boot never gets to count.)
badlog=0
for c in write ro two full; do
	b=$(field "$c" VMW86RUN-GUEST-BADLOG)
	badlog=$((badlog + ${b:-1000}))
done
check $badlog "the guest kernel logs no WARNING, BUG or hung task in any boot"
mods=$(grep -h "^VMW86RUN-GUEST-MODULES" "$T"/*.console | sort -u)
[ "$(grep -c "^VMW86RUN-GUEST-MODULES ok" "$T"/*.console | grep -c ':1$')" = 5 ]
check $? "every boot loads the guest's modules ($(echo "$mods" | tr '\n' ' '))"

[ "$n" = $PLAN ] || echo "# planned $PLAN, ran $n"
rm -rf "$T"
