/**
 * Synthetic conversations: `sessions` conversations of `turns` turns each,
 * every one opening with the same system prompt of `system_prompt_len`
 * tokens; turn k adds a user message of a length drawn from `input` and asks
 * for a reply of a length drawn from `output`. A turn's messages are the
 * conversation so far, the dataset's own replies (text of the drawn length)
 * standing in as the assistant turns (the `sessions` load shape may replace
 * them with the server's). Messages are made of word tokens, so each has
 * exactly its drawn number of tokens under the tokenizer.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, positiveInt } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import { Random } from "../random.ts";
import type { ChatMessage, RequestSpec } from "./spec.ts";
import {
  type LengthDist,
  lengthDist,
  LengthDistSchema,
  lengthSampler,
  rangeProblems,
} from "./synthetic.ts";

/** Settings of synthetic conversations. */
export interface MultiturnOptions {
  readonly sessions: number;
  readonly turns: number;
  readonly systemPromptLen: number;
  readonly input: LengthDist;
  readonly output: LengthDist;
}

/** Yields every turn of every conversation, conversation by conversation. */
export function* multiturnSpecs(
  options: MultiturnOptions,
  context: { seed: number; builder: PromptBuilder },
): Generator<RequestSpec> {
  const { builder } = context;
  const random = new Random(context.seed);
  const text = (n: number) => builder.tokenizer.decode(builder.randomIds(n, random));
  const system: ChatMessage[] = options.systemPromptLen > 0
    ? [{ role: "system", content: text(options.systemPromptLen) }]
    : [];
  const inputLen = lengthSampler(options.input, random);
  const outputLen = lengthSampler(options.output, random);
  for (let s = 0; s < options.sessions; s++) {
    const messages: ChatMessage[] = [...system];
    for (let turn = 0; turn < options.turns; turn++) {
      messages.push({ role: "user", content: text(inputLen()) });
      const out = outputLen();
      yield {
        messages: [...messages],
        maxTokens: out,
        expectedOutputTokens: out,
        session: { id: `s${s}`, turn },
      };
      messages.push({ role: "assistant", content: text(out) });
    }
  }
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("multiturn"),
  sessions: positiveInt,
  turns: positiveInt,
  system_prompt_len: z.number().int().min(0).default(0),
  input: LengthDistSchema,
  output: LengthDistSchema,
});

/** The synthetic multi-turn source. */
export const multiturnKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "multiturn"; multiturn: MultiturnOptions }
> = {
  type: "multiturn",
  description:
    "synthetic conversations: sessions × turns, a shared system prompt, user and reply lengths per turn",
  schema,
  readsFile: false,
  toSource(cfg) {
    const input = lengthDist(cfg.input);
    const output = lengthDist(cfg.output);
    const problems = rangeProblems({ input, output });
    if (problems.length) return problems;
    return {
      type: "multiturn",
      multiturn: {
        sessions: cfg.sessions,
        turns: cfg.turns,
        systemPromptLen: cfg.system_prompt_len,
        input,
        output,
      },
    };
  },
  needsTokenizer: () => true,
  specs: (source, ctx) =>
    multiturnSpecs(source.multiturn, { seed: ctx.seed, builder: ctx.builder() }),
};
