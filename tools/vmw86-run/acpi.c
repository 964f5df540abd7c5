// SPDX-License-Identifier: GPL-2.0
/*
 * The platform description: ACPI tables, built in guest RAM before the
 * guest starts, as firmware would leave them (ACPI 6.3 specification,
 * chapter 5 "ACPI Software Programming Model").
 *
 *   RSDP  0xe0000     in the BIOS area, where Linux scans for it (ACPI 6.3,
 *                     5.2.5.1 "Finding the RSDP on IA-PC Systems"); also
 *                     passed in boot_params.acpi_rsdp_addr
 *   RSDT, XSDT        the FADT and the MADT
 *   FADT              fixed hardware: PM1a event and control blocks and the
 *                     PM timer (hw/acpi_pm.c), SCI on IRQ 9, the reset
 *                     register at port 0xcf9; not hardware-reduced
 *   FACS              required with a full (not hardware-reduced) FADT
 *   DSDT              AML: \_S5, so that the OS can power off through
 *                     PM1a_CNT, the PCI root bridge (hw/pci.c) and the
 *                     virtio-mmio devices (virtio/)
 *   MADT              one Processor Local APIC per vCPU, the IOAPIC at
 *                     0xfec00000 (GSI base 0), ISA IRQ 0 -> GSI 2, and the
 *                     local APICs' LINT1 as NMI
 *
 * All of it lies in 0xe0000-0xfffff, which the e820 map reserves.
 *
 * Why ACPI and not an Intel MP table: Linux takes the power-off and reset
 * methods, the PM timer and the SCI only from ACPI; the MP table could
 * describe the CPUs and the IOAPIC but not those, and an ACPI system with an
 * MADT is what the kernel's own code paths are tested on today.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <asm/bootparam.h>

#include "vmw86-run.h"

#define ACPI_BASE		0xe0000ULL
#define ACPI_END		0x100000ULL

#define ACPI_OEM_ID		"VMW86 "	/* 6 bytes */
#define ACPI_OEM_TABLE_ID	"VMW86RUN"	/* 8 bytes */
#define ACPI_CREATOR_ID		"VMWR"

/* FADT Fixed Feature Flags (ACPI 6.3, table 5-34). */
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_PWR_BUTTON	(1u << 4)	/* no fixed power button */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* no fixed sleep button */
#define FADT_F_FIX_RTC		(1u << 6)	/* no RTC wake status */
#define FADT_F_TMR_VAL_EXT	(1u << 8)	/* the PM timer has 32 bits */
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define FADT_F_SEALED_CASE	(1u << 11)

/* IA-PC Boot Architecture Flags (ACPI 6.3, table 5-35). */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)	/* ISA devices not in AML */
#define FADT_BOOT_8042		(1u << 1)
#define FADT_BOOT_NO_VGA	(1u << 2)

/* MADT (ACPI 6.3, 5.2.12) */
#define MADT_PCAT_COMPAT	(1u << 0)	/* a dual 8259 is there too */
#define MADT_TYPE_LAPIC		0
#define MADT_TYPE_IOAPIC	1
#define MADT_TYPE_ISO		2
#define MADT_TYPE_LAPIC_NMI	4
#define MADT_LAPIC_ENABLED	(1u << 0)

/* Generic Address Structure, address space IDs (ACPI 6.3, 5.2.3.2). */
#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1

#define ACPI_PACKED		__attribute__((packed))

/* Generic Address Structure (5.2.3.2). */
struct acpi_gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_gas) == 12, "ACPI 6.3, 5.2.3.2");

/* Root System Description Pointer, revision 2 (5.2.5.3). */
struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	u8 checksum;			/* of the first 20 bytes (ACPI 1.0's) */
	char oem_id[6];
	u8 revision;
	u32 rsdt_address;
	u32 length;
	u64 xsdt_address;
	u8 extended_checksum;		/* of all of it */
	u8 reserved[3];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 6.3, 5.2.5.3");
_Static_assert(offsetof(struct acpi_rsdp, length) == 20,
	       "the ACPI 1.0 part the first checksum covers");

/* System Description Table Header (5.2.6). */
struct acpi_table_header {
	char signature[4];
	u32 length;			/* of the table, header included */
	u8 revision;
	u8 checksum;			/* the table sums to 0 */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char creator_id[4];
	u32 creator_revision;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_table_header) == 36, "ACPI 6.3, 5.2.6");

