// lkb_net: the traffic of bench/lockne. One small C program for every way the
// app is routed (by Lockne, by SO_MARK, through a SOCKS proxy via
// proxychains4, which hooks libc's connect()), so the three differ only in
// the routing and the client's own cost is the same.
//
//   lkb_net server PORT                     TCP + UDP on 0.0.0.0:PORT; prints "ready"
//   lkb_net [-m MARK] rr   HOST PORT N SIZE  N request/response round trips on one connection
//   lkb_net [-m MARK] crr  HOST PORT N SIZE  N times: connect, one round trip, close
//   lkb_net [-m MARK] up   HOST PORT MS      bulk upload for MS ms (server counts the bytes)
//   lkb_net [-m MARK] down HOST PORT MS      bulk download for MS ms
//   lkb_net [-m MARK] udp  HOST PORT N SIZE  N unconnected sendto()s (cgroup sendmsg4 runs per call)
//   lkb_net [-m MARK] hold HOST PORT N SECS  N connected UDP sockets, one datagram each per second
//   lkb_net [-m MARK] cmds HOST PORT         commands on stdin (rr N SIZE | crr N SIZE | up|down|bup|bdown MS),
//                                            one JSON line each: a driver interleaves variants finely
//
// Clients print one JSON object on stdout. -m sets SO_MARK on each socket
// before connect (needs CAP_NET_ADMIN): the "marked by hand" baseline.
//
// Wire protocol (TCP): the first byte is the mode.
//   'E' + u32 size (network order): echo; the server reads `size` bytes and
//       writes them back, until EOF.
//   'U': 64 KiB chunks, the last one starting with 'z'; the server then writes
//       the byte count as u64 (network order).
//   'D' + u32 ms: the server writes 64 KiB chunks for `ms` ms, then closes.
//   'B': batches as in 'U', each answered with its count, until EOF.
//   'G': per u32 ms request, 64 KiB chunks for that long, the last starting with 'z'.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static unsigned mark;

__attribute__((noreturn)) static void die(const char *what) {
  fprintf(stderr, "lkb_net: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/** Read exactly n bytes: 0, or -1 on EOF / error (errno ECONNRESET for EOF). */
static int read_all(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = ECONNRESET;
      return -1;
    }
    got += (size_t)r;
  }
  return 0;
}

/** Clients: read exactly n bytes or die. */
static void read_full(int fd, void *buf, size_t n) {
  if (read_all(fd, buf, n) < 0) die("read");
}

/** Write all n bytes: 0, or -1 on error. */
static int write_all(int fd, const void *buf, size_t n) {
  size_t put = 0;
  while (put < n) {
    ssize_t r = write(fd, (const char *)buf + put, n - put);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    put += (size_t)r;
  }
  return 0;
}

/** Clients: write all n bytes or die. */
static void write_full(int fd, const void *buf, size_t n) {
  if (write_all(fd, buf, n) < 0) die("write");
}

static struct sockaddr_in addr_of(const char *host, const char *port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "lkb_net: '%s' is not an IPv4 address\n", host);
    exit(2);
  }
  return a;
}

static int new_socket(int type) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) die("socket");
  if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) die("setsockopt SO_MARK");
  return fd;
}

static int tcp_connect(const struct sockaddr_in *a) {
  int fd = new_socket(SOCK_STREAM);
  if (connect(fd, (const struct sockaddr *)a, sizeof *a) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// ---- server ---------------------------------------------------------------

static void *serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  char mode;
  static __thread char buf[CHUNK];
  if (read(fd, &mode, 1) != 1) goto out;
  if (mode == 'E') {
    uint32_t size;
    if (read_all(fd, &size, 4) < 0) goto out;
    size = ntohl(size);
    if (size == 0 || size > CHUNK) goto out;
    for (;;) {
      size_t got = 0;
      while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r <= 0) goto out;
        got += (size_t)r;
      }
      if (write_all(fd, buf, size) < 0) goto out;
    }
  } else if (mode == 'U') {
    // 64 KiB chunks; the last one starts with 'z' (no half-close: a SOCKS
    // proxy may tear the whole connection down on the client's FIN).
    uint64_t total = 0;
    do {
      if (read_all(fd, buf, CHUNK) < 0) goto out;
      total += CHUNK;
    } while (buf[0] != 'z');
    uint64_t be = htobe64(total);
    if (write_all(fd, &be, 8) < 0) goto out;
  } else if (mode == 'B') {
    // Persistent upload: batches as in 'U', each answered with its byte count, until EOF.
    for (;;) {
      uint64_t total = 0;
      do {
        if (read_all(fd, buf, CHUNK) < 0) goto out;
        total += CHUNK;
      } while (buf[0] != 'z');
      uint64_t be = htobe64(total);
      if (write_all(fd, &be, 8) < 0) goto out;
    }
  } else if (mode == 'G') {
    // Persistent download: per u32 ms request, 64 KiB chunks for that long, the last starting with 'z'.
    for (;;) {
      uint32_t ms;
      if (read_all(fd, &ms, 4) < 0) goto out;
      uint64_t end = now_ns() + (uint64_t)ntohl(ms) * 1000000ull;
      memset(buf, 'x', CHUNK);
      do {
        if (now_ns() >= end) buf[0] = 'z';
        if (write_all(fd, buf, CHUNK) < 0) goto out;
      } while (buf[0] != 'z');
    }
  } else if (mode == 'D') {
    uint32_t ms;
    if (read_all(fd, &ms, 4) < 0) goto out;
    uint64_t end = now_ns() + (uint64_t)ntohl(ms) * 1000000ull;
    memset(buf, 'x', sizeof buf);
    while (now_ns() < end) {
      if (write(fd, buf, sizeof buf) < 0) break;
    }
  }
