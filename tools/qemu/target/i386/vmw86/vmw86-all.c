/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmw86 accelerator for QEMU: guests run under vmw86.ko (AMD SVM with
 * nested paging) through /dev/vmw86 and its ioctl ABI
 * (linux-headers/linux/vmw86.h, copied from vmw86's
 * include/uapi/linux/vmw86.h; Documentation/virt/vmw86/api.rst).
 *
 * This is the kernel-irqchip=off shape: QEMU's own APIC, IOAPIC, PIC,
 * PIT and HPET are the platform, and vmw86 runs the CPUs only. A
 * MemoryListener maps RAM and ROM to memory slots (ROM read-only, so
 * that writes come back as MMIO exits); every port and every access
 * outside a slot exits to the vCPU thread, which hands it to
 * address_space_rw() with current_cpu set. vmw86 decodes nothing in the
 * kernel: MMIO instructions are decoded by the decoder vmw86's launcher
 * uses too (mmio-insn.c). Interrupts from the PIC and APIC are injected
 * with VMW86_INTERRUPT when vmw86 says the guest can take one, asking
 * for the interrupt window otherwise; HLT exits (there is no in-kernel
 * APIC), INIT and SIPI are QEMU's own, as with NVMM.
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw/boards.h"
#include "hw/i386/apic.h"
#include "migration/blocker.h"
#include "qapi/error.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "sysemu/cpus.h"
#include "sysemu/runstate.h"
#include "sysemu/vmw86.h"

#include <sys/ioctl.h>
#include <linux/vmw86.h>

#include "mmio-insn.h"
#include "vmw86-int.h"

#define VMW86_DEV "/dev/vmw86"
#define VMW86_NR_MSRS 11

/* One memory slot as the listener made it. */
struct vmw86_slot {
    bool used;
    uint32_t flags;
    hwaddr gpa;
    uint64_t size;
    uint64_t hva;
};

/* The VM: set up by vmw86_accel_init, then read-only but for the slots. */
static struct {
    int dev_fd;
    int vm_fd;
    long mmap_size;
    bool readonly_mem;
    int nr_slots;
    struct vmw86_slot *slots;   /* iothread lock (the listener's callers) */
    struct vmw86_cpuid *supported;
    bool debug;                 /* VMW86_QEMU_DEBUG: say when state moves */
} vmw86_state;

static bool vmw86_allowed;
static Error *vmw86_migration_blocker;

bool vmw86_enabled(void)
{
    return vmw86_allowed;
}

/* ------------------------------------------------------------------------
 * CPUID: what vmw86 offers, and the table QEMU's -cpu model makes of it
 */

static const struct vmw86_cpuid_entry *vmw86_supported_entry(uint32_t function,
                                                             uint32_t index)
{
    struct vmw86_cpuid *t = vmw86_state.supported;
    uint32_t i;

    for (i = 0; t && i < t->nent; i++) {
        const struct vmw86_cpuid_entry *e = &t->entries[i];

        if (e->function == function &&
            (!(e->flags & VMW86_CPUID_FLAG_SIGNIFICANT_INDEX) ||
             e->index == index)) {
            return e;
        }
    }
    return NULL;
}

uint32_t vmw86_get_supported_cpuid(uint32_t function, uint32_t index, int reg)
{
    const struct vmw86_cpuid_entry *e = vmw86_supported_entry(function, index);
    uint32_t r;

    if (!e) {
        return 0;
    }
    switch (reg) {
    case R_EAX:
        r = e->eax;
        break;
    case R_EBX:
        r = e->ebx;
        break;
    case R_ECX:
        r = e->ecx;
        break;
    case R_EDX:
        r = e->edx;
        break;
    default:
        return 0;
    }
    /*
     * kernel-irqchip=off: QEMU 7.2's own APIC has neither x2APIC nor the
     * TSC-deadline timer, which vmw86 offers for its in-kernel APIC.
     */
    if (function == 1 && reg == R_ECX) {
        r &= ~(CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE_TIMER);
    }
    /*
     * vmw86 passes the host's MTRR bit on but keeps no MTRR MSRs
     * (api.rst): SeaBIOS, which programs MTRRs when the bit is set, would
     * take a #GP it cannot handle.
     */
    if (function == 1 && reg == R_EDX) {
        r &= ~CPUID_MTRR;
    }
    if (function == 0x80000001 && reg == R_EDX) {
        r &= ~CPUID_EXT2_MTRR;
    }
    return r;
}

