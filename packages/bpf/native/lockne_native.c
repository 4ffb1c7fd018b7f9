// The only native code in Lockne: thin, argument-checked wrappers around the
// syscalls Node cannot make itself. Every call returns a non-negative result or
// -errno; error text and all struct layouts live in TypeScript.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <node_api.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(env, call)                                                       \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      throw_last(env, #call);                                                  \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static void throw_last(napi_env env, const char *what) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG",
                        info && info->error_message ? info->error_message : what);
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static napi_value make_result(napi_env env, long ret) {
  return make_int(env, ret < 0 ? -(int64_t)errno : (int64_t)ret);
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return (int)argc;
}

static int arg_i64(napi_env env, napi_value v, int64_t *out, const char *name) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_number) return napi_get_value_int64(env, v, out) == napi_ok ? 0 : -1;
  if (t == napi_bigint) {
    bool lossless;
    return napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok ? 0 : -1;
  }
  char msg[96];
  snprintf(msg, sizeof msg, "argument '%s' must be a number or bigint", name);
  napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", msg);
  return -1;
}

static int arg_i32(napi_env env, napi_value v, int32_t *out, const char *name) {
  int64_t wide;
  if (arg_i64(env, v, &wide, name) < 0) return -1;
  *out = (int32_t)wide;
  return 0;
}

// Bytes of an ArrayBufferView (Uint8Array, DataView, ...) or ArrayBuffer.
// A null/undefined value gives NULL/0 when allow_null is set.
static int arg_bytes(napi_env env, napi_value v, void **data, size_t *len, int allow_null,
                     const char *name) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (allow_null && (t == napi_null || t == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 0;
  }
  bool is;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type tt;
    size_t n;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(env, v, &tt, &n, data, &ab, &off) != napi_ok) return -1;
    size_t elem = 1;
    switch (tt) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *len = n * elem;
    return 0;
  }
  napi_is_dataview(env, v, &is);
  if (is) {
    napi_value ab;
    size_t off;
    return napi_get_dataview_info(env, v, len, data, &ab, &off) == napi_ok ? 0 : -1;
  }
  napi_is_arraybuffer(env, v, &is);
  if (is) return napi_get_arraybuffer_info(env, v, data, len) == napi_ok ? 0 : -1;
  char msg[96];
  snprintf(msg, sizeof msg, "argument '%s' must be a TypedArray, DataView or ArrayBuffer", name);
  napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", msg);
  return -1;
}

static int arg_string(napi_env env, napi_value v, char *buf, size_t cap, int allow_null,
                      const char *name) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (allow_null && (t == napi_null || t == napi_undefined)) {
    buf[0] = 0;
    return 1;  // "absent"
  }
  size_t n;
  if (t != napi_string || napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "argument '%s' must be a string", name);
    napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", msg);
    return -1;
  }
  if (n + 1 >= cap) {
    napi_throw_range_error(env, "ERR_LOCKNE_NATIVE_ARG", "string argument too long");
    return -1;
  }
  return 0;
}

// Writes the address of `view` (or 0 for null) as a u64 at box+off, after
// checking that the 8 bytes fit inside the box.
static int write_address(napi_env env, void *box, size_t box_len, int64_t off, napi_value view) {
  void *data;
  size_t len;
  if (arg_bytes(env, view, &data, &len, 1, "pointer target") < 0) return -1;
  if (off < 0 || (size_t)off + 8 > box_len) {
    napi_throw_range_error(env, "ERR_LOCKNE_NATIVE_ARG", "pointer offset outside its buffer");
    return -1;
  }
  uint64_t addr = (uint64_t)(uintptr_t)data;
  memcpy((char *)box + off, &addr, 8);
  return 0;
}