out:
  close(fd);
  return NULL;
}

static void *udp_sink(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[CHUNK];
  for (;;) {
    if (recv(fd, buf, sizeof buf, 0) < 0 && errno != EINTR) return NULL;
  }
}

static int server(const char *port) {
  struct sockaddr_in a = addr_of("0.0.0.0", port);
  int one = 1;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) die("socket");
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0) die("bind tcp");
  if (listen(ls, 512) < 0) die("listen");
  int us = socket(AF_INET, SOCK_DGRAM, 0);
  if (us < 0) die("socket");
  if (bind(us, (struct sockaddr *)&a, sizeof a) < 0) die("bind udp");
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  if (pthread_create(&t, &attr, udp_sink, (void *)(intptr_t)us) != 0) die("pthread_create");
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) die("pthread_create");
  }
}

// ---- clients --------------------------------------------------------------

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/** Latency statistics of n samples (sorted in place) as JSON. */
static void print_latency(const char *mode, uint64_t *ns, unsigned n, unsigned size, uint64_t wall) {
  qsort(ns, n, sizeof *ns, cmp_u64);
  uint64_t sum = 0;
  for (unsigned i = 0; i < n; i++) sum += ns[i];
  printf("{\"mode\":\"%s\",\"n\":%u,\"size\":%u,\"meanNs\":%.1f,\"minNs\":%llu,\"p50Ns\":%llu,\"p90Ns\":%llu,\"p99Ns\":%llu,\"maxNs\":%llu,\"wallNs\":%llu}\n",
         mode, n, size, (double)sum / n, (unsigned long long)ns[0], (unsigned long long)ns[n / 2],
         (unsigned long long)ns[(n * 9) / 10], (unsigned long long)ns[(n * 99) / 100], (unsigned long long)ns[n - 1],
         (unsigned long long)wall);
}

static void echo_header(int fd, unsigned size) {
  char hdr[5] = {'E'};
  uint32_t be = htonl(size);
  memcpy(hdr + 1, &be, 4);
  write_full(fd, hdr, 5);
}

/** An echo connection with the mode header sent and 50 untimed round trips (caches, the proxy's threads, the tunnel's queues). */
static int rr_open(const struct sockaddr_in *a, char *buf, unsigned size) {
  int fd = tcp_connect(a);
  echo_header(fd, size);
  for (unsigned i = 0; i < 50; i++) {
    write_full(fd, buf, size);
    read_full(fd, buf, size);
  }
  return fd;
}

static void rr_times(int fd, char *buf, unsigned size, unsigned n, uint64_t *ns) {
  for (unsigned i = 0; i < n; i++) {
    uint64_t t0 = now_ns();
    write_full(fd, buf, size);
    read_full(fd, buf, size);
    ns[i] = now_ns() - t0;
  }
}

/** connect, one exchange (header and request in one write), close: its time. */
static uint64_t crr_once(const struct sockaddr_in *a, char *buf, unsigned size) {
  uint64_t t0 = now_ns();
  int fd = tcp_connect(a);
  buf[0] = 'E';
  uint32_t be = htonl(size);
  memcpy(buf + 1, &be, 4);
  write_full(fd, buf, size + 5);
  read_full(fd, buf, size);
  close(fd);
  return now_ns() - t0;
}

static int rr(const struct sockaddr_in *a, unsigned n, unsigned size) {
  char *buf = calloc(1, size);
  uint64_t *ns = calloc(n, sizeof *ns);
  if (!buf || !ns) die("calloc");
  int fd = rr_open(a, buf, size);
  uint64_t w0 = now_ns();
  rr_times(fd, buf, size, n, ns);
  uint64_t wall = now_ns() - w0;
  close(fd);
  print_latency("rr", ns, n, size, wall);
  return 0;
}

