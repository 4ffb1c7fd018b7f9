// Loading an eBPF object through libbpf, the C counterpart of
// bench/object-load.mjs. usage: object_load <object.o> <reps>
// Times bpf_object__open_file() + bpf_object__load() once in this fresh
// process, then <reps> more times (each object closed, untimed, before the
// next). Prints one JSON line: the first load and each repetition in wall and
// CPU nanoseconds, and the number of programs loaded.
#include "common.h"
#include <stdarg.h>
#include <bpf/libbpf.h>

// Keep libbpf's warnings, drop its info/debug chatter.
static int print_warnings(enum libbpf_print_level level, const char *fmt, va_list args) {
  return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

struct rep {
  uint64_t ns, cpu_ns;
};

static struct rep load_once(const char *path, int *progs) {
  uint64_t c0 = cpu_ns(), t0 = now_ns();
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) CHECK_RET("bpf_object__open_file", -errno);
  CHECK_RET("bpf_object__load", bpf_object__load(obj));
  uint64_t t1 = now_ns(), c1 = cpu_ns();
  struct bpf_program *p;
  *progs = 0;
  bpf_object__for_each_program(p, obj) if (bpf_program__fd(p) >= 0) (*progs)++;
  bpf_object__close(obj);
  return (struct rep){ t1 - t0, c1 - c0 };
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: object_load <object.o> <reps>\n");
    return 2;
  }
  int reps = (int)arg_long(argv[2], "reps");
  libbpf_set_print(print_warnings);
  int progs = 0;
  struct rep first = load_once(argv[1], &progs);
  printf("{\"programs\":%d,\"first\":{\"ns\":%llu,\"cpu_ns\":%llu},\"ns\":[", progs, (unsigned long long)first.ns,
         (unsigned long long)first.cpu_ns);
  struct rep *r = calloc(reps ? reps : 1, sizeof *r);
  if (!r) return 2;
  for (int i = 0; i < reps; i++) r[i] = load_once(argv[1], &progs);
  for (int i = 0; i < reps; i++) printf("%s%llu", i ? "," : "", (unsigned long long)r[i].ns);
  printf("],\"cpu_ns\":[");
  for (int i = 0; i < reps; i++) printf("%s%llu", i ? "," : "", (unsigned long long)r[i].cpu_ns);
  printf("]}\n");
  return 0;
}