// Applies a pointer list (undefined/null: nothing). Entries are
// [offset, view] patched into `base`, or, when base is NULL, nested entries
// [container, offset, view] patched into their own container.
static int patch_pointers(napi_env env, napi_value list, void *base, size_t base_len) {
  napi_valuetype t;
  napi_typeof(env, list, &t);
  if (t == napi_undefined || t == napi_null) return 0;
  uint32_t n;
  if (napi_get_array_length(env, list, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", "pointer list must be an array");
    return -1;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value entry, off_v, view_v;
    void *box = base;
    size_t box_len = base_len;
    uint32_t at = 0;
    if (napi_get_element(env, list, i, &entry) != napi_ok) return -1;
    if (!base) {
      napi_value box_v;
      if (napi_get_element(env, entry, at++, &box_v) != napi_ok) return -1;
      if (arg_bytes(env, box_v, &box, &box_len, 0, "nested container") < 0) return -1;
    }
    int64_t off;
    if (napi_get_element(env, entry, at++, &off_v) != napi_ok ||
        napi_get_element(env, entry, at, &view_v) != napi_ok)
      return -1;
    if (arg_i64(env, off_v, &off, "pointer offset") < 0) return -1;
    if (write_address(env, box, box_len, off, view_v) < 0) return -1;
  }
  return 0;
}

// bpf(cmd, attr, pointers?, nested?) where pointers is an array of [offset, view|null]:
// the address of each view is written as a u64 into attr at offset just before
// the call, so JavaScript never handles raw addresses. The views are arguments
// of this call, so they stay alive for its whole duration.
static napi_value Bpf(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv) < 0) return NULL;
  int32_t cmd;
  void *attr;
  size_t attr_len;
  if (arg_i32(env, argv[0], &cmd, "cmd") < 0) return NULL;
  if (arg_bytes(env, argv[1], &attr, &attr_len, 0, "attr") < 0) return NULL;
  // Nested pointers ([container, offset, view]) go into buffers the attr points
  // at, e.g. bpf_prog_info.map_ids.
  if (patch_pointers(env, argv[2], attr, attr_len) < 0) return NULL;
  if (patch_pointers(env, argv[3], NULL, 0) < 0) return NULL;
  long ret = syscall(SYS_bpf, cmd, attr, (unsigned int)attr_len);
  return make_result(env, ret);
}

// An int32 argument without the number-or-bigint dance of arg_i32 (hot path).
static int arg_int(napi_env env, napi_value v, int32_t *out, const char *name) {
  if (napi_get_value_int32(env, v, out) == napi_ok) return 0;
  char msg[96];
  snprintf(msg, sizeof msg, "argument '%s' must be a number", name);
  napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", msg);
  return -1;
}

// bpf2(cmd, area, attrSize, ptrA, dataA, ptrB, dataB): bpf() on the attr at
// the start of `area` (attrSize bytes), with up to two of its pointer fields
// aimed inside the same area: the address of area + dataX goes at attr offset
// ptrX (dataX -1: NULL; ptrX -1: no pointer). The map-element hot path: one
// buffer and six integers cost far less to take from JavaScript than the
// arrays of [offset, view] pairs bpf() walks (bench/README.md). Offsets come
// from the TypeScript layout; this only checks they stay inside the area.
static napi_value Bpf2(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (get_args(env, info, 7, argv) < 0) return NULL;
  int32_t cmd, attr_size, ptr[2], data[2];
  if (arg_int(env, argv[0], &cmd, "cmd") < 0 || arg_int(env, argv[2], &attr_size, "attrSize") < 0 ||
      arg_int(env, argv[3], &ptr[0], "ptrA") < 0 || arg_int(env, argv[4], &data[0], "dataA") < 0 ||
      arg_int(env, argv[5], &ptr[1], "ptrB") < 0 || arg_int(env, argv[6], &data[1], "dataB") < 0)
    return NULL;
  void *area;
  size_t len;
  napi_typedarray_type tt;
  size_t n, off;
  if (napi_get_typedarray_info(env, argv[1], &tt, &n, &area, NULL, &off) == napi_ok &&
      tt == napi_uint8_array) {
    len = n;
  } else if (arg_bytes(env, argv[1], &area, &len, 0, "area") < 0) {
    return NULL;
  }
  if (attr_size <= 0 || (size_t)attr_size > len) {
    napi_throw_range_error(env, "ERR_LOCKNE_NATIVE_ARG", "attrSize outside area");
    return NULL;
  }
  for (int i = 0; i < 2; i++) {
    if (ptr[i] == -1) continue;
    if (ptr[i] < 0 || (int64_t)ptr[i] + 8 > attr_size || data[i] < -1 ||
        (data[i] >= 0 && (size_t)data[i] >= len)) {
      napi_throw_range_error(env, "ERR_LOCKNE_NATIVE_ARG", "pointer offset outside area");
      return NULL;
    }
    uint64_t addr = data[i] < 0 ? 0 : (uint64_t)(uintptr_t)((char *)area + data[i]);
    memcpy((char *)area + ptr[i], &addr, 8);
  }
  long ret = syscall(SYS_bpf, cmd, area, (unsigned int)attr_size);
  return make_result(env, ret);
}

