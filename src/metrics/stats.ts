/**
 * Descriptive statistics over samples: the statistic names a run may ask for
 * (`Average`, `Min`, `Max`, `Median`, `P75`, `P99.9`, …) and their values.
 * Percentiles interpolate linearly between closest ranks, as numpy's default.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** One statistic a run reports: its table label and its JSON key. */
export interface StatSpec {
  /** Column label in tables and the AISBench CSV: `Average`, `P99.9`. */
  readonly label: string;
  /** Key in the result JSON: `mean`, `p99_9`. */
  readonly key: string;
  /** Percentile in [0, 100], for `P…`, `Median`, `Min`, `Max`; absent for `Average`. */
  readonly percentile?: number;
}

/** The default statistics, as AISBench prints them. */
export const DEFAULT_STATS: readonly string[] = [
  "Average",
  "Min",
  "Max",
  "Median",
  "P75",
  "P90",
  "P99",
];

/**
 * Parses statistic names (case-insensitive: `average`/`mean`, `min`, `max`,
 * `median`, `p50`, `P99.9`) into specs. Throws a {@link UsageError} naming
 * every unknown entry and where it came from.
 */
export function parseStats(names: readonly string[], source = "--stats"): StatSpec[] {
  const specs: StatSpec[] = [];
  const problems: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    const lower = name.toLowerCase();
    if (lower === "average" || lower === "mean" || lower === "avg") {
      specs.push({ label: "Average", key: "mean" });
    } else if (lower === "min") specs.push({ label: "Min", key: "min", percentile: 0 });
    else if (lower === "max") specs.push({ label: "Max", key: "max", percentile: 100 });
    else if (lower === "median") specs.push({ label: "Median", key: "median", percentile: 50 });
    else {
      const m = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(lower);
      const p = m ? Number(m[1]) : NaN;
      if (!m || !(p >= 0 && p <= 100)) {
        problems.push(
          `${source}: unknown statistic "${name}": expected Average, Min, Max, Median or Pxx (0 <= xx <= 100, decimals allowed, e.g. P99.9)`,
        );
        continue;
      }
      const digits = m[1]!;
      specs.push({ label: `P${digits}`, key: `p${digits.replace(".", "_")}`, percentile: p });
    }
  }
  if (problems.length) throw new UsageError(problems);
  if (specs.length === 0) throw new UsageError(`${source}: expected at least one statistic`);
  const seen = new Set<string>();
  return specs.filter((s) => (seen.has(s.key) ? false : (seen.add(s.key), true)));
}

/** Returns a sorted copy of the finite values, as a typed array. */
export function sortedSample(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[n++] = v;
  }
  return out.subarray(0, n).sort();
}

/**
 * The p-th percentile (0..100) of an ascending sample, interpolating linearly
 * between the two closest ranks (numpy's default `linear` method). NaN when empty.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (n === 1) return sorted[0]!;
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Population standard deviation; NaN when empty. */
export function stddev(values: ArrayLike<number>): number {
  const m = mean(values);
  if (Number.isNaN(m)) return NaN;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - m) ** 2;
  return Math.sqrt(sq / values.length);
}

/** Statistic values by JSON key, plus `n`, the sample size. */
export type StatValues = Record<string, number>;

/**
 * A sample whose statistics can be asked for, held either as its values
 * ({@link Sample}) or as exact counts of its values (`ValueCounts`). Both give
 * the same numbers for the same sample.
 */
export interface Distribution {
  /** Sample size. */
  readonly n: number;
  /** Arithmetic mean; NaN when empty. */
  mean(): number;
  /** As {@link percentileSorted} over the sorted sample. */
  percentile(p: number): number;
  /** Visits the distinct values in ascending order, with how often each occurs. */
  forEach(visit: (value: number, count: number) => void): void;
}

/** A {@link Distribution} held as its values, sorted once. Non-finite values are dropped. */
export class Sample implements Distribution {
  readonly #sorted: Float64Array;

  /** @param values the sample, in any order */
  constructor(values: ArrayLike<number>) {
    this.#sorted = sortedSample(values);
  }

  get n(): number {
    return this.#sorted.length;
  }

  mean(): number {
    return mean(this.#sorted);
  }

  percentile(p: number): number {
    return percentileSorted(this.#sorted, p);
  }

  forEach(visit: (value: number, count: number) => void): void {
    const s = this.#sorted;
    for (let i = 0; i < s.length;) {
      let j = i + 1;
      while (j < s.length && s[j] === s[i]) j++;
      visit(s[i]!, j - i);
      i = j;
    }
  }
}

/**
 * Computes the requested statistics of a distribution. Returns `undefined`
 * when it is empty, because a metric that does not apply is absent, not zero.
 */
export function describe(
  sample: Distribution,
  stats: readonly StatSpec[],
): StatValues | undefined {
  if (sample.n === 0) return undefined;
  const out: StatValues = {};
  for (const s of stats) {
    out[s.key] = s.percentile === undefined ? sample.mean() : sample.percentile(s.percentile);
  }
  out.n = sample.n;
  return out;
}