/* RSDT (5.2.7) and XSDT (5.2.8): the FADT and the MADT. */
#define ACPI_SDT_ENTRIES	2
struct acpi_rsdt {
	struct acpi_table_header hdr;
	u32 entry[ACPI_SDT_ENTRIES];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_rsdt) == 36 + 2 * 4, "ACPI 6.3, 5.2.7");

struct acpi_xsdt {
	struct acpi_table_header hdr;
	u64 entry[ACPI_SDT_ENTRIES];	/* at offset 36: not 8-byte aligned */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_xsdt) == 36 + 2 * 8, "ACPI 6.3, 5.2.8");

/* Fixed ACPI Description Table, revision 6, minor 3 (5.2.9). */
struct acpi_fadt {
	struct acpi_table_header hdr;
	u32 firmware_ctrl;
	u32 dsdt;
	u8 reserved0;			/* ACPI 1.0's INT_MODEL */
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4bios_req;
	u8 pstate_cnt;
	u32 pm1a_evt_blk;
	u32 pm1b_evt_blk;
	u32 pm1a_cnt_blk;
	u32 pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;
	u32 gpe0_blk;
	u32 gpe1_blk;
	u8 pm1_evt_len;
	u8 pm1_cnt_len;
	u8 pm2_cnt_len;
	u8 pm_tmr_len;
	u8 gpe0_blk_len;
	u8 gpe1_blk_len;
	u8 gpe1_base;
	u8 cst_cnt;
	u16 p_lvl2_lat;
	u16 p_lvl3_lat;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alrm;
	u8 mon_alrm;
	u8 century;
	u16 iapc_boot_arch;
	u8 reserved1;
	u32 flags;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 fadt_minor_version;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor_id[8];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_fadt) == 276, "ACPI 6.3, table 5-33");
_Static_assert(offsetof(struct acpi_fadt, pm1_evt_len) == 88 &&
	       offsetof(struct acpi_fadt, iapc_boot_arch) == 109 &&
	       offsetof(struct acpi_fadt, reset_reg) == 116 &&
	       offsetof(struct acpi_fadt, x_dsdt) == 140 &&
	       offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268,
	       "ACPI 6.3, table 5-33: the offsets it gives");

/* Firmware ACPI Control Structure (5.2.10); it has no checksum. */
struct acpi_facs {
	char signature[4];
	u32 length;
	u32 hardware_signature;
	u32 firmware_waking_vector;
	u32 global_lock;
	u32 flags;
	u64 x_firmware_waking_vector;
	u8 version;
	u8 reserved0[3];
	u32 ospm_flags;
	u8 reserved1[24];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_facs) == 64, "ACPI 6.3, 5.2.10");

/* Multiple APIC Description Table (5.2.12), then its entries. */
struct acpi_madt {
	struct acpi_table_header hdr;
	u32 lapic_address;
	u32 flags;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt) == 44, "ACPI 6.3, 5.2.12");

struct acpi_madt_lapic {		/* 5.2.12.2 */
	u8 type;
	u8 length;
	u8 processor_uid;
	u8 apic_id;
	u32 flags;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "ACPI 6.3, 5.2.12.2");

struct acpi_madt_ioapic {		/* 5.2.12.3 */
	u8 type;
	u8 length;
	u8 ioapic_id;
	u8 reserved;
	u32 address;
	u32 gsi_base;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "ACPI 6.3, 5.2.12.3");

struct acpi_madt_iso {			/* 5.2.12.5 */
	u8 type;
	u8 length;
	u8 bus;
	u8 source;
	u32 gsi;
	u16 flags;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "ACPI 6.3, 5.2.12.5");

struct acpi_madt_lapic_nmi {		/* 5.2.12.7 */
	u8 type;
	u8 length;
	u8 processor_uid;
	u16 flags;
	u8 lint;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "ACPI 6.3, 5.2.12.7");

static u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

struct acpi_builder {
	u8 *ram;
	u64 next;		/* GPA of the next free byte */
};

