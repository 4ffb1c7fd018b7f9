// Prints the libbpf version the benchmarks link against, for results/*.json.
#include <stdio.h>
#include <bpf/libbpf.h>

int main(void) {
  printf("%s\n", libbpf_version_string());
  return 0;
}
