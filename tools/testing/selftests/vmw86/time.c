// SPDX-License-Identifier: GPL-2.0
/*
 * time: what a guest learns about its clocks from vmw86, through VMware's
 * interface (api.rst, "What the guest sees"), and the one TSC it reads on
 * every vCPU. A Linux guest that is told its TSC frequency stops
 * calibrating and trusts its TSC across CPUs (design.rst, "Time"), so
 * both must be right:
 *
 * - hypervisor_leaves: VMW86_GET_SUPPORTED_CPUID has "VMwareVMware" at
 *   0x40000000 with 0x40000010 as the highest leaf, the host kernel's own
 *   tsc_khz (as its log reports it; else the TSC rate measured here) and
 *   the APIC timer's 1 GHz in 0x40000010, MCE and MCA, the invariant-TSC
 *   bit exactly when the host has one, and no TSC_ADJUST;
 * - leaves_in_guest: the guest reads the same, with no APIC rate in a VM
 *   whose APIC is not vmw86's;
 * - backdoor: GETVERSION, GETHZ, GET_VCPU_INFO and unknown commands answer
 *   as api.rst says, in the kernel (no exit), touching only the registers
 *   named there;
 * - not_backdoor: a wrong magic, another size or direction, the other
 *   port, or a CPUID table without VMware's signature exit to user space
 *   as an ordinary port;
 * - gethz_follows_cpuid: GETHZ answers what the vCPU's table says;
 * - backdoor_cpl3: at CPL 3 with IOPL 3 the backdoor answers; with IOPL 0
 *   the guest takes #GP on its own kernel stack and vmw86 sees nothing;
 * - mce_msrs: MCG_CAP and MCG_STATUS read 0, MCG_STATUS takes only 0,
 *   MCG_CAP and the (absent) MCG_CTL and bank MSRs #GP, from the guest and
 *   through VMW86_GET/SET_MSRS alike;
 * - one_tsc_four_vcpus: four vCPUs on their own threads pass a token
 *   round and round, each reading the TSC (RDTSC and RDTSCP) when it has
 *   the token: no read is ever behind the previous holder's, across a
 *   VMW86_SET_MSRS of the TSC on one vCPU and a guest WRMSR of it on
 *   another halfway.
 */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define BDOOR_PORT		0x5658
#define BDOOR_PORT_HB		0x5659
#define BDOOR_MAGIC		0x564d5868
#define BDOOR_GETVERSION	10
#define BDOOR_GETHZ		45
#define BDOOR_GET_VCPU_INFO	68

#define LAPIC_TIMER_KHZ		1000000		/* api.rst: 1 GHz */

#define MSR_IA32_MCG_CAP	0x179
#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_MCG_CTL	0x17b
#define MSR_IA32_MC0_CTL	0x400
#define MSR_IA32_MC0_STATUS	0x401

/* Values in the registers a backdoor command must leave alone. */
#define MARK_RBX		0xbbbbbbbb11111111ULL
#define MARK_RDX_HIGH		0xdddddddd22220000ULL

struct cpuid_table {
	struct vmw86_cpuid hdr;
	struct vmw86_cpuid_entry e[VMW86_MAX_CPUID_ENTRIES];
};

struct msr_list {
	struct vmw86_msrs hdr;
	struct vmw86_msr_entry e[8];
};

/* ---------------------------------------------------------------------
 * Guest side
 */

struct bd_regs {
	uint64_t rax, rbx, rcx, rdx;
};

/* IN EAX, DX with the given registers; what they hold after. */
static struct bd_regs bdoor(uint64_t rax, uint64_t rbx, uint64_t rcx,
			    uint64_t rdx)
{
	struct bd_regs r = { rax, rbx, rcx, rdx };

	asm volatile("inl %%dx, %%eax"
		     : "+a"(r.rax), "+b"(r.rbx), "+c"(r.rcx), "+d"(r.rdx)
		     :: "memory");
	return r;
}

/* A backdoor call as Linux makes it, with marks in the other registers. */
static void bdoor_sync(uint64_t rax, uint64_t rcx)
{
	struct bd_regs r = bdoor(rax, MARK_RBX, rcx, MARK_RDX_HIGH | BDOOR_PORT);

	GUEST_SYNC4(r.rax, r.rbx, r.rcx, r.rdx);
}