/* Space for a table at a 64-byte boundary (the FACS needs it, ACPI 5.2.10). */
static void *acpi_alloc(struct acpi_builder *b, size_t len, u64 *gpa)
{
	u8 *p;

	b->next = (b->next + 63) & ~63ULL;
	if (b->next + len > ACPI_END)
		die(EXIT_VMERROR, "ACPI tables do not fit below 1 MiB (%zu bytes at 0x%llx)",
		    len, (unsigned long long)b->next);
	*gpa = b->next;
	p = b->ram + b->next;
	memset(p, 0, len);
	b->next += len;
	return p;
}

static void acpi_header(struct acpi_table_header *h, const char *sig, u32 len,
			u8 rev)
{
	memcpy(h->signature, sig, sizeof(h->signature));
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = 1;
}

static void acpi_finish(struct acpi_table_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static struct acpi_gas acpi_gas_io(u16 port, u8 bits)
{
	return (struct acpi_gas){
		.space_id = GAS_SYSTEM_IO, .bit_width = bits, .bit_offset = 0,
		.access_size = GAS_ACCESS_BYTE, .address = port,
	};
}

/*
 * The DSDT's AML (ACPI 6.3, chapter 20 "ACPI Machine Language
 * Specification"), built at start-up because the devices in it depend on
 * the options. ASL source, with one Device per acpi__add_mmio_device():
 *
 *     DefinitionBlock ("", "DSDT", 2, "VMW86 ", "VMW86RUN", 1)
 *     {
 *         Name (\_S5, Package (4) { 5, 5, 0, 0 })
 *         Scope (\_SB)
 *         {
 *             Device (PCI0)
 *             {
 *                 Name (_HID, EisaId ("PNP0A03"))
 *                 Name (_UID, 0)
 *                 Name (_SEG, 0)
 *                 Name (_BBN, 0)
 *                 Name (_CRS, ResourceTemplate ()
 *                 {
 *                     WordBusNumber (ResourceProducer, MinFixed, MaxFixed,
 *                                    PosDecode, 0, 0, 0, 0, 1)
 *                     IO (Decode16, 0x0cf8, 0x0cf8, 1, 8)
 *                     WordIO (ResourceProducer, MinFixed, MaxFixed,
 *                             PosDecode, EntireRange,
 *                             0, 0x0000, 0x0cf7, 0, 0x0cf8)
 *                     WordIO (ResourceProducer, MinFixed, MaxFixed,
 *                             PosDecode, EntireRange,
 *                             0, 0x0d00, 0xffff, 0, 0xf300)
 *                 })
 *             }
 *             Device (VR00)
 *             {
 *                 Name (_HID, "LNRO0005")
 *                 Name (_UID, 0)
 *                 Name (_CRS, ResourceTemplate ()
 *                 {
 *                     Memory32Fixed (ReadWrite, 0xd0000000, 0x200)
 *                     Interrupt (ResourceConsumer, Edge, ActiveHigh,
 *                                Exclusive) { 16 }
 *                 })
 *             }
 *             ...
 *         }
 *     }
 *
 * \_S5 (7.4.2.6) gives the SLP_TYP values for PM1a_CNT and PM1b_CNT; the
 * last two elements are reserved. 5 is hw/acpi_pm.c's ACPI_SLP_TYP_S5.
 */
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_EXT_OP_PREFIX	0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR		'\\'

/*
 * Resource descriptors (6.4): a small one's tag byte holds its name and
 * length (6.4.2), a large one's tag is followed by a 16-bit length
 * (6.4.3); both lengths count the bytes after the tag (and its length).
 */
#define ACPI_RES_SMALL(name, type)	((name) << 3 | (sizeof(type) - 1))
#define ACPI_RES_LARGE(name)		(0x80 | (name))
#define ACPI_RES_LARGE_LEN(type)	(sizeof(type) - 3)

struct acpi_res_io {			/* 6.4.2.5, I/O Port */
	u8 tag;
	u8 info;
	u16 min;
	u16 max;
	u8 align;
	u8 length;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_res_io) == 8, "ACPI 6.3, 6.4.2.5");
#define ACPI_RES_IO		ACPI_RES_SMALL(0x08, struct acpi_res_io)
#define ACPI_IO_DECODE16	0x01

struct acpi_res_end {			/* 6.4.2.9, End Tag */
	u8 tag;
	u8 checksum;			/* 0: "the sum is fine" */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_res_end) == 2, "ACPI 6.3, 6.4.2.9");
#define ACPI_RES_END_TAG	ACPI_RES_SMALL(0x0f, struct acpi_res_end)

