// EventReader: the delivery machinery shared by the ring buffer and perf
// buffer readers. A subclass owns one or more rings (each with an fd to watch)
// and knows how to drain a ring; this class turns that into three ways of
// reading, all woken by the native fd watcher (epoll), never by a timer:
//   - callback mode: start() keeps a watcher on every ring fd and drains a ring
//     into onSample whenever its fd becomes readable;
//   - poll(timeoutMs) / consume(): drain now, or wait for readiness then drain;
//   - for await (const rec of reader): records copied into a queue.
// Watchers run only while someone is waiting (or callback mode is on): libuv's
// epoll is level-triggered, so a watcher left on over unread data would spin.
// For the same reason a ring whose next record is reserved but not committed
// (its fd readable, nothing to read) has its watch paused for a short backoff:
// the one place a timer is involved, and only to resume a watch.
import { FdWatcher } from './watcher.js';
import { ArgumentError, ClosedError } from '../errors.js';

/** One ring's fd watch, and its pause while the ring's next record is uncommitted. */
interface Ring {
  watcher: FdWatcher;
  pauseTimer: ReturnType<typeof setTimeout> | undefined;
  backoffMs: number;
}

interface Waiter {
  resolve(w: Wake): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Wake {
  /** Records callback mode delivered on this wake. */
  consumed: number;
  timedOut: boolean;
}

export interface EventReaderOptions {
  /**
   * Where errors go that have no caller to throw to: an exception from
   * onSample in callback mode, or a failed fd watch. Without it they are
   * rethrown from the watcher callback (an uncaught exception).
   */
  onError?: (error: unknown) => void;
}

export abstract class EventReader<T> implements AsyncIterable<T> {
  /** For messages: "ring buffer 'events'". */
  readonly description: string;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #rings: Ring[] = [];
  #waiters: Waiter[] = [];
  #queue: T[] = [];
  #queueHead = 0;
  #watching = false;
  #closed = false;
  #released = false;
  /** Drains in progress: close() from inside a callback defers release until they unwind. */
  #draining = 0;

  protected constructor(description: string, opts: EventReaderOptions = {}) {
    this.description = description;
    this.#onError = opts.onError;
  }

  /** Consume available records of ring `i`: to the callbacks, or (toQueue) as copies via enqueue(). */
  protected abstract drainRing(i: number, toQueue: boolean): number;
  /** True when records go to a callback (consume/poll/start); false for iteration. */
  protected abstract get hasCallback(): boolean;
  /** Unmap memory and close owned fds; called once, after drains have unwound. */
  protected abstract release(): void;

  /** Called once when close() begins, possibly inside a callback: stop delivering. */
  protected closing(): void {}

  /**
   * True when ring `i` has data but its next record is still being written
   * (reserved, not committed). Its fd then stays readable, and a
   * level-triggered watch would spin: the reader pauses instead.
   */
  protected stalled(_i: number): boolean {
    return false;
  }

  /** Register one more ring fd; returns its ring index. */
  protected addRing(fd: number, what: string): number {
    const i = this.#rings.length;
    this.#rings.push({ watcher: new FdWatcher(fd, what, (err) => this.#onEvent(i, err)), pauseTimer: undefined, backoffMs: 0 });
    this.#sync();
    return i;
  }