static volatile uint64_t gp_count;
static volatile uint64_t gp_error;

/* #GP from a sweep's RDMSR or WRMSR (two bytes): count it, skip it. */
static void msr_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	gp_error = regs->error_code;
	regs->rip += 2;
}

static bool try_rdmsr(uint32_t msr, uint64_t *val)
{
	uint64_t before = gp_count;
	uint32_t lo = 0, hi = 0;

	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*val = lo | ((uint64_t)hi << 32);
	return gp_count == before;
}

static bool try_wrmsr(uint32_t msr, uint64_t val)
{
	uint64_t before = gp_count;

	asm volatile("wrmsr" :: "a"((uint32_t)val), "d"((uint32_t)(val >> 32)),
		     "c"(msr) : "memory");
	return gp_count == before;
}

/* ---------------------------------------------------------------------
 * Host side
 */

static void get_supported(struct __test_metadata *_metadata,
			  struct cpuid_table *t)
{
	int fd = open_vmw86_dev();

	t->hdr.nent = VMW86_MAX_CPUID_ENTRIES;
	ASSERT_EQ(0, ioctl(fd, VMW86_GET_SUPPORTED_CPUID, t))
		TH_LOG("VMW86_GET_SUPPORTED_CPUID: %s", strerror(errno));
	close(fd);
}

static struct vmw86_cpuid_entry *find_leaf(struct cpuid_table *t,
					   uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < t->hdr.nent; i++)
		if (t->e[i].function == fn && t->e[i].index == idx)
			return &t->e[i];
	return NULL;
}

/* "2495.998" after @prefix in @msg, as kHz; 0 if @msg is not that line. */
static uint64_t parse_mhz(const char *msg, const char *prefix)
{
	unsigned long mhz, frac;
	size_t len = strlen(prefix);

	if (strncmp(msg, prefix, len) ||
	    sscanf(msg + len, "%lu.%3lu", &mhz, &frac) != 2)
		return 0;
	return mhz * 1000 + frac;
}

/*
 * The host kernel's tsc_khz as its log says it (arch/x86/kernel/tsc.c):
 * the refined calibration if there was one, else the early TSC figure,
 * else the processor's, which is the TSC's when no TSC line follows.
 * 0 when the log no longer has them.
 */
static uint64_t host_tsc_khz_from_log(void)
{
	uint64_t cpu = 0, tsc = 0, refined = 0, v;
	char rec[4096];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return 0;
	for (;;) {
		const char *msg;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* a record was overwritten */
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		v = parse_mhz(msg, "tsc: Refined TSC clocksource calibration: ");
		if (v)
			refined = v;
		v = parse_mhz(msg, "tsc: Detected ");
		if (v && strstr(msg, "MHz TSC"))
			tsc = v;
		else if (v && strstr(msg, "MHz processor"))
			cpu = v;
	}
	close(fd);
	return refined ? refined : tsc ? tsc : cpu;
}

/* Does the host's /proc/cpuinfo list @flag for its first CPU? */
static bool host_has_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192], pat[64];
	bool found = false;

	if (!f)
		return false;
	snprintf(pat, sizeof(pat), " %s", flag);
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, "flags", 5))
			continue;
		for (p = strstr(line, pat); p; p = strstr(p + 1, pat)) {
			char end = p[strlen(pat)];

			if (end == ' ' || end == '\n' || end == 0) {
				found = true;
				break;
			}
		}
		break;
	}
	fclose(f);
	return found;
}

