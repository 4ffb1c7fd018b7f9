// Shared helpers for the C/libbpf side of the benchmarks: a monotonic clock,
// argument parsing that refuses garbage, and failure that names the call.
#ifndef LK_BENCH_COMMON_H
#define LK_BENCH_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// CPU time of this process (user + system): less sensitive than the wall
// clock to other work on a shared machine.
static inline uint64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// libbpf returns -errno (and sets errno); print the call and errno, exit 2.
#define CHECK_RET(what, ret)                                                         \
  do {                                                                               \
    long r_ = (long)(ret);                                                           \
    if (r_ < 0) {                                                                    \
      fprintf(stderr, "%s failed: %s (%ld)\n", what, strerror(r_ == -1 ? errno : (int)-r_), r_); \
      exit(2);                                                                       \
    }                                                                                \
  } while (0)

static inline long arg_long(const char *s, const char *name) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 0) {
    fprintf(stderr, "bad %s '%s'\n", name, s);
    exit(2);
  }
  return v;
}

// Keep the compiler from discarding a value the loop computes.
static inline void sink_u64(uint64_t v) { __asm__ volatile("" : : "r"(v) : "memory"); }

#endif
