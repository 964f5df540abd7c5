# SPDX-License-Identifier: GPL-2.0
#
# gdb (Python) script, run by scripts/testvm/wedge.sh on a stopped test
# machine's QEMU: the emulated CPUs' hidden state, which QEMU's monitor does
# not show, and every QEMU thread's stack. It needs the project's own QEMU
# (scripts/qemu/build.sh), which has debug information.
#
#   gdb -batch -p PID -x wedge-gdb.py
#
# What it tells apart (AMD APM vol. 2, 15.17 and 15.21): an interrupt that
# the CPU was never told of (the vector in the local APIC's IRR, but no HARD
# or POLL in interrupt_request), one that the CPU holds back (GIF = 0, or in
# guest mode with V_INTR_MASKING and the host's IF at VMRUN, HIF, clear),
# and a CPU that is halted with work to do.

import gdb

# QEMU 7.2: include/exec/cpu-all.h and target/i386/cpu.h.
INTERRUPT_BITS = [
    (0x0002, "HARD"), (0x0004, "EXITTB"), (0x0020, "HALT"),
    (0x0080, "DEBUG"), (0x0400, "INIT"), (0x0010, "POLL"),
    (0x0040, "SMI"), (0x0200, "NMI"), (0x1000, "MCE"),
    (0x0100, "VIRQ"), (0x0800, "SIPI"), (0x2000, "TPR"),
]
HFLAGS_BITS = [(1 << 3, "INHIBIT_IRQ"), (1 << 20, "SVME"), (1 << 21, "GUEST")]
HFLAGS2_BITS = [
    (1 << 0, "GIF"), (1 << 1, "HIF"), (1 << 2, "NMI"), (1 << 3, "VINTR"),
    (1 << 6, "NPT"), (1 << 8, "VGIF"),
]


def names(value, bits):
    value = int(value)
    return "|".join(n for m, n in bits if value & m) or "-"


def vectors(words):
    return [32 * i + b for i in range(8) for b in range(32)
            if int(words[i]) & (1 << b)]


def cpu_state(cpu):
    x86 = cpu.cast(gdb.lookup_type("X86CPU").pointer())
    env = x86["env"]
    ireq = int(cpu["interrupt_request"])
    print("cpu %d: interrupt_request=%#x (%s) halted=%d exception_index=%d"
          " exit_request=%d" % (int(cpu["cpu_index"]), ireq,
                                names(ireq, INTERRUPT_BITS),
                                int(cpu["halted"]),
                                int(cpu["exception_index"]),
                                int(cpu["exit_request"])))
    print("  hflags=%#x (%s, CPL %d) hflags2=%#x (%s)" % (
        int(env["hflags"]), names(env["hflags"], HFLAGS_BITS),
        int(env["hflags"]) & 3, int(env["hflags2"]),
        names(env["hflags2"], HFLAGS2_BITS)))
    print("  eip=%#x eflags=%#x (IF=%d) int_ctl=%#x vm_vmcb=%#x" % (
        int(env["eip"]), int(env["eflags"]), (int(env["eflags"]) >> 9) & 1,
        int(env["int_ctl"]), int(env["vm_vmcb"])))
    apic = x86["apic_state"]
    if int(apic):
        s = apic.cast(gdb.lookup_type("APICCommonState").pointer())
        print("  apic: irr=%s isr=%s tpr=%#x spurious=%#x" % (
            vectors(s["irr"]), vectors(s["isr"]), int(s["tpr"]),
            int(s["spurious_vec"])))


def main():
    print("--- emulated CPUs (gdb on QEMU)")
    try:
        cpu = gdb.parse_and_eval("cpus").address.dereference()["tqh_first"]
        while int(cpu):
            cpu_state(cpu)
            cpu = cpu["node"]["tqe_next"]
    except gdb.error as e:
        print("no CPU state (QEMU without debug information?): %s" % e)
    print("--- QEMU threads")
    gdb.execute("thread apply all bt 12")


main()
