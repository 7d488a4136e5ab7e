/**
 * Mooncake traces (kvcache-ai/Mooncake FAST25-release/README.md and its
 * traces/*.jsonl): one JSON object per line with `timestamp` (ms since the
 * trace's first request), `input_length` and `output_length` (tokens) and
 * `hash_ids`, one id per block of `block_size` (512) prompt tokens; equal ids
 * at the start of two prompts are a shared prefix.
 *
 * Prompts are built so the server's prefix cache sees exactly the trace's
 * reuse: the tokens of a block are drawn from a generator seeded by its id
 * (and the dataset seed) alone, so equal ids give identical token blocks and
 * different ids different ones, and the prompt is the blocks in order, cut to
 * `input_length` (counted on the chat-templated prompt for chat, whose
 * template tokens then come first). Streamed line by line.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, positiveInt } from "./_config.ts";
import { badLine, emptyFile, jsonLine, readLines } from "./_lines.ts";
import { ArrivalClock, countField, DATA_TYPE_FIELD, numberField } from "./_trace.ts";
import type { DatasetKind } from "./kind.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import { Random } from "../random.ts";
import type { RequestSpec } from "./spec.ts";

/** Settings of a Mooncake trace. */
export interface MooncakeOptions {
  readonly path: string;
  /** Tokens per hash id; 512 in Mooncake's traces. */
  readonly blockSize: number;
  readonly dataType: "string" | "tokenid";
}

/** The generator of block `id`'s tokens under `seed`. */
function blockRandom(seed: number, id: number): Random {
  return new Random(Math.imul(id + 1, 0x9e3779b1) ^ Math.imul(seed ^ 0x5bd1e995, 0x85ebca6b));
}

/** A prompt's token ids: the blocks of `hashIds` in order, cut to `tokens`. */
export function blockIds(
  builder: PromptBuilder,
  hashIds: readonly number[],
  options: { tokens: number; blockSize: number; seed: number },
): number[] {
  const ids: number[] = [];
  for (const id of hashIds) {
    if (ids.length >= options.tokens) break;
    const n = Math.min(options.blockSize, options.tokens - ids.length);
    ids.push(...builder.randomIds(n, blockRandom(options.seed, id)));
  }
  return ids;
}

/** One trace line's fields, checked. */
function parsed(
  line: string,
  n: number,
  path: string,
): { ts: number; input: number; output: number; hashIds: number[] } {
  const record = jsonLine(path, line, n);
  const fail = (what: string) => badLine(path, n, what);
  const ts = numberField(record.timestamp, { name: "timestamp", fail });
  const input = countField(record.input_length, { name: "input_length", min: 1, fail });
  const output = countField(record.output_length, { name: "output_length", min: 1, fail });
  const h = record.hash_ids;
  if (!Array.isArray(h) || !h.every((x) => Number.isInteger(x) && x >= 0)) {
    throw fail(`has "hash_ids" ${JSON.stringify(h ?? null)}, expected a list of integers ≥ 0`);
  }
  return { ts, input, output, hashIds: h as number[] };
}

/** Yields the specs of a Mooncake trace. */
export async function* mooncakeSpecs(
  options: MooncakeOptions,
  context: { seed: number; builder: PromptBuilder },
): AsyncGenerator<RequestSpec> {
  const { path, blockSize } = options;
  const { builder, seed } = context;
  const clock = new ArrivalClock(path);
  // The chat template's tokens come first; the blocks fill the rest, the last one cut.
  const overhead = builder.count("");
  let any = false;
  for await (const { line, n } of readLines(path)) {
    if (!line.trim()) continue;
    const r = parsed(line, n, path);
    const blocks = Math.ceil(r.input / blockSize);
    if (r.hashIds.length !== blocks) {
      throw badLine(
        path,
        n,
        `has ${r.hashIds.length} "hash_ids" for "input_length" ${r.input}: expected ${blocks}, one per ${blockSize} tokens`,
      );
    }
    any = true;
    const arrivalOffsetMs = clock.offset(r.ts, n);
    const tail = { maxTokens: r.output, expectedOutputTokens: r.output, arrivalOffsetMs };
    if (options.dataType === "tokenid") {
      const ids = blockIds(builder, r.hashIds, { tokens: r.input, blockSize, seed });
      yield { prompt: ids, expectedInputTokens: r.input, ...tail };
      continue;
    }
    const ids = blockIds(builder, r.hashIds, {
      tokens: Math.max(0, r.input - overhead),
      blockSize,
      seed,
    });
    const text = builder.tokenizer.decode(ids);
    const counted = builder.count(text);
    if (counted !== Math.max(r.input, overhead)) {
      throw badLine(
        path,
        n,
        `cannot be built as exactly ${r.input} tokens under "${builder.tokenizer.name}" (got ${counted})`,
      );
    }
    yield { prompt: text, expectedInputTokens: counted, ...tail };
  }
  if (!any) throw emptyFile(path);
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("mooncake"),
  path: z.string().min(1),
  block_size: positiveInt.default(512),
  data_type: DATA_TYPE_FIELD,
});

/** The Mooncake trace source. */
export const mooncakeKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "mooncake"; mooncake: MooncakeOptions }
> = {
  type: "mooncake",
  description:
    "a Mooncake trace (JSONL: timestamp ms, input_length, output_length, hash_ids per 512-token block)",
  schema,
  readsFile: true,
  toSource: (cfg, o) => ({
    type: "mooncake",
    mooncake: { path: o.path ?? cfg.path, blockSize: cfg.block_size, dataType: cfg.data_type },
  }),
  needsTokenizer: () => true,
  specs: (source, ctx) =>
    mooncakeSpecs(source.mooncake, { seed: ctx.seed, builder: ctx.builder() }),
};
