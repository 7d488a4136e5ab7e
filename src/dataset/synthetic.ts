/**
 * The synthetic source (AISBench `synthetic_gen`): a request count and input
 * and output lengths drawn from a distribution (`fixed`, `uniform`,
 * `gaussian`, `zipf`) with a seed. Prompts have exactly the drawn number of
 * tokens under the tokenizer (counted on the chat-templated prompt for chat),
 * as text (`string`) or as token ids (`tokenid`, for /v1/completions).
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, DATA_TYPE, positiveInt } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import type { RequestSpec } from "./spec.ts";
import { Random } from "../random.ts";
import type { PromptBuilder } from "./prompt_builder.ts";

/** A length distribution, in tokens. */
export type LengthDist =
  | { kind: "fixed"; value: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "gaussian"; mean: number; variance: number; min: number; max: number }
  | { kind: "zipf"; alpha: number; min: number; max: number };

/** Settings of the synthetic source. */
export interface SyntheticOptions {
  input: LengthDist;
  /** Output lengths; absent → requests carry no `max_tokens` (the model's default applies). */
  output?: LengthDist;
  /** `string`: text prompts; `tokenid`: token-id prompts (completions API). */
  dataType: "string" | "tokenid";
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
      // Inverse CDF over the finite support min..max, weight of min + k ∝ (k + 1)^-alpha.
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

/** Yields `count` synthetic specs built with `builder`. */
export function* syntheticSpecs(
  options: SyntheticOptions,
  count: number,
  seed: number,
  builder: PromptBuilder,
): Generator<RequestSpec> {
  const random = new Random(seed);
  const inputLen = lengthSampler(options.input, random);
  const outputLen = options.output ? lengthSampler(options.output, random) : undefined;
  for (let i = 0; i < count; i++) {
    const n = inputLen();
    const out = outputLen?.();
    const tail = out === undefined ? {} : { maxTokens: out, expectedOutputTokens: out };
    if (options.dataType === "tokenid") {
      yield { prompt: builder.buildIds(n, random), expectedInputTokens: n, ...tail };
    } else {
      const p = builder.build(n, random);
      yield { prompt: p.text, expectedInputTokens: p.tokens, ...tail };
    }
  }
}

/** A length distribution in a dataset config (`method:` fixed, uniform, gaussian, zipf). */
export const LengthDistSchema = z.discriminatedUnion("method", [
  z.strictObject({ method: z.literal("fixed"), value: positiveInt }),
  z.strictObject({ method: z.literal("uniform"), min: positiveInt, max: positiveInt }),
  z.strictObject({
    method: z.literal("gaussian"),
    mean: z.number(),
    variance: z.number().min(0),
    min: positiveInt,
    max: positiveInt,
  }),
  z.strictObject({
    method: z.literal("zipf"),
    alpha: z.number().gt(1),
    min: positiveInt,
    max: positiveInt,
  }),
]);

/** A parsed length distribution. */
export type LengthDistConfig = z.infer<typeof LengthDistSchema>;

/** `input: min (9) exceeds max (3)` for each named distribution whose range is empty. */
export function rangeProblems(dists: Readonly<Record<string, LengthDist | undefined>>): string[] {
  return Object.entries(dists).flatMap(([name, d]) =>
    d && d.kind !== "fixed" && d.min > d.max
      ? [`${name}: min (${d.min}) exceeds max (${d.max})`]
      : []
  );
}

/** A config's length distribution as the sources draw from it. */
export function lengthDist(d: LengthDistConfig): LengthDist {
  switch (d.method) {
    case "fixed":
      return { kind: "fixed", value: d.value };
    case "uniform":
      return { kind: "uniform", min: d.min, max: d.max };
    case "gaussian":
      return { kind: "gaussian", mean: d.mean, variance: d.variance, min: d.min, max: d.max };
    case "zipf":
      return { kind: "zipf", alpha: d.alpha, min: d.min, max: d.max };
  }
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("synthetic"),
  data_type: DATA_TYPE,
  input: LengthDistSchema,
  output: LengthDistSchema.optional(),
});

/** The synthetic source. */
export const syntheticKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "synthetic"; synthetic: SyntheticOptions }
> = {
  type: "synthetic",
  description: "generated prompts with input/output lengths drawn from a distribution",
  schema,
  readsFile: false,
  toSource(cfg) {
    const input = lengthDist(cfg.input);
    const output = cfg.output ? lengthDist(cfg.output) : undefined;
    const problems = rangeProblems({ input, output });
    if (problems.length) return problems;
    return {
      type: "synthetic",
      synthetic: { input, ...(output ? { output } : {}), dataType: cfg.data_type },
    };
  },
  needsTokenizer: () => true,
  specs: (source, ctx) => syntheticSpecs(source.synthetic, ctx.count, ctx.seed, ctx.builder()),
};