// boundBpf(area, attrSize, cmdOffset) -> a function f() that does bpf(cmd,
// area, attrSize), cmd being the int32 at area + cmdOffset. For a fixed
// off-heap area whose attr (absolute pointers included) the caller keeps
// current: the map element hot path (sys/syscall.ts). A call then converts
// no argument at all: ~40 ns less than the three-argument call it replaced
// (bench/README.md). The area's address is taken once, so it must never
// move: a view over an ArrayBuffer created with `new ArrayBuffer(n)`; the
// function keeps that buffer alive. State hangs off the function (not a
// static), so worker threads each get their own.
struct bound_bpf {
  uint8_t *area;
  uint32_t attr_size;
  uint32_t cmd_offset;
  napi_ref keep;
};

static napi_value BoundBpfCall(napi_env env, napi_callback_info info) {
  struct bound_bpf *b;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&b) != napi_ok) return NULL;
  int32_t cmd;
  memcpy(&cmd, b->area + b->cmd_offset, sizeof cmd);
  long ret = syscall(SYS_bpf, cmd, b->area, b->attr_size);
  napi_value out;
  napi_create_int32(env, ret < 0 ? -errno : (int32_t)ret, &out);
  return out;
}

static void BoundBpfFree(napi_env env, void *data, void *hint) {
  (void)hint;
  struct bound_bpf *b = data;
  napi_delete_reference(env, b->keep);
  free(b);
}

static napi_value BoundBpf(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv) < 0) return NULL;
  int32_t attr_size, cmd_offset;
  if (arg_int(env, argv[1], &attr_size, "attrSize") < 0 || arg_int(env, argv[2], &cmd_offset, "cmdOffset") < 0)
    return NULL;
  void *area;
  napi_typedarray_type tt;
  size_t n;
  if (napi_get_typedarray_info(env, argv[0], &tt, &n, &area, NULL, NULL) != napi_ok || tt != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", "argument 'area' must be a Uint8Array");
    return NULL;
  }
  if (attr_size <= 0 || (size_t)attr_size > n || cmd_offset < attr_size || (size_t)cmd_offset + 4 > n) {
    napi_throw_range_error(env, "ERR_LOCKNE_NATIVE_ARG", "attrSize or cmdOffset outside area");
    return NULL;
  }
  struct bound_bpf *b = calloc(1, sizeof *b);
  if (!b) {
    napi_throw_error(env, "ERR_LOCKNE_NATIVE_ARG", "out of memory");
    return NULL;
  }
  b->area = area;
  b->attr_size = (uint32_t)attr_size;
  b->cmd_offset = (uint32_t)cmd_offset;
  napi_value fn;
  if (napi_create_reference(env, argv[0], 1, &b->keep) != napi_ok) {
    free(b);
    throw_last(env, "napi_create_reference");
    return NULL;
  }
  if (napi_create_function(env, "boundBpf", NAPI_AUTO_LENGTH, BoundBpfCall, b, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, b, BoundBpfFree, NULL, NULL) != napi_ok) {
    napi_delete_reference(env, b->keep);
    free(b);
    throw_last(env, "napi_create_function");
    return NULL;
  }
  return fn;
}

