// Ring buffer consumer through libbpf, the C counterpart of bench/ringbuf.mjs.
// Both modes open the RINGBUF map the harness created and pinned, so the C
// and the Node consumers read the same map fed by the same program.
//
// usage: ringbuf drain <map-pin> <records>
//   The ring already holds <records> records: time ring_buffer__consume()
//   draining them all. Prints {"records":N,"ns":T,"cpu_ns":U}.
// usage: ringbuf hot <map-pin> <prog-pin> <records> <reps>
//   <reps> times: test-run the pinned producer <records> times (the records
//   land in this CPU's caches), then time ring_buffer__consume() draining
//   them: the consumer loop's own cost. Prints {"ns_per_record":[...]}.
// usage: ringbuf live <map-pin>
//   Prints "ready", then consumes with ring_buffer__poll() (epoll wakeups)
//   until SIGUSR1 says the producer has exited (checked at least every
//   5 ms), drains what is left with ring_buffer__consume(), and prints
//   {"records":N,"done_ns":T,"cpu_ns":U}: T is CLOCK_MONOTONIC at the end of
//   the final drain, U the CPU time this process spent from "ready" to then.
#include "common.h"
#include <signal.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t producer_done = 0;
static void on_usr1(int sig) { (void)sig; producer_done = 1; }

struct counter {
  long records;
  uint64_t sum;
};

// Count the record and touch its first word, as the Node callback does.
static int on_sample(void *ctx, void *data, size_t size) {
  struct counter *c = ctx;
  c->records++;
  c->sum += *(const uint8_t *)data + size;
  return 0;
}

static int hot(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: ringbuf hot <map-pin> <prog-pin> <records> <reps>\n");
    return 2;
  }
  int fd = bpf_obj_get(argv[2]);
  CHECK_RET("bpf_obj_get (map)", fd);
  int prog = bpf_obj_get(argv[3]);
  CHECK_RET("bpf_obj_get (program)", prog);
  long records = arg_long(argv[4], "records"), reps = arg_long(argv[5], "reps");
  struct counter c = {0};
  struct ring_buffer *rb = ring_buffer__new(fd, on_sample, &c, NULL);
  if (!rb) CHECK_RET("ring_buffer__new", -errno);
  char pkt[64] = {0};
  printf("{\"ns_per_record\":[");
  for (long i = 0; i < reps; i++) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof pkt, .repeat = (int)records);
    CHECK_RET("bpf_prog_test_run_opts", bpf_prog_test_run_opts(prog, &opts));
    c.records = 0;
    uint64_t t0 = now_ns();
    CHECK_RET("ring_buffer__consume", ring_buffer__consume(rb));
    uint64_t t1 = now_ns();
    if (c.records != records) {
      fprintf(stderr, "hot: drained %ld of %ld records\n", c.records, records);
      return 2;
    }
    printf("%s%.3f", i ? "," : "", (double)(t1 - t0) / (double)records);
  }
  printf("]}\n");
  sink_u64(c.sum);
  ring_buffer__free(rb);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ringbuf drain <map-pin> <records> | ringbuf hot <map-pin> <prog-pin> <records> <reps> | ringbuf live <map-pin>\n");
    return 2;
  }
  if (!strcmp(argv[1], "hot")) return hot(argc, argv);
  int live = !strcmp(argv[1], "live");
  if (!live && (strcmp(argv[1], "drain") || argc != 4)) {
    fprintf(stderr, "usage: ringbuf drain <map-pin> <records> | ringbuf hot <map-pin> <prog-pin> <records> <reps> | ringbuf live <map-pin>\n");
    return 2;
  }
  if (live) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;  // no SA_RESTART: epoll_wait returns EINTR
    sigaction(SIGUSR1, &sa, NULL);
  }
  int fd = bpf_obj_get(argv[2]);
  CHECK_RET("bpf_obj_get", fd);
  struct counter c = {0};
  struct ring_buffer *rb = ring_buffer__new(fd, on_sample, &c, NULL);
  if (!rb) CHECK_RET("ring_buffer__new", -errno);

  if (!live) {
    long want = arg_long(argv[3], "records");
    uint64_t c0 = cpu_ns(), t0 = now_ns();
    while (c.records < want) {
      int n = ring_buffer__consume(rb);
      CHECK_RET("ring_buffer__consume", n);
      if (n == 0) break;
    }
    uint64_t t1 = now_ns(), c1 = cpu_ns();
    sink_u64(c.sum);
    printf("{\"records\":%ld,\"ns\":%llu,\"cpu_ns\":%llu}\n", c.records, (unsigned long long)(t1 - t0),
           (unsigned long long)(c1 - c0));
  } else {
    printf("ready\n");
    fflush(stdout);
    uint64_t c0 = cpu_ns();
    while (!producer_done) {
      int n = ring_buffer__poll(rb, 5);
      if (n < 0 && n != -EINTR) CHECK_RET("ring_buffer__poll", n);
    }
    CHECK_RET("ring_buffer__consume", ring_buffer__consume(rb));
    uint64_t done = now_ns(), c1 = cpu_ns();
    sink_u64(c.sum);
    printf("{\"records\":%ld,\"done_ns\":%llu,\"cpu_ns\":%llu}\n", c.records, (unsigned long long)done,
           (unsigned long long)(c1 - c0));
  }
  ring_buffer__free(rb);
  return 0;
}