static int crr(const struct sockaddr_in *a, unsigned n, unsigned size) {
  char *buf = calloc(1, size + 5);
  uint64_t *ns = calloc(n, sizeof *ns);
  if (!buf || !ns) die("calloc");
  for (unsigned i = 0; i < 10; i++) crr_once(a, buf, size);  // warm-up
  uint64_t w0 = now_ns();
  for (unsigned i = 0; i < n; i++) ns[i] = crr_once(a, buf, size);
  print_latency("crr", ns, n, size, now_ns() - w0);
  return 0;
}

static void print_samples(const char *mode, const uint64_t *ns, unsigned n) {
  printf("{\"mode\":\"%s\",\"ns\":[", mode);
  for (unsigned i = 0; i < n; i++) printf("%s%llu", i ? "," : "", (unsigned long long)ns[i]);
  printf("]}\n");
}

static int up(const struct sockaddr_in *a, unsigned ms);
static int down(const struct sockaddr_in *a, unsigned ms);

/**
 * Commands on stdin, one JSON line out per command, so a driver can interleave
 * several routed clients finely: `rr N SIZE` (N round trips on a connection
 * kept open between commands), `crr N SIZE`, `up MS`, `down MS` (a new
 * connection each), `bup MS`, `bdown MS` (bulk for MS ms on a connection kept
 * open between commands, so short blocks need no slow start).
 */
static int cmds(const struct sockaddr_in *a) {
  char line[128], cmd[16];
  static char buf[CHUNK + 5];
  static uint64_t ns[100000];
  int rrfd = -1, bupfd = -1, bdownfd = -1;
  unsigned rrsize = 0;
  while (fgets(line, sizeof line, stdin)) {
    unsigned x = 0, y = 0;
    if (sscanf(line, "%15s %u %u", cmd, &x, &y) < 2 || x == 0) {
      printf("{\"error\":\"bad command\"}\n");
    } else if (strcmp(cmd, "rr") == 0 && y > 0 && y <= CHUNK && x <= 100000) {
      if (rrfd < 0 || rrsize != y) {
        if (rrfd >= 0) close(rrfd);
        rrfd = rr_open(a, buf, y);
        rrsize = y;
      }
      rr_times(rrfd, buf, y, x, ns);
      print_samples("rr", ns, x);
    } else if (strcmp(cmd, "crr") == 0 && y > 0 && y <= CHUNK && x <= 100000) {
      for (unsigned i = 0; i < x; i++) ns[i] = crr_once(a, buf, y);
      print_samples("crr", ns, x);
    } else if (strcmp(cmd, "bup") == 0 || strcmp(cmd, "bdown") == 0) {
      int up_ = cmd[1] == 'u';
      int *fd = up_ ? &bupfd : &bdownfd;
      if (*fd < 0) {
        *fd = tcp_connect(a);
        write_full(*fd, up_ ? "B" : "G", 1);
      }
      uint64_t t0 = now_ns(), bytes = 0;
      if (up_) {
        uint64_t end = t0 + (uint64_t)x * 1000000ull;
        memset(buf, 'u', CHUNK);
        do {
          if (now_ns() >= end) buf[0] = 'z';
          write_full(*fd, buf, CHUNK);
          bytes += CHUNK;
        } while (buf[0] != 'z');
        uint64_t be;
        read_full(*fd, &be, 8);  // everything arrived
        if (be64toh(be) != bytes) {
          fprintf(stderr, "lkb_net: sent %llu bytes, the server counted %llu\n", (unsigned long long)bytes, (unsigned long long)be64toh(be));
          return 1;
        }
      } else {
        uint32_t be = htonl(x);
        write_full(*fd, &be, 4);
        do {
          read_full(*fd, buf, CHUNK);
          bytes += CHUNK;
        } while (buf[0] != 'z');
      }
      uint64_t ns_ = now_ns() - t0;
      printf("{\"mode\":\"%s\",\"bytes\":%llu,\"ns\":%llu,\"bitsPerSecond\":%.0f}\n", cmd, (unsigned long long)bytes, (unsigned long long)ns_, bytes * 8e9 / ns_);
    } else if (strcmp(cmd, "up") == 0) {
      up(a, x);
    } else if (strcmp(cmd, "down") == 0) {
      down(a, x);
    } else {
      printf("{\"error\":\"bad command\"}\n");
    }
    fflush(stdout);
  }
  return 0;
}