TEST(hypervisor_leaves)
{
	struct cpuid_table *t = calloc(1, sizeof(*t));
	struct vmw86_cpuid_entry *e;
	uint64_t log_khz = host_tsc_khz_from_log(), measured = tsc_per_ms();
	bool invariant = host_has_flag("constant_tsc") &&
			 host_has_flag("nonstop_tsc");

	get_supported(_metadata, t);
	e = find_leaf(t, 0x40000000, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0x40000010, e->eax);
	EXPECT_EQ(0, memcmp(&e->ebx, "VMwa", 4));
	EXPECT_EQ(0, memcmp(&e->ecx, "reVM", 4));
	EXPECT_EQ(0, memcmp(&e->edx, "ware", 4));

	e = find_leaf(t, 0x40000010, 0);
	ASSERT_NE(NULL, e);
	if (log_khz) {
		EXPECT_EQ(log_khz, e->eax)
			TH_LOG("CPUID says %u kHz, the host kernel's log %lu kHz",
			       e->eax, log_khz);
	} else {
		TH_LOG("the host's log no longer says its tsc_khz; measured %lu kHz",
		       measured);
	}
	/* Measured over 20 ms of the host's clock: within 5%. */
	EXPECT_LT(measured * 95 / 100, e->eax);
	EXPECT_GT(measured * 105 / 100, e->eax);
	EXPECT_EQ(LAPIC_TIMER_KHZ, e->ebx);
	EXPECT_EQ(0, e->ecx);
	EXPECT_EQ(0, e->edx);
	TH_LOG("TSC %u kHz (host log %lu, measured %lu), APIC timer %u kHz",
	       e->eax, log_khz, measured, e->ebx);

	e = find_leaf(t, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->ecx & CPUID_1_ECX_HYPERVISOR);
	EXPECT_EQ(1U << 7 | 1U << 14, e->edx & (1U << 7 | 1U << 14));
	e = find_leaf(t, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1U << 7 | 1U << 14, e->edx & (1U << 7 | 1U << 14));
	e = find_leaf(t, 7, 0);
	if (e)
		EXPECT_EQ(0, e->ebx & 2) TH_LOG("TSC_ADJUST offered");
	e = find_leaf(t, 0x80000007, 0);
	if (e) {
		EXPECT_EQ(0, e->eax);
		EXPECT_EQ(0, e->ebx);
		EXPECT_EQ(0, e->ecx);
		EXPECT_EQ(invariant ? 1U << 8 : 0, e->edx)
			TH_LOG("host constant_tsc and nonstop_tsc: %d", invariant);
	}
	free(t);
}

static void guest_read_leaves(void)
{
	uint32_t a, b, c, d;

	cpuid_count(0x40000000, 0, &a, &b, &c, &d);
	GUEST_SYNC4(a, b, c, d);
	cpuid_count(0x40000010, 0, &a, &b, &c, &d);
	GUEST_SYNC4(a, b, c, d);
	cpuid_count(0x40000005, 0, &a, &b, &c, &d);
	GUEST_SYNC4(a, b, c, d);
	GUEST_DONE();
}

static void check_leaves_in_guest(struct __test_metadata *_metadata,
				  bool lapic)
{
	struct vmw86_vm *vm = vm_create();
	struct cpuid_table *t = calloc(1, sizeof(*t));
	struct vmw86_vcpu *vcpu;
	struct ucall uc;
	char sig[13] = "";

	if (lapic)
		ASSERT_EQ(0, ioctl(vm->fd, VMW86_CREATE_LAPIC, 0));
	vcpu = vm_vcpu_add(vm, 0, guest_read_leaves);
	get_supported(_metadata, t);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x40000010, uc.args[0]);
	memcpy(sig, &uc.args[1], 4);
	memcpy(sig + 4, &uc.args[2], 4);
	memcpy(sig + 8, &uc.args[3], 4);
	EXPECT_STREQ("VMwareVMware", sig);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(find_leaf(t, 0x40000010, 0)->eax, uc.args[0]);
	EXPECT_EQ(lapic ? LAPIC_TIMER_KHZ : 0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);
	/* Leaves below the highest but not defined read as zeros. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[0] | uc.args[1] | uc.args[2] | uc.args[3]);
	vcpu_run_expect_done(vcpu);
	free(t);
	vm_free(vm);
}

TEST(leaves_in_guest)
{
	check_leaves_in_guest(_metadata, true);
	check_leaves_in_guest(_metadata, false);
}

static void guest_backdoor(void)
{
	bdoor_sync(BDOOR_MAGIC, BDOOR_GETVERSION);
	bdoor_sync(BDOOR_MAGIC, BDOOR_GETHZ);
	bdoor_sync(BDOOR_MAGIC, BDOOR_GET_VCPU_INFO);
	/* Only CX is the command; the rest of ECX and RAX do not matter. */
	bdoor_sync(0xffffffff00000000ULL | BDOOR_MAGIC,
		   0x7777000000000000ULL | 0x1234U << 16 | BDOOR_GETVERSION);
	/* Commands vmw86 does not have: 0, 11, 91 (steal clock), 0xffff. */
	bdoor_sync(BDOOR_MAGIC, 0);
	bdoor_sync(BDOOR_MAGIC, 11);
	bdoor_sync(BDOOR_MAGIC, 91);
	bdoor_sync(BDOOR_MAGIC, 0xffff);
	GUEST_DONE();
}

