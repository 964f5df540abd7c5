/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmw86 accelerator: QEMU's gdbstub (-s, -gdb) on vmw86's guest debugging
 * (VMW86_SET_GUEST_DEBUG and VMW86_EXIT_DEBUG, api.rst), the way KVM's
 * accelerator puts it on KVM_SET_GUEST_DEBUG:
 *
 * - software breakpoints: an INT3 (0xCC) written into guest memory through
 *   the vCPU's page tables (cpu_memory_rw_debug()), the byte it replaced
 *   kept here, and VMW86_GUESTDBG_USE_SW_BP so that the INT3 exits;
 * - hardware breakpoints and write or access watchpoints: the debugger's
 *   DR0-DR3 and DR7 (VMW86_GUESTDBG_USE_HW_BP), one set for every vCPU
 *   (SDM vol. 3B 17.2; AMD APM vol. 2, 13.1.1);
 * - single-step: cpu->singlestep_enabled (gdbstub's cpu_single_step()),
 *   read before each VMW86_RUN; SSTEP_NOIRQ is VMW86_GUESTDBG_BLOCKIRQ.
 *
 * The breakpoints are the VM's and change under the iothread lock, which
 * gdbstub's callers hold; each vCPU thread loads a change before it runs
 * next (vmw86_debug_load()), so that no thread makes an ioctl on another's
 * vCPU. An INT3 or #DB that is not the debugger's goes back to the guest
 * (VMW86_GUESTDBG_INJECT_BP, VMW86_GUESTDBG_INJECT_DB).
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/gdbstub.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"
#include "sysemu/hw_accel.h"

#include <sys/ioctl.h>

#include "vmw86-int.h"

#define VMW86_NR_HW_BPS 4
#define INT3_OPCODE 0xcc
#define DR7_RESERVED_ONE (1u << 10)

struct vmw86_sw_bp {
    vaddr pc;
    uint8_t saved;      /* the byte the INT3 replaced */
    int use_count;
    QTAILQ_ENTRY(vmw86_sw_bp) entry;
};

static QTAILQ_HEAD(, vmw86_sw_bp) vmw86_sw_bps =
    QTAILQ_HEAD_INITIALIZER(vmw86_sw_bps);

/* DR0-DR3 as gdb set them; type 0 is a free register. */
static struct {
    vaddr addr;
    int len;
    int type;           /* GDB_BREAKPOINT_HW, GDB_WATCHPOINT_WRITE/ACCESS */
} vmw86_hw_bps[VMW86_NR_HW_BPS];

/* Bumped by every change, so that each vCPU loads the new set once. */
static unsigned int vmw86_debug_gen = 1;
static uint32_t vmw86_debug_caps;       /* VMW86_CAP_GUEST_DEBUG */

/* What gdbstub reports for a watchpoint (cpu->watchpoint_hit). */
static CPUWatchpoint vmw86_watchpoint_hit;

void vmw86_debug_init(int dev_fd)
{
    int r = ioctl(dev_fd, VMW86_CHECK_EXTENSION, VMW86_CAP_GUEST_DEBUG);

    vmw86_debug_caps = r > 0 ? r : 0;
}

bool vmw86_supports_guest_debug(void)
{
    const uint32_t need = VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_SINGLESTEP |
                          VMW86_GUESTDBG_USE_SW_BP | VMW86_GUESTDBG_USE_HW_BP |
                          VMW86_GUESTDBG_INJECT_BP;

    return (vmw86_debug_caps & need) == need;
}

int vmw86_gdbstub_sstep_flags(void)
{
    if (!vmw86_supports_guest_debug()) {
        return 0;
    }
    return SSTEP_ENABLE |
           (vmw86_debug_caps & VMW86_GUESTDBG_BLOCKIRQ ? SSTEP_NOIRQ : 0);
}

static struct vmw86_sw_bp *vmw86_find_sw_bp(vaddr pc)
{
    struct vmw86_sw_bp *bp;

    QTAILQ_FOREACH(bp, &vmw86_sw_bps, entry) {
        if (bp->pc == pc) {
            return bp;
        }
    }
    return NULL;
}

/* The register holding that breakpoint, or with type 0 a free one; -1. */
static int vmw86_find_hw_bp(int type, vaddr addr, int len)
{
    int i;

    for (i = 0; i < VMW86_NR_HW_BPS; i++) {
        if (vmw86_hw_bps[i].type == type &&
            (!type || (vmw86_hw_bps[i].addr == addr &&
                       vmw86_hw_bps[i].len == len))) {
            return i;
        }
    }
    return -1;
}

static int vmw86_insert_sw_bp(CPUState *cpu, vaddr pc)
{
    static const uint8_t int3 = INT3_OPCODE;
    struct vmw86_sw_bp *bp = vmw86_find_sw_bp(pc);

    if (bp) {
        bp->use_count++;
        return 0;
    }
    bp = g_new0(struct vmw86_sw_bp, 1);
    bp->pc = pc;
    bp->use_count = 1;
    /* The walk of the guest's page tables needs its CR0, CR3, CR4, EFER. */
    cpu_synchronize_state(cpu);
    if (cpu_memory_rw_debug(cpu, pc, &bp->saved, 1, false) ||
        cpu_memory_rw_debug(cpu, pc, (void *)&int3, 1, true)) {
        g_free(bp);
        return -EINVAL;
    }
    QTAILQ_INSERT_HEAD(&vmw86_sw_bps, bp, entry);
    return 0;
}

static int vmw86_remove_sw_bp(CPUState *cpu, struct vmw86_sw_bp *bp)
{
    int r;

    cpu_synchronize_state(cpu);
    r = cpu_memory_rw_debug(cpu, bp->pc, &bp->saved, 1, true);
    QTAILQ_REMOVE(&vmw86_sw_bps, bp, entry);
    g_free(bp);
    return r ? -EINVAL : 0;
}

int vmw86_insert_breakpoint(CPUState *cpu, int type, hwaddr addr, hwaddr len)
{
    int i, r = 0;

    switch (type) {
    case GDB_BREAKPOINT_SW:
        r = vmw86_insert_sw_bp(cpu, addr);
        break;
    case GDB_BREAKPOINT_HW:
        len = 1;
        /* fall through */
    case GDB_WATCHPOINT_WRITE:
    case GDB_WATCHPOINT_ACCESS:
        /* DR7's LEN: 1, 2, 4 or 8 bytes, aligned to their size. */
        if ((len != 1 && len != 2 && len != 4 && len != 8) ||
            (addr & (len - 1))) {
            return -EINVAL;
        }
        if (vmw86_find_hw_bp(type, addr, len) >= 0) {
            return -EEXIST;
        }
        i = vmw86_find_hw_bp(0, 0, 0);       /* a free one */
        if (i < 0) {
            return -ENOBUFS;
        }
        vmw86_hw_bps[i].addr = addr;
        vmw86_hw_bps[i].len = len;
        vmw86_hw_bps[i].type = type;
        break;
    default:
        /* No read-only watchpoint on x86 (DR7 has write and access). */
        return -ENOSYS;
    }
    if (!r) {
        vmw86_debug_gen++;
    }
    return r;
}

int vmw86_remove_breakpoint(CPUState *cpu, int type, hwaddr addr, hwaddr len)
{
    struct vmw86_sw_bp *bp;
    int i, r = 0;

    switch (type) {
    case GDB_BREAKPOINT_SW:
        bp = vmw86_find_sw_bp(addr);
        if (!bp) {
            return -ENOENT;
        }
        if (--bp->use_count == 0) {
            r = vmw86_remove_sw_bp(cpu, bp);
        }
        break;
    case GDB_BREAKPOINT_HW:
        len = 1;
        /* fall through */
    case GDB_WATCHPOINT_WRITE:
    case GDB_WATCHPOINT_ACCESS:
        i = vmw86_find_hw_bp(type, addr, len);
        if (i < 0) {
            return -ENOENT;
        }
        vmw86_hw_bps[i].type = 0;
        break;
    default:
        return -ENOSYS;
    }
    vmw86_debug_gen++;
    return r;
}

void vmw86_remove_all_breakpoints(CPUState *cpu)
{
    struct vmw86_sw_bp *bp, *next;

    QTAILQ_FOREACH_SAFE(bp, &vmw86_sw_bps, entry, next) {
        if (vmw86_remove_sw_bp(cpu, bp) < 0) {
            /* Its page is gone from the guest's tables: try each vCPU's. */
            CPUState *other;

            CPU_FOREACH(other) {
                if (!cpu_memory_rw_debug(other, bp->pc, &bp->saved, 1, true)) {
                    break;
                }
            }
        }
    }
    memset(vmw86_hw_bps, 0, sizeof(vmw86_hw_bps));
    vmw86_debug_gen++;
}

/* DR7 for the hardware breakpoints: local enable, R/W and LEN of each. */
static uint64_t vmw86_dr7(void)
{
    static const uint8_t rw[] = {
        [GDB_BREAKPOINT_HW] = 0, [GDB_WATCHPOINT_WRITE] = 1,
        [GDB_WATCHPOINT_ACCESS] = 3,
    };
    static const uint8_t len[] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };
    uint64_t dr7 = DR7_RESERVED_ONE;
    int i;

    for (i = 0; i < VMW86_NR_HW_BPS; i++) {
        if (!vmw86_hw_bps[i].type) {
            continue;
        }
        dr7 |= 1ull << (2 * i);
        dr7 |= (uint64_t)rw[vmw86_hw_bps[i].type] << (16 + 4 * i);
        dr7 |= (uint64_t)len[vmw86_hw_bps[i].len] << (18 + 4 * i);
    }
    return dr7;
}

