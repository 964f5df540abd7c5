/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmw86 accelerator: what vmw86-accel-ops.c (the vCPU thread) needs of
 * vmw86-all.c (the VM, its memory and the run loop).
 */
#ifndef VMW86_INT_H
#define VMW86_INT_H

#include "sysemu/cpus.h"

int vmw86_init_vcpu(CPUState *cpu);
int vmw86_vcpu_exec(CPUState *cpu);
void vmw86_destroy_vcpu(CPUState *cpu);
void vmw86_kick_vcpu(CPUState *cpu);

void vmw86_cpu_synchronize_state(CPUState *cpu);
void vmw86_cpu_synchronize_post_reset(CPUState *cpu);
void vmw86_cpu_synchronize_post_init(CPUState *cpu);
void vmw86_cpu_synchronize_pre_loadvm(CPUState *cpu);

#endif /* VMW86_INT_H */