struct acpi_res_mem32_fixed {		/* 6.4.3.4, 32-Bit Fixed Memory Range */
	u8 tag;
	u16 length;
	u8 info;
	u32 base;
	u32 size;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_res_mem32_fixed) == 12, "ACPI 6.3, 6.4.3.4");
#define ACPI_RES_MEMORY32_FIXED	ACPI_RES_LARGE(0x06)
#define ACPI_MEM_WRITABLE	0x01

struct acpi_res_word_addr {		/* 6.4.3.5.3, Word Address Space */
	u8 tag;
	u16 length;
	u8 type;
	u8 flags;
	u8 type_flags;
	u16 granularity;
	u16 min;
	u16 max;
	u16 translation;
	u16 len;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_res_word_addr) == 16, "ACPI 6.3, 6.4.3.5.3");
#define ACPI_RES_WORD_ADDRESS	ACPI_RES_LARGE(0x08)
#define ACPI_ADDR_SPACE_IO	1
#define ACPI_ADDR_SPACE_BUS	2
#define ACPI_ADDR_MIN_FIXED	(1u << 2)
#define ACPI_ADDR_MAX_FIXED	(1u << 3)	/* producer, positive decode: 0 */
#define ACPI_ADDR_IO_ENTIRE	3	/* I/O type flags: ISA and non-ISA */

struct acpi_res_ext_irq {		/* 6.4.3.6, one interrupt */
	u8 tag;
	u16 length;
	u8 flags;
	u8 count;			/* interrupt table length */
	u32 irq;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_res_ext_irq) == 9, "ACPI 6.3, 6.4.3.6");
#define ACPI_RES_EXT_IRQ	ACPI_RES_LARGE(0x09)
#define ACPI_EXT_IRQ_CONSUMER	0x01
#define ACPI_EXT_IRQ_EDGE	0x02	/* active high: bit 2 clear */

/* The two _CRS templates of the DSDT. */
struct pci_root_crs {
	struct acpi_res_word_addr bus;
	struct acpi_res_io config;
	struct acpi_res_word_addr io_low;
	struct acpi_res_word_addr io_high;
	struct acpi_res_end end;
} ACPI_PACKED;

struct mmio_device_crs {
	struct acpi_res_mem32_fixed regs;
	struct acpi_res_ext_irq irq;
	struct acpi_res_end end;
} ACPI_PACKED;

#define DSDT_MAX_DEVICES	16
#define DSDT_AML_MAX		4096

struct acpi_mmio_device {
	const char *hid;
	u32 base, size, gsi;
};

static struct acpi_mmio_device mmio_devices[DSDT_MAX_DEVICES];
static unsigned int nr_mmio_devices;

void acpi__add_mmio_device(const char *hid, u32 base, u32 size, u32 gsi)
{
	if (nr_mmio_devices == DSDT_MAX_DEVICES)
		die(EXIT_VMERROR, "ACPI: more than %d devices in the DSDT",
		    DSDT_MAX_DEVICES);
	mmio_devices[nr_mmio_devices++] = (struct acpi_mmio_device){
		.hid = hid, .base = base, .size = size, .gsi = gsi,
	};
}

struct aml {
	u8 buf[DSDT_AML_MAX];
	size_t len;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->len + n > sizeof(a->buf))
		die(EXIT_VMERROR, "ACPI: the DSDT's AML exceeds %d bytes",
		    DSDT_AML_MAX);
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, u8 b)
{
	aml_bytes(a, &b, 1);
}

static void aml_name_seg(struct aml *a, const char *seg)
{
	aml_bytes(a, seg, 4);
}

/* An integer, in the shortest encoding the guest's values need here. */
static void aml_integer(struct aml *a, u8 v)
{
	if (v <= 1) {
		aml_byte(a, v);		/* ZeroOp, OneOp */
	} else {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, v);
	}
}

/* DWordConst (20.2.3): the prefix, then the value little-endian. */
static void aml_dword(struct aml *a, u32 v)
{
	u8 b[5] = { AML_DWORD_PREFIX, v, v >> 8, v >> 16, v >> 24 };

	aml_bytes(a, b, sizeof(b));
}

/*
 * EisaId ("PNP0A03") as ASL's EisaId () macro encodes it: three letters
 * of five bits each and four hex digits, the 32-bit integer laid out
 * big-endian in memory.
 */