/*
 * Before VMW86_RUN, with the iothread lock: the debugger's breakpoints and
 * single-step as they are now, into the vCPU if they changed, and an
 * event to hand back to the guest if the last exit was not the debugger's.
 */
void vmw86_debug_load(CPUState *cpu, struct vmw86_vcpu *vcpu)
{
    struct vmw86_vcpu_debug *d = &vcpu->debug;
    struct vmw86_guest_debug dbg = { 0 };
    uint32_t control = 0;
    int i;

    if (cpu->singlestep_enabled) {
        control |= VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_SINGLESTEP;
        if (cpu->singlestep_enabled & SSTEP_NOIRQ) {
            control |= VMW86_GUESTDBG_BLOCKIRQ;
        }
    }
    if (!QTAILQ_EMPTY(&vmw86_sw_bps)) {
        control |= VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_SW_BP;
    }
    for (i = 0; i < VMW86_NR_HW_BPS; i++) {
        if (vmw86_hw_bps[i].type) {
            control |= VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_HW_BP;
            dbg.debugreg[i] = vmw86_hw_bps[i].addr;
        }
    }
    if (control == d->control && d->gen == vmw86_debug_gen && !d->inject) {
        return;
    }
    if (control & VMW86_GUESTDBG_USE_HW_BP) {
        dbg.debugreg[7] = vmw86_dr7();
    }
    dbg.control = control;
    if (d->inject) {
        /* The guest's own INT3 or #DB, which exited for the debugger. */
        dbg.control |= VMW86_GUESTDBG_ENABLE | d->inject;
    }
    if (ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg) < 0) {
        error_report("vmw86: vCPU %d: VMW86_SET_GUEST_DEBUG 0x%x: %s",
                     cpu->cpu_index, dbg.control, strerror(errno));
    }
    d->control = control;
    d->gen = vmw86_debug_gen;
    d->inject = 0;
}

