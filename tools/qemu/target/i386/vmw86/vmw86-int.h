/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmw86 accelerator: what vmw86-accel-ops.c (the vCPU thread) needs of
 * vmw86-all.c (the VM, its memory and the run loop).
 */
#ifndef VMW86_INT_H
#define VMW86_INT_H

#include "sysemu/cpus.h"

#include <linux/vmw86.h>

/* A debugger's hold on one vCPU, as vmw86-debug.c last loaded it. */
struct vmw86_vcpu_debug {
    unsigned int gen;   /* vmw86-debug.c's breakpoint set, as loaded */
    uint32_t control;   /* VMW86_GUESTDBG_* as loaded; 0: none */
    uint32_t inject;    /* VMW86_GUESTDBG_INJECT_* for the next VMW86_RUN */
};

/* Per vCPU, in CPUState::hax_vcpu as the other non-KVM accelerators do. */
struct vmw86_vcpu {
    int fd;
    struct vmw86_run *run;
    bool injected;      /* VMW86_INTERRUPT since the last VMW86_RUN */
    /*
     * CR8 and IA32_APIC_BASE as last written to or read from the vCPU:
     * QEMU's APIC holds both, and only a change the guest made in the
     * vCPU (MOV to CR8, WRMSR) goes back to it.
     */
    uint64_t cr8;
    uint64_t apic_base;
    struct vmw86_vcpu_debug debug;
    uint8_t xsave[sizeof(struct vmw86_xsave)] QEMU_ALIGNED(64);
};

static inline struct vmw86_vcpu *vmw86_vcpu(CPUState *cpu)
{
    return (struct vmw86_vcpu *)cpu->hax_vcpu;
}

int vmw86_init_vcpu(CPUState *cpu);
int vmw86_vcpu_exec(CPUState *cpu);
void vmw86_destroy_vcpu(CPUState *cpu);
void vmw86_kick_vcpu(CPUState *cpu);

void vmw86_cpu_synchronize_state(CPUState *cpu);
void vmw86_cpu_synchronize_post_reset(CPUState *cpu);
void vmw86_cpu_synchronize_post_init(CPUState *cpu);
void vmw86_cpu_synchronize_pre_loadvm(CPUState *cpu);

/* vmw86-debug.c: QEMU's gdbstub on VMW86_SET_GUEST_DEBUG. */
void vmw86_debug_init(int dev_fd);
int vmw86_gdbstub_sstep_flags(void);
bool vmw86_supports_guest_debug(void);
int vmw86_insert_breakpoint(CPUState *cpu, int type, hwaddr addr, hwaddr len);
int vmw86_remove_breakpoint(CPUState *cpu, int type, hwaddr addr, hwaddr len);
void vmw86_remove_all_breakpoints(CPUState *cpu);
void vmw86_debug_load(CPUState *cpu, struct vmw86_vcpu *vcpu);
bool vmw86_debug_exit(CPUState *cpu, struct vmw86_vcpu *vcpu);

#endif /* VMW86_INT_H */