// addressOf(view) -> the address of its first byte as a bigint. Only for
// memory that never moves: a view over an ArrayBuffer created with
// `new ArrayBuffer(n)` (off-heap backing store) that the caller keeps alive.
static napi_value AddressOf(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) < 0) return NULL;
  void *data;
  size_t len;
  if (arg_bytes(env, argv[0], &data, &len, 0, "view") < 0) return NULL;
  napi_value out;
  napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)data, &out);
  return out;
}

// perfEventOpen(attr, pid, cpu, groupFd, flags, pointers?) where pointers is an
// array of [offset, view|null] patched into attr like bpf()'s (uprobe_path,
// kprobe_func: config1 holds the address of a NUL-terminated string).
static napi_value PerfEventOpen(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (get_args(env, info, 6, argv) < 0) return NULL;
  void *attr;
  size_t len;
  int32_t pid, cpu, group;
  int64_t flags;
  if (arg_bytes(env, argv[0], &attr, &len, 0, "attr") < 0) return NULL;
  if (arg_i32(env, argv[1], &pid, "pid") < 0 || arg_i32(env, argv[2], &cpu, "cpu") < 0 ||
      arg_i32(env, argv[3], &group, "groupFd") < 0 || arg_i64(env, argv[4], &flags, "flags") < 0)
    return NULL;
  if (patch_pointers(env, argv[5], attr, len) < 0) return NULL;
  long ret = syscall(SYS_perf_event_open, attr, pid, cpu, group, (unsigned long)flags);
  return make_result(env, ret);
}

// ioctl(fd, request, arg) where arg is an integer or a buffer passed by address.
static napi_value Ioctl(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv) < 0) return NULL;
  int32_t fd;
  int64_t req;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_i64(env, argv[1], &req, "request") < 0)
    return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  long ret;
  if (t == napi_number || t == napi_bigint || t == napi_undefined) {
    int64_t arg = 0;
    if (t != napi_undefined && arg_i64(env, argv[2], &arg, "arg") < 0) return NULL;
    ret = ioctl(fd, (unsigned long)req, (unsigned long)arg);
  } else {
    void *data;
    size_t len;
    if (arg_bytes(env, argv[2], &data, &len, 1, "arg") < 0) return NULL;
    ret = ioctl(fd, (unsigned long)req, data);
  }
  return make_result(env, ret);
}

static napi_value Close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) < 0) return NULL;
  int32_t fd;
  if (arg_i32(env, argv[0], &fd, "fd") < 0) return NULL;
  return make_result(env, close(fd));
}

// ---- mmap: memory exposed as an external ArrayBuffer ----------------------

typedef struct mapping {
  void *addr;
  size_t len;
  int unmapped;
  struct mapping *next;
} mapping;

static mapping *mappings = NULL;  // only touched on the JS thread

static void unlink_mapping(mapping *m) {
  for (mapping **p = &mappings; *p; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      return;
    }
  }
}

static void finalize_mapping(napi_env env, void *data, void *hint) {
  mapping *m = hint;
  if (!m->unmapped) munmap(m->addr, m->len);
  unlink_mapping(m);
  free(m);
}