static void vmw86_cpuid_add(struct vmw86_cpuid *t, CPUX86State *env,
                            uint32_t function, uint32_t index, bool indexed)
{
    struct vmw86_cpuid_entry *e;

    if (t->nent == VMW86_MAX_CPUID_ENTRIES) {
        error_report("vmw86: more than %d CPUID leaves; 0x%x.%u left out",
                     VMW86_MAX_CPUID_ENTRIES, function, index);
        return;
    }
    e = &t->entries[t->nent++];
    memset(e, 0, sizeof(*e));
    e->function = function;
    e->index = index;
    e->flags = indexed ? VMW86_CPUID_FLAG_SIGNIFICANT_INDEX : 0;
    cpu_x86_cpuid(env, function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
}

/* The leaves whose ECX selects a sub-leaf, and how many there are. */
static void vmw86_cpuid_add_range(struct vmw86_cpuid *t, CPUX86State *env,
                                  uint32_t first, uint32_t last)
{
    uint32_t f, i, a, b, c, d;

    for (f = first; f <= last; f++) {
        switch (f) {
        case 4:
        case 0x8000001d:
            /* Cache descriptions, until the type field says none. */
            for (i = 0; i < 64; i++) {
                cpu_x86_cpuid(env, f, i, &a, &b, &c, &d);
                vmw86_cpuid_add(t, env, f, i, true);
                if (!(a & 0x1f)) {
                    break;
                }
            }
            break;
        case 7:
        case 0x14:
            cpu_x86_cpuid(env, f, 0, &a, &b, &c, &d);
            for (i = 0; i <= a && i < 64; i++) {
                vmw86_cpuid_add(t, env, f, i, true);
            }
            break;
        case 0xb:
        case 0x1f:
            /* Topology levels, until the level type is 0. */
            for (i = 0; i < 64; i++) {
                cpu_x86_cpuid(env, f, i, &a, &b, &c, &d);
                vmw86_cpuid_add(t, env, f, i, true);
                if (!(c & 0xff00)) {
                    break;
                }
            }
            break;
        case 0xd:
            for (i = 0; i < 64; i++) {
                cpu_x86_cpuid(env, f, i, &a, &b, &c, &d);
                if (i < 2 || a || b || c || d) {
                    vmw86_cpuid_add(t, env, f, i, true);
                }
            }
            break;
        default:
            vmw86_cpuid_add(t, env, f, 0, false);
            break;
        }
    }
}

static int vmw86_set_cpuid(CPUState *cpu, struct vmw86_vcpu *vcpu)
{
    CPUX86State *env = cpu->env_ptr;
    struct vmw86_cpuid *t, *s = vmw86_state.supported;
    uint32_t limit, i, a, b, c, d;
    int ret = 0;

    t = g_malloc0(sizeof(*t) +
                  VMW86_MAX_CPUID_ENTRIES * sizeof(struct vmw86_cpuid_entry));
    cpu_x86_cpuid(env, 0, 0, &limit, &b, &c, &d);
    vmw86_cpuid_add_range(t, env, 0, MIN(limit, 0x3f));
    /*
     * The hypervisor leaves are vmw86's own (VMware's interface: the TSC
     * and APIC timer rates, api.rst "What the guest sees"), passed on as
     * vmw86 gives them, so that the guest calibrates nothing.
     */
    for (i = 0; s && i < s->nent; i++) {
        if (s->entries[i].function >= 0x40000000 &&
            s->entries[i].function <= 0x400000ff &&
            t->nent < VMW86_MAX_CPUID_ENTRIES) {
            struct vmw86_cpuid_entry *e = &t->entries[t->nent++];

            *e = s->entries[i];
            /*
             * The APIC timer's input clock, in kHz: QEMU's own APIC counts
             * nanoseconds (hw/intc/apic_common.c), 1 GHz before the divider.
             */
            if (e->function == 0x40000010) {
                e->ebx = 1000000;
            }
        }
    }
    cpu_x86_cpuid(env, 0x80000000, 0, &limit, &b, &c, &d);
    vmw86_cpuid_add_range(t, env, 0x80000000, MIN(limit, 0x8000003f));
    (void)a;

    if (ioctl(vcpu->fd, VMW86_SET_CPUID, t) < 0) {
        ret = -errno;
    }
    g_free(t);
    return ret;
}

/* ------------------------------------------------------------------------
 * Register state: QEMU's CPUX86State <-> vmw86's structures
 */

static void vmw86_seg_from_qemu(struct vmw86_segment *s, const SegmentCache *q)
{
    uint32_t f = q->flags;

    memset(s, 0, sizeof(*s));
    s->base = q->base;
    s->limit = q->limit;
    s->selector = q->selector;
    s->type = (f >> DESC_TYPE_SHIFT) & 15;
    s->present = !!(f & DESC_P_MASK);
    s->dpl = (f >> DESC_DPL_SHIFT) & 3;
    s->db = !!(f & DESC_B_MASK);
    s->s = !!(f & DESC_S_MASK);
    s->l = !!(f & DESC_L_MASK);
    s->g = !!(f & DESC_G_MASK);
    s->avl = !!(f & DESC_AVL_MASK);
    s->unusable = !s->present;
}

static void vmw86_seg_to_qemu(SegmentCache *q, const struct vmw86_segment *s)
{
    q->base = s->base;
    q->limit = s->limit;
    q->selector = s->selector;
    q->flags = ((uint32_t)s->type << DESC_TYPE_SHIFT) |
               (s->present ? DESC_P_MASK : 0) |
               ((uint32_t)s->dpl << DESC_DPL_SHIFT) |
               (s->db ? DESC_B_MASK : 0) |
               (s->s ? DESC_S_MASK : 0) |
               (s->l ? DESC_L_MASK : 0) |
               (s->g ? DESC_G_MASK : 0) |
               (s->avl ? DESC_AVL_MASK : 0);
}

/* The MSRs vmw86 keeps for a vCPU (api.rst), TSC last: see below. */
static const uint32_t vmw86_msr_index[VMW86_NR_MSRS] = {
    MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK, MSR_KERNELGSBASE,
    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
    MSR_PAT, MSR_TSC_AUX, MSR_IA32_TSC,
};

static uint64_t vmw86_msr_get(CPUX86State *env, uint32_t index)
{
    switch (index) {
    case MSR_STAR:
        return env->star;
    case MSR_LSTAR:
        return env->lstar;
    case MSR_CSTAR:
        return env->cstar;
    case MSR_FMASK:
        return env->fmask;
    case MSR_KERNELGSBASE:
        return env->kernelgsbase;
    case MSR_IA32_SYSENTER_CS:
        return env->sysenter_cs;
    case MSR_IA32_SYSENTER_ESP:
        return env->sysenter_esp;
    case MSR_IA32_SYSENTER_EIP:
        return env->sysenter_eip;
    case MSR_PAT:
        return env->pat;
    case MSR_TSC_AUX:
        return env->tsc_aux;
    default:
        return env->tsc;
    }
}

static void vmw86_msr_put(CPUX86State *env, uint32_t index, uint64_t v)
{
    switch (index) {
    case MSR_STAR:
        env->star = v;
        break;
    case MSR_LSTAR:
        env->lstar = v;
        break;
    case MSR_CSTAR:
        env->cstar = v;
        break;
    case MSR_FMASK:
        env->fmask = v;
        break;
    case MSR_KERNELGSBASE:
        env->kernelgsbase = v;
        break;
    case MSR_IA32_SYSENTER_CS:
        env->sysenter_cs = v;
        break;
    case MSR_IA32_SYSENTER_ESP:
        env->sysenter_esp = v;
        break;
    case MSR_IA32_SYSENTER_EIP:
        env->sysenter_eip = v;
        break;
    case MSR_PAT:
        env->pat = v;
        break;
    case MSR_TSC_AUX:
        env->tsc_aux = v;
        break;
    default:
        env->tsc = v;
        break;
    }
}

/*
 * QEMU's state into the vCPU. @reset: after a reset or at start, when the
 * TSC is written too (vmw86 has one TSC per VM, api.rst: writing it on a
 * vCPU sets it for all, so it is not written back at every sync).
 */
static int vmw86_set_registers(CPUState *cpu, bool reset)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmw86_vcpu *vcpu = vmw86_vcpu(cpu);
    struct vmw86_regs regs;
    struct vmw86_sregs sregs;
    struct {
        struct vmw86_msrs hdr;
        struct vmw86_msr_entry e[VMW86_NR_MSRS];
    } msrs;
    int i, n;

    regs = (struct vmw86_regs) {
        .rax = env->regs[R_EAX], .rbx = env->regs[R_EBX],
        .rcx = env->regs[R_ECX], .rdx = env->regs[R_EDX],
        .rsi = env->regs[R_ESI], .rdi = env->regs[R_EDI],
        .rsp = env->regs[R_ESP], .rbp = env->regs[R_EBP],
        .r8 = env->regs[8], .r9 = env->regs[9],
        .r10 = env->regs[10], .r11 = env->regs[11],
        .r12 = env->regs[12], .r13 = env->regs[13],
        .r14 = env->regs[14], .r15 = env->regs[15],
        .rip = env->eip, .rflags = env->eflags,
    };
    if (ioctl(vcpu->fd, VMW86_SET_REGS, &regs) < 0) {
        return -errno;
    }

    memset(&sregs, 0, sizeof(sregs));
    vmw86_seg_from_qemu(&sregs.cs, &env->segs[R_CS]);
    vmw86_seg_from_qemu(&sregs.ds, &env->segs[R_DS]);
    vmw86_seg_from_qemu(&sregs.es, &env->segs[R_ES]);
    vmw86_seg_from_qemu(&sregs.fs, &env->segs[R_FS]);
    vmw86_seg_from_qemu(&sregs.gs, &env->segs[R_GS]);
    vmw86_seg_from_qemu(&sregs.ss, &env->segs[R_SS]);
    vmw86_seg_from_qemu(&sregs.tr, &env->tr);
    vmw86_seg_from_qemu(&sregs.ldt, &env->ldt);
    sregs.gdt.base = env->gdt.base;
    sregs.gdt.limit = env->gdt.limit;
    sregs.idt.base = env->idt.base;
    sregs.idt.limit = env->idt.limit;
    sregs.cr0 = env->cr[0];
    sregs.cr2 = env->cr[2];
    sregs.cr3 = env->cr[3];
    sregs.cr4 = env->cr[4];
    sregs.efer = env->efer;
    if (x86->apic_state) {
        sregs.cr8 = cpu_get_apic_tpr(x86->apic_state);
        sregs.apic_base = cpu_get_apic_base(x86->apic_state);
    }
    vcpu->cr8 = sregs.cr8;
    vcpu->apic_base = sregs.apic_base;
    if (ioctl(vcpu->fd, VMW86_SET_SREGS, &sregs) < 0) {
        return -errno;
    }

    memset(vcpu->xsave, 0, sizeof(vcpu->xsave));
    x86_cpu_xsave_all_areas(x86, vcpu->xsave, sizeof(vcpu->xsave));
    if (ioctl(vcpu->fd, VMW86_SET_XSAVE, vcpu->xsave) < 0) {
        return -errno;
    }

    n = reset ? VMW86_NR_MSRS : VMW86_NR_MSRS - 1;
    memset(&msrs, 0, sizeof(msrs));
    msrs.hdr.nmsrs = n;
    for (i = 0; i < n; i++) {
        msrs.e[i].index = vmw86_msr_index[i];
        msrs.e[i].data = vmw86_msr_get(env, vmw86_msr_index[i]);
    }
    i = ioctl(vcpu->fd, VMW86_SET_MSRS, &msrs);
    if (i < 0) {
        return -errno;
    }
    if (i != n) {
        error_report("vmw86: vCPU %d: MSR 0x%x refused (value 0x%" PRIx64 ")",
                     cpu->cpu_index, msrs.e[i].index, (uint64_t)msrs.e[i].data);
    }
    return 0;
}

