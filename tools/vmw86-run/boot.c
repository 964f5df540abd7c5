// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux/x86 boot protocol (Documentation/x86/boot.rst), 64-bit entry:
 * the protected-mode kernel goes to its preferred address, boot_params (the
 * "zero page") gets the setup header, an e820 map, the command line and the
 * initrd, and the vCPU starts in long mode at load address + 0x200 with
 * identity-mapped page tables, a flat GDT and RSI = boot_params.
 *
 * An uncompressed vmlinux (ELF) boots the same way, without the
 * decompressor: its PT_LOAD segments go to their physical addresses, the
 * setup header is made up here (the file has none), and the vCPU starts at
 * the ELF entry point, the kernel's own startup_64, which takes the same
 * state (boot.rst, "64-bit Boot Protocol").
 *
 * Guest physical layout below 1 MiB (all RAM, most of it reserved in e820):
 *   0x00500  GDT                 0x07000  boot_params
 *   0x09000  PML4, PDPT, 4 PDs   0x20000  command line
 *   0x9fc00 - 0x100000           reserved (EBDA, VGA, BIOS in a real PC);
 *                                the ACPI tables from 0xe0000 (acpi.c)
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <asm/bootparam.h>

#include "vmw86-run.h"

#define BOOT_GDT_ADDR		0x00500ULL
#define BOOT_PARAMS_ADDR	0x07000ULL
#define BOOT_PML4_ADDR		0x09000ULL
#define BOOT_PDPT_ADDR		0x0a000ULL
#define BOOT_PD_ADDR		0x0b000ULL	/* 4 pages: 4 GiB of 2 MiB pages */
#define BOOT_CMDLINE_ADDR	0x20000ULL
#define BOOT_CMDLINE_MAX	0x10000ULL
#define EBDA_START		0x9fc00ULL
#define HIGH_MEMORY		0x100000ULL

/*
 * The zero page as the kernel defines it (<asm/bootparam.h>); a bzImage
 * starts with the same layout, its setup header at the same offset
 * (boot.rst, "The Real-Mode Kernel Header"). What this file relies on:
 */
#define SETUP_HDR_OFFSET	offsetof(struct boot_params, hdr)
_Static_assert(sizeof(struct boot_params) == 4096, "the zero page is a page");
_Static_assert(SETUP_HDR_OFFSET == 0x1f1, "boot.rst: the setup header at 0x1f1");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0,
	       "boot.rst: the e820 map at 0x2d0");
_Static_assert(SETUP_HDR_OFFSET + offsetof(struct setup_header, jump) == 0x200 &&
	       SETUP_HDR_OFFSET + offsetof(struct setup_header, header) == 0x202 &&
	       SETUP_HDR_OFFSET + offsetof(struct setup_header, init_size) == 0x260,
	       "boot.rst: the setup header's fields");

#define SETUP_HDR_MAGIC		0x53726448	/* "HdrS" */
#define SETUP_BOOT_FLAG		0xaa55
#define LOADER_UNDEFINED	0xff		/* type_of_loader */
#define SETUP_HEAP_END		0xfe00		/* heap_end_ptr, from the setup base */

/* Address range types of the e820 map (ACPI 6.3, chapter 15). */
#define E820_RAM		1
#define E820_RESERVED		2

static int read_file(const char *what, const char *path, u8 **buf, size_t *size)
{
	struct stat st;
	ssize_t n;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_info("%s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pr_info("%s '%s': not a regular file", what, path);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	*buf = malloc(*size ? *size : 1);
	if (!*buf)
		die(EXIT_BADINPUT, "%s '%s': out of memory for %zu bytes", what, path, *size);
	while (done < *size) {
		n = read(fd, *buf + done, *size - done);
		if (n <= 0) {
			pr_info("%s '%s': read: %s", what, path,
				n ? strerror(errno) : "file shrank");
			close(fd);
			return -1;
		}
		done += n;
	}
	close(fd);
	return 0;
}

/* x86's COMMAND_LINE_SIZE: what a vmlinux, which has no header, takes. */
#define ELF_CMDLINE_SIZE	2048
/* A vmlinux is linked for the kernel text mapping (arch/x86/kernel/vmlinux.lds.S). */
#define KERNEL_TEXT_START	0xffffffff80000000ULL
#define ELF_INITRD_ADDR_MAX	0x7fffffffU

static const Elf64_Phdr *elf_phdr(const struct boot_image *img, int i)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->kernel;

	return (const Elf64_Phdr *)(img->kernel + eh->e_phoff +
				    (size_t)i * eh->e_phentsize);
}

