/**
 * The random source (vLLM `random`, EvalScope, LLM-Eval): input and output
 * lengths around a target with a range ratio (uniform in
 * [len·(1−r), len·(1+r)]) or between explicit bounds, and an optional shared
 * prefix of N tokens common to every request (prefix-cache workloads).
 * Lengths are exact under the tokenizer, the prefix included.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, DATA_TYPE, positiveInt } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import type { RequestSpec } from "./spec.ts";
import { Random } from "../random.ts";
import type { PromptBuilder } from "./prompt_builder.ts";

/** Settings of the random source. */
export interface RandomOptions {
  inputLen: number;
  outputLen: number;
  /** Lengths uniform in [len·(1−r), len·(1+r)]; 0 → fixed. */
  rangeRatio: number;
  /** Explicit input bounds (override the ratio for inputs). */
  minInputLen?: number;
  maxInputLen?: number;
  /** Tokens shared by every prompt, at its start. */
  prefixLen: number;
  dataType: "string" | "tokenid";
}

/** Yields `count` random specs. */
export function* randomSpecs(
  options: RandomOptions,
  count: number,
  seed: number,
  builder: PromptBuilder,
): Generator<RequestSpec> {
  const random = new Random(seed);
  const prefix = builder.randomIds(options.prefixLen, new Random(seed ^ 0x5eed));
  const r = options.rangeRatio;
  const inLo = options.minInputLen ?? Math.max(1, Math.floor(options.inputLen * (1 - r)));
  const inHi = options.maxInputLen ?? Math.max(inLo, Math.ceil(options.inputLen * (1 + r)));
  const outLo = Math.max(1, Math.floor(options.outputLen * (1 - r)));
  const outHi = Math.max(outLo, Math.ceil(options.outputLen * (1 + r)));
  for (let i = 0; i < count; i++) {
    const n = Math.max(random.int(inLo, inHi), options.prefixLen);
    const out = random.int(outLo, outHi);
    if (options.dataType === "tokenid") {
      yield {
        prompt: builder.buildIds(n, random, prefix),
        maxTokens: out,
        expectedInputTokens: n,
        expectedOutputTokens: out,
      };
    } else {
      const p = builder.build(n, random, prefix);
      yield {
        prompt: p.text,
        maxTokens: out,
        expectedInputTokens: p.tokens,
        expectedOutputTokens: out,
      };
    }
  }
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("random"),
  data_type: DATA_TYPE,
  input_len: positiveInt.default(1024),
  output_len: positiveInt.default(128),
  range_ratio: z.number().min(0).max(1).default(0),
  min_input_len: positiveInt.optional(),
  max_input_len: positiveInt.optional(),
  prefix_len: z.number().int().min(0).default(0),
});

/** The random source. */
export const randomKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "random"; random: RandomOptions }
> = {
  type: "random",
  description: "vLLM-style random prompts: input_len ± range_ratio, a shared prefix",
  schema,
  readsFile: false,
  toSource(cfg) {
    if (
      cfg.min_input_len !== undefined && cfg.max_input_len !== undefined &&
      cfg.min_input_len > cfg.max_input_len
    ) {
      return [
        `min_input_len (${cfg.min_input_len}) exceeds max_input_len (${cfg.max_input_len})`,
      ];
    }
    return {
      type: "random",
      random: {
        inputLen: cfg.input_len,
        outputLen: cfg.output_len,
        rangeRatio: cfg.range_ratio,
        ...(cfg.min_input_len !== undefined ? { minInputLen: cfg.min_input_len } : {}),
        ...(cfg.max_input_len !== undefined ? { maxInputLen: cfg.max_input_len } : {}),
        prefixLen: cfg.prefix_len,
        dataType: cfg.data_type,
      },
    };
  },
  needsTokenizer: () => true,
  specs: (source, ctx) => randomSpecs(source.random, ctx.count, ctx.seed, ctx.builder()),
};
