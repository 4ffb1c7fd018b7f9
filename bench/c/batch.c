// Whole-map batch lookup through libbpf, the C counterpart of bench/batch.mjs.
// usage: batch <entries> <chunk> [<map-pin>]
// Walks the HASH u32 -> u64 map pinned at <map-pin> (the very map the Node
// side walks: same buckets, same element memory), or without a pin creates
// one of exactly <entries> entries (filled with bpf_map_update_batch); walks
// it once untimed, then times one full walk with bpf_map_lookup_batch,
// <chunk> entries per call, into preallocated buffers.
// Prints {"entries":N,"chunk":C,"calls":K,"ns":T,"cpu_ns":U} as one JSON line.
#include "common.h"
#include <bpf/bpf.h>

static long walk(int fd, uint32_t *keys, uint64_t *vals, uint32_t chunk, long *calls) {
  uint32_t in = 0, out = 0;
  void *in_batch = NULL;
  long total = 0;
  *calls = 0;
  for (;;) {
    uint32_t count = chunk;
    int ret = bpf_map_lookup_batch(fd, in_batch, &out, keys, vals, &count, NULL);
    (*calls)++;
    if (ret < 0 && errno != ENOENT) CHECK_RET("bpf_map_lookup_batch", -errno);
    total += count;
    sink_u64(vals[0] + keys[0]);
    if (ret < 0) return total;  // ENOENT: that was the last chunk
    in = out;
    in_batch = &in;
  }
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: batch <entries> <chunk> [<map-pin>]\n");
    return 2;
  }
  uint32_t entries = (uint32_t)arg_long(argv[1], "entries");
  uint32_t chunk = (uint32_t)arg_long(argv[2], "chunk");
  uint32_t *keys = calloc(entries > chunk ? entries : chunk, sizeof *keys);
  uint64_t *vals = calloc(entries > chunk ? entries : chunk, sizeof *vals);
  if (!keys || !vals) return 2;
  int fd;
  if (argc == 4) {
    fd = bpf_obj_get(argv[3]);
    CHECK_RET("bpf_obj_get", fd);
  } else {
    fd = bpf_map_create(BPF_MAP_TYPE_HASH, "lk_bench_batch", 4, 8, entries, NULL);
    CHECK_RET("bpf_map_create", fd);
    for (uint32_t i = 0; i < entries; i++) {
      keys[i] = i;
      vals[i] = (uint64_t)i * 3;
    }
    uint32_t n = entries;
    CHECK_RET("bpf_map_update_batch", bpf_map_update_batch(fd, keys, vals, &n, NULL));
  }
  long calls;
  long got = walk(fd, keys, vals, chunk, &calls);
  if (got != entries) {
    fprintf(stderr, "warmup walk saw %ld of %u entries\n", got, entries);
    return 2;
  }
  uint64_t c0 = cpu_ns(), t0 = now_ns();
  got = walk(fd, keys, vals, chunk, &calls);
  uint64_t t1 = now_ns(), c1 = cpu_ns();
  if (got != entries) {
    fprintf(stderr, "walk saw %ld of %u entries\n", got, entries);
    return 2;
  }
  printf("{\"entries\":%ld,\"chunk\":%u,\"calls\":%ld,\"ns\":%llu,\"cpu_ns\":%llu}\n", got, chunk,
         calls, (unsigned long long)(t1 - t0), (unsigned long long)(c1 - c0));
  return 0;
}