static u32 aml_eisaid(const char *id)
{
	u32 v = (id[0] - 0x40) << 26 | (id[1] - 0x40) << 21 |
		(id[2] - 0x40) << 16;
	unsigned int i;

	for (i = 3; i < 7; i++) {
		char c = id[i];

		v |= (u32)(c <= '9' ? c - '0' : c - 'A' + 10) << (4 * (6 - i));
	}
	return __builtin_bswap32(v);
}

/*
 * Opens an object whose PkgLength precedes its body (Scope, Device,
 * Package, Buffer); returns where the body starts. The length is filled
 * in by aml_close(), when it is known.
 */
static size_t aml_open(struct aml *a)
{
	u8 room[4] = { 0 };

	/* Room for the longest PkgLength; aml_close() moves the body. */
	aml_bytes(a, room, sizeof(room));
	return a->len;
}

/*
 * PkgLength (20.2.4): the length of itself and the body. One byte when it
 * is below 64; otherwise bits 7-6 of the lead byte count the bytes that
 * follow, its bits 3-0 hold the low nibble and each following byte eight
 * more bits.
 */
static void aml_close(struct aml *a, size_t body)
{
	size_t body_len = a->len - body, n, total;
	u8 *p = a->buf + body - 4;
	unsigned int i;

	for (n = 1; n <= 4; n++) {
		total = body_len + n;
		if ((n == 1 && total < 0x40) || (n > 1 && total < (1ULL << (4 + 8 * (n - 1)))))
			break;
	}
	if (n == 1) {
		p[0] = total;
	} else {
		p[0] = (n - 1) << 6 | (total & 0x0f);
		for (i = 1; i < n; i++)
			p[i] = total >> (4 + 8 * (i - 1));
	}
	memmove(p + n, a->buf + body, body_len);
	a->len -= 4 - n;
}

static void aml_name_integer(struct aml *a, const char *name, u8 v)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_seg(a, name);
	aml_integer(a, v);
}

/* Name (NAME, Buffer () { @len bytes }), as ResourceTemplate () makes. */
static void aml_name_buffer(struct aml *a, const char *name, const void *p,
			    size_t len)
{
	size_t buf;

	aml_byte(a, AML_NAME_OP);
	aml_name_seg(a, name);
	aml_byte(a, AML_BUFFER_OP);
	buf = aml_open(a);
	aml_integer(a, len);		/* BufferSize */
	aml_bytes(a, p, len);
	aml_close(a, buf);
}

static void aml_s5(struct aml *a)
{
	size_t pkg;

	aml_byte(a, AML_NAME_OP);
	aml_name_seg(a, "_S5_");	/* the DSDT's scope is the root */
	aml_byte(a, AML_PACKAGE_OP);
	pkg = aml_open(a);
	aml_byte(a, 4);			/* NumElements */
	aml_integer(a, ACPI_SLP_TYP_S5);	/* PM1a_CNT.SLP_TYP */
	aml_integer(a, ACPI_SLP_TYP_S5);	/* PM1b_CNT.SLP_TYP */
	aml_integer(a, 0);		/* reserved */
	aml_integer(a, 0);
	aml_close(a, pkg);
}

/* A Word Address Space Descriptor (6.4.3.5.3), a producer's fixed range. */
static struct acpi_res_word_addr acpi_res_word_range(u8 type, u8 type_flags,
						     u16 min, u16 max)
{
	return (struct acpi_res_word_addr){
		.tag = ACPI_RES_WORD_ADDRESS,
		.length = ACPI_RES_LARGE_LEN(struct acpi_res_word_addr),
		.type = type,
		.flags = ACPI_ADDR_MIN_FIXED | ACPI_ADDR_MAX_FIXED,
		.type_flags = type_flags,
		.min = min,
		.max = max,
		.len = max - min + 1,
	};
}

/*
 * The PCI root bridge (6.1.5 _HID PNP0A03, 6.5.6 _BBN, 6.5.7 _SEG):
 * segment 0, bus 0 only (hw/pci.c has no bridges). Its _CRS is what the
 * bridge decodes: the bus range, which Linux takes for the root bus's
 * ("[bus 00]"; without it 00-ff), the configuration ports 0xcf8-0xcff as
 * a consumed I/O range, which Linux expects there and drops from the
 * windows (arch/x86/pci/acpi.c, resource_is_pcicfg_ioport()), and the
 * rest of I/O space as the windows that PCI devices' I/O BARs could be
 * placed in, as on any PC. No memory window: no device on the bus has a
 * memory BAR, and the virtio-mmio devices are the DSDT's, not PCI's.
 */