static int vmw86_get_registers(CPUState *cpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmw86_vcpu *vcpu = vmw86_vcpu(cpu);
    struct vmw86_regs regs;
    struct vmw86_sregs sregs;
    struct {
        struct vmw86_msrs hdr;
        struct vmw86_msr_entry e[VMW86_NR_MSRS];
    } msrs;
    int i, n;

    if (ioctl(vcpu->fd, VMW86_GET_REGS, &regs) < 0) {
        return -errno;
    }
    env->regs[R_EAX] = regs.rax;
    env->regs[R_EBX] = regs.rbx;
    env->regs[R_ECX] = regs.rcx;
    env->regs[R_EDX] = regs.rdx;
    env->regs[R_ESI] = regs.rsi;
    env->regs[R_EDI] = regs.rdi;
    env->regs[R_ESP] = regs.rsp;
    env->regs[R_EBP] = regs.rbp;
    env->regs[8] = regs.r8;
    env->regs[9] = regs.r9;
    env->regs[10] = regs.r10;
    env->regs[11] = regs.r11;
    env->regs[12] = regs.r12;
    env->regs[13] = regs.r13;
    env->regs[14] = regs.r14;
    env->regs[15] = regs.r15;
    env->eip = regs.rip;
    env->eflags = regs.rflags;

    if (ioctl(vcpu->fd, VMW86_GET_SREGS, &sregs) < 0) {
        return -errno;
    }
    vmw86_seg_to_qemu(&env->segs[R_CS], &sregs.cs);
    vmw86_seg_to_qemu(&env->segs[R_DS], &sregs.ds);
    vmw86_seg_to_qemu(&env->segs[R_ES], &sregs.es);
    vmw86_seg_to_qemu(&env->segs[R_FS], &sregs.fs);
    vmw86_seg_to_qemu(&env->segs[R_GS], &sregs.gs);
    vmw86_seg_to_qemu(&env->segs[R_SS], &sregs.ss);
    vmw86_seg_to_qemu(&env->tr, &sregs.tr);
    vmw86_seg_to_qemu(&env->ldt, &sregs.ldt);
    env->gdt.base = sregs.gdt.base;
    env->gdt.limit = sregs.gdt.limit;
    env->idt.base = sregs.idt.base;
    env->idt.limit = sregs.idt.limit;
    env->cr[0] = sregs.cr0;
    env->cr[2] = sregs.cr2;
    env->cr[3] = sregs.cr3;
    env->cr[4] = sregs.cr4;
    env->efer = sregs.efer;
    if (x86->apic_state) {
        /* The guest's WRMSR (api.rst: vmw86 only keeps the value). */
        if (sregs.apic_base != vcpu->apic_base) {
            cpu_set_apic_base(x86->apic_state, sregs.apic_base);
        }
        /* CR8 is the TPR's top four bits; QEMU's APIC holds the TPR. */
        if (sregs.cr8 != vcpu->cr8) {
            cpu_set_apic_tpr(x86->apic_state, sregs.cr8);
        }
    }
    vcpu->cr8 = sregs.cr8;
    vcpu->apic_base = sregs.apic_base;

    if (ioctl(vcpu->fd, VMW86_GET_XSAVE, vcpu->xsave) < 0) {
        return -errno;
    }
    x86_cpu_xrstor_all_areas(x86, vcpu->xsave, sizeof(vcpu->xsave));

    n = VMW86_NR_MSRS;
    memset(&msrs, 0, sizeof(msrs));
    msrs.hdr.nmsrs = n;
    for (i = 0; i < n; i++) {
        msrs.e[i].index = vmw86_msr_index[i];
    }
    n = ioctl(vcpu->fd, VMW86_GET_MSRS, &msrs);
    if (n < 0) {
        return -errno;
    }
    for (i = 0; i < n; i++) {
        vmw86_msr_put(env, msrs.e[i].index, msrs.e[i].data);
    }

    x86_update_hflags(env);
    return 0;
}

