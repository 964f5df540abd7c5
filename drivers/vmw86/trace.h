/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmw86 tracepoints: /sys/kernel/tracing/events/vmw86/, for perf and
 * trace-cmd. A disabled tracepoint is a static branch over its call, so
 * they cost nothing until someone enables them.
 *
 * Each event names the vCPU by its VM's creator (tgid, the process id
 * the statistics fd's id string has too) and its id; the thread that hit
 * it is in the trace line's own header.
 *
 * CREATE_TRACE_POINTS is defined in run.c only, which owns the events'
 * code.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmw86

#if !defined(_VMW86_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMW86_TRACE_H

#include <linux/tracepoint.h>

#include "vmw86.h"

TRACE_DEFINE_ENUM(VMW86_EVENT_INTR);
TRACE_DEFINE_ENUM(VMW86_EVENT_NMI);
TRACE_DEFINE_ENUM(VMW86_EVENT_EXCEPTION);
TRACE_DEFINE_ENUM(VMW86_FAULT_RETRY);
TRACE_DEFINE_ENUM(VMW86_FAULT_MMIO);

/*
 * The one field of an exit that says most about it: the GPA of a memory
 * exit, the port of an I/O, the MSR, the CPUID leaf, the hardware's code
 * of a failed entry or unknown exit; 0 for the others.
 */
#ifndef VMW86_TRACE_EXIT_INFO
#define VMW86_TRACE_EXIT_INFO
static inline u64 vmw86_trace_exit_info(const struct vmw86_exit *exit)
{
	switch (exit->reason) {
	case VMW86_VEXIT_MEMORY:
		return exit->mem.gpa;
	case VMW86_VEXIT_IO:
		return exit->io.port;
	case VMW86_VEXIT_MSR:
		return exit->msr.index;
	case VMW86_VEXIT_CPUID:
		return exit->cpuid.function;
	case VMW86_VEXIT_FAIL_ENTRY:
	case VMW86_VEXIT_UNKNOWN:
		return exit->hw.code;
	default:
		return 0;
	}
}
#endif

TRACE_EVENT(vmw86_entry,
	    TP_PROTO(struct vmw86_vcpu *vcpu),
	    TP_ARGS(vcpu),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(u64, rip)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->rip = vcpu->rip;),
	    TP_printk("vm %d vcpu %u rip 0x%llx", __entry->tgid, __entry->vcpu_id,
		      __entry->rip)
);

TRACE_EVENT(vmw86_exit,
	    TP_PROTO(struct vmw86_vcpu *vcpu, const struct vmw86_exit *exit),
	    TP_ARGS(vcpu, exit),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(u32, reason)
			     __string(name, vmw86_vexit_names[exit->reason])
			     __field(u64, rip)
			     __field(u64, info)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->reason = exit->reason;
			   __assign_str(name, vmw86_vexit_names[exit->reason]);
			   __entry->rip = vcpu->rip;
			   __entry->info = vmw86_trace_exit_info(exit);),
	    TP_printk("vm %d vcpu %u reason %s rip 0x%llx info 0x%llx",
		      __entry->tgid, __entry->vcpu_id, __get_str(name),
		      __entry->rip, __entry->info)
);

TRACE_EVENT(vmw86_pio,
	    TP_PROTO(struct vmw86_vcpu *vcpu, bool in, u16 port, u8 size,
		     u32 count, u32 val, bool kernel),
	    TP_ARGS(vcpu, in, port, size, count, val, kernel),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(bool, in)
			     __field(u16, port)
			     __field(u8, size)
			     __field(u32, count)
			     __field(u32, val)
			     __field(bool, kernel)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->in = in;
			   __entry->port = port;
			   __entry->size = size;
			   __entry->count = count;
			   __entry->val = val;
			   __entry->kernel = kernel;),
	    TP_printk("vm %d vcpu %u %s port 0x%x size %u count %u val 0x%x%s",
		      __entry->tgid, __entry->vcpu_id,
		      __entry->in ? "in" : "out", __entry->port, __entry->size,
		      __entry->count, __entry->val,
		      __entry->kernel ? " (kernel)" : "")
);

TRACE_EVENT(vmw86_mmio,
	    TP_PROTO(struct vmw86_vcpu *vcpu, u64 gpa, u32 flags, bool kernel),
	    TP_ARGS(vcpu, gpa, flags, kernel),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(u64, gpa)
			     __field(u32, flags)
			     __field(bool, kernel)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->gpa = gpa;
			   __entry->flags = flags;
			   __entry->kernel = kernel;),
	    TP_printk("vm %d vcpu %u gpa 0x%llx %s%s%s%s", __entry->tgid,
		      __entry->vcpu_id, __entry->gpa,
		      __entry->flags & VMW86_MMIO_WRITE ? "write" : "read",
		      __entry->flags & VMW86_MMIO_FETCH ? " fetch" : "",
		      __entry->flags & VMW86_MMIO_PAGE_WALK ? " page-walk" : "",
		      __entry->kernel ? " (lapic)" : "")
);

