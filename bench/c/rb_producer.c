// The live producer shared by both ring buffer consumers: runs the pinned
// program (one 128-byte bpf_ringbuf_output per run) with BPF_PROG_TEST_RUN,
// <repeat> runs per call, paced to <rate> runs per second (0: flat out),
// until <duration-ms> have passed. Pacing gives both consumers the same
// offered load: flat out, the producer's speed would depend on how the
// consumer competes with it for the machine's cores.
// usage: rb_producer <prog-pin> <duration-ms> <repeat> <rate>
// Prints {"runs":N,"start_ns":A,"end_ns":B} (CLOCK_MONOTONIC).
#include "common.h"
#include <bpf/bpf.h>

static void sleep_until(uint64_t t) {
  struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ull), .tv_nsec = (long)(t % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: rb_producer <prog-pin> <duration-ms> <repeat> <rate>\n");
    return 2;
  }
  long duration_ms = arg_long(argv[2], "duration-ms");
  long repeat = arg_long(argv[3], "repeat");
  long rate = arg_long(argv[4], "rate");
  int fd = bpf_obj_get(argv[1]);
  CHECK_RET("bpf_obj_get", fd);
  uint8_t pkt[64] = {0};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof pkt,
              .repeat = (int)repeat);
  uint64_t start = now_ns(), end = start, stop = start + (uint64_t)duration_ms * 1000000ull;
  long runs = 0;
  while (end < stop) {
    if (rate > 0) sleep_until(start + (uint64_t)((double)runs * 1e9 / (double)rate));
    CHECK_RET("bpf_prog_test_run_opts", bpf_prog_test_run_opts(fd, &opts));
    runs += repeat;
    end = now_ns();
  }
  printf("{\"runs\":%ld,\"start_ns\":%llu,\"end_ns\":%llu}\n", runs, (unsigned long long)start,
         (unsigned long long)end);
  return 0;
}