static void vmw86_sync_or_die(CPUState *cpu, int ret, const char *what)
{
    if (ret < 0) {
        error_report("vmw86: vCPU %d: %s its state: %s", cpu->cpu_index,
                     what, strerror(-ret));
        abort();
    }
}

static void do_vmw86_synchronize_state(CPUState *cpu, run_on_cpu_data arg)
{
    vmw86_sync_or_die(cpu, vmw86_get_registers(cpu), "cannot read");
    if (vmw86_state.debug) {
        CPUX86State *env = cpu->env_ptr;

        info_report("vmw86: vCPU %d: state read at CS:RIP %04x:%" PRIx64,
                    cpu->cpu_index, env->segs[R_CS].selector,
                    (uint64_t)env->eip);
    }
    cpu->vcpu_dirty = true;
}

static void do_vmw86_synchronize_reset(CPUState *cpu, run_on_cpu_data arg)
{
    if (vmw86_state.debug) {
        info_report("vmw86: vCPU %d: state set after reset", cpu->cpu_index);
    }
    vmw86_sync_or_die(cpu, vmw86_set_registers(cpu, true), "cannot set");
    cpu->vcpu_dirty = false;
}

static void do_vmw86_synchronize_pre_loadvm(CPUState *cpu, run_on_cpu_data arg)
{
    cpu->vcpu_dirty = true;
}

void vmw86_cpu_synchronize_state(CPUState *cpu)
{
    if (!cpu->vcpu_dirty) {
        run_on_cpu(cpu, do_vmw86_synchronize_state, RUN_ON_CPU_NULL);
    }
}

void vmw86_cpu_synchronize_post_reset(CPUState *cpu)
{
    run_on_cpu(cpu, do_vmw86_synchronize_reset, RUN_ON_CPU_NULL);
}

void vmw86_cpu_synchronize_post_init(CPUState *cpu)
{
    run_on_cpu(cpu, do_vmw86_synchronize_reset, RUN_ON_CPU_NULL);
}

void vmw86_cpu_synchronize_pre_loadvm(CPUState *cpu)
{
    run_on_cpu(cpu, do_vmw86_synchronize_pre_loadvm, RUN_ON_CPU_NULL);
}

/* ------------------------------------------------------------------------
 * Kicks: SIG_IPI sets immediate_exit, so a VMW86_RUN about to start or
 * running returns EINTR (api.rst, "immediate_exit").
 */

static void vmw86_ipi_signal(int sig)
{
    if (current_cpu && vmw86_vcpu(current_cpu)) {
        qatomic_set(&vmw86_vcpu(current_cpu)->run->immediate_exit, 1);
    }
}

static void vmw86_init_cpu_signals(void)
{
    struct sigaction sa;
    sigset_t set;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = vmw86_ipi_signal;
    sigaction(SIG_IPI, &sa, NULL);
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    sigdelset(&set, SIG_IPI);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
}

void vmw86_kick_vcpu(CPUState *cpu)
{
    qatomic_set(&cpu->exit_request, 1);
    cpus_kick_thread(cpu);
}

/* ------------------------------------------------------------------------
 * vCPUs
 */

