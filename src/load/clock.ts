/**
 * The clock load profiles run on: `performance.now()` and absolute sleeps.
 * Injected so tests can drive schedules without waiting (std's FakeTime does
 * not patch `performance.now()`).
 *
 * @module
 */

/** A monotonic clock in ms with absolute sleeps. */
export interface Clock {
  /** Milliseconds, monotonic (performance.now()). */
  now(): number;
  /** Resolves at (or as soon as possible after) the absolute instant `at`, or when `signal` aborts. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const realClock: Clock = {
  now: () => performance.now(),
  sleepUntil(at, signal) {
    const delay = at - performance.now();
    if (delay <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, delay);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  },
};

/** When a run stops starting requests. */
export interface StopRule {
  /** Most sends (warm-up included); Infinity when bounded by time only. */
  total: number;
  /** Stop starting sends this long after the profile starts; absent → no time bound. */
  durationMs?: number;
  /** Stop starting sends when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * One worker's share of a load split over several workers: lanes and arrival
 * indices `i` with `i % workers === worker`, a share of any in-flight cap,
 * closed-loop indices claimed from a counter all workers share, and one start
 * instant for all.
 */
export interface Shard {
  readonly worker: number;
  readonly workers: number;
  /** The next send index of the whole task (an atomic counter across workers). */
  claim(): number;
  /** When the profile starts, on this context's clock (ms). */
  readonly t0: number;
}

/** The whole load in one context: every lane and index, a local counter, starting now. */
export function wholeLoad(clock: Clock): Shard {
  let next = 0;
  return { worker: 0, workers: 1, claim: () => next++, t0: clock.now() };
}

/**
 * A process's part of a load split over `count` processes (`--shard index/count`):
 * the global send indices `index`, `index + count`, …, the lanes likewise.
 */
export interface LoadPart {
  /** From 0. */
  readonly index: number;
  readonly count: number;
}

/** The whole load: one part. */
export const WHOLE: LoadPart = { index: 0, count: 1 };

/**
 * A worker's shard within process part `part`: the worker's slot among all
 * `part.count × shard.workers` of the global load is `part.index + part.count
 * × shard.worker`, so open-loop index `i` goes to part `i mod count` (then to
 * one of its workers), lanes likewise, and a claimed local index `k` becomes
 * the global `part.index + part.count × k`. Caps split the same way: the
 * slots `0 … cap−1` are dealt round-robin, so part p gets
 * `floor(cap / count) + (p < cap mod count ? 1 : 0)` and the parts sum to the cap.
 */
export function shardOfPart(shard: Shard, part: LoadPart): Shard {
  if (part.count === 1) return shard;
  return {
    worker: part.index + part.count * shard.worker,
    workers: part.count * shard.workers,
    claim: () => part.index + part.count * shard.claim(),
    t0: shard.t0,
  };
}

/** This shard's part of a cap of `cap` requests in flight (Infinity stays Infinity). */
export function capShare(cap: number, shard: Shard): number {
  return partShare(cap, { index: shard.worker, count: shard.workers });
}

/** Part `part.index`'s share of `n` slots dealt round-robin over `part.count` parts (Infinity stays Infinity). */
export function partShare(n: number, part: LoadPart): number {
  if (!Number.isFinite(n)) return n;
  return Math.floor(n / part.count) + (part.index < n % part.count ? 1 : 0);
}

/** What a conversation's turn is sent with: the server's replies to the turns before it, oldest first. */
export interface TurnHistory {
  /** One per earlier turn; undefined where that turn failed (the dataset's reply stands in). */
  readonly replies: readonly (string | undefined)[];
}

/**
 * Sends one request; resolves when it has been recorded. `scheduledMs` is
 * absolute (time origin + now). With `history`, the request's messages carry
 * those replies as the assistant turns, and it resolves with its own reply.
 */
export type Send = (
  index: number,
  scheduledMs: number,
  history?: TurnHistory,
) => Promise<string | undefined | void>;

/** True when the rule says stop, at clock time `now` for a profile started at `t0`. */
export function stopped(rule: StopRule, index: number, now: number, t0: number): boolean {
  return index >= rule.total || rule.signal?.aborted === true ||
    (rule.durationMs !== undefined && now - t0 >= rule.durationMs);
}
