/**
 * One timer for many deadlines: a binary heap of absolute due times
 * (`performance.now()` ms) and a single `setTimeout` armed for the earliest.
 * Thousands of simulated streams cost one timer, and due times never drift
 * because they are absolute.
 *
 * @module
 */

/** How much earlier than due a timer is armed. */
const EARLY_MS = 0.9;
/** Callbacks due within this much of now run in the current wake-up. */
const SLACK_MS = 0.3;

interface Entry {
  due: number;
  seq: number;
  run: () => void;
}

/** Runs callbacks at absolute `performance.now()` instants. */
export class DeadlineScheduler {
  #heap: Entry[] = [];
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;
  readonly #now: () => number;

  /** @param now clock (injectable for tests) */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Number of pending callbacks. */
  get size(): number {
    return this.#heap.length;
  }

  /** Runs `run` at (or as soon as possible after) the absolute time `due`. */
  at(due: number, run: () => void): void {
    this.#push({ due, seq: this.#seq++, run });
    if (due < this.#armedFor) this.#arm();
  }

  /** Cancels every pending callback. */
  clear(): void {
    this.#heap.length = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const top = this.#heap[0];
    if (!top) {
      this.#timer = undefined;
      this.#armedFor = Infinity;
      return;
    }
    this.#armedFor = top.due;
    // Timers fire about 1 ms after their integer delay here; arming a little early
    // and running what is nearly due keeps the mean lateness near zero.
    const delay = Math.max(0, Math.floor(top.due - this.#now() - EARLY_MS));
    this.#timer = setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const limit = this.#now() + SLACK_MS;
    while (this.#heap.length > 0 && this.#heap[0]!.due <= limit) {
      const entry = this.#pop();
      entry.run();
    }
    this.#arm();
  }

  #less(a: Entry, b: Entry): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #push(entry: Entry): void {
    const h = this.#heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Entry {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
