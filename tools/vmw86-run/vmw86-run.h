/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmw86-run: boots a Linux kernel (bzImage or vmlinux) under vmw86 on a
 * small PC described by ACPI, whose devices are backed by host system
 * calls: the platform devices in hw/, each registering itself with
 * PLATFORM_DEVICE() (below), and the virtio-mmio devices in virtio/ that
 * the options ask for. Shared declarations.
 */
#ifndef VMW86_RUN_H
#define VMW86_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <linux/vmw86.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define KiB	(1024ULL)
#define MiB	(1024ULL * KiB)
#define GiB	(1024ULL * MiB)

/* Exit statuses of vmw86-run (vmw86-run.1, EXIT STATUS). */
#define EXIT_POWEROFF	0	/* the guest powered off or halted for good */
#define EXIT_BADINPUT	1	/* bad option or file; no VM was made */
#define EXIT_REBOOT	2	/* the guest asked for a reset (ACPI, i8042) */
#define EXIT_TRIPLE	3	/* triple fault (also reboot=t's reboot) */
#define EXIT_VMERROR	4	/* vmw86 or launcher error while running */

/*
 * The platform's fixed addresses, shared by the ACPI tables (acpi.c) and
 * the devices they describe (hw/).
 */
#define LAPIC_DEFAULT_BASE	0xfee00000u	/* in the kernel, VMW86_CREATE_LAPIC */
#define IOAPIC_BASE		0xfec00000u	/* hw/ioapic.c */
#define IOAPIC_ID		0
#define ACPI_SCI_IRQ		9
#define ACPI_PM1_EVT_PORT	0x600		/* hw/acpi_pm.c: 12 ports */
#define ACPI_PM1_CNT_PORT	0x604
#define ACPI_PM_TMR_PORT	0x608
#define ACPI_RESET_PORT		0xcf9
#define ACPI_RESET_VALUE	0x06		/* RST_CPU | SYS_RST: hard reset */
#define ACPI_SLP_TYP_S5		5		/* \_S5 in the DSDT */
/* PCI configuration mechanism #1 (hw/pci.c), around the reset register. */
#define PCI_CONFIG_ADDRESS_PORT	0xcf8
#define PCI_CONFIG_DATA_PORT	0xcfc
#define PCI_CONFIG_PORTS	8		/* 0xcf8-0xcff, in the DSDT */

/* Guest RAM below 4 GiB ends here; the rest goes above 4 GiB. */
#define LOW_RAM_END	(3 * GiB)
#define HIGH_RAM_START	(4 * GiB)

struct options {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	u64 mem_size;
	unsigned int cpus;
	bool boot_time;
	int verbose;
	bool sandbox;		/* the seccomp allow-list (off: --no-sandbox) */
	bool sandbox_selftest;	/* --sandbox-selftest */
	bool rng;		/* --rng */
	const char *gdb;	/* --gdb tcp:[HOST:]PORT or unix:PATH */
	bool gdb_wait;		/* --gdb-wait */
};

struct vm;
struct gdb;

/*
 * A vCPU as the gdb stub holds it (gdbstub.c; its lock guards @hold and
 * @control). @sregs and the run structure's registers are the stub's to
 * read and change while the vCPU is parked.
 */
struct vcpu_gdb {
	bool hold;		/* park before the next entry */
	u32 control;		/* VMW86_GUESTDBG_* the stub wants */
	u32 applied;		/* ... and what VMW86_SET_GUEST_DEBUG has */
	u32 applied_gen;	/* the stub's hardware breakpoints as of then */
	struct vmw86_sregs sregs;	/* as of the last park */
};

/*
 * One vCPU and its thread. Only that thread touches @run and calls vCPU
 * ioctls on @fd (vmw86 serialises them per vCPU anyway); other threads
 * reach it through vcpu__kick(). The one exception is the gdb stub, which
 * reads and writes @run's registers while the thread is parked for it.
 */
struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	int stats_fd;		/* VMW86_GET_STATS_FD, kept for vmw86-stat; or -1 */
	struct vmw86_run *run;
	pthread_t thread;
	int wake_fd;		/* eventfd: ends a HLT waited out in user space */
	u64 last_rip;		/* RIP and exit reason of the previous exit, */
	u32 last_exit;		/* for the one-line diagnoses */
	u64 last_pit_read_ns;	/* the previous exit was a PIT read, at this time */
	struct vcpu_gdb gdb;
};

