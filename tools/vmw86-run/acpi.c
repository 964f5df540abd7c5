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

static void put16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static void put32(u8 *p, u32 v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(u8 *p, u64 v) { put32(p, v); put32(p + 4, v >> 32); }

static u8 acpi_checksum(const u8 *p, size_t len)
{
	u8 sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

struct acpi_builder {
	u8 *ram;
	u64 next;		/* GPA of the next free byte */
};

/* Space for a table at a 64-byte boundary (the FACS needs it, ACPI 5.2.10). */
static u8 *acpi_alloc(struct acpi_builder *b, size_t len, u64 *gpa)
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

/* The 36-byte System Description Table Header (ACPI 6.3, 5.2.6). */
static void acpi_header(u8 *t, const char *sig, u32 len, u8 rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t + 24, 1);			/* OEM revision */
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t + 32, 1);			/* creator revision */
}

static void acpi_finish(u8 *t)
{
	u32 len = t[4] | t[5] << 8 | t[6] << 16 | (u32)t[7] << 24;

	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

static void acpi_gas_io(u8 *g, u16 port, u8 bits)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = bits;			/* register bit width */
	g[2] = 0;			/* bit offset */
	g[3] = GAS_ACCESS_BYTE;
	put64(g + 4, port);
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
 * Resource descriptors: small (ACPI 6.3, 6.4.2: I/O port, the end tag)
 * and large ones (6.4.3), whose tag is followed by a 16-bit length.
 */
#define ACPI_RES_IO		0x47	/* small item 0x08, length 7 */
#define ACPI_RES_END_TAG	0x79	/* small item 0x0f, length 1 */
#define ACPI_RES_MEMORY32_FIXED	0x86
#define ACPI_RES_WORD_ADDRESS	0x88
#define ACPI_RES_EXT_IRQ	0x89
#define ACPI_EXT_IRQ_CONSUMER	0x01
#define ACPI_EXT_IRQ_EDGE	0x02	/* active high: bit 2 clear */
#define ACPI_IO_DECODE16	0x01
/* Address space descriptors (6.4.3.5): resource type, general flags. */
#define ACPI_ADDR_SPACE_IO	1
#define ACPI_ADDR_SPACE_BUS	2
#define ACPI_ADDR_MIN_FIXED	(1u << 2)
#define ACPI_ADDR_MAX_FIXED	(1u << 3)	/* producer, positive decode: 0 */
#define ACPI_ADDR_IO_ENTIRE	3	/* I/O type flags: ISA and non-ISA */

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

static void aml_dword(struct aml *a, u32 v)
{
	u8 b[5] = { AML_DWORD_PREFIX };

	put32(b + 1, v);
	aml_bytes(a, b, sizeof(b));
}

/*
 * EisaId ("PNP0A03") as the compiler would write it (19.6.35): three
 * letters of five bits each and four hex digits, the 32-bit integer laid
 * out big-endian in memory.
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
static void aml_name_buffer(struct aml *a, const char *name, const u8 *p,
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
static u8 *acpi_res_word_range(u8 *p, u8 type, u8 type_flags, u16 min,
			       u16 max)
{
	p[0] = ACPI_RES_WORD_ADDRESS;
	put16(p + 1, 13);
	p[3] = type;
	p[4] = ACPI_ADDR_MIN_FIXED | ACPI_ADDR_MAX_FIXED;
	p[5] = type_flags;
	put16(p + 6, 0);		/* granularity */
	put16(p + 8, min);
	put16(p + 10, max);
	put16(p + 12, 0);		/* translation offset */
	put16(p + 14, max - min + 1);	/* length */
	return p + 16;
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
	u8 crs[16 + 8 + 16 + 16 + 2], *p = crs;
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

	p = acpi_res_word_range(p, ACPI_ADDR_SPACE_BUS, 0, 0, 0);
	/* I/O port descriptor (6.4.2.5): 16-bit decode, fixed, 8 ports. */
	p[0] = ACPI_RES_IO;
	p[1] = ACPI_IO_DECODE16;
	put16(p + 2, PCI_CONFIG_ADDRESS_PORT);	/* minimum base */
	put16(p + 4, PCI_CONFIG_ADDRESS_PORT);	/* maximum base */
	p[6] = 1;				/* alignment */
	p[7] = PCI_CONFIG_PORTS;		/* length */
	p += 8;
	p = acpi_res_word_range(p, ACPI_ADDR_SPACE_IO, ACPI_ADDR_IO_ENTIRE,
				0, PCI_CONFIG_ADDRESS_PORT - 1);
	p = acpi_res_word_range(p, ACPI_ADDR_SPACE_IO, ACPI_ADDR_IO_ENTIRE,
				PCI_CONFIG_ADDRESS_PORT + PCI_CONFIG_PORTS,
				0xffff);
	p[0] = ACPI_RES_END_TAG;
	p[1] = 0;
	aml_name_buffer(a, "_CRS", crs, sizeof(crs));

	aml_close(a, dev);
}