/*
 * Checks an uncompressed vmlinux: a 64-bit x86 executable whose loadable
 * segments lie inside the file and go to physical addresses in low guest
 * RAM, with the entry point in one of them, linked in the kernel text
 * mapping (a user program is not). Sets load_addr (lowest) and returns the
 * end of the highest.
 */
static int elf_check(struct boot_image *img, const struct options *opt,
		     u64 low_end, u64 *kend)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->kernel;
	u64 entry_vaddr = 0;
	int i, loads = 0;

	if (img->kernel_size < sizeof(*eh) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > img->kernel_size ||
	    eh->e_phnum > (img->kernel_size - eh->e_phoff) / sizeof(Elf64_Phdr)) {
		pr_info("kernel '%s': an ELF file, but not a 64-bit x86 executable",
			opt->kernel);
		return -1;
	}
	img->load_addr = ~0ULL;
	*kend = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = elf_phdr(img, i);

		if (ph->p_type != PT_LOAD)
			continue;
		loads++;
		if (ph->p_filesz > ph->p_memsz ||
		    ph->p_offset > img->kernel_size ||
		    ph->p_filesz > img->kernel_size - ph->p_offset) {
			pr_info("kernel '%s': segment %d lies outside the file",
				opt->kernel, i);
			return -1;
		}
		if (ph->p_paddr < HIGH_MEMORY || ph->p_paddr > low_end ||
		    ph->p_memsz > low_end - ph->p_paddr) {
			pr_info("kernel '%s': needs guest RAM at 0x%llx-0x%llx, --memory gives %llu MiB",
				opt->kernel, (unsigned long long)ph->p_paddr,
				(unsigned long long)(ph->p_paddr + ph->p_memsz),
				(unsigned long long)opt->mem_size / MiB);
			return -1;
		}
		if (ph->p_paddr < img->load_addr)
			img->load_addr = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > *kend)
			*kend = ph->p_paddr + ph->p_memsz;
		if (eh->e_entry >= ph->p_paddr &&
		    eh->e_entry - ph->p_paddr < ph->p_filesz)
			entry_vaddr = ph->p_vaddr + (eh->e_entry - ph->p_paddr);
	}
	if (!loads || !entry_vaddr) {
		pr_info("kernel '%s': %s", opt->kernel, loads ?
			"the entry point is in no loadable segment" :
			"no loadable segment");
		return -1;
	}
	/* The per-CPU segment is linked at 0; the code is not. */
	if (entry_vaddr < KERNEL_TEXT_START) {
		pr_info("kernel '%s': not a Linux vmlinux (its entry is linked at 0x%llx, outside the kernel text mapping)",
			opt->kernel, (unsigned long long)entry_vaddr);
		return -1;
	}
	img->elf = true;
	img->entry = eh->e_entry;
	img->version = 0x020f;
	img->cmdline_size = ELF_CMDLINE_SIZE;
	return 0;
}

/* The command line, NUL included, must fit in cmdline_size + 1. */
static int check_cmdline(struct boot_image *img, const struct options *opt)
{
	if (strlen(opt->cmdline) > img->cmdline_size ||
	    strlen(opt->cmdline) >= BOOT_CMDLINE_MAX) {
		pr_info("--cmdline: %zu characters, the kernel takes at most %u",
			strlen(opt->cmdline), img->cmdline_size);
		return -1;
	}
	img->cmdline = opt->cmdline;
	return 0;
}