int vmw86_init_vcpu(CPUState *cpu)
{
    struct vmw86_vcpu *vcpu;
    Error *err = NULL;
    int ret;

    vmw86_init_cpu_signals();

    if (!vmw86_migration_blocker) {
        error_setg(&vmw86_migration_blocker,
                   "vmw86: no dirty logging yet");
        if (migrate_add_blocker(vmw86_migration_blocker, &err) < 0) {
            error_report_err(err);
            return -EINVAL;
        }
    }

    vcpu = g_new0(struct vmw86_vcpu, 1);
    vcpu->fd = ioctl(vmw86_state.vm_fd, VMW86_CREATE_VCPU, cpu->cpu_index);
    if (vcpu->fd < 0) {
        ret = -errno;
        g_free(vcpu);
        return ret;
    }
    vcpu->run = mmap(NULL, vmw86_state.mmap_size, PROT_READ | PROT_WRITE,
                     MAP_SHARED, vcpu->fd, 0);
    if (vcpu->run == MAP_FAILED) {
        ret = -errno;
        close(vcpu->fd);
        g_free(vcpu);
        return ret;
    }
    cpu->hax_vcpu = (struct hax_vcpu_state *)vcpu;

    ret = vmw86_set_cpuid(cpu, vcpu);
    if (ret < 0) {
        error_report("vmw86: VMW86_SET_CPUID: %s", strerror(-ret));
        return ret;
    }
    cpu->vcpu_dirty = true;
    return 0;
}

void vmw86_destroy_vcpu(CPUState *cpu)
{
    struct vmw86_vcpu *vcpu = vmw86_vcpu(cpu);

    if (!vcpu) {
        return;
    }
    munmap(vcpu->run, vmw86_state.mmap_size);
    close(vcpu->fd);
    cpu->hax_vcpu = NULL;
    g_free(vcpu);
}

/*
 * Before VMW86_RUN, with the iothread lock: an interrupt from QEMU's APIC
 * or PIC goes in if vmw86 said the guest can take one; otherwise vmw86 is
 * asked to exit when it can (the interrupt window).
 */
static void vmw86_vcpu_pre_run(CPUState *cpu, struct vmw86_vcpu *vcpu)
{
    CPUX86State *env = cpu->env_ptr;
    struct vmw86_run *run = vcpu->run;
    static bool nmi_warned;

    qemu_mutex_lock_iothread();

    if (cpu->interrupt_request & (CPU_INTERRUPT_INIT | CPU_INTERRUPT_TPR)) {
        qatomic_set(&cpu->exit_request, 1);
    }
    if (cpu->interrupt_request & CPU_INTERRUPT_NMI) {
        /* The ABI has no NMI injection yet: said once, and dropped. */
        cpu->interrupt_request &= ~CPU_INTERRUPT_NMI;
        if (!nmi_warned) {
            nmi_warned = true;
            warn_report("vmw86: NMI dropped (no NMI injection in the ABI yet)");
        }
    }

    vmw86_debug_load(cpu, vcpu);

    /* gdb's stepi without interrupts (SSTEP_NOIRQ) takes none from here. */
    if ((cpu->interrupt_request & CPU_INTERRUPT_HARD) && !vcpu->injected &&
        run->ready_for_interrupt_injection &&
        !(cpu->singlestep_enabled & SSTEP_NOIRQ)) {
        int vector;

        cpu->interrupt_request &= ~CPU_INTERRUPT_HARD;
        vector = cpu_get_pic_interrupt(env);
        if (vector >= 0) {
            struct vmw86_interrupt irq = { .vector = vector };

            if (ioctl(vcpu->fd, VMW86_INTERRUPT, &irq) < 0) {
                error_report("vmw86: vCPU %d: VMW86_INTERRUPT of vector %d: %s",
                             cpu->cpu_index, vector, strerror(errno));
            } else {
                vcpu->injected = true;
            }
        }
    }
    run->request_interrupt_window =
        (cpu->interrupt_request & CPU_INTERRUPT_HARD) &&
        !(cpu->singlestep_enabled & SSTEP_NOIRQ);

    qemu_mutex_unlock_iothread();
}

static int vmw86_handle_io(struct vmw86_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == VMW86_EXIT_IO_OUT;
    uint32_t i;

    for (i = 0; i < run->io.count; i++) {
        address_space_rw(&address_space_io, run->io.port,
                         MEMTXATTRS_UNSPECIFIED, data, run->io.size, is_write);
        data += run->io.size;
    }
    return 0;
}

static int vmw86_handle_mmio(CPUState *cpu, struct vmw86_run *run)
{
    bool is_write = run->mmio.flags & VMW86_MMIO_WRITE;
    struct vmw86_mmio_insn in;
    uint8_t buf[8];
    uint64_t val = 0;
    int i;

    if ((run->mmio.flags & (VMW86_MMIO_FETCH | VMW86_MMIO_PAGE_WALK)) ||
        vmw86_mmio_decode(run, &in) < 0) {
        char bytes[16 * 3 + 1] = "";

        for (i = 0; i < run->mmio.insn_len; i++) {
            snprintf(bytes + 3 * i, 4, " %02x", run->mmio.insn[i]);
        }
        error_report("vmw86: vCPU %d: MMIO %s at GPA 0x%" PRIx64
                     ", RIP 0x%" PRIx64 ": cannot %s [%s ]",
                     cpu->cpu_index,
                     run->mmio.flags & VMW86_MMIO_FETCH ? "fetch" :
                     is_write ? "write" : "read",
                     (uint64_t)run->mmio.gpa, (uint64_t)run->regs.rip,
                     run->mmio.flags & VMW86_MMIO_FETCH ? "execute there" :
                     run->mmio.flags & VMW86_MMIO_PAGE_WALK ?
                     "walk page tables there" : "decode the instruction",
                     bytes);
        return -1;
    }
    if (!in.is_load) {
        val = vmw86_mmio_store_value(run, &in);
        stq_le_p(buf, val);
    }
    address_space_rw(&address_space_memory, run->mmio.gpa,
                     MEMTXATTRS_UNSPECIFIED, buf, in.size, !in.is_load);
    if (in.is_load) {
        switch (in.size) {
        case 1:
            val = ldub_p(buf);
            break;
        case 2:
            val = lduw_le_p(buf);
            break;
        case 4:
            val = ldl_le_p(buf);
            break;
        default:
            val = ldq_le_p(buf);
            break;
        }
    }
    vmw86_mmio_complete(run, &in, val);
    return 0;
}