static int up(const struct sockaddr_in *a, unsigned ms) {
  static char buf[CHUNK];
  memset(buf, 'u', sizeof buf);
  int fd = tcp_connect(a);
  uint64_t t0 = now_ns();
  write_full(fd, "U", 1);
  uint64_t end = t0 + (uint64_t)ms * 1000000ull, sent = 0;
  do {
    if (now_ns() >= end) buf[0] = 'z';  // the last chunk
    write_full(fd, buf, sizeof buf);
    sent += sizeof buf;
  } while (buf[0] != 'z');
  uint64_t be;
  read_full(fd, &be, 8);  // the server's count: everything arrived
  uint64_t ns = now_ns() - t0, got = be64toh(be);
  close(fd);
  if (got != sent) {
    fprintf(stderr, "lkb_net: sent %llu bytes, the server counted %llu\n", (unsigned long long)sent, (unsigned long long)got);
    return 1;
  }
  printf("{\"mode\":\"up\",\"bytes\":%llu,\"ns\":%llu,\"bitsPerSecond\":%.0f}\n", (unsigned long long)got, (unsigned long long)ns, got * 8e9 / ns);
  return 0;
}

static int down(const struct sockaddr_in *a, unsigned ms) {
  static char buf[CHUNK];
  int fd = tcp_connect(a);
  char hdr[5] = {'D'};
  uint32_t be = htonl(ms);
  memcpy(hdr + 1, &be, 4);
  uint64_t t0 = now_ns(), got = 0;
  write_full(fd, hdr, 5);
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) got += (uint64_t)r;
  if (r < 0) die("read");
  uint64_t ns = now_ns() - t0;
  close(fd);
  printf("{\"mode\":\"down\",\"bytes\":%llu,\"ns\":%llu,\"bitsPerSecond\":%.0f}\n", (unsigned long long)got, (unsigned long long)ns, got * 8e9 / ns);
  return 0;
}

static int udp(const struct sockaddr_in *a, unsigned n, unsigned size) {
  char *buf = calloc(1, size);
  if (!buf) die("calloc");
  int fd = new_socket(SOCK_DGRAM);
  uint64_t t0 = now_ns();
  unsigned failed = 0;
  for (unsigned i = 0; i < n; i++) {
    if (sendto(fd, buf, size, 0, (const struct sockaddr *)a, sizeof *a) < 0) {
      if (errno != ENOBUFS && errno != EAGAIN) die("sendto");
      failed++;
    }
  }
  printf("{\"mode\":\"udp\",\"n\":%u,\"size\":%u,\"failed\":%u,\"ns\":%llu}\n", n, size, failed, (unsigned long long)(now_ns() - t0));
  return 0;
}

static int hold(const struct sockaddr_in *a, unsigned n, unsigned secs) {
  int *fds = calloc(n, sizeof *fds);
  if (!fds) die("calloc");
  for (unsigned i = 0; i < n; i++) {
    fds[i] = new_socket(SOCK_DGRAM);
    if (connect(fds[i], (const struct sockaddr *)a, sizeof *a) < 0) die("connect");
  }
  printf("{\"mode\":\"hold\",\"sockets\":%u}\n", n);
  fflush(stdout);
  for (unsigned s = 0; s < secs; s++) {
    for (unsigned i = 0; i < n; i++) send(fds[i], "h", 1, 0);
    sleep(1);
  }
  return 0;
}

__attribute__((noreturn)) static void usage(void) {
  fprintf(stderr, "usage: lkb_net server PORT | lkb_net [-m MARK] (rr|crr|udp HOST PORT N SIZE | up|down HOST PORT MS | hold HOST PORT N SECS | cmds HOST PORT)\n");
  exit(2);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  int i = 1;
  if (argc > 2 && strcmp(argv[1], "-m") == 0) {
    mark = (unsigned)strtoul(argv[2], NULL, 0);
    i = 3;
  }
  if (argc - i < 2) usage();
  const char *mode = argv[i];
  if (strcmp(mode, "server") == 0) return server(argv[i + 1]);
  if (argc - i < (strcmp(mode, "cmds") == 0 ? 3 : 4)) usage();
  struct sockaddr_in a = addr_of(argv[i + 1], argv[i + 2]);
  unsigned x = argc - i > 3 ? (unsigned)strtoul(argv[i + 3], NULL, 0) : 0;
  unsigned y = argc - i > 4 ? (unsigned)strtoul(argv[i + 4], NULL, 0) : 0;
  if (strcmp(mode, "cmds") == 0) return cmds(&a);
  if (strcmp(mode, "up") == 0) return up(&a, x);
  if (strcmp(mode, "down") == 0) return down(&a, x);
  if (argc - i < 5 || x == 0) usage();
  if (strcmp(mode, "rr") == 0) return rr(&a, x, y ? y : 1);
  if (strcmp(mode, "crr") == 0) return crr(&a, x, y ? y : 1);
  if (strcmp(mode, "udp") == 0) return udp(&a, x, y ? y : 1);
  if (strcmp(mode, "hold") == 0) return hold(&a, x, y);
  usage();
}