struct vm {
	int dev_fd;
	int vm_fd;
	int stats_fd;		/* VMW86_GET_STATS_FD, kept for vmw86-stat; or -1 */
	size_t run_size;
	u8 *ram;		/* the whole guest RAM, one host mapping */
	u64 ram_size;
	unsigned int cpus;
	struct vcpu *vcpus;	/* @cpus of them; vCPU 0 is the BSP */
	bool has_lapic;		/* VMW86_CREATE_LAPIC done: APICs in the kernel */
	u64 start_ns;		/* CLOCK_MONOTONIC at launch */
	u64 pit_read_ns;	/* time spent in back-to-back guest PIT reads, */
	u64 pit_reads;		/* and how many: what --boot-time reports */
	bool boot_time;
	bool sandbox;		/* from struct options */
	bool sandbox_selftest;
	int done;		/* set once, atomically, by vm__stop() */
	int exit_status;
	int event_fd;		/* eventfd: wakes the device thread */
	int timer_fd;		/* timerfd: the PIT's next event */
	struct gdb *gdb;	/* --gdb: the stub; or NULL */
};

/* The image, checked and read before any VM exists (boot.c). */
struct boot_image {
	u8 *kernel;
	size_t kernel_size;
	u8 *initrd;
	size_t initrd_size;
	const char *cmdline;
	u16 version;		/* boot protocol version */
	size_t setup_size;	/* bytes of real-mode setup, incl. boot sector */
	u64 load_addr;		/* GPA of the protected-mode kernel */
	u64 initrd_addr;	/* GPA of the initrd, 0 without one */
	bool elf;		/* an uncompressed vmlinux, not a bzImage */
	u64 entry;		/* GPA of the 64-bit entry point */
	u32 cmdline_size;	/* longest command line the kernel takes */
};

extern int verbose;

void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
u64 now_ns(void);

/* boot.c: the Linux/x86 boot protocol, 64-bit entry */
int boot__load_files(struct boot_image *img, const struct options *opt);
void boot__setup(struct vm *vm, struct boot_image *img);

/* sandbox.c: --user, PR_SET_NO_NEW_PRIVS and the seccomp allow-list */
struct sandbox_user {
	bool set;
	const char *name;	/* as given */
	uid_t uid;
	gid_t gid;
};
void sandbox__parse_user(const char *arg, struct sandbox_user *u);
void sandbox__drop_privileges(const struct sandbox_user *u);
void sandbox__enter(bool selftest);
/* One more system call the run loop makes (a device's), before the above. */
void sandbox__allow(int syscall_nr);
/* What the gdb stub needs: accepting on @listen_fd (TCP or a Unix socket). */
void sandbox__allow_gdb(int listen_fd, bool tcp);

/* acpi.c: the platform description; sets boot_params.acpi_rsdp_addr */
struct boot_params;
u64 acpi__setup(struct vm *vm, struct boot_params *bp);
/*
 * A device in the DSDT, under \_SB: _HID @hid, a register window of @size
 * bytes at @base (Memory32Fixed) and an edge-triggered, active-high
 * interrupt on IOAPIC pin @gsi. Before acpi__setup(); dies when full.
 */
void acpi__add_mmio_device(const char *hid, u32 base, u32 size, u32 gsi);

/*
 * vm.c: the VM, its vCPU threads and the device thread.
 *
 * Locking: one platform lock serialises all device state. vCPU threads
 * take it around each port or MMIO access they dispatch and around the
 * PIC check before entering the guest; the device thread takes it around
 * the PIT's tick and the UART's input. Device callbacks therefore run with
 * it held and may call irq__raise(), vm__stop(), vm__timer_changed() and
 * vm__wake_events(), none of which takes it again.
 */
void vm__init(struct vm *vm, const struct options *opt);
int vm__run(struct vm *vm);
void vm__stop(struct vm *vm, int status, const char *why);
bool vm__done(const struct vm *vm);	/* vm__stop() was called */
/* A thread of the run loop has started: waits until the sandbox is on. */
void vm__thread_started(void);
void platform__lock(void);
void platform__unlock(void);
bool platform__held(void);	/* by the calling thread */
/* Waits on @cond, the platform lock released meanwhile; lock held. */
void platform__cond_wait(pthread_cond_t *cond);
/*
 * The host address of guest RAM [@gpa, @gpa + @len), or NULL unless all of
 * it is RAM of one contiguous range (below LOW_RAM_END or from
 * HIGH_RAM_START): what devices check every guest-given address with.
 */
void *vm__gpa_to_hva(const struct vm *vm, u64 gpa, u64 len);
void vcpu__kick(struct vcpu *vcpu);
void vm__pic_changed(void);	/* the PIC may have an interrupt for vCPU 0 */
void vm__timer_changed(void);	/* the PIT's next event moved */
void vm__wake_events(void);	/* the device thread should look again */

/*
 * gva.c: guest virtual to guest physical, through the guest's page tables
 * as @s (VMW86_GET_SREGS) has them. False when @gva is not mapped; else
 * *@gpa, and *@left, the bytes from @gva to the end of its page.
 */
