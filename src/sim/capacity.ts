/**
 * The simulator's decode capacity: at most `maxBatch` requests decode at
 * once, the rest wait in a queue (first come, first served), and counters of
 * requests held, decoding (`active`: vLLM's running) and queued (vLLM's
 * waiting). The counts are the truth the simulator's `/metrics` reports, so
 * every path keeps them exact: a request cancelled while queued leaves the
 * queue (it is never admitted later), and an admitted one frees its slot.
 *
 * @module
 */

/**
 * Counters the simulator keeps: `requests` counts the completions requests
 * received (a valid body), `discoveryRequests` the `GET`s of its discovery
 * pages; `peakHeld` is the most requests open at once; `promptTokens` and
 * `cachedTokens` count the prompts of completions requests and the part of
 * them its prefix cache held (both 0 without a cache).
 */
export interface SimStats {
  requests: number;
  discoveryRequests: number;
  completed: number;
  cancelled: number;
  held: number;
  peakHeld: number;
  active: number;
  peakActive: number;
  queued: number;
  promptTokens: number;
  cachedTokens: number;
}

/** Decode slots and the queue in front of them, with the counters. */
export class Capacity {
  readonly stats: SimStats = {
    requests: 0,
    discoveryRequests: 0,
    completed: 0,
    cancelled: 0,
    held: 0,
    peakHeld: 0,
    active: 0,
    peakActive: 0,
    queued: 0,
    promptTokens: 0,
    cachedTokens: 0,
  };
  readonly #maxBatch: number;
  readonly #waiting: Array<(at: number) => void> = [];
  readonly #onChange: ((active: number, queued: number) => void) | undefined;

  /**
   * @param maxBatch requests decoding at once
   * @param onChange called after every change of `active` or `queued` (tests' ground truth)
   */
  constructor(maxBatch: number, onChange?: (active: number, queued: number) => void) {
    this.#maxBatch = maxBatch;
    this.#onChange = onChange;
  }

  #changed(): void {
    this.#onChange?.(this.stats.active, this.stats.queued);
  }

  /** A request is open (its response not yet finished). */
  hold(): void {
    const stats = this.stats;
    stats.held++;
    if (stats.held > stats.peakHeld) stats.peakHeld = stats.held;
  }

  /**
   * Waits for a decode slot, then calls `begin` with the instant decoding starts:
   * `arrived` when a slot was free, else the moment one frees up.
   */
  admit(arrived: number, begin: (at: number) => void): void {
    const stats = this.stats;
    if (stats.active < this.#maxBatch) {
      stats.active++;
      if (stats.active > stats.peakActive) stats.peakActive = stats.active;
      this.#changed();
      begin(arrived);
    } else {
      stats.queued++;
      this.#waiting.push(begin);
      this.#changed();
    }
  }

  /** An admitted request ended (completed or cancelled); the next queued one starts. */
  release(cancelled: boolean): void {
    const stats = this.stats;
    stats.held--;
    stats.active--;
    if (cancelled) stats.cancelled++;
    else stats.completed++;
    const next = this.#waiting.shift();
    if (next) {
      stats.queued--;
      stats.active++;
      if (stats.active > stats.peakActive) stats.peakActive = stats.active;
    }
    this.#changed();
    next?.(performance.now());
  }

  /** A request still queued (`begin` as given to {@link admit}) was cancelled by its client. */
  drop(begin: (at: number) => void): void {
    const i = this.#waiting.indexOf(begin);
    if (i >= 0) {
      this.#waiting.splice(i, 1);
      this.stats.queued--;
    }
    this.stats.held--;
    this.stats.cancelled++;
    this.#changed();
  }

  /** Zeroes the counters (not the open requests). */
  reset(): void {
    const stats = this.stats;
    stats.requests =
      stats.discoveryRequests =
      stats.completed =
      stats.cancelled =
        0;
    stats.promptTokens = stats.cachedTokens = 0;
    stats.peakHeld = stats.held;
    stats.peakActive = stats.active;
  }
}
