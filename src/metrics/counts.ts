/**
 * Exact counts of a sample's values: the pooled inter-token latency of a run
 * with billions of chunk gaps, in memory that does not grow with the run.
 *
 * Values are counted by key, an integer number of units (µs for times read
 * from the trace, whose grid is 1 µs): keys 0 to {@link DENSE_KEYS} − 1 in a
 * table of counts, any other key (larger, or a fraction such as a gap shared
 * by the k tokens of one chunk) in a map. The memory is the table (8 MiB, made
 * on the first count) plus one map entry per distinct other key. Nothing is
 * rounded: every statistic equals the one computed over the values
 * themselves.
 *
 * @module
 */

import type { Distribution } from "./stats.ts";

/** Keys counted in the dense table: 0 to 2^20 − 1 (µs: up to 1.05 s). */
export const DENSE_KEYS = 1 << 20;

/** {@link ValueCounts} as plain data, to post to another thread (`dense`'s buffer can be transferred). */
export interface CountsState {
  dense?: Float64Array;
  sparse: Array<[number, number]>;
  n: number;
  sum: number;
}

/** Exact counts of values, a {@link Distribution} of `key / divisor`. Mergeable. */
export class ValueCounts implements Distribution {
  readonly #divisor: number;
  #dense: Float64Array | undefined;
  readonly #sparse = new Map<number, number>();
  #n = 0;
  #sum = 0;
  /** Distinct keys ascending and cumulative counts, built when first asked. */
  #table: { keys: Float64Array; cumulative: Float64Array } | undefined;

  /** @param divisor a value is its key divided by this (1000: keys in µs, values in ms) */
  constructor(divisor = 1) {
    this.#divisor = divisor;
  }

  /** Sample size. */
  get n(): number {
    return this.#n;
  }

  /** Counts `key` (non-finite keys are ignored) `count` times. */
  add(key: number, count = 1): void {
    if ((key >>> 0) === key && key < DENSE_KEYS) {
      (this.#dense ??= new Float64Array(DENSE_KEYS))[key]! += count;
    } else if (Number.isFinite(key)) {
      this.#sparse.set(key, (this.#sparse.get(key) ?? 0) + count);
    } else return;
    this.#n += count;
    this.#sum += key * count;
    this.#table = undefined;
  }

  /** Counts `keys[from]` to `keys[to − 1]` once each: the hot loop of folding a trace. */
  addAll(keys: ArrayLike<number>, from: number, to: number): void {
    if (to <= from) return;
    const dense = this.#dense ??= new Float64Array(DENSE_KEYS);
    let n = 0;
    let sum = 0;
    for (let i = from; i < to; i++) {
      const k = keys[i]!;
      if ((k >>> 0) === k && k < DENSE_KEYS) {
        dense[k]!++;
        n++;
        sum += k;
      } else this.add(k);
    }
    this.#n += n;
    this.#sum += sum;
    this.#table = undefined;
  }

  /** The counts as plain data; this object must not be used afterwards if `dense` is transferred. */
  state(): CountsState {
    return {
      ...(this.#dense ? { dense: this.#dense } : {}),
      sparse: [...this.#sparse],
      n: this.#n,
      sum: this.#sum,
    };
  }

  /** Adds counts to this one: another's (same divisor), or a posted {@link CountsState}. */
  merge(other: ValueCounts | CountsState): void {
    const state = other instanceof ValueCounts ? other.state() : other;
    if (state.dense) {
      const dense = this.#dense ??= new Float64Array(DENSE_KEYS);
      for (let k = 0; k < DENSE_KEYS; k++) dense[k]! += state.dense[k]!;
    }
    for (const [key, count] of state.sparse) {
      this.#sparse.set(key, (this.#sparse.get(key) ?? 0) + count);
    }
    this.#n += state.n;
    this.#sum += state.sum;
    this.#table = undefined;
  }

  mean(): number {
    return this.#n ? this.#sum / this.#n / this.#divisor : NaN;
  }

  percentile(p: number): number {
    const n = this.#n;
    if (n === 0) return NaN;
    const h = ((n - 1) * p) / 100;
    const lo = Math.floor(h);
    const a = this.#valueAtRank(lo);
    if (lo + 1 >= n) return a;
    return a + (h - lo) * (this.#valueAtRank(lo + 1) - a);
  }

  forEach(visit: (value: number, count: number) => void): void {
    this.#visitKeys((key, count) => visit(key / this.#divisor, count));
  }

  /** The value of 0-based rank `r` in the sorted sample. */
  #valueAtRank(r: number): number {
    const { keys, cumulative } = this.#table ??= this.#buildTable();
    let lo = 0;
    let hi = keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return keys[lo]! / this.#divisor;
  }

  #buildTable(): { keys: Float64Array; cumulative: Float64Array } {
    const keys: number[] = [];
    const cumulative: number[] = [];
    let total = 0;
    this.#visitKeys((key, count) => {
      total += count;
      keys.push(key);
      cumulative.push(total);
    });
    return { keys: Float64Array.from(keys), cumulative: Float64Array.from(cumulative) };
  }

  /** Distinct keys ascending with their counts: the table merged with the sorted map keys. */
  #visitKeys(visit: (key: number, count: number) => void): void {
    const sparse = Float64Array.from(this.#sparse.keys()).sort();
    const dense = this.#dense;
    let j = 0;
    if (dense) {
      for (let k = 0; k < DENSE_KEYS; k++) {
        const c = dense[k]!;
        if (c === 0) continue;
        while (j < sparse.length && sparse[j]! < k) {
          visit(sparse[j]!, this.#sparse.get(sparse[j]!)!);
          j++;
        }
        visit(k, c);
      }
    }
    for (; j < sparse.length; j++) visit(sparse[j]!, this.#sparse.get(sparse[j]!)!);
  }
}
