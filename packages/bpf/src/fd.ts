// An owned file descriptor. close() is idempotent; using a closed handle throws
// ClosedError naming the object. A handle dropped without close() is closed by
// the garbage collector as a last resort (like cilium's finalizers), but code
// and tests should close explicitly: the test suite checks for leaked fds.
import { native } from './sys/native.js';
import { ClosedError } from './errors.js';

const registry = new FinalizationRegistry<number>((fd) => {
  native.close(fd);
});

export class FdHandle {
  #fd: number;
  readonly #what: string;

  constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#what = what;
    registry.register(this, fd, this);
  }

  /** The raw fd; throws ClosedError after close(). */
  get fd(): number {
    if (this.#fd < 0) throw new ClosedError(this.#what);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** What this fd is, for messages ("map 'counts'"). */
  get description(): string {
    return this.#what;
  }

  close(): void {
    if (this.#fd < 0) return;
    registry.unregister(this);
    native.close(this.#fd);
    this.#fd = -1;
  }
}
