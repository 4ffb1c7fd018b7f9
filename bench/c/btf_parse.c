// vmlinux BTF through libbpf, the C counterpart of bench/btf-parse.mjs.
// usage: btf_parse <path> <warm reps>
// Times, first in this fresh process and then <warm reps> more times:
// btf__parse(path) (read + validate), the first btf__find_by_name_kind()
// ("task_struct", STRUCT), and a walk over every type that reads each name and
// each member / enumerator / parameter / variable, as the Node walk decodes
// them. Prints one JSON line: first-run and per-repetition nanoseconds, the
// type count, and the resident memory the first parse added (KiB).
#include "common.h"
#include <unistd.h>
#include <bpf/btf.h>

static long rss_kib(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2) {
    fprintf(stderr, "cannot read /proc/self/statm\n");
    exit(2);
  }
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static uint64_t name_len(const struct btf *btf, uint32_t off) {
  const char *s = btf__name_by_offset(btf, off);
  return s ? strlen(s) : 0;
}

// Touch what the Node walk decodes: names, member types and offsets, values.
static uint64_t walk(const struct btf *btf) {
  uint64_t acc = 0;
  uint32_t n = btf__type_cnt(btf);
  for (uint32_t id = 1; id < n; id++) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    acc += name_len(btf, t->name_off) + t->size;
    uint16_t vlen = btf_vlen(t);
    switch (btf_kind(t)) {
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      const struct btf_member *m = btf_members(t);
      for (uint16_t i = 0; i < vlen; i++) acc += name_len(btf, m[i].name_off) + m[i].type + m[i].offset;
      break;
    }
    case BTF_KIND_ENUM: {
      const struct btf_enum *e = btf_enum(t);
      for (uint16_t i = 0; i < vlen; i++) acc += name_len(btf, e[i].name_off) + (uint32_t)e[i].val;
      break;
    }
    case BTF_KIND_ENUM64: {
      const struct btf_enum64 *e = btf_enum64(t);
      for (uint16_t i = 0; i < vlen; i++) acc += name_len(btf, e[i].name_off) + e[i].val_lo32 + e[i].val_hi32;
      break;
    }
    case BTF_KIND_FUNC_PROTO: {
      const struct btf_param *p = btf_params(t);
      for (uint16_t i = 0; i < vlen; i++) acc += name_len(btf, p[i].name_off) + p[i].type;
      break;
    }
    case BTF_KIND_DATASEC: {
      const struct btf_var_secinfo *v = btf_var_secinfos(t);
      for (uint16_t i = 0; i < vlen; i++) acc += v[i].type + v[i].offset + v[i].size;
      break;
    }
    case BTF_KIND_ARRAY: {
      const struct btf_array *a = btf_array(t);
      acc += a->type + a->index_type + a->nelems;
      break;
    }
    default:
      break;
    }
  }
  return acc;
}

struct rep {
  uint64_t parse, lookup, walk;
};

static struct rep once(const char *path, uint32_t *types, long *rss_delta) {
  struct rep r;
  long rss0 = rss_kib();
  uint64_t t0 = now_ns();
  struct btf *btf = btf__parse(path, NULL);
  uint64_t t1 = now_ns();
  if (!btf) CHECK_RET("btf__parse", -errno);
  if (rss_delta) *rss_delta = rss_kib() - rss0;
  __s32 id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
  uint64_t t2 = now_ns();
  CHECK_RET("btf__find_by_name_kind(task_struct)", id);
  sink_u64(walk(btf));
  uint64_t t3 = now_ns();
  *types = btf__type_cnt(btf) - 1;
  btf__free(btf);
  r.parse = t1 - t0;
  r.lookup = t2 - t1;
  r.walk = t3 - t2;
  return r;
}

static void print_list(const char *key, const struct rep *reps, int n, int field) {
  printf("\"%s\":[", key);
  for (int i = 0; i < n; i++) {
    uint64_t v = field == 0 ? reps[i].parse : field == 1 ? reps[i].lookup : reps[i].walk;
    printf("%s%llu", i ? "," : "", (unsigned long long)v);
  }
  printf("]");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: btf_parse <path> <warm reps>\n");
    return 2;
  }
  int reps = (int)arg_long(argv[2], "warm reps");
  uint32_t types = 0;
  long rss = 0;
  struct rep first = once(argv[1], &types, &rss);
  struct rep *warm = calloc(reps ? reps : 1, sizeof *warm);
  if (!warm) return 2;
  for (int i = 0; i < reps; i++) warm[i] = once(argv[1], &types, NULL);
  printf("{\"types\":%u,\"rss_kib\":%ld,\"first\":{\"parse_ns\":%llu,\"lookup_ns\":%llu,\"walk_ns\":%llu},", types, rss,
         (unsigned long long)first.parse, (unsigned long long)first.lookup, (unsigned long long)first.walk);
  print_list("parse_ns", warm, reps, 0);
  printf(",");
  print_list("lookup_ns", warm, reps, 1);
  printf(",");
  print_list("walk_ns", warm, reps, 2);
  printf("}\n");
  return 0;
}
