/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmw86 accelerator: one thread per vCPU, as for QEMU's other hardware
 * accelerators. The thread holds the iothread lock except while the vCPU
 * runs (vmw86-all.c drops it around VMW86_RUN and the exits it handles).
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "qemu/error-report.h"
#include "qemu/guest-random.h"
#include "qemu/main-loop.h"
#include "sysemu/accel-ops.h"
#include "sysemu/cpus.h"
#include "sysemu/vmw86.h"

#include "vmw86-int.h"

static void *vmw86_vcpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;
    int r;

    rcu_register_thread();
    qemu_mutex_lock_iothread();
    qemu_thread_get_self(cpu->thread);
    cpu->thread_id = qemu_get_thread_id();
    current_cpu = cpu;

    r = vmw86_init_vcpu(cpu);
    if (r < 0) {
        error_report("vmw86: vCPU %d: %s", cpu->cpu_index, strerror(-r));
        exit(1);
    }

    cpu_thread_signal_created(cpu);
    qemu_guest_random_seed_thread_part2(cpu->random_seed);

    do {
        if (cpu_can_run(cpu)) {
            r = vmw86_vcpu_exec(cpu);
            if (r == EXCP_DEBUG) {
                cpu_handle_guest_debug(cpu);
            }
        }
        while (cpu_thread_is_idle(cpu)) {
            qemu_cond_wait_iothread(cpu->halt_cond);
        }
        qemu_wait_io_event_common(cpu);
    } while (!cpu->unplug || cpu_can_run(cpu));

    vmw86_destroy_vcpu(cpu);
    cpu_thread_signal_destroyed(cpu);
    qemu_mutex_unlock_iothread();
    rcu_unregister_thread();
    return NULL;
}

static void vmw86_start_vcpu_thread(CPUState *cpu)
{
    char name[VCPU_THREAD_NAME_SIZE];

    cpu->thread = g_new0(QemuThread, 1);
    cpu->halt_cond = g_new0(QemuCond, 1);
    qemu_cond_init(cpu->halt_cond);
    snprintf(name, sizeof(name), "CPU %d/vmw86", cpu->cpu_index);
    qemu_thread_create(cpu->thread, name, vmw86_vcpu_thread_fn, cpu,
                       QEMU_THREAD_JOINABLE);
}

static void vmw86_accel_ops_class_init(ObjectClass *oc, void *data)
{
    AccelOpsClass *ops = ACCEL_OPS_CLASS(oc);

    ops->create_vcpu_thread = vmw86_start_vcpu_thread;
    ops->kick_vcpu_thread = vmw86_kick_vcpu;
    ops->synchronize_post_reset = vmw86_cpu_synchronize_post_reset;
    ops->synchronize_post_init = vmw86_cpu_synchronize_post_init;
    ops->synchronize_state = vmw86_cpu_synchronize_state;
    ops->synchronize_pre_loadvm = vmw86_cpu_synchronize_pre_loadvm;

    ops->supports_guest_debug = vmw86_supports_guest_debug;
    ops->insert_breakpoint = vmw86_insert_breakpoint;
    ops->remove_breakpoint = vmw86_remove_breakpoint;
    ops->remove_all_breakpoints = vmw86_remove_all_breakpoints;
}

static const TypeInfo vmw86_accel_ops_type = {
    .name = ACCEL_OPS_NAME("vmw86"),
    .parent = TYPE_ACCEL_OPS,
    .class_init = vmw86_accel_ops_class_init,
    .abstract = true,
};

static void vmw86_accel_ops_register_types(void)
{
    type_register_static(&vmw86_accel_ops_type);
}
type_init(vmw86_accel_ops_register_types);