bool gva__to_gpa(const struct vm *vm, const struct vmw86_sregs *s, u64 gva,
		 u64 *gpa, u64 *left);

/*
 * gdbstub.c: --gdb. gdb__listen() (main, before any VM: dies on bad
 * input), gdb__check_module() (vm__init, VMW86_CAP_GUEST_DEBUG),
 * gdb__wait_attach() (main, --gdb-wait, before the sandbox), gdb__start()
 * and gdb__join() (vm__run, around the threads). The vCPU threads call
 * gdb__vcpu_pause_point() before each entry, gdb__vcpu_debug_exit() for
 * VMW86_EXIT_DEBUG and gdb__vcpu_user_step() after an instruction they
 * completed themselves (MMIO); vm__stop() calls gdb__vm_stopped().
 */
struct gdb *gdb__listen(const char *spec, bool wait);
void gdb__check_module(struct vm *vm);
void gdb__wait_attach(struct gdb *g);
void gdb__start(struct vm *vm);
void gdb__join(struct vm *vm);
void gdb__vcpu_pause_point(struct vcpu *vcpu);
void gdb__vcpu_debug_exit(struct vcpu *vcpu);
void gdb__vcpu_user_step(struct vcpu *vcpu);
void gdb__vm_stopped(struct vm *vm);

/* irq.c: ISA IRQ lines to the 8259 and the IOAPIC (platform lock held) */
void irq__raise(int irq);	/* an edge on ISA IRQ @irq */

/* ioport.c: port dispatch */
typedef void (*ioport_fn)(struct vm *vm, u16 port, u8 *data, int size,
			  bool is_write, void *opaque);
void ioport__register(u16 base, u16 count, ioport_fn fn, void *opaque,
		      const char *name);
void ioport__access(struct vm *vm, u16 port, u8 *data, int size,
		    bool is_write);

/*
 * mmio.c: decodes MMIO instructions, dispatches to the IOAPIC, to a
 * registered window or nowhere. A window's handler gets the offset into
 * it, @size bytes (1, 2, 4 or 8) in @data, little-endian, with the
 * platform lock held.
 */
typedef void (*mmio_fn)(struct vm *vm, u64 offset, u8 *data, int size,
			bool is_write, void *opaque);
void mmio__register(u64 base, u64 len, mmio_fn fn, void *opaque,
		    const char *name);
int mmio__handle(struct vcpu *vcpu);

/*
 * The platform's devices (hw/): each file registers its device with
 * PLATFORM_DEVICE(name, init), and vm__init() calls every @init, in the
 * order the objects are linked, once the VM and its vCPUs exist and
 * before any vCPU runs. The descriptors' addresses go to a section of
 * their own, which the linker bounds with __start_ and __stop_ symbols
 * (as it does for any section named as a C identifier): a new device
 * touches no list. Pointers rather than the descriptors themselves, so
 * that the section is an array of one element size; and compilers leave
 * globals in a section the program names out of AddressSanitizer's
 * padding, which would break that array.
 */
struct platform_device {
	const char *name;
	void (*init)(struct vm *vm);
};

#define PLATFORM_DEVICE(dev_name, dev_init)				\
	static const struct platform_device platform_device_##dev_name = { \
		.name = #dev_name, .init = dev_init,			\
	};								\
	static const struct platform_device *const			\
	platform_device_ptr_##dev_name					\
	__attribute__((used, section("vmw86_platform_devices"),	\
		       aligned(sizeof(void *)))) = &platform_device_##dev_name

/* The section's bounds, which the linker defines. */
extern const struct platform_device *const __start_vmw86_platform_devices[];
extern const struct platform_device *const __stop_vmw86_platform_devices[];

/* hw/ioapic.c */
void ioapic__raise(unsigned int pin);
bool ioapic__mmio(u64 gpa, u32 *val, int size, bool is_write);

/* hw/pic.c: the 8259 pair */
void pic__raise(int irq);
int pic__pending_vector(void);	/* -1: none */
void pic__ack(void);		/* the pending vector was delivered */

/* hw/pit.c: the 8254 and port 0x61 */
void pit__tick(u64 now);
u64 pit__next_event(void);	/* ns; UINT64_MAX when no timer is armed */

/* hw/serial.c */
int serial__input_fd(void);	/* -1: nothing to wait for */
int serial__poll(void);		/* -1: the user asked to leave */
void serial__restore_terminal(void);	/* async-signal-safe */

/*
 * Also: hw/rtc.c, hw/i8042.c, hw/debugport.c, hw/acpi_pm.c (PM1, the PM
 * timer, reset) and hw/pci.c (bus 0 and its host bridge), reached only
 * through their ports.
 */

#endif
