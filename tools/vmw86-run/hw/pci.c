// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0 and its host bridge, reached through configuration mechanism
 * #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2 "Software Generation of
 * Configuration Transactions"):
 *
 *   0xcf8        CONFIG_ADDRESS, 32 bits: bit 31 enables, 23:16 bus,
 *                15:11 device, 10:8 function, 7:2 the dword's register
 *   0xcfc-0xcff  CONFIG_DATA: the addressed dword, read or written a byte,
 *                a word or all of it at a time
 *
 * Only a 32-bit access at 0xcf8 is CONFIG_ADDRESS; narrower ones are
 * ordinary I/O, which is what lets the chipset's Reset Control Register
 * sit at 0xcf9 (hw/acpi_pm.c) inside the same eight ports. A read of a
 * function nobody implements returns all ones, as a master abort does,
 * and so does a read with the enable bit clear. Bits 30:24 and 1:0 of
 * CONFIG_ADDRESS are reserved: they read 0 and do not select anything, so
 * an AMD-style extended register number there aliases the first 256
 * bytes, which Linux detects (pci_ext_cfg_is_aliased()) and then uses
 * only those.
 *
 * Without this, Linux finds no way to reach PCI configuration space and
 * says so at error level ("PCI: Fatal: No config space access function
 * found"), even though every device the launcher offers is on virtio-mmio.
 * The bus has one device, the Intel 82441FX host bridge of the 440FX
 * chipset at 00:00.0, the bridge every PC-compatible virtual machine
 * since has shown: Linux's type 1 probe (arch/x86/pci/direct.c) accepts
 * the mechanism once it finds a host bridge or display device on bus 0,
 * and the DSDT's PCI0 (acpi.c) describes the bridge's bus and windows.
 *
 * Called with the platform lock held (ioport.c), like every device.
 */
#include <string.h>
#include <linux/pci_regs.h>

#include "../vmw86-run.h"

#define PCI_CONFIG_ENABLE	(1u << 31)
/* What CONFIG_ADDRESS keeps: enable, bus, device, function, register. */
#define PCI_CONFIG_ADDRESS_MASK	(PCI_CONFIG_ENABLE | 0x00fffffcu)
#define PCI_ADDR_BUS(a)		(((a) >> 16) & 0xff)
#define PCI_ADDR_DEVFN(a)	(((a) >> 8) & 0xff)
#define PCI_ADDR_REG(a)		((a) & 0xfc)
#define PCI_DEVFNS		256	/* 32 devices of 8 functions */

#define PCI_VENDOR_ID_INTEL	0x8086
#define PCI_DEVICE_ID_82441	0x1237	/* 440FX host bridge (PMC) */
#define PCI_CLASS_BRIDGE_HOST	0x0600

/*
 * A function's 256-byte configuration header, and which of its bits the
 * guest may change: a write keeps the others as they were.
 */
struct pci_function {
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u8 wmask[PCI_CFG_SPACE_SIZE];
};

static struct pci_function *bus0[PCI_DEVFNS];
static struct pci_function host_bridge;
static u32 config_address;

static void put16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }

static void pci_config_read(u32 addr, unsigned int off, u8 *data, int size)
{
	struct pci_function *fn = bus0[PCI_ADDR_DEVFN(addr)];
	unsigned int reg = PCI_ADDR_REG(addr) + off;

	if (!(addr & PCI_CONFIG_ENABLE) || PCI_ADDR_BUS(addr) != 0 || !fn) {
		memset(data, 0xff, size);
		return;
	}
	memcpy(data, fn->cfg + reg, size);
}

static void pci_config_write(u32 addr, unsigned int off, const u8 *data,
			     int size)
{
	struct pci_function *fn = bus0[PCI_ADDR_DEVFN(addr)];
	unsigned int reg = PCI_ADDR_REG(addr) + off;
	int i;

	if (!(addr & PCI_CONFIG_ENABLE) || PCI_ADDR_BUS(addr) != 0 || !fn)
		return;
	for (i = 0; i < size; i++)
		fn->cfg[reg + i] = (fn->cfg[reg + i] & ~fn->wmask[reg + i]) |
				   (data[i] & fn->wmask[reg + i]);
}

static void pci_address_io(struct vm *vm, u16 port, u8 *data, int size,
			   bool is_write, void *opaque)
{
	(void)vm;
	(void)port;
	(void)opaque;
	if (size != 4) {
		/* Not CONFIG_ADDRESS: a port nobody decodes. */
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	if (is_write) {
		memcpy(&config_address, data, 4);
		config_address &= PCI_CONFIG_ADDRESS_MASK;
	} else {
		memcpy(data, &config_address, 4);
	}
}

static void pci_data_io(struct vm *vm, u16 port, u8 *data, int size,
			bool is_write, void *opaque)
{
	unsigned int off = port - PCI_CONFIG_DATA_PORT;

	(void)vm;
	(void)opaque;
	/* An access that runs past 0xcff (say, a dword at 0xcfe) is cut. */
	if (off + size > 4) {
		if (!is_write)
			memset(data, 0xff, size);
		size = 4 - off;
	}
	if (is_write)
		pci_config_write(config_address, off, data, size);
	else
		pci_config_read(config_address, off, data, size);
}

/*
 * The 82441FX's identity and a plain type 0 header: memory and bus master
 * enabled, no BARs, no expansion ROM, no interrupt pin, no capabilities;
 * the chipset's own registers (DRAM, PAM, SMRAM) read 0, since nothing
 * here has them. The guest may write the command bits a host bridge has
 * and the latency timer; the rest is read-only.
 */
static void host_bridge_init(struct pci_function *fn)
{
	put16(fn->cfg + PCI_VENDOR_ID, PCI_VENDOR_ID_INTEL);
	put16(fn->cfg + PCI_DEVICE_ID, PCI_DEVICE_ID_82441);
	put16(fn->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	fn->cfg[PCI_REVISION_ID] = 0x02;
	fn->cfg[PCI_CLASS_PROG] = 0x00;
	put16(fn->cfg + PCI_CLASS_DEVICE, PCI_CLASS_BRIDGE_HOST);
	fn->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	put16(fn->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
	      PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR);
	fn->wmask[PCI_LATENCY_TIMER] = 0xff;
}

static void pci_init(struct vm *vm)
{
	(void)vm;
	host_bridge_init(&host_bridge);
	bus0[0] = &host_bridge;		/* 00:00.0 */
	ioport__register(PCI_CONFIG_ADDRESS_PORT, 1, pci_address_io, NULL,
			 "pci-config-address");
	ioport__register(PCI_CONFIG_DATA_PORT, 4, pci_data_io, NULL,
			 "pci-config-data");
}

PLATFORM_DEVICE(pci, pci_init);