/*
 * After VMW86_EXIT_DEBUG: true if the event is the debugger's (the vCPU
 * stops with EXCP_DEBUG, and a watchpoint is named for gdbstub), false if
 * it is the guest's own, which vmw86_debug_load() hands back.
 */
bool vmw86_debug_exit(CPUState *cpu, struct vmw86_vcpu *vcpu)
{
    const struct vmw86_run *run = vcpu->run;
    bool mine = false;
    int i;

    qemu_mutex_lock_iothread();
    if (run->debug.exception == EXCP03_INT3) {
        mine = vmw86_find_sw_bp(run->debug.pc) != NULL;
        if (!mine) {
            vcpu->debug.inject = VMW86_GUESTDBG_INJECT_BP;
        }
    } else if (run->debug.exception == EXCP01_DB) {
        mine = cpu->singlestep_enabled && (run->debug.dr6 & DR6_BS);
        for (i = 0; i < VMW86_NR_HW_BPS && !mine; i++) {
            if (!(run->debug.dr6 & (1u << i)) || !vmw86_hw_bps[i].type) {
                continue;
            }
            mine = true;
            if (vmw86_hw_bps[i].type != GDB_BREAKPOINT_HW) {
                vmw86_watchpoint_hit.vaddr = vmw86_hw_bps[i].addr;
                vmw86_watchpoint_hit.len = vmw86_hw_bps[i].len;
                vmw86_watchpoint_hit.flags =
                    vmw86_hw_bps[i].type == GDB_WATCHPOINT_WRITE ?
                    BP_MEM_WRITE : BP_MEM_ACCESS;
                cpu->watchpoint_hit = &vmw86_watchpoint_hit;
            }
        }
        if (!mine) {
            vcpu->debug.inject = VMW86_GUESTDBG_INJECT_DB;
        }
    }
    qemu_mutex_unlock_iothread();
    return mine;
}
