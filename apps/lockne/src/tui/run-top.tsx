// `lockne top`: the refresh loop around a snapshot source. Live (ink, raw-mode
// keys) when both stdin and stdout are terminals; otherwise, or with `once`,
// one plain-text frame for scripts.

import React from 'react';
import { setTimeout as sleep } from 'node:timers/promises';
import { render, renderToString, useInput, type Key } from 'ink';
import type { SnapshotSource } from './model.js';
import { applyError, applySnapshot, cycleProfile, cycleSort, initialState, type TopState } from './state.js';
import { buildView, type TopView } from './view.js';
import { TopFrame } from './frame.js';

export interface RunTopOptions {
  source: SnapshotSource;
  /** Time between samples; default 1000. In --once mode, the gap between the two samples the rates come from (0: one sample, no rates). */
  intervalMs?: number;
  /** Print one plain-text frame and return (also what happens without a TTY). */
  once?: boolean;
  /** Default process.stdout. */
  stdout?: NodeJS.WriteStream;
  /** Default process.stdin. */
  stdin?: NodeJS.ReadStream;
  /** Stops the live view (as if q was pressed) or cuts the --once wait short. */
  signal?: AbortSignal;
  /** Clock for error timestamps; default Date.now. */
  now?: () => number;
}

export interface TopResult {
  /** False when the last read of the source failed. */
  ok: boolean;
  /** That failure's message. */
  error?: string;
  /** Whether the live view ran (false: a single plain frame was printed). */
  interactive: boolean;
}

/** Width of the --once frame when stdout is not a terminal (no column count to ask). */
export const PLAIN_WIDTH = 160;

/**
 * Runs `lockne top` until q / Ctrl-C (or `signal`), or prints one frame.
 *
 * @example
 * const result = await runTop({ source: () => readTopSnapshot(pins), intervalMs: 1000, once: !process.stdout.isTTY });
 * process.exitCode = result.ok ? 0 : 1;
 */
export async function runTop(opts: RunTopOptions): Promise<TopResult> {
  const stdout = opts.stdout ?? process.stdout;
  const intervalMs = opts.intervalMs ?? 1000;
  if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) {
    throw new RangeError(`runTop: intervalMs must be a finite number ≥ 0, got ${intervalMs}`);
  }
  const now = opts.now ?? Date.now;
  // Keys need raw mode on a terminal stdin; redrawing in place needs a terminal stdout.
  // process.stdin is only touched (which creates its handle) when it may be used.
  const stdin = opts.once || stdout.isTTY !== true ? undefined : (opts.stdin ?? process.stdin);
  const interactive = stdin?.isTTY === true;
  const sample = (state: TopState): TopState => {
    try {
      return applySnapshot(state, opts.source());
    } catch (err) {
      return applyError(state, err, now());
    }
  };
  const result = (state: TopState): TopResult =>
    state.error ? { ok: false, error: state.error.message, interactive } : { ok: true, interactive };

  if (!interactive || !stdin) {
    let state = sample(initialState());
    if (intervalMs > 0 && !opts.signal?.aborted) {
      try {
        await sleep(intervalMs, undefined, { signal: opts.signal });
        state = sample(state);
      } catch (err) {
        if (!opts.signal?.aborted) throw err;
      }
    }
    stdout.write(plainFrame(state, stdout.columns || PLAIN_WIDTH));
    return result(state);
  }
  return runLive(opts, stdout, stdin, intervalMs, sample, result);
}

/**
 * One frame as plain text (no colour, no trailing spaces), ending in a newline.
 *
 * @example
 * process.stdout.write(plainFrame(applySnapshot(initialState(), snap), 120));
 */
export function plainFrame(state: TopState, width: number): string {
  const view = buildView(state, { width });
  const text = renderToString(<TopFrame view={view} color={false} />, { columns: width });
  return `${text.split('\n').map((l) => l.trimEnd()).join('\n')}\n`;
}

interface LiveTopProps {
  view: TopView;
  onInput: (input: string, key: Key) => void;
}

function LiveTop({ view, onInput }: LiveTopProps): React.ReactElement {
  useInput(onInput);
  return <TopFrame view={view} color />;
}

async function runLive(
  opts: RunTopOptions,
  stdout: NodeJS.WriteStream,
  stdin: NodeJS.ReadStream,
  intervalMs: number,
  sample: (s: TopState) => TopState,
  result: (s: TopState) => TopResult,
): Promise<TopResult> {
  // A zero interval would spin; a live view refreshes at most every 50 ms.
  const periodMs = Math.max(50, intervalMs);
  let state = sample(initialState());
  let stopped = false;

  const onInput = (input: string, key: Key): void => {
    if (input === 'q' || (key.ctrl && input === 'c')) return stop();
    if (input === 's') state = cycleSort(state);
    else if (input === 'p') state = cycleProfile(state);
    else return;
    redraw();
  };
  const frame = (): React.ReactElement => {
    const view = buildView(state, {
      width: stdout.columns || 80,
      height: stdout.rows || undefined,
      intervalMs: periodMs,
      interactive: true,
    });
    return <LiveTop view={view} onInput={onInput} />;
  };

  // We handle Ctrl-C ourselves so the timer is cleared before ink unmounts.
  const instance = render(frame(), { stdout, stdin, exitOnCtrlC: false, patchConsole: false });
  const redraw = (): void => {
    if (!stopped) instance.rerender(frame());
  };
  const tick = (): void => {
    state = sample(state);
    redraw();
  };
  const timer = setInterval(tick, periodMs);
  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    stdout.off('resize', redraw);
    opts.signal?.removeEventListener('abort', stop);
    instance.unmount();
  }
  stdout.on('resize', redraw);
  if (opts.signal?.aborted) stop();
  else opts.signal?.addEventListener('abort', stop);

  try {
    await instance.waitUntilExit();
  } finally {
    stop();
  }
  return result(state);
}