static void aml_pci_root(struct aml *a)
{
	struct pci_root_crs crs = {
		.bus = acpi_res_word_range(ACPI_ADDR_SPACE_BUS, 0, 0, 0),
		/* 16-bit decode, fixed at 0xcf8, 8 ports. */
		.config = {
			.tag = ACPI_RES_IO, .info = ACPI_IO_DECODE16,
			.min = PCI_CONFIG_ADDRESS_PORT,
			.max = PCI_CONFIG_ADDRESS_PORT,
			.align = 1, .length = PCI_CONFIG_PORTS,
		},
		.io_low = acpi_res_word_range(ACPI_ADDR_SPACE_IO,
					      ACPI_ADDR_IO_ENTIRE, 0,
					      PCI_CONFIG_ADDRESS_PORT - 1),
		.io_high = acpi_res_word_range(ACPI_ADDR_SPACE_IO,
					       ACPI_ADDR_IO_ENTIRE,
					       PCI_CONFIG_ADDRESS_PORT +
					       PCI_CONFIG_PORTS, 0xffff),
		.end = { .tag = ACPI_RES_END_TAG },
	};
	size_t dev;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	dev = aml_open(a);
	aml_name_seg(a, "PCI0");

	aml_byte(a, AML_NAME_OP);
	aml_name_seg(a, "_HID");
	aml_dword(a, aml_eisaid("PNP0A03"));
	aml_name_integer(a, "_UID", 0);
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_BBN", 0);

	aml_name_buffer(a, "_CRS", &crs, sizeof(crs));

	aml_close(a, dev);
}

static void aml_mmio_device(struct aml *a, unsigned int uid,
			    const struct acpi_mmio_device *d)
{
	/*
	 * The register window, read-write, and one GSI with no resource
	 * source, edge-triggered because the device raises an edge per
	 * event and the driver acknowledges in its InterruptACK register.
	 */
	struct mmio_device_crs crs = {
		.regs = {
			.tag = ACPI_RES_MEMORY32_FIXED,
			.length = ACPI_RES_LARGE_LEN(struct acpi_res_mem32_fixed),
			.info = ACPI_MEM_WRITABLE,
			.base = d->base, .size = d->size,
		},
		.irq = {
			.tag = ACPI_RES_EXT_IRQ,
			.length = ACPI_RES_LARGE_LEN(struct acpi_res_ext_irq),
			.flags = ACPI_EXT_IRQ_CONSUMER | ACPI_EXT_IRQ_EDGE,
			.count = 1, .irq = d->gsi,
		},
		.end = { .tag = ACPI_RES_END_TAG },
	};
	char name[5];
	size_t dev;

	/* Device (VRnn) */
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	dev = aml_open(a);
	snprintf(name, sizeof(name), "VR%02X", uid & 0xff);	/* uid < 16 */
	aml_name_seg(a, name);

	aml_byte(a, AML_NAME_OP);
	aml_name_seg(a, "_HID");
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, d->hid, strlen(d->hid) + 1);

	aml_name_integer(a, "_UID", uid);

	aml_name_buffer(a, "_CRS", &crs, sizeof(crs));

	aml_close(a, dev);
}

static u64 acpi_dsdt(struct acpi_builder *b)
{
	struct aml a = { .len = 0 };
	unsigned int i;
	struct acpi_table_header *t;
	size_t scope;
	u32 len;
	u64 gpa;

	aml_s5(&a);
	aml_byte(&a, AML_SCOPE_OP);
	scope = aml_open(&a);
	aml_byte(&a, AML_ROOT_CHAR);
	aml_name_seg(&a, "_SB_");
	aml_pci_root(&a);
	for (i = 0; i < nr_mmio_devices; i++)
		aml_mmio_device(&a, i, &mmio_devices[i]);
	aml_close(&a, scope);

	len = sizeof(*t) + a.len;
	t = acpi_alloc(b, len, &gpa);
	/* Revision 2: AML integers are 64 bits (5.2.11.1). */
	acpi_header(t, "DSDT", len, 2);
	memcpy(t + 1, a.buf, a.len);
	acpi_finish(t);
	return gpa;
}