TRACE_EVENT(vmw86_msr,
	    TP_PROTO(struct vmw86_vcpu *vcpu, bool write, u32 index, u64 data,
		     bool fault),
	    TP_ARGS(vcpu, write, index, data, fault),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(bool, write)
			     __field(u32, index)
			     __field(u64, data)
			     __field(bool, fault)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->write = write;
			   __entry->index = index;
			   __entry->data = data;
			   __entry->fault = fault;),
	    TP_printk("vm %d vcpu %u %s 0x%x data 0x%llx%s", __entry->tgid,
		      __entry->vcpu_id, __entry->write ? "wrmsr" : "rdmsr",
		      __entry->index, __entry->data,
		      __entry->fault ? " #GP" : "")
);

TRACE_EVENT(vmw86_cpuid,
	    TP_PROTO(struct vmw86_vcpu *vcpu, u32 function, u32 index,
		     const u32 *out),
	    TP_ARGS(vcpu, function, index, out),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(u32, function)
			     __field(u32, index)
			     __array(u32, out, 4)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->function = function;
			   __entry->index = index;
			   memcpy(__entry->out, out, sizeof(__entry->out));),
	    TP_printk("vm %d vcpu %u func 0x%x index 0x%x eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x",
		      __entry->tgid, __entry->vcpu_id, __entry->function,
		      __entry->index, __entry->out[0], __entry->out[1],
		      __entry->out[2], __entry->out[3])
);

TRACE_EVENT(vmw86_inject,
	    TP_PROTO(struct vmw86_vcpu *vcpu, enum vmw86_event_type type,
		     u8 vector, bool has_err, u32 err),
	    TP_ARGS(vcpu, type, vector, has_err, err),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(u32, type)
			     __field(u8, vector)
			     __field(bool, has_err)
			     __field(u32, err)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->type = type;
			   __entry->vector = vector;
			   __entry->has_err = has_err;
			   __entry->err = err;),
	    TP_printk("vm %d vcpu %u %s vector %u%s 0x%x", __entry->tgid,
		      __entry->vcpu_id,
		      __print_symbolic(__entry->type,
				       { VMW86_EVENT_INTR, "interrupt" },
				       { VMW86_EVENT_NMI, "nmi" },
				       { VMW86_EVENT_EXCEPTION, "exception" }),
		      __entry->vector, __entry->has_err ? " error code" : "",
		      __entry->err)
);

TRACE_EVENT(vmw86_npf,
	    TP_PROTO(struct vmw86_vcpu *vcpu, u64 gpa, bool write, int result,
		     bool huge),
	    TP_ARGS(vcpu, gpa, write, result, huge),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, vcpu_id)
			     __field(u64, gpa)
			     __field(bool, write)
			     __field(int, result)
			     __field(bool, huge)),
	    TP_fast_assign(__entry->tgid = vcpu->vm->tgid;
			   __entry->vcpu_id = vcpu->id;
			   __entry->gpa = gpa;
			   __entry->write = write;
			   __entry->result = result;
			   __entry->huge = huge;),
	    TP_printk("vm %d vcpu %u gpa 0x%llx %s %s", __entry->tgid,
		      __entry->vcpu_id, __entry->gpa,
		      __entry->write ? "write" : "read",
		      __entry->result == VMW86_FAULT_RETRY ?
		      (__entry->huge ? "mapped 2M" : "mapped 4K") :
		      __entry->result == VMW86_FAULT_MMIO ? "mmio" : "error")
);

TRACE_EVENT(vmw86_memslot,
	    TP_PROTO(struct vmw86_vm *vm, const struct vmw86_memory_region *mr,
		     int ret),
	    TP_ARGS(vm, mr, ret),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, slot)
			     __field(u32, flags)
			     __field(u64, gpa)
			     __field(u64, size)
			     __field(u64, hva)
			     __field(int, ret)),
	    TP_fast_assign(__entry->tgid = vm->tgid;
			   __entry->slot = mr->slot;
			   __entry->flags = mr->flags;
			   __entry->gpa = mr->guest_phys_addr;
			   __entry->size = mr->memory_size;
			   __entry->hva = mr->userspace_addr;
			   __entry->ret = ret;),
	    TP_printk("vm %d slot %u gpa 0x%llx size 0x%llx hva 0x%llx flags 0x%x ret %d",
		      __entry->tgid, __entry->slot, __entry->gpa, __entry->size,
		      __entry->hva, __entry->flags, __entry->ret)
);

#endif /* _VMW86_TRACE_H */

/* Out of the kernel tree: define_trace.h finds this file through -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
