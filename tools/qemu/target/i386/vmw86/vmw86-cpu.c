/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmw86 accelerator: what the x86 CPU models take from the host, as under
 * KVM (target/i386/kvm/kvm-cpu.c). The guest runs on the host's own CPU,
 * so "-cpu host" and "-cpu max" are the host's vendor, family, model,
 * stepping, brand string and physical address width, with every feature
 * vmw86 offers (x86_cpu_get_supported_feature_word() asks it), and a
 * named model such as "-cpu EPYC" keeps its own features but the host's
 * vendor, since SVM's instructions and MSRs are AMD's. A feature a model
 * asks for and vmw86 lacks is dropped with QEMU's "host doesn't support
 * requested feature" warning (x86_cpu_filter_features()).
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "host-cpu.h"
#include "hw/core/accel-cpu.h"

static void vmw86_cpu_instance_init(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);

    host_cpu_instance_init(cpu);
    if (cpu->max_features) {
        host_cpu_max_instance_init(cpu);
    }
}

static void vmw86_cpu_accel_class_init(ObjectClass *oc, void *data)
{
    AccelCPUClass *acc = ACCEL_CPU_CLASS(oc);

    acc->cpu_realizefn = host_cpu_realizefn;
    acc->cpu_instance_init = vmw86_cpu_instance_init;
}

static const TypeInfo vmw86_cpu_accel_type_info = {
    .name = ACCEL_CPU_NAME("vmw86"),
    .parent = TYPE_ACCEL_CPU,
    .class_init = vmw86_cpu_accel_class_init,
    .abstract = true,
};

static void vmw86_cpu_accel_register_types(void)
{
    type_register_static(&vmw86_cpu_accel_type_info);
}
type_init(vmw86_cpu_accel_register_types);