/* Firmware ACPI Control Structure (5.2.10): no waking vector, no lock. */
static u64 acpi_facs(struct acpi_builder *b)
{
	u64 gpa;
	struct acpi_facs *t = acpi_alloc(b, sizeof(*t), &gpa);

	memcpy(t->signature, "FACS", sizeof(t->signature));
	t->length = sizeof(*t);
	t->hardware_signature = 0;
	t->version = 2;
	return gpa;
}

/* Fixed ACPI Description Table, revision 6.3 (5.2.9, table 5-33). */
static u64 acpi_fadt(struct acpi_builder *b, u64 facs, u64 dsdt)
{
	u64 gpa;
	struct acpi_fadt *t = acpi_alloc(b, sizeof(*t), &gpa);

	acpi_header(&t->hdr, "FACP", sizeof(*t), 6);
	t->firmware_ctrl = facs;
	t->dsdt = dsdt;
	t->preferred_pm_profile = 0;		/* unspecified */
	t->sci_int = ACPI_SCI_IRQ;
	/*
	 * SMI_CMD 0: no SMM to hand ACPI over from; the hardware is always
	 * in ACPI mode, and PM1_CNT.SCI_EN reads 1 (4.8.2.5, 5.2.9).
	 */
	t->smi_cmd = 0;
	t->pm1a_evt_blk = ACPI_PM1_EVT_PORT;
	t->pm1a_cnt_blk = ACPI_PM1_CNT_PORT;
	t->pm_tmr_blk = ACPI_PM_TMR_PORT;
	t->pm1_evt_len = 4;			/* STS and EN, 2 bytes each */
	t->pm1_cnt_len = 2;
	t->pm_tmr_len = 4;
	/* No GPE blocks (GPE0_BLK 0): nothing here raises general events. */
	t->p_lvl2_lat = 101;			/* > 100: no C2 */
	t->p_lvl3_lat = 1001;			/* > 1000: no C3 */
	t->century = 0x32;			/* CMOS index (hw/rtc.c) */
	t->iapc_boot_arch = FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 |
			    FADT_BOOT_NO_VGA;
	t->flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
		   FADT_F_SLP_BUTTON | FADT_F_FIX_RTC | FADT_F_TMR_VAL_EXT |
		   FADT_F_RESET_REG_SUP | FADT_F_SEALED_CASE;
	/*
	 * RESET_REG: one byte at port 0xcf9, the chipset's Reset Control
	 * Register; 0x06 (CPU reset, hard) is what hw/acpi_pm.c resets on.
	 */
	t->reset_reg = acpi_gas_io(ACPI_RESET_PORT, 8);
	t->reset_value = ACPI_RESET_VALUE;
	t->fadt_minor_version = 3;		/* 6.3 */
	t->x_firmware_ctrl = 0;			/* the 32-bit one */
	t->x_dsdt = dsdt;
	/*
	 * The X_PM* blocks stay zero: the OS builds them from the 32-bit
	 * blocks and lengths (5.2.9: "If [X_...] is non-zero, [the 32-bit
	 * field] must be ignored"; zero means it is not supplied).
	 */
	memcpy(t->hypervisor_vendor_id, "VMW86RUN", sizeof(t->hypervisor_vendor_id));
	acpi_finish(&t->hdr);
	return gpa;
}

