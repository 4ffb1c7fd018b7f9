// Single map operations through libbpf, the C counterpart of bench/map-ops.mjs.
// usage: map_ops <hash_lookup|hash_update|array_lookup> <keys> <ops> <warmup>
// Creates its own map (same type, sizes and fill as the Node side), runs
// <warmup> untimed ops, then <ops> timed ops cycling over the keys, and prints
// {"op":...,"ops":N,"ns":T,"cpu_ns":C} as one JSON line (wall and CPU time).
#include "common.h"
#include <bpf/bpf.h>

static int make_map(enum bpf_map_type type, uint32_t keys) {
  int fd = bpf_map_create(type, "lk_bench_c", 4, 8, keys, NULL);
  CHECK_RET("bpf_map_create", fd);
  for (uint32_t k = 0; k < keys; k++) {
    uint64_t v = k;
    CHECK_RET("bpf_map_update_elem (fill)", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
  }
  return fd;
}

static void lookups(int fd, uint32_t keys, long n) {
  uint64_t sum = 0, v;
  uint32_t k = 0;
  for (long i = 0; i < n; i++) {
    if (bpf_map_lookup_elem(fd, &k, &v) < 0) CHECK_RET("bpf_map_lookup_elem", -errno);
    sum += v;
    if (++k == keys) k = 0;
  }
  sink_u64(sum);
}

static void updates(int fd, uint32_t keys, long n) {
  uint32_t k = 0;
  for (long i = 0; i < n; i++) {
    uint64_t v = (uint64_t)i;
    if (bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0) CHECK_RET("bpf_map_update_elem", -errno);
    if (++k == keys) k = 0;
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: map_ops <hash_lookup|hash_update|array_lookup> <keys> <ops> <warmup>\n");
    return 2;
  }
  const char *op = argv[1];
  uint32_t keys = (uint32_t)arg_long(argv[2], "keys");
  long ops = arg_long(argv[3], "ops"), warmup = arg_long(argv[4], "warmup");
  int is_update = !strcmp(op, "hash_update");
  enum bpf_map_type type;
  if (!strcmp(op, "hash_lookup") || is_update) type = BPF_MAP_TYPE_HASH;
  else if (!strcmp(op, "array_lookup")) type = BPF_MAP_TYPE_ARRAY;
  else {
    fprintf(stderr, "unknown op '%s'\n", op);
    return 2;
  }
  int fd = make_map(type, keys);
  void (*run)(int, uint32_t, long) = is_update ? updates : lookups;
  run(fd, keys, warmup);
  uint64_t c0 = cpu_ns(), t0 = now_ns();
  run(fd, keys, ops);
  uint64_t t1 = now_ns(), c1 = cpu_ns();
  printf("{\"op\":\"%s\",\"ops\":%ld,\"ns\":%llu,\"cpu_ns\":%llu}\n", op, ops,
         (unsigned long long)(t1 - t0), (unsigned long long)(c1 - c0));
  return 0;
}