static int vmw86_handle_halt(CPUState *cpu, struct vmw86_run *run)
{
    CPUX86State *env = cpu->env_ptr;
    int ret = 0;

    qemu_mutex_lock_iothread();
    env->eflags = run->regs.rflags;
    if (!((cpu->interrupt_request & CPU_INTERRUPT_HARD) &&
          (env->eflags & IF_MASK)) &&
        !(cpu->interrupt_request & CPU_INTERRUPT_NMI)) {
        cpu->exception_index = EXCP_HLT;
        cpu->halted = true;
        ret = 1;
    }
    qemu_mutex_unlock_iothread();
    return ret;
}

static void vmw86_report_fatal(CPUState *cpu, struct vmw86_run *run)
{
    switch (run->exit_reason) {
    case VMW86_EXIT_FAIL_ENTRY:
        error_report("vmw86: vCPU %d: VMRUN refused the guest state "
                     "(exit code 0x%" PRIx64 ")", cpu->cpu_index,
                     (uint64_t)run->fail_entry.hardware_exit_reason);
        break;
    case VMW86_EXIT_INTERNAL_ERROR:
        error_report("vmw86: vCPU %d: internal error %u (data 0x%" PRIx64
                     ", 0x%" PRIx64 ")", cpu->cpu_index,
                     run->internal.suberror, (uint64_t)run->internal.data[0],
                     (uint64_t)run->internal.data[1]);
        break;
    case VMW86_EXIT_MEMORY_FAULT:
        error_report("vmw86: vCPU %d: no host memory behind GPA 0x%" PRIx64,
                     cpu->cpu_index, (uint64_t)run->memory_fault.gpa);
        break;
    default:
        error_report("vmw86: vCPU %d: unexpected exit %u", cpu->cpu_index,
                     run->exit_reason);
        break;
    }
}

/* One pass: the events QEMU raised, then the vCPU until it needs QEMU. */
static int vmw86_vcpu_loop(CPUState *cpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmw86_vcpu *vcpu = vmw86_vcpu(cpu);
    struct vmw86_run *run = vcpu->run;
    int ret = 0, r;

    if (cpu->interrupt_request & CPU_INTERRUPT_INIT) {
        vmw86_cpu_synchronize_state(cpu);
        do_cpu_init(x86);
    }
    if (cpu->interrupt_request & CPU_INTERRUPT_POLL) {
        cpu->interrupt_request &= ~CPU_INTERRUPT_POLL;
        apic_poll_irq(x86->apic_state);
    }
    if (((cpu->interrupt_request & CPU_INTERRUPT_HARD) &&
         (env->eflags & IF_MASK)) ||
        (cpu->interrupt_request & CPU_INTERRUPT_NMI)) {
        cpu->halted = false;
    }
    if (cpu->interrupt_request & CPU_INTERRUPT_SIPI) {
        /*
         * Taken once, as TCG takes it (x86_cpu_exec_interrupt()): apic_sipi()
         * leaves the request set, and a SIPI for a vCPU that no longer
         * waits for one (Linux sends two, SDM vol. 3A 8.4.4.1) would stay
         * pending: work for cpu_thread_is_idle() that nothing here does,
         * and a stale vector for the next INIT's wait for STARTUP.
         */
        cpu->interrupt_request &= ~CPU_INTERRUPT_SIPI;
        vmw86_cpu_synchronize_state(cpu);
        do_cpu_sipi(x86);
    }
    if (cpu->interrupt_request & CPU_INTERRUPT_TPR) {
        cpu->interrupt_request &= ~CPU_INTERRUPT_TPR;
        vmw86_cpu_synchronize_state(cpu);
        apic_handle_tpr_access_report(x86->apic_state, env->eip,
                                      env->tpr_access_type);
    }
    /*
     * No SMM (x86_machine_is_smm_enabled() offers it to TCG and KVM only)
     * and no machine-check injection: an SMI the chipset raises anyway
     * (PIIX4's APM control port does) or an MCE is dropped here, before
     * the halted check. cpu_thread_is_idle() counts them as work
     * (x86_cpu_pending_interrupt()), and a halted vCPU with work it never
     * does would spin in its thread holding the iothread lock.
     */
    cpu->interrupt_request &= ~(CPU_INTERRUPT_SMI | CPU_INTERRUPT_MCE);
    if (cpu->halted && cpu_has_work(cpu)) {
        /*
         * Anything else cpu_has_work() sees and the checks above do not:
         * the vCPU runs again (a guest may find any HLT ended, as an SMI
         * would end it on hardware), said once, rather than the spin.
         */
        warn_report_once("vmw86: vCPU %d: halted with events 0x%x "
                         "(eflags 0x%" PRIx64 ", hflags 0x%x, hflags2 0x%x)",
                         cpu->cpu_index, cpu->interrupt_request,
                         (uint64_t)env->eflags, env->hflags, env->hflags2);
        cpu->halted = false;
    }
    if (cpu->halted) {
        cpu->exception_index = EXCP_HLT;
        qatomic_set(&cpu->exit_request, false);
        return 0;
    }

    qemu_mutex_unlock_iothread();
    cpu_exec_start(cpu);

    do {
        if (cpu->vcpu_dirty) {
            vmw86_sync_or_die(cpu, vmw86_set_registers(cpu, false),
                              "cannot set");
            cpu->vcpu_dirty = false;
        }

        vmw86_vcpu_pre_run(cpu, vcpu);
        if (qatomic_read(&cpu->exit_request)) {
            qatomic_set(&run->immediate_exit, 1);
        }
        /* exit_request before the kernel reads immediate_exit. */
        smp_rmb();

        r = ioctl(vcpu->fd, VMW86_RUN, 0);
        vcpu->injected = false;
        if (r < 0 && errno == EINTR) {
            qatomic_set(&run->immediate_exit, 0);
            /* Clear the request after the flag it set (the kick's order). */
            smp_wmb();
            cpu->exception_index = EXCP_INTERRUPT;
            ret = 1;
            break;
        }
        if (r < 0 && errno != EFAULT) {
            error_report("vmw86: vCPU %d: VMW86_RUN: %s", cpu->cpu_index,
                         strerror(errno));
            ret = -1;
            break;
        }
        env->eflags = run->regs.rflags;
        env->eip = run->regs.rip;

        switch (run->exit_reason) {
        case VMW86_EXIT_IO:
            ret = vmw86_handle_io(run);
            break;
        case VMW86_EXIT_MMIO:
            ret = vmw86_handle_mmio(cpu, run);
            break;
        case VMW86_EXIT_IRQ_WINDOW_OPEN:
            break;
        case VMW86_EXIT_HLT:
            ret = vmw86_handle_halt(cpu, run);
            break;
        case VMW86_EXIT_VMMCALL:
            /* No hypercalls: the guest sees -1 in RAX, as for an unknown one. */
            run->regs.rax = ~0ULL;
            run->regs_dirty = 1;
            break;
        case VMW86_EXIT_DEBUG:
            if (vmw86_debug_exit(cpu, vcpu)) {
                cpu->exception_index = EXCP_DEBUG;
                ret = 1;
            }
            break;
        case VMW86_EXIT_SHUTDOWN:
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
            cpu->exception_index = EXCP_INTERRUPT;
            ret = 1;
            break;
        default:
            vmw86_report_fatal(cpu, run);
            ret = -1;
            break;
        }
    } while (ret == 0);

    cpu_exec_end(cpu);
    qemu_mutex_lock_iothread();

    if (ret < 0) {
        /* The guest stops where it failed, for the monitor to look at. */
        cpu->vcpu_dirty = false;
        vmw86_get_registers(cpu);
        cpu->vcpu_dirty = true;
        cpu_dump_state(cpu, stderr, CPU_DUMP_CODE);
        qemu_system_guest_panicked(cpu_get_crash_info(cpu));
        cpu->exception_index = EXCP_INTERRUPT;
    }
    qatomic_set(&cpu->exit_request, false);
    return ret < 0;
}