/* Places the initrd as high as it may go, above the kernel's end. */
static int place_initrd(struct boot_image *img, const struct options *opt,
			u64 low_end, u64 kend, u32 initrd_max)
{
	u64 top = low_end;

	if (!opt->initrd)
		return 0;
	if (read_file("initrd", opt->initrd, &img->initrd, &img->initrd_size))
		return -1;
	if ((u64)initrd_max + 1 < top)
		top = (u64)initrd_max + 1;
	top &= ~(4 * KiB - 1);
	kend = (kend + 4 * KiB - 1) & ~(4 * KiB - 1);
	if (img->initrd_size > top || top - img->initrd_size < kend) {
		pr_info("initrd '%s': %zu bytes do not fit in guest RAM between the kernel's end (%llu MiB) and %llu MiB (initrd_addr_max 0x%x, --memory %llu MiB)",
			opt->initrd, img->initrd_size,
			(unsigned long long)kend / MiB,
			(unsigned long long)top / MiB, initrd_max,
			(unsigned long long)opt->mem_size / MiB);
		return -1;
	}
	img->initrd_addr = (top - img->initrd_size) & ~(4 * KiB - 1);
	return 0;
}

/*
 * Where the image's setup header ends, from the start of the image: the
 * 2-byte short jump at 0x200 skips it, so its second byte is the header's
 * length after 0x202 (boot.rst, "jump" in "Details of Header Fields").
 */
static size_t setup_header_end(const struct setup_header *hdr)
{
	return SETUP_HDR_OFFSET + offsetof(struct setup_header, header) +
	       (hdr->jump >> 8);
}

/*
 * Checks the kernel (a bzImage or a vmlinux), the command line and the
 * initrd against guest RAM.
 */
int boot__load_files(struct boot_image *img, const struct options *opt)
{
	u64 low_end = opt->mem_size < LOW_RAM_END ? opt->mem_size : LOW_RAM_END;
	const struct setup_header *hdr;
	u64 init_size, pref, align, kend;
	size_t setup_sects, hdr_end, len;
	const u8 *k;

	if (read_file("kernel", opt->kernel, &img->kernel, &img->kernel_size))
		return -1;
	k = img->kernel;
	if (img->kernel_size >= SELFMAG && !memcmp(k, ELFMAG, SELFMAG)) {
		if (elf_check(img, opt, low_end, &kend) ||
		    check_cmdline(img, opt))
			return -1;
		return place_initrd(img, opt, low_end, kend,
				    ELF_INITRD_ADDR_MAX);
	}
	hdr = (const struct setup_header *)(k + SETUP_HDR_OFFSET);
	if (img->kernel_size < sizeof(struct boot_params) ||
	    hdr->header != SETUP_HDR_MAGIC || hdr->boot_flag != SETUP_BOOT_FLAG) {
		pr_info("kernel '%s': not a bzImage (no \"HdrS\" boot header at 0x202) nor an ELF vmlinux",
			opt->kernel);
		return -1;
	}
	img->version = hdr->version;
	if (img->version < 0x020c || !(hdr->xloadflags & XLF_KERNEL_64)) {
		pr_info("kernel '%s': boot protocol %u.%02u has no 64-bit entry (need 2.12 with XLF_KERNEL_64)",
			opt->kernel, img->version >> 8, img->version & 0xff);
		return -1;
	}
	setup_sects = hdr->setup_sects ? hdr->setup_sects : 4;
	img->setup_size = (setup_sects + 1) * 512;
	hdr_end = setup_header_end(hdr);
	if (img->setup_size >= img->kernel_size || hdr_end > img->setup_size) {
		pr_info("kernel '%s': setup size %zu does not fit in the %zu-byte file",
			opt->kernel, img->setup_size, img->kernel_size);
		return -1;
	}

	/* Protected-mode kernel: its preferred address, else 1 MiB aligned up. */
	init_size = hdr->init_size;
	pref = hdr->pref_address;
	align = hdr->kernel_alignment;
	img->load_addr = pref ? pref : HIGH_MEMORY;
	if (!hdr->relocatable_kernel && pref != 0 && pref != HIGH_MEMORY)
		img->load_addr = pref;
	if (align && img->load_addr % align)
		img->load_addr = (img->load_addr + align - 1) / align * align;
	len = img->kernel_size - img->setup_size;
	if (init_size < len)
		init_size = len;
	kend = img->load_addr + init_size;
	if (kend > low_end) {
		pr_info("kernel '%s': needs guest RAM up to %llu MiB (load at 0x%llx, init_size %llu), --memory gives %llu MiB",
			opt->kernel, (unsigned long long)(kend + MiB - 1) / MiB,
			(unsigned long long)img->load_addr,
			(unsigned long long)init_size,
			(unsigned long long)opt->mem_size / MiB);
		return -1;
	}

	img->cmdline_size = hdr->cmdline_size;
	if (check_cmdline(img, opt))
		return -1;
	return place_initrd(img, opt, low_end, kend, hdr->initrd_addr_max);
}