// mmap(fd, length, prot, flags, offset, hint?) -> ArrayBuffer | -errno
// hint: an address suggestion (never MAP_FIXED), which a BPF arena created
// with a fixed user address requires.
static napi_value Mmap(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (get_args(env, info, 6, argv) < 0) return NULL;
  int32_t fd, prot, flags;
  int64_t len, off, hint = 0;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_i64(env, argv[1], &len, "length") < 0 ||
      arg_i32(env, argv[2], &prot, "prot") < 0 || arg_i32(env, argv[3], &flags, "flags") < 0 ||
      arg_i64(env, argv[4], &off, "offset") < 0)
    return NULL;
  napi_valuetype ht;
  napi_typeof(env, argv[5], &ht);
  if (ht != napi_undefined && ht != napi_null && arg_i64(env, argv[5], &hint, "hint") < 0) return NULL;
  if (len <= 0) return make_int(env, -EINVAL);
  if (hint && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) return make_int(env, -EINVAL);
  void *addr = mmap((void *)(uintptr_t)hint, (size_t)len, prot, flags, fd, (off_t)off);
  if (addr == MAP_FAILED) return make_int(env, -(int64_t)errno);
  mapping *m = calloc(1, sizeof *m);
  if (!m) {
    munmap(addr, (size_t)len);
    return make_int(env, -ENOMEM);
  }
  m->addr = addr;
  m->len = (size_t)len;
  m->next = mappings;
  mappings = m;
  napi_value ab;
  if (napi_create_external_arraybuffer(env, addr, (size_t)len, finalize_mapping, m, &ab) !=
      napi_ok) {
    munmap(addr, (size_t)len);
    unlink_mapping(m);
    free(m);
    throw_last(env, "napi_create_external_arraybuffer");
    return NULL;
  }
  return ab;
}

// munmap(buffer): unmaps now and detaches the buffer so JS can no longer reach
// the memory. Returns 0 or -errno (-EINVAL for a buffer mmap() did not make).
static napi_value Munmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) < 0) return NULL;
  void *data;
  size_t len;
  bool is_ab;
  napi_is_arraybuffer(env, argv[0], &is_ab);
  if (!is_ab) {
    napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", "munmap expects the ArrayBuffer from mmap");
    return NULL;
  }
  CHECK(env, napi_get_arraybuffer_info(env, argv[0], &data, &len));
  mapping *m = mappings;
  while (m && !(m->addr == data && !m->unmapped)) m = m->next;
  if (!m) return make_int(env, -EINVAL);
  int ret = munmap(m->addr, m->len);
  if (ret < 0) return make_int(env, -(int64_t)errno);
  m->unmapped = 1;
  napi_detach_arraybuffer(env, argv[0]);
  return make_int(env, 0);
}

// ---- fd readiness watcher (libuv poll) -------------------------------------

typedef struct watcher {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int stopped;
  // The watcher is freed once both the uv handle is closed and the JS handle
  // object is finalized (or never made): whichever happens last frees it.
  int closed;
  int handle_gone;
} watcher;

static void watcher_closed(uv_handle_t *h) {
  watcher *w = h->data;
  w->closed = 1;
  if (w->handle_gone) free(w);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  watcher *w = h->data;
  if (w->stopped) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, argv[2], result;
  napi_get_reference_value(env, w->callback, &cb);
  // napi_make_callback converts recv to an object: undefined throws a TypeError.
  napi_get_global(env, &recv);
  argv[0] = make_int(env, status);
  argv[1] = make_int(env, events);
  napi_status st = napi_make_callback(env, w->async, recv, cb, 2, argv, &result);
  if (st == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  napi_close_handle_scope(env, scope);
}

static void stop_watcher(watcher *w) {
  if (w->stopped) return;
  w->stopped = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->async);
  uv_close((uv_handle_t *)&w->poll, watcher_closed);
}

static void finalize_watcher_handle(napi_env env, void *data, void *hint) {
  // The JS handle object is gone: make sure the poll is stopped (stop_watcher is
  // idempotent). After pollStop the uv handle may already be closed: free here.
  watcher *w = data;
  w->handle_gone = 1;
  if (w->closed) free(w);
  else stop_watcher(w);
}

// pollStart(fd, events, callback(status, events)) -> handle.
// events is a UV_READABLE/UV_WRITABLE mask.
static napi_value PollStart(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv) < 0) return NULL;
  int32_t fd, events;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_i32(env, argv[1], &events, "events") < 0)
    return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  if (t != napi_function) {
    napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", "argument 'callback' must be a function");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  watcher *w = calloc(1, sizeof *w);
  if (!w) return make_int(env, -ENOMEM);
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc < 0) {
    free(w);
    return make_int(env, rc);  // libuv errors are -errno on Unix
  }
  w->poll.data = w;
  w->env = env;
  napi_value name;
  napi_create_string_utf8(env, "lockne:poll", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->async);
  napi_create_reference(env, argv[2], 1, &w->callback);
  rc = uv_poll_start(&w->poll, events, on_poll);
  if (rc < 0) {
    w->handle_gone = 1;  // no JS handle will exist: uv_close's callback frees it
    stop_watcher(w);
    return make_int(env, rc);
  }
  napi_value handle;
  CHECK(env, napi_create_object(env, &handle));
  CHECK(env, napi_wrap(env, handle, w, finalize_watcher_handle, NULL, NULL));
  return handle;
}

