// BTF for what the compiler emits: integer widths as typedefs named like the TS
// types (`u32` → `unsigned int`), so bpftool and BpfObject show the TS names,
// structs and arrays as BTF STRUCT / ARRAY (struct names from the TS declaration),
// and one FUNC + FUNC_PROTO per program, `int name(struct <ctx> *ctx)`.
// The ctx struct is named and sized as in the UAPI but has no members: the
// kernel only matches ctx types by name (for global subprograms), and a sized
// struct spares the "size cannot be determined" note a FWD gets in the log.
import type { BtfWriter } from '@lockne/obj';
import type { IntTy, Layout } from '../ir/types.js';
import type { KernelStructTy } from '../ir/ir.js';

const C_NAMES: Record<IntTy['name'], string> = {
  u8: 'unsigned char', u16: 'unsigned short', u32: 'unsigned int', u64: 'unsigned long long',
  i8: 'signed char', i16: 'short', i32: 'int', i64: 'long long',
};

/** Which UAPI struct (name, size) the program's ctx points to, by BPF_PROG_TYPE name; others get `void *`. */
const CTX_STRUCT: Record<string, readonly [string, number]> = {
  XDP: ['xdp_md', 24], SCHED_CLS: ['__sk_buff', 192], SCHED_ACT: ['__sk_buff', 192], SOCKET_FILTER: ['__sk_buff', 192],
  CGROUP_SKB: ['__sk_buff', 192], CGROUP_SOCK: ['bpf_sock', 80], CGROUP_SOCK_ADDR: ['bpf_sock_addr', 72],
  RAW_TRACEPOINT: ['bpf_raw_tracepoint_args', 0],
};

/** BTF type ids built once per object. */
export class CompilerBtf {
  readonly #w: BtfWriter;
  readonly #ints = new Map<string, number>();
  readonly #typedefs = new Map<string, number>();
  readonly #ctx = new Map<string, number>();
  readonly #protos = new Map<string, number>();
  readonly #structs = new Map<Layout, number>();
  readonly #kernel = new Map<string, number>();
  readonly #fwds = new Map<string, number>();

  constructor(w: BtfWriter) {
    this.#w = w;
  }

  #cInt(name: string, size: number, signed: boolean): number {
    let id = this.#ints.get(name);
    if (id === undefined) this.#ints.set(name, (id = this.#w.int(name, size, { signed })));
    return id;
  }

  /** `typedef <C int> u32;` etc. */
  int(t: IntTy): number {
    let id = this.#typedefs.get(t.name);
    if (id === undefined) {
      const base = this.#cInt(C_NAMES[t.name], t.bits / 8, t.signed);
      this.#typedefs.set(t.name, (id = this.#w.typedef(t.name, base)));
    }
    return id;
  }

  /** BTF type of a map key/value layout: int typedef, STRUCT (by name, once) or ARRAY. */
  layout(l: Layout): number {
    if (l.kind === 'int') return this.int(l);
    if (l.kind === 'array') return this.#w.array(this.layout(l.elem), l.length);
    const known = this.#structs.get(l);
    if (known !== undefined) return known;
    const members = l.fields.map((f) => ({ name: f.name, type: this.layout(f.ty), offset: f.off }));
    const id = this.#w.struct(l.name, l.size, members);
    this.#structs.set(l, id);
    return id;
  }

  /**
   * The local BTF of a kernel struct (CO-RE): STRUCT `<kernel name>` with only the
   * declared members at their local offsets; a pointer member is `struct X *`
   * (X itself when declared too, else a forward declaration), as libbpf needs the
   * member kinds to match the kernel's.
   */
  kernelStruct(k: KernelStructTy): number {
    const known = this.#kernel.get(k.name);
    if (known !== undefined) return known;
    const id = this.#w.struct(k.name, k.size, []);
    this.#kernel.set(k.name, id);
    const members = k.fields.map((f) => ({ name: f.name, type: f.ptrTo === undefined ? this.layout(f.ty) : this.#w.ptr(this.#structRef(f.ptrTo, k)), offset: f.off }));
    this.#w.setMembers(id, members);
    return id;
  }

  /** `struct name` for a pointer member: the declared kernel struct of that name, or a FWD. */
  #structRef(name: string, from: KernelStructTy): number {
    const known = this.#kernel.get(name);
    if (known !== undefined) return known;
    if (name === from.name) return this.kernelStruct(from);
    let fwd = this.#fwds.get(name);
    if (fwd === undefined) this.#fwds.set(name, (fwd = this.#w.fwd(name)));
    return fwd;
  }

  /** Static FUNC `name` with proto `long (unsigned int index, void *ctx)`: a bpf_loop callback. */
  callbackFunc(name: string): number {
    let proto = this.#protos.get('(callback)');
    if (proto === undefined) {
      const params = [{ name: 'index', type: this.#cInt('unsigned int', 4, false) }, { name: 'ctx', type: this.#w.ptr(0) }];
      this.#protos.set('(callback)', (proto = this.#w.funcProto(this.#cInt('long', 8, true), params)));
    }
    return this.#w.func(name, proto, 'static');
  }

  /** FUNC `name` with proto `int (struct <ctx> *ctx)` for a program of `progType`. */
  programFunc(name: string, progType: string): number {
    const ctx = CTX_STRUCT[progType];
    let proto = this.#protos.get(progType);
    if (proto === undefined) {
      let param: number;
      if (ctx) {
        let st = this.#ctx.get(ctx[0]);
        if (st === undefined) this.#ctx.set(ctx[0], (st = this.#w.struct(ctx[0], ctx[1], [])));
        param = this.#w.ptr(st);
      } else {
        param = this.#w.ptr(0);
      }
      proto = this.#w.funcProto(this.#cInt('int', 4, true), [{ name: 'ctx', type: param }]);
      this.#protos.set(progType, proto);
    }
    return this.#w.func(name, proto, 'global');
  }
}
