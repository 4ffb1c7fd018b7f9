// What a load has created so far, so that a failure can undo all of it: close
// every fd (maps, programs, BTF), unmap global data, and remove the pins this
// load made (never pins it found and reused). libbpf does the same in
// bpf_object_unpin + bpf_object_unload.
import fs from 'node:fs';

interface Closable {
  close(): void;
}

export class Undo {
  readonly #closers: (() => void)[] = [];
  readonly #pins: string[] = [];

  /** Remember `x` to close on failure; returns it. */
  track<T extends Closable>(x: T): T {
    this.#closers.push(() => x.close());
    return x;
  }

  /** Remember a cleanup step (e.g. munmap). */
  onFailure(fn: () => void): void {
    this.#closers.push(fn);
  }

  /** A pin this load created: removed on failure. */
  pinned(path: string): void {
    this.#pins.push(path);
  }

  /** Pins created so far (for the object to report). */
  get pins(): readonly string[] {
    return this.#pins;
  }

  /**
   * Undo everything, newest first. Errors while undoing are collected and
   * attached to `cause` (the load's own error stays the one thrown).
   */
  rollback(cause: unknown): void {
    const problems: unknown[] = [];
    for (const p of this.#pins.splice(0).reverse()) {
      try {
        fs.unlinkSync(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(e);
      }
    }
    for (const c of this.#closers.splice(0).reverse()) {
      try {
        c();
      } catch (e) {
        problems.push(e);
      }
    }
    if (problems.length && cause instanceof Error) {
      Object.defineProperty(cause, 'cleanupErrors', { value: problems, enumerable: false });
    }
  }

  /** Success: forget everything (the object now owns it). */
  commit(): void {
    this.#closers.length = 0;
    this.#pins.length = 0;
  }
}
