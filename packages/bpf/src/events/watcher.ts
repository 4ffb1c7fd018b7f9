// FdWatcher: readiness of one fd from the native libuv poller (epoll), so event
// readers wake when the kernel signals data instead of polling on a timer.
// libuv's epoll is level-triggered: a ring buffer fd stays readable while
// unconsumed data is left, so a reader must consume what it can on each wake
// or stop the watcher (readers stop it whenever nobody is waiting).
import { native, POLL_READABLE, type PollHandle } from '../sys/native.js';
import { SyscallError } from '../errors.js';

export type WatchCallback = (error: SyscallError | null) => void;

/**
 * Start/stop-able readiness watch of one fd. While started it keeps the Node
 * event loop alive, like a listening socket.
 * @example
 * const w = new FdWatcher(map.fd, "ring buffer 'events'", () => reader.consume());
 * w.start(); ... w.stop();
 */
export class FdWatcher {
  readonly #fd: number;
  readonly #what: string;
  readonly #events: number;
  readonly #onEvent: WatchCallback;
  #handle: PollHandle | null = null;

  constructor(fd: number, what: string, onEvent: WatchCallback, events = POLL_READABLE) {
    this.#fd = fd;
    this.#what = what;
    this.#events = events;
    this.#onEvent = onEvent;
  }

  get active(): boolean {
    return this.#handle !== null;
  }

  /** Begin watching (idempotent); throws SyscallError('uv_poll_start') on failure. */
  start(): void {
    if (this.#handle) return;
    const h = native.pollStart(this.#fd, this.#events, (status) => {
      // A failed poll (EBADF...) stops the watch: report it once.
      if (status < 0) {
        this.stop();
        this.#onEvent(new SyscallError('uv_poll', -status, this.#what));
        return;
      }
      this.#onEvent(null);
    });
    if (typeof h === 'number') throw new SyscallError('uv_poll_start', -h, this.#what);
    this.#handle = h;
  }

  /** Stop watching (idempotent). Safe inside the watcher's own callback. */
  stop(): void {
    if (!this.#handle) return;
    const h = this.#handle;
    this.#handle = null;
    native.pollStop(h);
  }
}