/* The next ucall is a SYNC4 of a backdoor call's registers: check them. */
static void expect_bdoor(struct __test_metadata *_metadata,
			 struct vmw86_vcpu *vcpu, const char *what,
			 uint64_t rax, uint64_t rbx, uint64_t rcx, uint64_t rdx)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(rax, uc.args[0]) TH_LOG("%s: RAX", what);
	EXPECT_EQ(rbx, uc.args[1]) TH_LOG("%s: RBX", what);
	EXPECT_EQ(rcx, uc.args[2]) TH_LOG("%s: RCX", what);
	EXPECT_EQ(rdx, uc.args[3]) TH_LOG("%s: RDX", what);
}

TEST(backdoor)
{
	struct vmw86_vm *vm = vm_create();
	struct cpuid_table *t = calloc(1, sizeof(*t));
	const uint64_t rdx = MARK_RDX_HIGH | BDOOR_PORT;
	struct vmw86_vcpu *vcpu;
	uint64_t hz;

	ASSERT_EQ(0, ioctl(vm->fd, VMW86_CREATE_LAPIC, 0));
	vcpu = vm_vcpu_add(vm, 0, guest_backdoor);
	get_supported(_metadata, t);
	hz = (uint64_t)find_leaf(t, 0x40000010, 0)->eax * 1000;

	/* Every answer comes back as a ucall: no exit for the port. */
	expect_bdoor(_metadata, vcpu, "GETVERSION", 6, BDOOR_MAGIC, 4, rdx);
	expect_bdoor(_metadata, vcpu, "GETHZ", hz & 0xffffffff, hz >> 32,
		     LAPIC_TIMER_KHZ * 1000ULL, rdx);
	expect_bdoor(_metadata, vcpu, "GET_VCPU_INFO", 1 << 1, MARK_RBX,
		     BDOOR_GET_VCPU_INFO, rdx);
	expect_bdoor(_metadata, vcpu, "GETVERSION, high bits set", 6,
		     BDOOR_MAGIC, 4, rdx);
	expect_bdoor(_metadata, vcpu, "unknown 0", 0xffffffff, MARK_RBX, 0,
		     rdx);
	expect_bdoor(_metadata, vcpu, "unknown 11", 0xffffffff, MARK_RBX, 11,
		     rdx);
	expect_bdoor(_metadata, vcpu, "steal clock (91)", 0xffffffff,
		     MARK_RBX, 91, rdx);
	expect_bdoor(_metadata, vcpu, "unknown 0xffff", 0xffffffff, MARK_RBX,
		     0xffff, rdx);
	vcpu_run_expect_done(vcpu);
	free(t);
	vm_free(vm);
}

static void guest_not_backdoor(void)
{
	uint32_t eax = BDOOR_MAGIC;
	uint8_t al;

	/* A wrong magic. */
	bdoor_sync(BDOOR_MAGIC ^ 1, BDOOR_GETVERSION);
	/* INB, OUTL, the high-bandwidth port, each with the magic. */
	asm volatile("inb %%dx, %%al" : "=a"(al)
		     : "a"(BDOOR_MAGIC), "c"(BDOOR_GETVERSION), "d"(BDOOR_PORT));
	GUEST_SYNC(al);
	asm volatile("outl %%eax, %%dx"
		     :: "a"(eax), "c"(BDOOR_GETVERSION), "d"(BDOOR_PORT));
	asm volatile("inl %%dx, %%eax" : "+a"(eax)
		     : "c"(BDOOR_GETVERSION), "d"(BDOOR_PORT_HB));
	GUEST_SYNC(eax);
	GUEST_DONE();
}