static void e820_add(struct boot_params *bp, u64 addr, u64 size, u32 type)
{
	u8 n = bp->e820_entries;

	if (n >= E820_MAX_ENTRIES_ZEROPAGE)
		return;
	bp->e820_table[n] = (struct boot_e820_entry){
		.addr = addr, .size = size, .type = type,
	};
	bp->e820_entries = n + 1;
}

static void setup_page_tables(struct vm *vm)
{
	u64 *pml4 = (u64 *)(vm->ram + BOOT_PML4_ADDR);
	u64 *pdpt = (u64 *)(vm->ram + BOOT_PDPT_ADDR);
	u64 *pd = (u64 *)(vm->ram + BOOT_PD_ADDR);
	int i;

	/* Identity map of the first 4 GiB with 2 MiB pages: P, RW, PS. */
	pml4[0] = BOOT_PDPT_ADDR | 0x3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((u64)i << 21) | 0x83;
}

static struct vmw86_segment boot_segment(u16 sel, u8 type, bool code)
{
	struct vmw86_segment s = {
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .s = 1, .g = 1,
		.db = code ? 0 : 1, .l = code ? 1 : 0,
	};
	return s;
}

static void setup_cpu(struct vm *vm, const struct boot_image *img)
{
	u64 *gdt = (u64 *)(vm->ram + BOOT_GDT_ADDR);
	struct vmw86_sregs sregs;
	struct vmw86_regs regs;

	/* boot.rst: __BOOT_CS is 0x10, __BOOT_DS is 0x18. */
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;	/* 64-bit code, accessed */
	gdt[3] = 0x00cf93000000ffffULL;	/* flat data, accessed */

	if (ioctl(vm->vcpus[0].fd, VMW86_GET_SREGS, &sregs) < 0)
		die(EXIT_VMERROR, "VMW86_GET_SREGS: %s", strerror(errno));
	sregs.cs = boot_segment(0x10, 0xb, true);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss =
		boot_segment(0x18, 0x3, false);
	sregs.tr = (struct vmw86_segment){
		.limit = 0xffff, .type = 0xb, .present = 1,
	};
	sregs.ldt = (struct vmw86_segment){ .type = 2, .unusable = 1 };
	sregs.gdt.base = BOOT_GDT_ADDR;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x80000011;		/* PG | ET | PE */
	sregs.cr3 = BOOT_PML4_ADDR;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LMA | LME */
	if (ioctl(vm->vcpus[0].fd, VMW86_SET_SREGS, &sregs) < 0)
		die(EXIT_VMERROR, "VMW86_SET_SREGS (long mode entry state): %s",
		    strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rip = img->entry;
	regs.rsi = BOOT_PARAMS_ADDR;
	regs.rflags = 0x2;
	if (ioctl(vm->vcpus[0].fd, VMW86_SET_REGS, &regs) < 0)
		die(EXIT_VMERROR, "VMW86_SET_REGS: %s", strerror(errno));
}

/* Each PT_LOAD segment at its physical address, the rest of it zeroed. */
static void load_elf_segments(struct vm *vm, const struct boot_image *img)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->kernel;
	int i;

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = elf_phdr(img, i);

		if (ph->p_type != PT_LOAD)
			continue;
		memcpy(vm->ram + ph->p_paddr, img->kernel + ph->p_offset,
		       ph->p_filesz);
		memset(vm->ram + ph->p_paddr + ph->p_filesz, 0,
		       ph->p_memsz - ph->p_filesz);
	}
}

