// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of ucalls (see ucall.h): find the struct the guest passed in
 * RDI and turn guest assertions into test failures.
 */
#include "vmw86_lib.h"

uint64_t get_ucall(struct vmw86_vcpu *vcpu, struct ucall *uc)
{
	struct vmw86_run *run = vcpu->run;
	struct ucall tmp;

	if (!uc)
		uc = &tmp;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != VMW86_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != VMW86_EXIT_IO_OUT)
		return UCALL_NONE;
	memcpy(uc, addr_gpa2hva(vcpu->vm, run->regs.rdi), sizeof(*uc));
	return uc->cmd;
}

static void describe_exit(struct vmw86_vcpu *vcpu, char *buf, size_t len)
{
	struct vmw86_run *run = vcpu->run;
	int n;

	n = snprintf(buf, len, "exit %u (%s) rip 0x%llx", run->exit_reason,
		     exit_reason_str(run->exit_reason),
		     (unsigned long long)run->regs.rip);
	switch (run->exit_reason) {
	case VMW86_EXIT_IO:
		snprintf(buf + n, len - n, " port 0x%x dir %u size %u count %u",
			 run->io.port, run->io.direction, run->io.size,
			 run->io.count);
		break;
	case VMW86_EXIT_MMIO:
		snprintf(buf + n, len - n, " gpa 0x%llx flags 0x%x len %u",
			 (unsigned long long)run->mmio.gpa, run->mmio.flags,
			 run->mmio.insn_len);
		break;
	case VMW86_EXIT_FAIL_ENTRY:
		snprintf(buf + n, len - n, " hw reason 0x%llx",
			 (unsigned long long)
			 run->fail_entry.hardware_exit_reason);
		break;
	case VMW86_EXIT_INTERNAL_ERROR:
		snprintf(buf + n, len - n, " suberror %u ndata %u data 0x%llx "
			 "0x%llx 0x%llx", run->internal.suberror,
			 run->internal.ndata,
			 (unsigned long long)run->internal.data[0],
			 (unsigned long long)run->internal.data[1],
			 (unsigned long long)run->internal.data[2]);
		break;
	case VMW86_EXIT_DEBUG:
		snprintf(buf + n, len - n, " exception %u pc 0x%llx dr6 0x%llx",
			 run->debug.exception,
			 (unsigned long long)run->debug.pc,
			 (unsigned long long)run->debug.dr6);
		break;
	case VMW86_EXIT_SHUTDOWN:
		/* regs is the reset state by now; this is where it died. */
		snprintf(buf + n, len - n, " at rip 0x%llx cr3 0x%llx",
			 (unsigned long long)run->shutdown.rip,
			 (unsigned long long)run->shutdown.cr3);
		break;
	case VMW86_EXIT_MEMORY_FAULT:
		snprintf(buf + n, len - n, " gpa 0x%llx",
			 (unsigned long long)run->memory_fault.gpa);
		break;
	}
}

const char *vcpu_exit_str(struct vmw86_vcpu *vcpu)
{
	static char buf[256];

	describe_exit(vcpu, buf, sizeof(buf));
	return buf;
}

uint64_t vcpu_run_ucall(struct vmw86_vcpu *vcpu, struct ucall *uc)
{
	vcpu_run(vcpu);
	return vcpu_check_ucall(vcpu, uc);
}

uint64_t vcpu_check_ucall(struct vmw86_vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;
	char buf[256];
	uint64_t cmd;

	if (!uc)
		uc = &tmp;
	cmd = get_ucall(vcpu, uc);
	switch (cmd) {
	case UCALL_NONE:
		describe_exit(vcpu, buf, sizeof(buf));
		TEST_FAIL("vCPU %u: expected a ucall, got %s", vcpu->id, buf);
	case UCALL_ABORT:
		if (uc->nargs == 2)
			TEST_FAIL("guest assertion failed at %s:%lu: %s "
				  "(0x%lx vs 0x%lx)", uc->file, uc->line,
				  uc->expr, uc->args[0], uc->args[1]);
		TEST_FAIL("guest assertion failed at %s:%lu: %s", uc->file,
			  uc->line, uc->expr);
	case UCALL_UNHANDLED:
		TEST_FAIL("vCPU %u: unhandled guest exception %lu at rip 0x%lx "
			  "error code 0x%lx", vcpu->id, uc->args[0],
			  uc->args[1], uc->args[2]);
	case UCALL_SYNC:
	case UCALL_DONE:
		return cmd;
	default:
		TEST_FAIL("unknown ucall %lu", cmd);
	}
}

void vcpu_run_expect_sync(struct vmw86_vcpu *vcpu, uint64_t v)
{
	struct ucall uc;
	uint64_t cmd = vcpu_run_ucall(vcpu, &uc);

	TEST_ASSERT(cmd == UCALL_SYNC, "vCPU %u: ucall %lu, expected SYNC",
		    vcpu->id, cmd);
	TEST_ASSERT(uc.args[0] == v, "vCPU %u: SYNC(0x%lx), expected 0x%lx",
		    vcpu->id, uc.args[0], v);
}

void vcpu_run_expect_done(struct vmw86_vcpu *vcpu)
{
	struct ucall uc;
	uint64_t cmd = vcpu_run_ucall(vcpu, &uc);

	TEST_ASSERT(cmd == UCALL_DONE, "vCPU %u: ucall %lu (0x%lx), "
		    "expected DONE", vcpu->id, cmd, uc.args[0]);
}
