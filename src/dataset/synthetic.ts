/**
 * The synthetic source (AISBench `synthetic_gen`): a request count and input
 * and output lengths drawn from a distribution (`fixed`, `uniform`,
 * `gaussian`, `zipf`) with a seed. Specs are generated lazily, one at a time.
 *
 * Until a tokenizer is configured, prompts are built from words that the
 * built-in simulator counts as one token each.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { RequestSpec } from "../protocol/openai.ts";
import { Random } from "../random.ts";

/** A length distribution, in tokens. */
export type LengthDist =
  | { kind: "fixed"; value: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "gaussian"; mean: number; variance: number; min: number; max: number }
  | { kind: "zipf"; alpha: number; min: number; max: number };

/** Settings of the synthetic source. */
export interface SyntheticOptions {
  requestCount: number;
  input: LengthDist;
  /** Output lengths; absent → requests carry no `max_tokens` (the model's default applies). */
  output?: LengthDist;
  seed: number;
}

/** Checks a distribution, returning one problem line per fault, prefixed with `where`. */
export function validateLengthDist(dist: LengthDist, where: string): string[] {
  const problems: string[] = [];
  const positiveInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) {
      problems.push(`${where}.${name}: expected a positive integer, got ${JSON.stringify(v)}`);
    }
  };
  switch (dist.kind) {
    case "fixed":
      positiveInt(dist.value, "value");
      break;
    case "uniform":
    case "gaussian":
    case "zipf":
      positiveInt(dist.min, "min");
      positiveInt(dist.max, "max");
      if (dist.min > dist.max) {
        problems.push(`${where}: min (${dist.min}) exceeds max (${dist.max})`);
      }
      if (dist.kind === "gaussian" && !(dist.variance >= 0)) {
        problems.push(`${where}.variance: expected a number >= 0, got ${dist.variance}`);
      }
      if (dist.kind === "zipf" && !(dist.alpha > 1)) {
        problems.push(`${where}.alpha: expected a number > 1, got ${dist.alpha}`);
      }
  }
  return problems;
}

/** Draws lengths from a distribution. */
export function lengthSampler(dist: LengthDist, random: Random): () => number {
  switch (dist.kind) {
    case "fixed":
      return () => dist.value;
    case "uniform":
      return () => random.int(dist.min, dist.max);
    case "gaussian": {
      const sd = Math.sqrt(dist.variance);
      return () =>
        Math.min(dist.max, Math.max(dist.min, Math.round(dist.mean + sd * random.normal())));
    }
    case "zipf": {
      // Inverse-CDF over the finite support min..max, weights k^-alpha (k = 1..).
      const n = dist.max - dist.min + 1;
      const cdf = new Float64Array(n);
      let total = 0;
      for (let k = 0; k < n; k++) cdf[k] = total += Math.pow(k + 1, -dist.alpha);
      return () => {
        const u = random.next() * total;
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        return dist.min + lo;
      };
    }
  }
}

const WORDS = [
  "alpha",
  "bravo",
  "charlie",
  "delta",
  "echo",
  "foxtrot",
  "golf",
  "hotel",
  "india",
  "juliet",
  "kilo",
  "lima",
  "mike",
  "november",
  "oscar",
  "papa",
];

/** Yields the synthetic specs. Throws UsageError on invalid settings. */
export function* syntheticSpecs(options: SyntheticOptions): Generator<RequestSpec> {
  const problems = [
    ...validateLengthDist(options.input, "input"),
    ...(options.output ? validateLengthDist(options.output, "output") : []),
  ];
  if (!Number.isInteger(options.requestCount) || options.requestCount < 1) {
    problems.push(`requestCount: expected a positive integer, got ${options.requestCount}`);
  }
  if (problems.length) throw new UsageError(problems.map((p) => `synthetic dataset: ${p}`));
  const random = new Random(options.seed);
  const inputLen = lengthSampler(options.input, random);
  const outputLen = options.output ? lengthSampler(options.output, random) : undefined;
  for (let i = 0; i < options.requestCount; i++) {
    const n = inputLen();
    const out = outputLen?.();
    const words: string[] = new Array(n);
    for (let k = 0; k < n; k++) words[k] = WORDS[random.int(0, WORDS.length - 1)]!;
    yield out === undefined ? { prompt: words.join(" "), expectedInputTokens: n } : {
      prompt: words.join(" "),
      maxTokens: out,
      expectedInputTokens: n,
      expectedOutputTokens: out,
    };
  }
}