/*
 * The setup header a bzImage would carry, for a vmlinux that has none:
 * the fields the kernel reads after the 64-bit entry (boot.rst).
 */
static void elf_setup_header(struct setup_header *hdr,
			     const struct boot_image *img)
{
	hdr->boot_flag = SETUP_BOOT_FLAG;
	hdr->header = SETUP_HDR_MAGIC;
	hdr->version = img->version;
	hdr->initrd_addr_max = ELF_INITRD_ADDR_MAX;
	hdr->kernel_alignment = 2 * MiB;
	hdr->cmdline_size = img->cmdline_size;
	hdr->xloadflags = XLF_KERNEL_64;
}

void boot__setup(struct vm *vm, struct boot_image *img)
{
	struct boot_params *bp = (struct boot_params *)(vm->ram + BOOT_PARAMS_ADDR);
	const struct setup_header *hdr;
	u64 low_end = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;

	memset(bp, 0, sizeof(*bp));
	if (img->elf) {
		load_elf_segments(vm, img);
		elf_setup_header(&bp->hdr, img);
	} else {
		hdr = (const struct setup_header *)(img->kernel + SETUP_HDR_OFFSET);
		memcpy(vm->ram + img->load_addr, img->kernel + img->setup_size,
		       img->kernel_size - img->setup_size);
		/*
		 * The image's header as it is, to its end: a newer kernel's
		 * may be longer than the struct known here, and what follows
		 * the struct in boot_params is padding up to 0x290.
		 */
		memcpy((u8 *)bp + SETUP_HDR_OFFSET, hdr,
		       setup_header_end(hdr) - SETUP_HDR_OFFSET);
		img->entry = img->load_addr + 0x200;
	}
	bp->hdr.type_of_loader = LOADER_UNDEFINED;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = SETUP_HEAP_END;

	strcpy((char *)vm->ram + BOOT_CMDLINE_ADDR, img->cmdline);
	bp->hdr.cmd_line_ptr = BOOT_CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = 0;

	if (img->initrd) {
		memcpy(vm->ram + img->initrd_addr, img->initrd, img->initrd_size);
		bp->hdr.ramdisk_image = (u32)img->initrd_addr;
		bp->hdr.ramdisk_size = (u32)img->initrd_size;
		bp->ext_ramdisk_image = img->initrd_addr >> 32;
		bp->ext_ramdisk_size = (u64)img->initrd_size >> 32;
	}

	e820_add(bp, 0, EBDA_START, E820_RAM);
	e820_add(bp, EBDA_START, HIGH_MEMORY - EBDA_START, E820_RESERVED);
	e820_add(bp, HIGH_MEMORY, low_end - HIGH_MEMORY, E820_RAM);
	if (vm->ram_size > LOW_RAM_END)
		e820_add(bp, HIGH_RAM_START, vm->ram_size - LOW_RAM_END, E820_RAM);

	acpi__setup(vm, bp);
	setup_page_tables(vm);
	setup_cpu(vm, img);
	pr_debug("%s at 0x%llx (%zu bytes, protocol %u.%02u), initrd at 0x%llx (%zu bytes), entry 0x%llx",
		 img->elf ? "vmlinux" : "bzImage",
		 (unsigned long long)img->load_addr,
		 img->kernel_size - img->setup_size, img->version >> 8,
		 img->version & 0xff, (unsigned long long)img->initrd_addr,
		 img->initrd_size, (unsigned long long)img->entry);
	free(img->kernel);
	free(img->initrd);
}