int vmw86_vcpu_exec(CPUState *cpu)
{
    int ret;

    for (;;) {
        if (cpu->exception_index >= EXCP_INTERRUPT) {
            ret = cpu->exception_index;
            cpu->exception_index = -1;
            return ret;
        }
        if (vmw86_vcpu_loop(cpu)) {
            /* Stopped as panicked; the main loop takes it from here. */
            ret = cpu->exception_index;
            cpu->exception_index = -1;
            return ret;
        }
    }
}

/* ------------------------------------------------------------------------
 * Memory: RAM and ROM sections become memory slots
 */

static int vmw86_set_slot(int slot, struct vmw86_slot *s, bool add)
{
    struct vmw86_memory_region mr = {
        .slot = slot,
        .flags = s->flags,
        .guest_phys_addr = s->gpa,
        .memory_size = add ? s->size : 0,
        .userspace_addr = s->hva,
    };

    return ioctl(vmw86_state.vm_fd, VMW86_SET_MEMORY_REGION, &mr) < 0 ? -errno : 0;
}

static void vmw86_process_section(MemoryRegionSection *section, bool add)
{
    MemoryRegion *mr = section->mr;
    hwaddr gpa = section->offset_within_address_space;
    uint64_t size = int128_get64(section->size);
    uint64_t page = qemu_real_host_page_size();
    uint64_t delta, hva;
    struct vmw86_slot s = { 0 };
    bool writable;
    int i, ret;

    if (!memory_region_is_ram(mr)) {
        /* A ROM device outside ROMD mode is MMIO, as any device is. */
        if (!memory_region_is_romd(mr)) {
            return;
        }
    }
    /* section->readonly: a read-only alias of RAM (the i440FX's PAM). */
    writable = !section->readonly && !mr->readonly && !mr->rom_device;
    if (!writable && !vmw86_state.readonly_mem) {
        /* Without read-only slots, ROM stays MMIO: slow but right. */
        return;
    }
    delta = ROUND_UP(gpa, page) - gpa;
    if (delta >= size) {
        return;
    }
    gpa += delta;
    size = (size - delta) & ~(page - 1);
    if (!size) {
        return;
    }
    hva = (uintptr_t)memory_region_get_ram_ptr(mr) +
          section->offset_within_region + delta;

    s = (struct vmw86_slot) {
        .used = true, .gpa = gpa, .size = size, .hva = hva,
        .flags = writable ? 0 : VMW86_MEM_READONLY,
    };
    if (add) {
        for (i = 0; i < vmw86_state.nr_slots && vmw86_state.slots[i].used; i++) {
            ;
        }
        if (i == vmw86_state.nr_slots) {
            error_report("vmw86: all %d memory slots used; cannot map %s "
                         "at 0x%" HWADDR_PRIx, vmw86_state.nr_slots,
                         memory_region_name(mr), gpa);
            abort();
        }
        ret = vmw86_set_slot(i, &s, true);
        if (ret < 0) {
            error_report("vmw86: cannot map %s (0x%" PRIx64 " bytes at GPA 0x%"
                         HWADDR_PRIx "): %s", memory_region_name(mr), size,
                         gpa, strerror(-ret));
            abort();
        }
        vmw86_state.slots[i] = s;
        return;
    }
    for (i = 0; i < vmw86_state.nr_slots; i++) {
        struct vmw86_slot *o = &vmw86_state.slots[i];

        if (o->used && o->gpa == gpa && o->size == size) {
            ret = vmw86_set_slot(i, o, false);
            if (ret < 0) {
                error_report("vmw86: cannot unmap %s at GPA 0x%" HWADDR_PRIx
                             ": %s", memory_region_name(mr), gpa,
                             strerror(-ret));
                abort();
            }
            o->used = false;
            return;
        }
    }
}