static void aml_mmio_device(struct aml *a, unsigned int uid,
			    const struct acpi_mmio_device *d)
{
	char name[5];
	u8 crs[12 + 9 + 2];
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

	/* Memory32Fixed (6.4.3.4): read-write, base and length. */
	crs[0] = ACPI_RES_MEMORY32_FIXED;
	put16(crs + 1, 9);
	crs[3] = 1;			/* writable */
	put32(crs + 4, d->base);
	put32(crs + 8, d->size);
	/*
	 * Extended Interrupt (6.4.3.6): one GSI, with no resource source.
	 * Edge-triggered because the device raises an edge per event and
	 * the driver acknowledges in its InterruptACK register.
	 */
	crs[12] = ACPI_RES_EXT_IRQ;
	put16(crs + 13, 6);
	crs[15] = ACPI_EXT_IRQ_CONSUMER | ACPI_EXT_IRQ_EDGE;
	crs[16] = 1;			/* interrupt table length */
	put32(crs + 17, d->gsi);
	/* End Tag: checksum 0 means "the sum is fine" (6.4.2.9). */
	crs[21] = ACPI_RES_END_TAG;	/* small item, length 1 */
	crs[22] = 0;

	aml_name_buffer(a, "_CRS", crs, sizeof(crs));

	aml_close(a, dev);
}

static u64 acpi_dsdt(struct acpi_builder *b)
{
	struct aml a = { .len = 0 };
	unsigned int i;
	size_t scope;
	u32 len;
	u64 gpa;
	u8 *t;

	aml_s5(&a);
	aml_byte(&a, AML_SCOPE_OP);
	scope = aml_open(&a);
	aml_byte(&a, AML_ROOT_CHAR);
	aml_name_seg(&a, "_SB_");
	aml_pci_root(&a);
	for (i = 0; i < nr_mmio_devices; i++)
		aml_mmio_device(&a, i, &mmio_devices[i]);
	aml_close(&a, scope);

	len = 36 + a.len;
	t = acpi_alloc(b, len, &gpa);
	/* Revision 2: AML integers are 64 bits (5.2.11.1). */
	acpi_header(t, "DSDT", len, 2);
	memcpy(t + 36, a.buf, a.len);
	acpi_finish(t);
	return gpa;
}

/* Firmware ACPI Control Structure (5.2.10): no waking vector, no lock. */
static u64 acpi_facs(struct acpi_builder *b)
{
	u64 gpa;
	u8 *t = acpi_alloc(b, 64, &gpa);

	memcpy(t, "FACS", 4);
	put32(t + 4, 64);		/* length */
	put32(t + 8, 0);		/* hardware signature */
	t[32] = 2;			/* version; the FACS has no checksum */
	return gpa;
}

/* Fixed ACPI Description Table, revision 6.3 (5.2.9, table 5-33). */
static u64 acpi_fadt(struct acpi_builder *b, u64 facs, u64 dsdt)
{
	u32 len = 276;
	u64 gpa;
	u8 *t = acpi_alloc(b, len, &gpa);

	acpi_header(t, "FACP", len, 6);
	put32(t + 36, facs);			/* FIRMWARE_CTRL */
	put32(t + 40, dsdt);			/* DSDT */
	t[45] = 0;				/* Preferred_PM_Profile: unspecified */
	put16(t + 46, ACPI_SCI_IRQ);		/* SCI_INT */
	/*
	 * SMI_CMD 0: no SMM to hand ACPI over from; the hardware is always
	 * in ACPI mode, and PM1_CNT.SCI_EN reads 1 (4.8.2.5, 5.2.9).
	 */
	put32(t + 48, 0);
	put32(t + 56, ACPI_PM1_EVT_PORT);	/* PM1a_EVT_BLK */
	put32(t + 64, ACPI_PM1_CNT_PORT);	/* PM1a_CNT_BLK */
	put32(t + 76, ACPI_PM_TMR_PORT);	/* PM_TMR_BLK */
	t[88] = 4;				/* PM1_EVT_LEN: STS and EN, 2 each */
	t[89] = 2;				/* PM1_CNT_LEN */
	t[91] = 4;				/* PM_TMR_LEN */
	/* No GPE blocks (GPE0_BLK 0): nothing here raises general events. */
	put16(t + 96, 101);			/* P_LVL2_LAT > 100: no C2 */
	put16(t + 98, 1001);			/* P_LVL3_LAT > 1000: no C3 */
	t[108] = 0x32;				/* CENTURY: CMOS index (hw/rtc.c) */
	put16(t + 109, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 |
		       FADT_BOOT_NO_VGA);
	put32(t + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
		       FADT_F_SLP_BUTTON | FADT_F_FIX_RTC | FADT_F_TMR_VAL_EXT |
		       FADT_F_RESET_REG_SUP | FADT_F_SEALED_CASE);
	/*
	 * RESET_REG: one byte at port 0xcf9, the chipset's Reset Control
	 * Register; 0x06 (CPU reset, hard) is what hw/acpi_pm.c resets on.
	 */
	acpi_gas_io(t + 116, ACPI_RESET_PORT, 8);
	t[128] = ACPI_RESET_VALUE;		/* RESET_VALUE */
	t[131] = 3;				/* FADT minor version: 6.3 */
	put64(t + 132, 0);			/* X_FIRMWARE_CTRL: the 32-bit one */
	put64(t + 140, dsdt);			/* X_DSDT */
	/*
	 * The X_PM* blocks stay zero: the OS builds them from the 32-bit
	 * blocks and lengths (5.2.9: "If [X_...] is non-zero, [the 32-bit
	 * field] must be ignored"; zero means it is not supplied).
	 */
	memcpy(t + 268, "VMW86RUN", 8);		/* Hypervisor Vendor Identity */
	acpi_finish(t);
	return gpa;
}