static napi_value PollStop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) < 0) return NULL;
  void *w = NULL;
  if (napi_unwrap(env, argv[0], &w) != napi_ok || !w) {
    napi_throw_type_error(env, "ERR_LOCKNE_NATIVE_ARG", "pollStop expects a handle from pollStart");
    return NULL;
  }
  stop_watcher((watcher *)w);
  return make_int(env, 0);
}

// ---- sockets (netlink, raw sockets for tests and socket filters) -----------

static napi_value Socket(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv) < 0) return NULL;
  int32_t domain, type, proto;
  if (arg_i32(env, argv[0], &domain, "domain") < 0 || arg_i32(env, argv[1], &type, "type") < 0 ||
      arg_i32(env, argv[2], &proto, "protocol") < 0)
    return NULL;
  return make_result(env, socket(domain, type | SOCK_CLOEXEC, proto));
}

static napi_value Bind(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) < 0) return NULL;
  int32_t fd;
  void *addr;
  size_t len;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_bytes(env, argv[1], &addr, &len, 0, "addr") < 0)
    return NULL;
  return make_result(env, bind(fd, addr, (socklen_t)len));
}

static napi_value Connect(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) < 0) return NULL;
  int32_t fd;
  void *addr;
  size_t len;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_bytes(env, argv[1], &addr, &len, 0, "addr") < 0)
    return NULL;
  return make_result(env, connect(fd, addr, (socklen_t)len));
}

// sendto(fd, buf, flags, addr|null) -> bytes sent
static napi_value Sendto(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv) < 0) return NULL;
  int32_t fd, flags;
  void *buf, *addr;
  size_t len, alen;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_bytes(env, argv[1], &buf, &len, 0, "buf") < 0 ||
      arg_i32(env, argv[2], &flags, "flags") < 0 ||
      arg_bytes(env, argv[3], &addr, &alen, 1, "addr") < 0)
    return NULL;
  return make_result(env, sendto(fd, buf, len, flags, addr, (socklen_t)alen));
}

// recv(fd, buf, flags) -> bytes received
static napi_value Recv(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv) < 0) return NULL;
  int32_t fd, flags;
  void *buf;
  size_t len;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_bytes(env, argv[1], &buf, &len, 0, "buf") < 0 ||
      arg_i32(env, argv[2], &flags, "flags") < 0)
    return NULL;
  return make_result(env, recv(fd, buf, len, flags));
}

static napi_value Setsockopt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv) < 0) return NULL;
  int32_t fd, level, name;
  void *val;
  size_t len;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_i32(env, argv[1], &level, "level") < 0 ||
      arg_i32(env, argv[2], &name, "name") < 0 || arg_bytes(env, argv[3], &val, &len, 0, "value") < 0)
    return NULL;
  return make_result(env, setsockopt(fd, level, name, val, (socklen_t)len));
}

// getsockopt(fd, level, name, out) -> length written
static napi_value Getsockopt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv) < 0) return NULL;
  int32_t fd, level, name;
  void *val;
  size_t len;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_i32(env, argv[1], &level, "level") < 0 ||
      arg_i32(env, argv[2], &name, "name") < 0 || arg_bytes(env, argv[3], &val, &len, 0, "out") < 0)
    return NULL;
  socklen_t sl = (socklen_t)len;
  int ret = getsockopt(fd, level, name, val, &sl);
  return make_result(env, ret < 0 ? ret : (long)sl);
}

// ---- namespaces, mounts, small queries -------------------------------------

