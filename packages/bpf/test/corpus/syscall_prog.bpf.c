/* Covers: SEC("syscall") (SYSCALL, sleepable) driven by ctx_in / ctx_out.
 * Expected: ctx {a: 3, b: 4} comes back as {3, 4, sum: 7}; retval a * b = 12. */
#include "corpus.h"

struct args {
	int a;
	int b;
	int sum;
};

SEC("syscall")
int syscall_prog(struct args *ctx)
{
	ctx->sum = ctx->a + ctx->b;
	return ctx->a * ctx->b;
}

char LICENSE[] SEC("license") = "GPL";
