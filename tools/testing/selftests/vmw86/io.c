// SPDX-License-Identifier: GPL-2.0
/*
 * io: every guest port access exits to user space with the right port,
 * size, direction and data, and user space completes IN and INS.
 *
 * IN/OUT are checked in sizes 1, 2 and 4 in both directions; REP
 * OUTS/INS in each element size with the data checked on the other side
 * and RSI/RDI/RCX checked in the guest afterwards (a string I/O exit that
 * forgets to advance them loops or corrupts memory). A REP longer than
 * the 4096-byte data page must continue over several exits without losing
 * or repeating an element.
 */
#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define PORT_B		0x10
#define PORT_W		0x12
#define PORT_L		0x14
#define PORT_STR	0x20
#define IO_PAGE		4096

static void guest_in_out(void)
{
	outb(PORT_B, 0xa5);
	outw(PORT_W, 0xbeef);
	outl(PORT_L, 0xdeadbeef);
	GUEST_ASSERT_EQ(inb(PORT_B), 0x5a);
	GUEST_ASSERT_EQ(inw(PORT_W), 0xcafe);
	GUEST_ASSERT_EQ(inl(PORT_L), 0x12345678);
	/* IN must not touch the upper parts of RAX beyond its size. */
	{
		uint64_t rax = 0x1122334455667788ULL;

		asm volatile("inb %%dx, %%al" : "+a"(rax) : "d"(PORT_B));
		GUEST_ASSERT_EQ(rax, 0x11223344556677c3ULL);
		asm volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(PORT_W));
		GUEST_ASSERT_EQ(rax, 0x112233445566b00bULL);
		/* A 32-bit destination zero-extends. */
		asm volatile("inl %%dx, %%eax" : "+a"(rax) : "d"(PORT_L));
		GUEST_ASSERT_EQ(rax, 0x00000000f00dfaceULL);
	}
	GUEST_DONE();
}

TEST(in_out_sizes)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_in_out);

	vcpu_run(vcpu);
	EXPECT_EQ(0xa5, vcpu_expect_out(vcpu, PORT_B, 1));
	vcpu_run(vcpu);
	EXPECT_EQ(0xbeef, vcpu_expect_out(vcpu, PORT_W, 2));
	vcpu_run(vcpu);
	EXPECT_EQ(0xdeadbeef, vcpu_expect_out(vcpu, PORT_L, 4));
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, PORT_B, 1, 0x5a);
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, PORT_W, 2, 0xcafe);
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, PORT_L, 4, 0x12345678);
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, PORT_B, 1, 0xc3);
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, PORT_W, 2, 0xb00b);
	vcpu_run(vcpu);
	vcpu_complete_in(vcpu, PORT_L, 4, 0xf00dface);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
}

/* REP OUTS of @n elements of @size bytes from @buf, then REP INS. */
static void guest_rep(uint64_t id, uint64_t buf_gpa, uint64_t n,
		      uint64_t size)
{
	uint8_t *buf = (uint8_t *)buf_gpa;
	uint8_t *in = buf + n * size;
	uint64_t rsi = (uint64_t)buf, rdi = (uint64_t)in, rcx;

	(void)id;
	for (uint64_t i = 0; i < n * size; i++)
		buf[i] = pattern(i);

	rcx = n;
	switch (size) {
	case 1:
		asm volatile("cld; rep outsb" : "+S"(rsi), "+c"(rcx)
			     : "d"(PORT_STR) : "memory");
		break;
	case 2:
		asm volatile("cld; rep outsw" : "+S"(rsi), "+c"(rcx)
			     : "d"(PORT_STR) : "memory");
		break;
	default:
		asm volatile("cld; rep outsl" : "+S"(rsi), "+c"(rcx)
			     : "d"(PORT_STR) : "memory");
		break;
	}
	GUEST_ASSERT_EQ(rcx, 0);
	GUEST_ASSERT_EQ(rsi, (uint64_t)buf + n * size);
	GUEST_SYNC(1);

	rcx = n;
	switch (size) {
	case 1:
		asm volatile("cld; rep insb" : "+D"(rdi), "+c"(rcx)
			     : "d"(PORT_STR) : "memory");
		break;
	case 2:
		asm volatile("cld; rep insw" : "+D"(rdi), "+c"(rcx)
			     : "d"(PORT_STR) : "memory");
		break;
	default:
		asm volatile("cld; rep insl" : "+D"(rdi), "+c"(rcx)
			     : "d"(PORT_STR) : "memory");
		break;
	}
	GUEST_ASSERT_EQ(rcx, 0);
	GUEST_ASSERT_EQ(rdi, (uint64_t)in + n * size);
	for (uint64_t i = 0; i < n * size; i++)
		GUEST_ASSERT_EQ(in[i], (uint8_t)~pattern(i));
	/* The byte after the INS destination is untouched. */
	GUEST_ASSERT_EQ(in[n * size], 0);
	GUEST_SYNC(2);
}

