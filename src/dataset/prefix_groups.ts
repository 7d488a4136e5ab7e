/**
 * Prefix-cache scenarios: `groups` shared prefixes of `prefix_len` tokens,
 * each request one of them (round robin) followed by a unique suffix of a
 * length drawn from `suffix`, asking for a reply drawn from `output`. With
 * `prime: true` the source first yields one priming request per group (its
 * prefix alone, one output token), which the run sends and completes before
 * the load starts and keeps out of the metrics: the measured requests then
 * meet a warm cache. Two configs that differ in `prime` (and `seed`, so
 * their prefixes differ) compare cold and warm in one run. Prompts have
 * exactly their drawn number of tokens (on the chat-templated prompt for chat).
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, positiveInt } from "./_config.ts";
import { DATA_TYPE_FIELD } from "./_trace.ts";
import type { DatasetKind } from "./kind.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import { Random } from "../random.ts";
import type { RequestSpec } from "./spec.ts";
import {
  type LengthDist,
  lengthDist,
  LengthDistSchema,
  lengthSampler,
  rangeProblems,
} from "./synthetic.ts";

/** Settings of a prefix-group source. */
export interface PrefixGroupOptions {
  readonly groups: number;
  readonly prefixLen: number;
  readonly suffix: LengthDist;
  readonly output: LengthDist;
  /** Send each prefix once before the load (kept out of the metrics). */
  readonly prime: boolean;
  readonly dataType: "string" | "tokenid";
}

/** Yields the priming requests (when asked), then `count` requests over the groups in turn. */
export function* prefixGroupSpecs(
  options: PrefixGroupOptions,
  context: { count: number; seed: number; builder: PromptBuilder },
): Generator<RequestSpec> {
  const { builder, seed } = context;
  const prefixes = Array.from(
    { length: options.groups },
    (_, g) => builder.randomIds(options.prefixLen, new Random(seed ^ Math.imul(g + 1, 0x9e3779b1))),
  );
  const spec = (prefix: number[], tokens: number, random: Random) => {
    if (options.dataType === "tokenid") {
      return { prompt: builder.buildIds(tokens, random, prefix), expectedInputTokens: tokens };
    }
    const p = builder.build(tokens, random, prefix);
    return { prompt: p.text, expectedInputTokens: p.tokens };
  };
  const overhead = options.dataType === "tokenid" ? 0 : builder.count("");
  const random = new Random(seed);
  if (options.prime) {
    for (const prefix of prefixes) {
      yield { ...spec(prefix, overhead + prefix.length, random), maxTokens: 1, priming: true };
    }
  }
  const suffixLen = lengthSampler(options.suffix, random);
  const outputLen = lengthSampler(options.output, random);
  for (let i = 0; i < context.count; i++) {
    const prefix = prefixes[i % prefixes.length]!;
    const out = outputLen();
    yield {
      ...spec(prefix, overhead + prefix.length + suffixLen(), random),
      maxTokens: out,
      expectedOutputTokens: out,
    };
  }
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("prefix_groups"),
  groups: positiveInt,
  prefix_len: positiveInt,
  suffix: LengthDistSchema,
  output: LengthDistSchema,
  prime: z.boolean().default(false),
  data_type: DATA_TYPE_FIELD,
});

/** The prefix-group source. */
export const prefixGroupsKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "prefix_groups"; prefixGroups: PrefixGroupOptions }
> = {
  type: "prefix_groups",
  description:
    "prefix-cache scenarios: G shared prefixes × unique suffixes, optionally primed before the load",
  schema,
  readsFile: false,
  toSource(cfg) {
    const suffix = lengthDist(cfg.suffix);
    const output = lengthDist(cfg.output);
    const problems = rangeProblems({ suffix, output });
    if (problems.length) return problems;
    return {
      type: "prefix_groups",
      prefixGroups: {
        groups: cfg.groups,
        prefixLen: cfg.prefix_len,
        suffix,
        output,
        prime: cfg.prime,
        dataType: cfg.data_type,
      },
    };
  },
  needsTokenizer: () => true,
  specs: (source, ctx) =>
    prefixGroupSpecs(source.prefixGroups, {
      count: ctx.count,
      seed: ctx.seed,
      builder: ctx.builder(),
    }),
};