TEST(not_backdoor)
{
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_not_backdoor);
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, BDOOR_PORT, 4, 0xabcd1234);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xabcd1234, uc.args[0]);
	EXPECT_EQ(MARK_RBX, uc.args[1]);
	EXPECT_EQ(BDOOR_GETVERSION, uc.args[2]);

	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, BDOOR_PORT, 1, 0x42);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x42, uc.args[0]);

	vcpu_run(vcpu);
	EXPECT_EQ(BDOOR_MAGIC, vcpu_expect_out(vcpu, BDOOR_PORT, 4));
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, BDOOR_PORT_HB, 4, 0x5a5a5a5a);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x5a5a5a5a, uc.args[0]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_one_getversion(void)
{
	bdoor_sync(BDOOR_MAGIC, BDOOR_GETVERSION);
	GUEST_DONE();
}

/* Without VMware's signature in its table, a vCPU has no backdoor. */
TEST(no_signature_no_backdoor)
{
	struct cpuid_table *t = calloc(1, sizeof(*t));
	struct vmw86_cpuid_entry *e;
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_one_getversion);
	get_supported(_metadata, t);
	e = find_leaf(t, 0x40000000, 0);
	memcpy(&e->ebx, "KVMK", 4);
	memcpy(&e->ecx, "VMKV", 4);
	memcpy(&e->edx, "M\0\0\0", 4);
	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_SET_CPUID, t));
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, BDOOR_PORT, 4, 7);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(7, uc.args[0]);
	EXPECT_EQ(MARK_RBX, uc.args[1]);
	vcpu_run_expect_done(vcpu);
	free(t);
	vm_free(vm);
}

static void guest_gethz_twice(void)
{
	uint32_t a, b, c, d;

	cpuid_count(0x40000010, 0, &a, &b, &c, &d);
	GUEST_SYNC2(a, b);
	bdoor_sync(BDOOR_MAGIC, BDOOR_GETHZ);
	bdoor_sync(BDOOR_MAGIC, BDOOR_GETHZ);
	GUEST_DONE();
}

TEST(gethz_follows_cpuid)
{
	struct cpuid_table *t = calloc(1, sizeof(*t));
	const uint64_t rdx = MARK_RDX_HIGH | BDOOR_PORT;
	struct vmw86_cpuid_entry *e;
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_gethz_twice);
	get_supported(_metadata, t);
	e = find_leaf(t, 0x40000010, 0);
	e->eax = 1234567;	/* a 1.234567 GHz TSC, a 2 MHz APIC timer */
	e->ebx = 2000;
	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_SET_CPUID, t));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1234567, uc.args[0]);
	EXPECT_EQ(2000, uc.args[1]);
	expect_bdoor(_metadata, vcpu, "GETHZ of the table's rates", 1234567000,
		     0, 2000000, rdx);

	/* No TSC rate in the table: GETHZ says it does not know. */
	e->eax = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_SET_CPUID, t));
	expect_bdoor(_metadata, vcpu, "GETHZ without a rate", 0xffffffff,
		     0xffffffff, BDOOR_GETHZ, rdx);
	vcpu_run_expect_done(vcpu);
	free(t);
	vm_free(vm);
}

/* #GP at CPL 3: say where it was taken, on which stack; stop there. */
static void user_gp_handler(struct ex_regs *regs)
{
	GUEST_SYNC4(GP_VECTOR, regs->error_code, regs->cs, (uint64_t)regs);
	for (;;)
		GUEST_SYNC(0xdead);
}

/* Runs at CPL 3. */
static void guest_user_backdoor(void)
{
	bdoor_sync(BDOOR_MAGIC, BDOOR_GETVERSION);
	GUEST_DONE();
}

/*
 * vCPU 0 at CPL 3 in guest_user_backdoor() with @iopl: user pages (the
 * library maps everything supervisor-only), a CPL 3 CS and SS, and a
 * kernel stack in the TSS for the #GP.
 */
static struct vmw86_vcpu *add_user_vcpu(struct vmw86_vm *vm, unsigned int iopl,
					uint64_t *rsp0)
{
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4_gpa), *pdpt, *pd;
	struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_user_backdoor);
	struct vmw86_sregs sregs;
	struct vmw86_regs regs;

	pml4[0] |= 4;			/* U/S */
	pdpt = addr_gpa2hva(vm, pml4[0] & ~0xfffULL);
	for (uint64_t i = 0; i < GUEST_MAPPED_SIZE / SZ_1G; i++) {
		pdpt[i] |= 4;
		pd = addr_gpa2hva(vm, pdpt[i] & ~0xfffULL);
		for (int j = 0; j < 512; j++)
			pd[j] |= 4;
	}
	*rsp0 = vm->scratch_gpa + SCRATCH_SIZE;
	memcpy((char *)addr_gpa2hva(vm, vm->tss_gpa) + 4, rsp0, 8);

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cs.selector |= 3;
	sregs.cs.dpl = 3;
	sregs.ss.selector |= 3;
	sregs.ss.dpl = 3;		/* the CPL */
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= (uint64_t)iopl << 12;
	vcpu_regs_set(vcpu, &regs);
	vm_install_exception_handler(vm, GP_VECTOR, user_gp_handler);
	return vcpu;
}

