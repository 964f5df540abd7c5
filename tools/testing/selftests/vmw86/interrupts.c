// SPDX-License-Identifier: GPL-2.0
/*
 * interrupts: an interrupt controller in user space can drive a vCPU.
 *
 * VMW86_INTERRUPT queues an external interrupt; vmw86 must deliver it
 * exactly when the guest can take it: not while RFLAGS.IF is clear, not in
 * the one-instruction shadow after STI, but at once when the window opens.
 * request_interrupt_window must produce an exit at that moment instead.
 * These are the semantics a PIC or IOAPIC model (vmw86-run, a QEMU
 * accelerator) builds on; a wrong answer means lost or early interrupts in
 * a real guest. The guest runs in real mode, so that vector 0x40 goes
 * through the IVT and the handler reports the IP it interrupted.
 *
 * The tests assert "after the STI", not "after the instruction in its
 * shadow": QEMU 7.2's SVM now and then recognises the virtual interrupt
 * (and reports no shadow) right after STI. On hardware vmw86 relies on the
 * interrupt shadow the CPU reports, so there it is also after the NOP.
 */
#include <signal.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define REPORT_PORT	0x2000
#define IRQ_VECTOR	0x40

/*
 * irq_blob: CLI, report, STI, NOP (the STI shadow), then spin. The handler
 * pops the interrupted IP, reports it, and halts.
 */
extern char irq_blob[], irq_after_sti[], irq_loop[], irq_loop_end[],
	    irq_handler[], irq_blob_end[];
asm(
	".pushsection .text\n"
	".code16\n"
	"irq_blob:\n"
	"	cli\n"
	"	mov $0x2000, %dx\n"
	"	mov $0x11, %al\n"
	"	out %al, %dx\n"
	"	sti\n"
	"irq_after_sti:\n"
	"	nop\n"
	"irq_loop:\n"
	"	inc %bx\n"
	"	jmp irq_loop\n"
	"irq_loop_end:\n"
	"irq_handler:\n"
	"	pop %ax\n"			/* the interrupted IP */
	"	out %ax, %dx\n"
	"	hlt\n"
	"irq_blob_end:\n"
	".code64\n"
	".popsection\n");

/* The blob, its IVT entry for IRQ_VECTOR, and a vCPU at its start. */
static struct vmw86_vcpu *setup(struct vmw86_vm **vmp)
{
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	uint16_t *ivt = addr_gpa2hva(vm, 0);

	vm_load_blob(vm, LOW_BLOB_GPA, irq_blob, irq_blob_end);
	ivt[IRQ_VECTOR * 2] = LOW_BLOB_GPA + (irq_handler - irq_blob);
	ivt[IRQ_VECTOR * 2 + 1] = 0;
	vcpu_setup_real_mode(vcpu, LOW_BLOB_GPA);
	*vmp = vm;
	return vcpu;
}

static uint64_t blob_gpa(char *sym)
{
	return LOW_BLOB_GPA + (sym - irq_blob);
}

/* Run to the next exit, which must be an OUT of @size bytes to REPORT_PORT. */
static uint32_t run_expect_out(struct vmw86_vcpu *vcpu, int size)
{
	vcpu_run(vcpu);
	return vcpu_expect_out(vcpu, REPORT_PORT, size);
}

static int queue_irq(struct vmw86_vcpu *vcpu, uint32_t vector, uint32_t pad)
{
	struct vmw86_interrupt irq = { .vector = vector, .padding = pad };

	return ioctl(vcpu->fd, VMW86_INTERRUPT, &irq);
}

/* The handler ran: it reported an IP inside the spin loop, then halted. */
static void expect_handler(struct __test_metadata *_metadata,
			   struct vmw86_vcpu *vcpu)
{
	uint16_t ip = run_expect_out(vcpu, 2);

	EXPECT_LE(blob_gpa(irq_after_sti), ip);
	EXPECT_GT(blob_gpa(irq_loop_end), ip);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
}

TEST(injected_when_window_opens)
{
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu = setup(&vm);

	EXPECT_EQ(0x11, run_expect_out(vcpu, 1));
	EXPECT_EQ(0, vcpu->run->if_flag);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);

	/* Queued while IF = 0: delivered after STI and its shadow, not before. */
	ASSERT_EQ(0, queue_irq(vcpu, IRQ_VECTOR, 0));
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	expect_handler(_metadata, vcpu);
	vm_free(vm);
}

/*
 * The vector a real-mode BIOS gives the PIC's IRQ 0 (SeaBIOS under QEMU's
 * -accel vmw86): 8, below 32, delivered through the IVT as any other.
 */
TEST(bios_timer_vector)
{
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu = setup(&vm);
	uint16_t *ivt = addr_gpa2hva(vm, 0);

	ivt[8 * 2] = LOW_BLOB_GPA + (irq_handler - irq_blob);
	ivt[8 * 2 + 1] = 0;
	EXPECT_EQ(0x11, run_expect_out(vcpu, 1));
	ASSERT_EQ(0, queue_irq(vcpu, 8, 0));
	expect_handler(_metadata, vcpu);
	vm_free(vm);
}

TEST(bad_interrupts)
{
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu = setup(&vm);

	EXPECT_EQ(0x11, run_expect_out(vcpu, 1));
	EXPECT_EQ(-1, queue_irq(vcpu, 256, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, queue_irq(vcpu, IRQ_VECTOR, 1));
	EXPECT_EQ(EINVAL, errno);
	/* One at a time, as a real INTR line holds one vector. */
	ASSERT_EQ(0, queue_irq(vcpu, IRQ_VECTOR, 0));
	EXPECT_EQ(-1, queue_irq(vcpu, IRQ_VECTOR + 1, 0));
	EXPECT_EQ(EBUSY, errno);
	expect_handler(_metadata, vcpu);
	vm_free(vm);
}

TEST(window_exit)
{
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu = setup(&vm);
	uint64_t rip;

	EXPECT_EQ(0x11, run_expect_out(vcpu, 1));
	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(0, vcpu->run->interrupt_shadow);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	/* Past STI (see the top of the file for its shadow). */
	rip = vcpu->run->regs.rip;
	EXPECT_LE(blob_gpa(irq_after_sti), rip);
	EXPECT_GT(blob_gpa(irq_loop_end), rip);

	/* Still open: the next run exits at once, without guest progress. */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(rip, vcpu->run->regs.rip);

	vcpu->run->request_interrupt_window = 0;
	ASSERT_EQ(0, queue_irq(vcpu, IRQ_VECTOR, 0));
	expect_handler(_metadata, vcpu);
	vm_free(vm);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(window_stays_closed_while_if_clear)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu = setup(&vm);
	struct vmw86_regs regs;

	EXPECT_EQ(0x11, run_expect_out(vcpu, 1));
	/* Jump straight into the loop with IF still clear. */
	vcpu_regs_get(vcpu, &regs);
	regs.rip = blob_gpa(irq_loop);
	vcpu_regs_set(vcpu, &regs);

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, queue_irq(vcpu, IRQ_VECTOR, 0));
	vcpu->run->request_interrupt_window = 1;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_INTR);
	EXPECT_EQ(0, vcpu->run->if_flag);
	/* Still queued: neither delivered nor dropped. */
	EXPECT_EQ(-1, queue_irq(vcpu, IRQ_VECTOR, 0));
	EXPECT_EQ(EBUSY, errno);

	/* Opening the window delivers it. */
	vcpu->run->request_interrupt_window = 0;
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= 1UL << 9;	/* IF */
	vcpu_regs_set(vcpu, &regs);
	expect_handler(_metadata, vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