  protected enqueue(rec: T): void {
    this.#queue.push(rec);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while callback mode is on. */
  get watching(): boolean {
    return this.#watching;
  }

  /**
   * Deliver every record available now to the callback; returns how many.
   * Records are delivered in ring order; a record still being written by the
   * kernel ends the batch (the next wake resumes there).
   */
  consume(): number {
    this.#checkCallback('consume()');
    let n = 0;
    for (let i = 0; i < this.#rings.length && !this.#closed; i++) n += this.#drain(i, false);
    return n;
  }

  /**
   * Deliver available records, or wait until a ring fd becomes readable (at
   * most timeoutMs; negative waits forever) and deliver then. Resolves with the
   * number delivered (0 on timeout or close).
   */
  async poll(timeoutMs = -1): Promise<number> {
    if (this.#closed) return 0;
    let n = this.consume();
    if (n > 0 || timeoutMs === 0) return n;
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    for (;;) {
      const left = deadline === Infinity ? -1 : Math.max(1, deadline - Date.now());
      const wake = await this.#wait(left);
      if (wake.consumed > 0 || this.#closed) return wake.consumed;
      n = this.consume();
      if (n > 0 || wake.timedOut || Date.now() >= deadline) return n;
    }
  }

  /**
   * Callback mode: watch every ring fd and deliver records to the callback as
   * the kernel signals them. Keeps the event loop alive until stop() or close().
   */
  start(): this {
    this.#checkCallback('start()');
    if (this.#watching) return this;
    this.#watching = true;
    this.#sync();
    // Catch up on records written before the watch began: a perf fd only
    // reports readiness for wakeups it has not reported yet.
    setImmediate(() => {
      if (!this.#watching || this.#closed) return;
      try {
        this.consume();
      } catch (e) {
        this.#fail(e);
      }
    });
    return this;
  }

  /** Leave callback mode (records stay in the ring until read). */
  stop(): this {
    this.#watching = false;
    this.#sync();
    return this;
  }

  /**
   * Records as copies, in order. Ends when the reader is closed (after records
   * already taken from the ring). Only for readers without a sample callback.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.hasCallback) {
      throw new ArgumentError(`${this.description}: records go to onSample; iterate a reader opened without onSample`);
    }
    const it: AsyncIterableIterator<T> = {
      next: () => this.#next(),
      return: async () => ({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Stop watching, end iterators and pending polls, and unmap the rings. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closing();
    this.#watching = false;
    for (const r of this.#rings) {
      clearTimeout(r.pauseTimer);
      r.pauseTimer = undefined;
      r.watcher.stop();
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve({ consumed: 0, timedOut: false });
    }
    if (this.#draining === 0) this.#release();
  }

  async #next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.#queueHead < this.#queue.length) {
        const value = this.#queue[this.#queueHead++]!;
        if (this.#queueHead === this.#queue.length) {
          this.#queue = [];
          this.#queueHead = 0;
        }
        return { done: false, value };
      }
      if (this.#closed) return { done: true, value: undefined };
      let n = 0;
      for (let i = 0; i < this.#rings.length && !this.#closed; i++) n += this.#drain(i, true);
      if (n === 0) await this.#wait(-1);
    }
  }

  #drain(i: number, toQueue: boolean): number {
    this.#draining++;
    try {
      return this.drainRing(i, toQueue);
    } finally {
      this.#draining--;
      if (this.#closed && this.#draining === 0) this.#release();
    }
  }

  #wait(timeoutMs: number): Promise<Wake> {
    return new Promise<Wake>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs >= 0) {
        w.timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          this.#sync();
          resolve({ consumed: 0, timedOut: true });
        }, timeoutMs);
      }
      this.#waiters.push(w);
      try {
        this.#sync();
      } catch (e) {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        clearTimeout(w.timer);
        reject(e);
      }
    });
  }

  #onEvent(i: number, err: Error | null): void {
    if (this.#closed) return;
    if (err) {
      this.#fail(err);
      return;
    }
    let consumed = 0;
    if (this.#watching) {
      try {
        consumed = this.#drain(i, false);
      } catch (e) {
        this.#fail(e);
        return;
      }
    }
    if (this.closed) return;
    const ring = this.#rings[i]!;
    if (this.stalled(i)) {
      this.#pause(ring);
      if (consumed === 0) return; // waiters keep waiting for the commit
    } else {
      ring.backoffMs = 0;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve({ consumed, timedOut: false });
    }
    this.#sync();
  }

  /** An error with no caller: pending polls/iterators get it, else onError, else rethrow. */
  #fail(e: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.#sync();
    if (waiters.length) return;
    if (this.#onError) this.#onError(e);
    else throw e;
  }

  /**
   * Stop watching one ring for a short, growing while (1 ms up to 64 ms): the
   * kernel's commit wakeup cannot reach a stopped watch, so a timer resumes
   * it; the resumed watch reports the fd readable at once if the record is done.
   */
  #pause(ring: Ring): void {
    if (ring.pauseTimer) return;
    ring.backoffMs = Math.min(64, ring.backoffMs ? ring.backoffMs * 2 : 1);
    ring.watcher.stop();
    ring.pauseTimer = setTimeout(() => {
      ring.pauseTimer = undefined;
      try {
        this.#sync();
      } catch (e) {
        this.#fail(e);
      }
    }, ring.backoffMs);
  }

  /** Watch exactly while someone needs wakes: callback mode or a pending wait (unless paused). */
  #sync(): void {
    const want = !this.#closed && (this.#watching || this.#waiters.length > 0);
    for (const r of this.#rings) {
      if (want && !r.pauseTimer) r.watcher.start();
      else r.watcher.stop();
    }
  }

  #checkCallback(what: string): void {
    if (this.#closed) throw new ClosedError(this.description);
    if (!this.hasCallback) {
      throw new ArgumentError(`${this.description}: ${what} delivers to onSample; give one, or iterate with for await`);
    }
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.release();
  }
}