/* Multiple APIC Description Table (5.2.12). */
static u64 acpi_madt(struct acpi_builder *b, unsigned int cpus)
{
	u32 len = 44 + cpus * 8 + 12 + 10 + 6;
	u64 gpa;
	u8 *t = acpi_alloc(b, len, &gpa), *e;
	unsigned int i;

	acpi_header(t, "APIC", len, 5);
	put32(t + 36, LAPIC_DEFAULT_BASE);	/* Local Interrupt Controller Address */
	put32(t + 40, MADT_PCAT_COMPAT);
	e = t + 44;
	/* Processor Local APIC (5.2.12.2): UID i, APIC ID i, enabled. */
	for (i = 0; i < cpus; i++, e += 8) {
		e[0] = MADT_TYPE_LAPIC;
		e[1] = 8;
		e[2] = i;
		e[3] = i;
		put32(e + 4, MADT_LAPIC_ENABLED);
	}
	/* I/O APIC (5.2.12.3): hw/ioapic.c; its ID register says the same. */
	e[0] = MADT_TYPE_IOAPIC;
	e[1] = 12;
	e[2] = IOAPIC_ID;
	put32(e + 4, IOAPIC_BASE);
	put32(e + 8, 0);			/* Global System Interrupt Base */
	e += 12;
	/*
	 * Interrupt Source Override (5.2.12.5): the PIT's ISA IRQ 0 is wired
	 * to IOAPIC pin 2, as on every PC since the 8259's cascade input took
	 * pin 2's place (irq.c routes it so). Flags 0: conforms to the ISA
	 * bus, i.e. edge-triggered, active high.
	 */
	e[0] = MADT_TYPE_ISO;
	e[1] = 10;
	e[2] = 0;				/* bus: ISA */
	e[3] = 0;				/* source: IRQ 0 */
	put32(e + 4, 2);			/* GSI 2 */
	put16(e + 8, 0);
	e += 10;
	/* Local APIC NMI (5.2.12.7): all processors (UID 0xff), LINT1. */
	e[0] = MADT_TYPE_LAPIC_NMI;
	e[1] = 6;
	e[2] = 0xff;
	put16(e + 3, 0);			/* flags: conforms to the bus */
	e[5] = 1;				/* LINT1 */
	acpi_finish(t);
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
	u8 *rsdp, *rsdt, *xsdt;

	/* The RSDP first, at a 16-byte boundary of the scanned area. */
	rsdp = acpi_alloc(&b, 36, &rsdp_gpa);
	dsdt = acpi_dsdt(&b);
	facs = acpi_facs(&b);
	fadt = acpi_fadt(&b, facs, dsdt);
	madt = acpi_madt(&b, vm->cpus);

	/* RSDT (5.2.7) and XSDT (5.2.8): the same two tables. */
	rsdt = acpi_alloc(&b, 36 + 2 * 4, &rsdt_gpa);
	acpi_header(rsdt, "RSDT", 36 + 2 * 4, 1);
	put32(rsdt + 36, fadt);
	put32(rsdt + 40, madt);
	acpi_finish(rsdt);
	xsdt = acpi_alloc(&b, 36 + 2 * 8, &xsdt_gpa);
	acpi_header(xsdt, "XSDT", 36 + 2 * 8, 1);
	put64(xsdt + 36, fadt);
	put64(xsdt + 44, madt);
	acpi_finish(xsdt);

	/* RSDP, revision 2 (5.2.5.3): checksum of the first 20 bytes, then
	 * the extended checksum of all 36. */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, ACPI_OEM_ID, 6);
	rsdp[15] = 2;
	put32(rsdp + 16, rsdt_gpa);
	put32(rsdp + 20, 36);
	put64(rsdp + 24, xsdt_gpa);
	rsdp[8] = acpi_checksum(rsdp, 20);
	rsdp[32] = acpi_checksum(rsdp, 36);

	bp->acpi_rsdp_addr = rsdp_gpa;
	pr_debug("ACPI: RSDP at 0x%llx, tables up to 0x%llx", (unsigned long long)rsdp_gpa,
		 (unsigned long long)b.next);
	return rsdp_gpa;
}