TEST(backdoor_cpl3)
{
	const uint64_t rdx = MARK_RDX_HIGH | BDOOR_PORT;
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	struct ucall uc;
	uint64_t rsp0;

	/* IOPL 3: the guest's kernel lets CPL 3 do port I/O. */
	vm = vm_create();
	vcpu = add_user_vcpu(vm, 3, &rsp0);
	expect_bdoor(_metadata, vcpu, "GETVERSION at CPL 3, IOPL 3", 6,
		     BDOOR_MAGIC, 4, rdx);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);

	/* IOPL 0, no I/O bitmap: #GP(0) in the guest, before any exit. */
	vm = vm_create();
	vcpu = add_user_vcpu(vm, 0, &rsp0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(GP_VECTOR, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(3, uc.args[2] & 3) TH_LOG("CS 0x%lx", uc.args[2]);
	/* The frame is on the TSS's stack: the CPU left CPL 3 for it. */
	EXPECT_LT(rsp0 - PAGE_SIZE, uc.args[3]);
	EXPECT_GT(rsp0, uc.args[3]);
	vm_free(vm);
}

static void guest_mce_msrs(void)
{
	uint64_t v = 1;

	GUEST_ASSERT(try_rdmsr(MSR_IA32_MCG_CAP, &v));
	GUEST_ASSERT_EQ(v, 0);
	v = 1;
	GUEST_ASSERT(try_rdmsr(MSR_IA32_MCG_STATUS, &v));
	GUEST_ASSERT_EQ(v, 0);
	GUEST_ASSERT(try_wrmsr(MSR_IA32_MCG_STATUS, 0));
	GUEST_SYNC(gp_count);
	/* Each of these is one #GP. */
	try_wrmsr(MSR_IA32_MCG_STATUS, 1);
	try_wrmsr(MSR_IA32_MCG_STATUS, 1ULL << 2);	/* MCIP */
	try_wrmsr(MSR_IA32_MCG_CAP, 0);
	try_rdmsr(MSR_IA32_MCG_CTL, &v);
	try_wrmsr(MSR_IA32_MCG_CTL, ~0ULL);
	try_rdmsr(MSR_IA32_MC0_CTL, &v);
	try_rdmsr(MSR_IA32_MC0_STATUS, &v);
	GUEST_SYNC2(gp_count, gp_error);
	GUEST_DONE();
}

TEST(mce_msrs)
{
	struct msr_list *m = calloc(1, sizeof(*m));
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_mce_msrs);
	vm_install_exception_handler(vm, GP_VECTOR, msr_gp_handler);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(7, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	vcpu_run_expect_done(vcpu);

	/* User space sees and may set what the guest does. */
	m->hdr.nmsrs = 3;
	m->e[0] = (struct vmw86_msr_entry){ .index = MSR_IA32_MCG_CAP, .data = 1 };
	m->e[1] = (struct vmw86_msr_entry){ .index = MSR_IA32_MCG_STATUS, .data = 1 };
	m->e[2] = (struct vmw86_msr_entry){ .index = MSR_IA32_MCG_CTL };
	EXPECT_EQ(2, ioctl(vcpu->fd, VMW86_GET_MSRS, m));
	EXPECT_EQ(0, m->e[0].data);
	EXPECT_EQ(0, m->e[1].data);
	m->hdr.nmsrs = 1;
	m->e[0] = (struct vmw86_msr_entry){ .index = MSR_IA32_MCG_STATUS };
	EXPECT_EQ(1, ioctl(vcpu->fd, VMW86_SET_MSRS, m));
	m->e[0].data = 1;
	EXPECT_EQ(0, ioctl(vcpu->fd, VMW86_SET_MSRS, m));
	m->e[0] = (struct vmw86_msr_entry){ .index = MSR_IA32_MCG_CAP };
	EXPECT_EQ(0, ioctl(vcpu->fd, VMW86_SET_MSRS, m));
	free(m);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * one_tsc_four_vcpus
 */

#define TSC_VCPUS	4
#define TSC_PASSES	400
#define TSC_BASE	(1ULL << 44)	/* set with VMW86_SET_MSRS */
#define TSC_JUMP	(1ULL << 40)	/* a guest WRMSR adds it */

struct tsc_token {
	volatile uint64_t turn;		/* whose turn: turn % TSC_VCPUS */
	volatile uint64_t last;		/* the TSC the last holder read */
	uint64_t base, jump_at;
};

static struct tsc_token tok;

/* The TSC after every earlier load and store (as Linux's rdtsc_ordered()). */
static inline uint64_t rdtsc_after(bool rdtscp)
{
	uint32_t lo, hi, aux;

	if (rdtscp) {
		asm volatile("mfence; rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)
			     :: "memory");
		return lo | (uint64_t)hi << 32;
	}
	asm volatile("mfence; lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return lo | (uint64_t)hi << 32;
}

static void guest_tsc_token(uint64_t id)
{
	for (;;) {
		uint64_t turn, t;

		while ((turn = __atomic_load_n(&tok.turn, __ATOMIC_ACQUIRE)) %
		       TSC_VCPUS != id && turn < TSC_PASSES)
			cpu_relax();
		if (turn >= TSC_PASSES)
			break;
		t = rdtsc_after(turn & 1);
		if (t < tok.last)
			ucall_assert(__FILE__, __LINE__,
				     "TSC behind the previous vCPU's", 2, t,
				     tok.last);
		if (turn == 0 && t < tok.base)
			ucall_assert(__FILE__, __LINE__,
				     "TSC below what VMW86_SET_MSRS set", 2, t,
				     tok.base);
		if (turn == tok.jump_at) {
			wrmsr(MSR_IA32_TSC, t + TSC_JUMP);
			t = rdtsc_after(false);
			GUEST_ASSERT(t >= tok.last + TSC_JUMP);
		}
		tok.last = t;
		__atomic_store_n(&tok.turn, turn + 1, __ATOMIC_RELEASE);
	}
	GUEST_DONE();
}

static void *tsc_vcpu_thread(void *arg)
{
	struct vmw86_vcpu *vcpu = arg;

	/* A guest assertion or any other exit fails the test from here. */
	vcpu_run_expect_done(vcpu);
	return NULL;
}

TEST(one_tsc_four_vcpus)
{
	struct vmw86_vcpu *vcpu[TSC_VCPUS];
	pthread_t thread[TSC_VCPUS];
	struct tsc_token *gtok;
	struct vmw86_vm *vm;
	uint64_t prev;

	vm = vm_create();
	for (int i = 0; i < TSC_VCPUS; i++)
		vcpu[i] = vm_vcpu_add(vm, i, guest_tsc_token);
	gtok = addr_gpa2hva(vm, (uint64_t)&tok);
	gtok->base = TSC_BASE;
	gtok->jump_at = TSC_PASSES / 2 + 1;	/* vCPU 1's turn */

	/* Set on vCPU 2, read on vCPU 0 first: one TSC for the VM. */
	vcpu_set_msr(vcpu[2], MSR_IA32_TSC, TSC_BASE);
	for (int i = 0; i < TSC_VCPUS; i++)
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, tsc_vcpu_thread,
					    vcpu[i]));
	for (int i = 0; i < TSC_VCPUS; i++)
		pthread_join(thread[i], NULL);
	EXPECT_EQ(TSC_PASSES, gtok->turn);
	EXPECT_LE(TSC_BASE + TSC_JUMP, gtok->last);

	/* And user space reads it from any vCPU, never behind. */
	prev = gtok->last;
	for (int i = 0; i < TSC_VCPUS; i++) {
		uint64_t now = vcpu_get_msr(vcpu[i], MSR_IA32_TSC);

		EXPECT_LE(prev, now) TH_LOG("vCPU %d", i);
		prev = now;
	}
	TH_LOG("%d passes of the token over %d vCPUs, TSC 0x%lx at the end",
	       TSC_PASSES, TSC_VCPUS, prev);
	vm_free(vm);
}

TEST_HARNESS_MAIN