static void vmw86_region_add(MemoryListener *l, MemoryRegionSection *section)
{
    memory_region_ref(section->mr);
    vmw86_process_section(section, true);
}

static void vmw86_region_del(MemoryListener *l, MemoryRegionSection *section)
{
    vmw86_process_section(section, false);
    memory_region_unref(section->mr);
}

static MemoryListener vmw86_memory_listener = {
    .name = "vmw86",
    .region_add = vmw86_region_add,
    .region_del = vmw86_region_del,
    .priority = 10,
};

/* ------------------------------------------------------------------------
 * The accelerator
 */

/* XSAVE component offsets: the guest's layout is the one vmw86 offers. */
static void vmw86_init_xsave_layout(void)
{
    int i;

    x86_ext_save_areas[XSTATE_FP_BIT].offset = 0;
    x86_ext_save_areas[XSTATE_SSE_BIT].offset = 0;
    for (i = XSTATE_SSE_BIT + 1; i < XSAVE_STATE_AREA_COUNT; i++) {
        const struct vmw86_cpuid_entry *e = vmw86_supported_entry(0xd, i);
        ExtSaveArea *esa = &x86_ext_save_areas[i];

        if (esa->size && e && e->eax == esa->size) {
            esa->offset = e->ebx;
        }
    }
}

static int vmw86_get_supported(void)
{
    uint32_t n = VMW86_MAX_CPUID_ENTRIES;

    vmw86_state.supported = g_malloc0(sizeof(struct vmw86_cpuid) +
                                      n * sizeof(struct vmw86_cpuid_entry));
    vmw86_state.supported->nent = n;
    if (ioctl(vmw86_state.dev_fd, VMW86_GET_SUPPORTED_CPUID,
              vmw86_state.supported) < 0) {
        return -errno;
    }
    return 0;
}

static int vmw86_accel_init(MachineState *ms)
{
    int fd, ret, max_vcpus;

    fd = open(VMW86_DEV, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        if (errno == ENOENT) {
            error_report("vmw86: no " VMW86_DEV " (is vmw86.ko loaded?)");
        } else if (errno == EACCES || errno == EPERM) {
            error_report("vmw86: " VMW86_DEV ": permission denied "
                         "(root, or a member of group vmw86)");
        } else if (errno == ENODEV) {
            error_report("vmw86: " VMW86_DEV ": this CPU cannot run vmw86 "
                         "guests (no SVM or nested paging; the kernel log "
                         "says which)");
        } else {
            error_report("vmw86: " VMW86_DEV ": %s", strerror(errno));
        }
        return ret;
    }
    vmw86_state.dev_fd = fd;
    vmw86_state.debug = getenv("VMW86_QEMU_DEBUG") != NULL;
    ret = ioctl(fd, VMW86_GET_API_VERSION, 0);
    if (ret != VMW86_API_VERSION) {
        error_report("vmw86: API version %d, this QEMU speaks %d", ret,
                     VMW86_API_VERSION);
        return -EINVAL;
    }
    if (ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_IMMEDIATE_EXIT) <= 0) {
        error_report("vmw86: the module has no immediate_exit");
        return -EINVAL;
    }
    max_vcpus = ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_MAX_VCPUS);
    if (ms->smp.max_cpus > max_vcpus) {
        error_report("vmw86: %u vCPUs asked for, vmw86 runs at most %d",
                     ms->smp.max_cpus, max_vcpus);
        return -EINVAL;
    }
    vmw86_state.readonly_mem =
        ioctl(fd, VMW86_CHECK_EXTENSION, VMW86_CAP_READONLY_MEM) > 0;
    vmw86_state.nr_slots = ioctl(fd, VMW86_CHECK_EXTENSION,
                                 VMW86_CAP_NR_MEMSLOTS);
    vmw86_state.mmap_size = ioctl(fd, VMW86_GET_VCPU_MMAP_SIZE, 0);
    if (vmw86_state.nr_slots <= 0 || vmw86_state.mmap_size <= 0) {
        error_report("vmw86: the module gives no memory slots or run page");
        return -EINVAL;
    }
    vmw86_state.slots = g_new0(struct vmw86_slot, vmw86_state.nr_slots);

    ret = vmw86_get_supported();
    if (ret < 0) {
        error_report("vmw86: VMW86_GET_SUPPORTED_CPUID: %s", strerror(-ret));
        return ret;
    }
    vmw86_init_xsave_layout();
    vmw86_debug_init(fd);

    vmw86_state.vm_fd = ioctl(fd, VMW86_CREATE_VM, 0);
    if (vmw86_state.vm_fd < 0) {
        ret = -errno;
        if (errno == EBUSY) {
            error_report("vmw86: SVM is taken by another hypervisor "
                         "(KVM has VMs?); vmw86 and KVM take turns");
        } else {
            error_report("vmw86: VMW86_CREATE_VM: %s", strerror(errno));
        }
        return ret;
    }

    memory_listener_register(&vmw86_memory_listener, &address_space_memory);
    return 0;
}

static void vmw86_accel_class_init(ObjectClass *oc, void *data)
{
    AccelClass *ac = ACCEL_CLASS(oc);

    ac->name = "vmw86";
    ac->init_machine = vmw86_accel_init;
    ac->allowed = &vmw86_allowed;
    ac->gdbstub_supported_sstep_flags = vmw86_gdbstub_sstep_flags;
}

static const TypeInfo vmw86_accel_type = {
    .name = ACCEL_CLASS_NAME("vmw86"),
    .parent = TYPE_ACCEL,
    .class_init = vmw86_accel_class_init,
};

static void vmw86_type_init(void)
{
    type_register_static(&vmw86_accel_type);
}
type_init(vmw86_type_init);