// setns(fd, nstype): affects only the calling (JS main) thread, which is what
// opening a netlink socket inside another network namespace needs.
static napi_value Setns(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) < 0) return NULL;
  int32_t fd, type;
  if (arg_i32(env, argv[0], &fd, "fd") < 0 || arg_i32(env, argv[1], &type, "nstype") < 0)
    return NULL;
  return make_result(env, setns(fd, type));
}

static napi_value IfNameToIndex(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) < 0) return NULL;
  char name[IF_NAMESIZE + 1];
  if (arg_string(env, argv[0], name, sizeof name, 0, "name") < 0) return NULL;
  unsigned idx = if_nametoindex(name);
  return make_int(env, idx ? (int64_t)idx : -(int64_t)errno);
}

// mount(source, target, fstype, flags, data|null)
static napi_value Mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (get_args(env, info, 5, argv) < 0) return NULL;
  char src[4096], target[4096], fstype[256], data[4096];
  int64_t flags;
  if (arg_string(env, argv[0], src, sizeof src, 0, "source") < 0 ||
      arg_string(env, argv[1], target, sizeof target, 0, "target") < 0 ||
      arg_string(env, argv[2], fstype, sizeof fstype, 0, "fstype") < 0 ||
      arg_i64(env, argv[3], &flags, "flags") < 0)
    return NULL;
  int absent = arg_string(env, argv[4], data, sizeof data, 1, "data");
  if (absent < 0) return NULL;
  return make_result(env, mount(src, target, fstype, (unsigned long)flags, absent ? NULL : data));
}

// statfsType(path) -> f_type (filesystem magic) or -errno
static napi_value StatfsType(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) < 0) return NULL;
  char path[4096];
  if (arg_string(env, argv[0], path, sizeof path, 0, "path") < 0) return NULL;
  struct statfs st;
  if (statfs(path, &st) < 0) return make_int(env, -(int64_t)errno);
  return make_int(env, (int64_t)(unsigned long)st.f_type);
}

static napi_value PageSize(napi_env env, napi_callback_info info) {
  return make_int(env, sysconf(_SC_PAGESIZE));
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

// pidfdOpen(pid, flags?) -> a pidfd (O_CLOEXEC is implied by the kernel) or -errno.
// Task storage maps are keyed by pidfds; Node has no way to make one.
static napi_value PidfdOpen(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) < 0) return NULL;
  int32_t pid, flags = 0;
  if (arg_i32(env, argv[0], &pid, "pid") < 0) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_undefined && arg_i32(env, argv[1], &flags, "flags") < 0) return NULL;
  return make_result(env, syscall(SYS_pidfd_open, pid, (unsigned int)flags));
}

#define EXPORT(name, fn)                                                      \
  do {                                                                        \
    napi_value f;                                                             \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);          \
    napi_set_named_property(env, exports, name, f);                           \
  } while (0)

static napi_value Init(napi_env env, napi_value exports) {
  EXPORT("bpf", Bpf);
  EXPORT("bpf2", Bpf2);
  EXPORT("boundBpf", BoundBpf);
  EXPORT("addressOf", AddressOf);
  EXPORT("perfEventOpen", PerfEventOpen);
  EXPORT("ioctl", Ioctl);
  EXPORT("close", Close);
  EXPORT("mmap", Mmap);
  EXPORT("munmap", Munmap);
  EXPORT("pollStart", PollStart);
  EXPORT("pollStop", PollStop);
  EXPORT("socket", Socket);
  EXPORT("bind", Bind);
  EXPORT("connect", Connect);
  EXPORT("sendto", Sendto);
  EXPORT("recv", Recv);
  EXPORT("setsockopt", Setsockopt);
  EXPORT("getsockopt", Getsockopt);
  EXPORT("setns", Setns);
  EXPORT("ifNameToIndex", IfNameToIndex);
  EXPORT("mount", Mount);
  EXPORT("statfsType", StatfsType);
  EXPORT("pageSize", PageSize);
  EXPORT("pidfdOpen", PidfdOpen);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
