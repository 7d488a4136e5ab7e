/**
 * The random source (vLLM `random`, EvalScope, LLM-Eval): input and output
 * lengths around a target with a range ratio (uniform in
 * [len·(1−r), len·(1+r)]) or between explicit bounds, and an optional shared
 * prefix of N tokens common to every request (prefix-cache workloads).
 * Lengths are exact under the tokenizer, the prefix included. A list of
 * input lengths, taken in turn, gives fixed-length steps (EvalScope's
 * `speed_benchmark`); images per request add generated PNGs to each chat
 * prompt (EvalScope's `random_vl`: random text, then its images).
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, DATA_TYPE, positiveInt } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import type { RequestSpec } from "./spec.ts";
import { Random } from "../random.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import { imageUrl } from "./images.ts";

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
  /** Input lengths taken in turn, request i getting `inputLens[i % n]` (overrides the others). */
  inputLens?: readonly number[];
  /** Generated images added to each chat prompt, after its text. */
  images?: { perRequest: number; width: number; height: number };
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
  const lens = options.inputLens;
  for (let i = 0; i < count; i++) {
    const n = Math.max(lens ? lens[i % lens.length]! : random.int(inLo, inHi), options.prefixLen);
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

/**
 * The specs as chat messages of their text and then `perRequest` generated
 * PNGs each (EvalScope's `random_vl`, `random_vl_dataset.py`: the random
 * prompt's text part, then `--image-num` images). The images' tokens are the
 * server's to count, so only the output length stays expected.
 */
export async function* withImages(
  specs: Iterable<RequestSpec>,
  images: NonNullable<RandomOptions["images"]>,
  seed: number,
): AsyncGenerator<RequestSpec> {
  let i = 0;
  for (const spec of specs) {
    const parts: Array<Record<string, unknown>> = [{ type: "text", text: String(spec.prompt) }];
    for (let k = 0; k < images.perRequest; k++) {
      const url = await imageUrl(images.width, images.height, seed + i * 31 + k);
      parts.push({ type: "image_url", image_url: { url } });
    }
    i++;
    yield {
      messages: [{ role: "user", content: parts }],
      ...(spec.maxTokens !== undefined ? { maxTokens: spec.maxTokens } : {}),
      ...(spec.expectedOutputTokens !== undefined
        ? { expectedOutputTokens: spec.expectedOutputTokens }
        : {}),
    };
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
  input_lens: z.array(positiveInt).min(1).optional(),
  images_per_request: z.number().int().min(0).default(0),
  image_width: positiveInt.default(512),
  image_height: positiveInt.default(512),
});

/** The random source. */
export const randomKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "random"; random: RandomOptions }
> = {
  type: "random",
  description:
    "vLLM-style random prompts: input_len ± range_ratio or fixed input_lens in turn, a shared prefix, generated images",
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
    if (cfg.images_per_request > 0 && cfg.data_type === "tokenid") {
      return ["images_per_request: images go in chat messages; data_type tokenid has none"];
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
        ...(cfg.input_lens ? { inputLens: cfg.input_lens } : {}),
        ...(cfg.images_per_request > 0
          ? {
            images: {
              perRequest: cfg.images_per_request,
              width: cfg.image_width,
              height: cfg.image_height,
            },
          }
          : {}),
      },
    };
  },
  needsTokenizer: () => true,
  specs(source, ctx) {
    const specs = randomSpecs(source.random, ctx.count, ctx.seed, ctx.builder());
    return source.random.images ? withImages(specs, source.random.images, ctx.seed) : specs;
  },
};
