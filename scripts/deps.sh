#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian (bookworm) package that building vmw86 and running its
# tests needs, and any packages named as arguments (make bench adds
# gnuplot-nox). Idempotent and quick when all is present: dpkg-query
# decides, and apt (with its slow "update") only runs for what is missing.
set -euo pipefail

pkgs=(
	# toolchain: module, static test binaries, strip/readelf for packing
	gcc make libc6-dev binutils
	# the kernel the test machine boots and the headers the module builds against
	linux-image-amd64 linux-headers-amd64 kmod
	# kselftest headers and checkpatch.pl live in the source tarball
	linux-source-6.1 xz-utils
	# static libraries linked into the test binaries / tools
	libseccomp-dev libzydis-dev
	# the test machine: emulator, its initramfs and the tools to pack it
	qemu-system-x86 busybox-static cpio gzip
	# qemu_accel's ISO (grub-mkrescue, for BIOS and UEFI: mkinitramfs.sh)
	# and the UEFI firmware that boots it
	grub-pc-bin grub-efi-amd64-bin xorriso mtools ovmf
	# talks to the test machine's QEMU monitor (scripts/testvm/wedge.sh)
	socat
	# vmw86-run's disk tests: mke2fs, e2fsck, debugfs, packed into it
	e2fsprogs
	# kbuild's scripts want bc; sparse for "make C=1"
	bc sparse
	# the project's own QEMU for the test machine, from Debian's source
	# package (scripts/qemu/build.sh): dpkg-source and the build's needs
	dpkg-dev patch meson ninja-build pkg-config
	libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev
	# and the -accel vmw86 flavour's user networking (-netdev user)
	libslirp-dev
	# reads a wedged test machine's QEMU (scripts/testvm/wedge.sh); the
	# test machine's own debugger, gdb-minimal (vmw86_run_gdb), conflicts
	# with it, so it is fetched, not installed (scripts/testvm/gdb-minimal.sh)
	gdb
	# make deb and its check (scripts/deb.sh, scripts/install-test.sh):
	# dpkg-buildpackage with dh, dh_dkms and dh_installsysusers, lintian
	debhelper dh-dkms lintian
	# the Debian 12 root those packages are installed into, where DKMS
	# builds the module (scripts/debroot.sh, scripts/dkms-test.sh)
	debootstrap
	"$@"
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $st == installed ]] || missing+=("$p")
done
# The test machine boots the kernel the module is built for: an image
# without its headers (say, an older image already on the machine) is no use,
# and "apt-get install" of both metapackages brings a matching pair.
if ! "$(dirname "${BASH_SOURCE[0]}")/kernel-version.sh" >/dev/null; then
	missing+=(linux-image-amd64 linux-headers-amd64)
fi
((${#missing[@]})) || exit 0

echo "deps.sh: installing: ${missing[*]}" >&2
sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || { echo "deps.sh: need root to install packages" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
"$(dirname "${BASH_SOURCE[0]}")/kernel-version.sh" >/dev/null ||
	{ echo "deps.sh: no kernel image with matching headers after install" >&2; exit 1; }