/*
 * Drive one REP string instruction of @total bytes to completion; returns
 * the number of exits it took. OUT data is checked against pattern(),
 * IN data is ~pattern().
 */
static int drive_string_io(struct vmw86_vcpu *vcpu, int dir, int size,
			   uint64_t total)
{
	struct vmw86_run *run = vcpu->run;
	uint64_t done = 0;
	int exits = 0;

	while (done < total) {
		uint64_t bytes;
		uint8_t *data;

		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_IO);
		if (run->io.port == UCALL_PORT)
			TEST_FAIL("ucall %lu after %lu of %lu bytes",
				  vcpu_check_ucall(vcpu, NULL), done, total);
		TEST_ASSERT(run->io.port == PORT_STR && run->io.size == size &&
			    run->io.direction == dir,
			    "port 0x%x size %u dir %u", run->io.port,
			    run->io.size, run->io.direction);
		bytes = (uint64_t)run->io.count * size;
		TEST_ASSERT(run->io.count >= 1 && bytes <= IO_PAGE &&
			    bytes <= total - done,
			    "count %u (size %d) with %lu of %lu bytes done",
			    run->io.count, size, done, total);
		TEST_ASSERT(run->io.data_offset + bytes <= vcpu->run_size,
			    "data offset 0x%llx",
			    (unsigned long long)run->io.data_offset);
		data = vcpu_io_data(vcpu);
		for (uint64_t i = 0; i < bytes; i++) {
			if (dir == VMW86_EXIT_IO_OUT)
				TEST_ASSERT(data[i] == pattern(done + i),
					    "byte %lu: 0x%x, expected 0x%x",
					    done + i, data[i],
					    pattern(done + i));
			else
				data[i] = ~pattern(done + i);
		}
		done += bytes;
		exits++;
	}
	return exits;
}

static void run_rep_test(struct __test_metadata *_metadata, uint64_t n,
			 int size, bool single_exit)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_rep);
	uint64_t total = n * size;
	uint8_t *in;
	int exits;

	vcpu_args_set(vcpu, 4, 0UL, vm->scratch_gpa, n, (uint64_t)size);
	exits = drive_string_io(vcpu, VMW86_EXIT_IO_OUT, size, total);
	if (single_exit) {
		EXPECT_EQ(1, exits);
	} else {
		EXPECT_LE((int)((total + IO_PAGE - 1) / IO_PAGE), exits);
	}
	vcpu_run_expect_sync(vcpu, 1);

	exits = drive_string_io(vcpu, VMW86_EXIT_IO_IN, size, total);
	if (single_exit) {
		EXPECT_EQ(1, exits);
	}
	vcpu_run_expect_sync(vcpu, 2);

	in = (uint8_t *)addr_gpa2hva(vm, vm->scratch_gpa) + total;
	for (uint64_t i = 0; i < total; i++) {
		ASSERT_EQ((uint8_t)~pattern(i), in[i]) TH_LOG("byte %lu", i);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST(rep_outsb_insb)
{
	run_rep_test(_metadata, 100, 1, true);
}

TEST(rep_outsw_insw)
{
	run_rep_test(_metadata, 300, 2, true);
}

TEST(rep_outsl_insl)
{
	run_rep_test(_metadata, 1024, 4, true);	/* exactly one page */
}

TEST(rep_single_element)
{
	run_rep_test(_metadata, 1, 2, true);
}

TEST(long_rep_bytes)
{
	run_rep_test(_metadata, 10000, 1, false);
}

TEST(long_rep_dwords)
{
	run_rep_test(_metadata, 5000, 4, false);
}

TEST_HARNESS_MAIN