/* Multiple APIC Description Table (5.2.12). */
static u64 acpi_madt(struct acpi_builder *b, unsigned int cpus)
{
	struct acpi_madt_lapic *lapic;
	struct acpi_madt_ioapic *ioapic;
	struct acpi_madt_iso *iso;
	struct acpi_madt_lapic_nmi *nmi;
	u32 len = sizeof(struct acpi_madt) + cpus * sizeof(*lapic) +
		  sizeof(*ioapic) + sizeof(*iso) + sizeof(*nmi);
	u64 gpa;
	struct acpi_madt *t = acpi_alloc(b, len, &gpa);
	unsigned int i;

	acpi_header(&t->hdr, "APIC", len, 5);
	t->lapic_address = LAPIC_DEFAULT_BASE;
	t->flags = MADT_PCAT_COMPAT;
	/* Processor Local APIC (5.2.12.2): UID i, APIC ID i, enabled. */
	lapic = (struct acpi_madt_lapic *)(t + 1);
	for (i = 0; i < cpus; i++) {
		lapic[i] = (struct acpi_madt_lapic){
			.type = MADT_TYPE_LAPIC, .length = sizeof(*lapic),
			.processor_uid = i, .apic_id = i,
			.flags = MADT_LAPIC_ENABLED,
		};
	}
	/* I/O APIC (5.2.12.3): hw/ioapic.c; its ID register says the same. */
	ioapic = (struct acpi_madt_ioapic *)(lapic + cpus);
	*ioapic = (struct acpi_madt_ioapic){
		.type = MADT_TYPE_IOAPIC, .length = sizeof(*ioapic),
		.ioapic_id = IOAPIC_ID, .address = IOAPIC_BASE, .gsi_base = 0,
	};
	/*
	 * Interrupt Source Override (5.2.12.5): the PIT's ISA IRQ 0 is wired
	 * to IOAPIC pin 2, as on every PC since the 8259's cascade input took
	 * pin 2's place (irq.c routes it so). Flags 0: conforms to the ISA
	 * bus, i.e. edge-triggered, active high.
	 */
	iso = (struct acpi_madt_iso *)(ioapic + 1);
	*iso = (struct acpi_madt_iso){
		.type = MADT_TYPE_ISO, .length = sizeof(*iso),
		.bus = 0, .source = 0, .gsi = 2, .flags = 0,
	};
	/*
	 * Local APIC NMI (5.2.12.7): all processors (UID 0xff), LINT1;
	 * flags 0: conforms to the bus.
	 */
	nmi = (struct acpi_madt_lapic_nmi *)(iso + 1);
	*nmi = (struct acpi_madt_lapic_nmi){
		.type = MADT_TYPE_LAPIC_NMI, .length = sizeof(*nmi),
		.processor_uid = 0xff, .flags = 0, .lint = 1,
	};
	acpi_finish(&t->hdr);
	return gpa;
}

/**
 * acpi__setup() - write the ACPI tables into guest RAM
 * @vm: the VM, its RAM mapped.
 * @bp: the guest's boot_params, for acpi_rsdp_addr.
 *
 * Return: the GPA of the RSDP.
 */
u64 acpi__setup(struct vm *vm, struct boot_params *bp)
{
	struct acpi_builder b = { .ram = vm->ram, .next = ACPI_BASE };
	u64 rsdp_gpa, rsdt_gpa, xsdt_gpa, dsdt, facs, fadt, madt;
	struct acpi_rsdp *rsdp;
	struct acpi_rsdt *rsdt;
	struct acpi_xsdt *xsdt;

	/* The RSDP first, at a 16-byte boundary of the scanned area. */
	rsdp = acpi_alloc(&b, sizeof(*rsdp), &rsdp_gpa);
	dsdt = acpi_dsdt(&b);
	facs = acpi_facs(&b);
	fadt = acpi_fadt(&b, facs, dsdt);
	madt = acpi_madt(&b, vm->cpus);

	/* RSDT (5.2.7) and XSDT (5.2.8): the same two tables. */
	rsdt = acpi_alloc(&b, sizeof(*rsdt), &rsdt_gpa);
	acpi_header(&rsdt->hdr, "RSDT", sizeof(*rsdt), 1);
	rsdt->entry[0] = fadt;
	rsdt->entry[1] = madt;
	acpi_finish(&rsdt->hdr);
	xsdt = acpi_alloc(&b, sizeof(*xsdt), &xsdt_gpa);
	acpi_header(&xsdt->hdr, "XSDT", sizeof(*xsdt), 1);
	xsdt->entry[0] = fadt;
	xsdt->entry[1] = madt;
	acpi_finish(&xsdt->hdr);

	memcpy(rsdp->signature, "RSD PTR ", sizeof(rsdp->signature));
	memcpy(rsdp->oem_id, ACPI_OEM_ID, sizeof(rsdp->oem_id));
	rsdp->revision = 2;
	rsdp->rsdt_address = rsdt_gpa;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = acpi_checksum(rsdp, offsetof(struct acpi_rsdp, length));
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));

	bp->acpi_rsdp_addr = rsdp_gpa;
	pr_debug("ACPI: RSDP at 0x%llx, tables up to 0x%llx", (unsigned long long)rsdp_gpa,
		 (unsigned long long)b.next);
	return rsdp_gpa;
}
