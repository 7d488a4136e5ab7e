/**
 * Dataset sources, by type, and the preparation of a task's requests: up to
 * {@link MAX_PREPARED} specs are built before the run starts (tokenized, off
 * the measured path); a run that needs more cycles through them. Files are
 * streamed: only what is prepared is held in memory. `shuffle` draws a
 * uniform random sample of the file (reservoir sampling) in random order.
 *
 * @module
 */

import type { ApiKind } from "../protocol/mod.ts";
import type { RequestSpec } from "./spec.ts";
import { Random } from "../random.ts";
import type { TextTokenizer } from "../tokenizer/tokenizer.ts";
import { csvSpecs } from "./csv.ts";
import { type TaskFileOptions, taskFileSpecs } from "./gsm8k.ts";
import { type ImageOptions, imageSpecs } from "./images.ts";
import { type FieldNames, jsonlSpecs } from "./jsonl.ts";
import { PromptBuilder } from "./prompt_builder.ts";
import { type RandomOptions, randomSpecs } from "./random.ts";
import { sharegptSpecs } from "./sharegpt.ts";
import { type SyntheticOptions, syntheticSpecs } from "./synthetic.ts";

export type { ChatMessage, RequestSpec, SpecSession } from "./spec.ts";
export type { LengthDist, SyntheticOptions } from "./synthetic.ts";
export type { RandomOptions } from "./random.ts";
export type { FieldNames } from "./jsonl.ts";
export type { TaskFileOptions } from "./gsm8k.ts";
export type { ImageOptions } from "./images.ts";

/** Most requests prepared for one task; longer runs cycle through them. */
export const MAX_PREPARED = 20_000;

/** Where a dataset's requests come from. */
export type DatasetSource =
  | { type: "synthetic"; synthetic: SyntheticOptions }
  | { type: "random"; random: RandomOptions }
  | { type: "sharegpt"; path: string; useOutputLen: boolean }
  | { type: "jsonl" | "csv"; path: string; fields: FieldNames }
  | { type: "gsm8k"; taskFile: TaskFileOptions }
  | { type: "prompt"; prompt: string; maxTokens?: number }
  | { type: "images"; images: ImageOptions };

/** True when a source builds prompts of exact lengths (and so needs a tokenizer). */
export function needsTokenizer(source: DatasetSource): boolean {
  return source.type === "synthetic" || source.type === "random" ||
    (source.type === "sharegpt" && source.useOutputLen);
}

/** What preparing a task's requests needs. */
export interface PrepareOptions {
  /** Requests the task will send (its specs cycle when fewer are prepared). */
  needed: number;
  /** Records to take from the source (the first N, or a random N with `shuffle`). */
  requestCount?: number;
  seed: number;
  shuffle: boolean;
  api: ApiKind;
  /** Counts input tokens and builds exact-length prompts. */
  tokenizer?: TextTokenizer;
}

function generated(
  source: DatasetSource,
  count: number,
  seed: number,
  options: PrepareOptions,
): AsyncIterable<RequestSpec> | Iterable<RequestSpec> {
  const chat = options.api === "openai-chat";
  const builder = () => new PromptBuilder(options.tokenizer!, { chat });
  switch (source.type) {
    case "synthetic":
      return syntheticSpecs(source.synthetic, count, seed, builder());
    case "random":
      return randomSpecs(source.random, count, seed, builder());
    case "prompt":
      return Array.from({ length: count }, () => ({
        prompt: source.prompt,
        ...(source.maxTokens !== undefined ? { maxTokens: source.maxTokens } : {}),
      }));
    case "images":
      return imageSpecs(source.images, count, seed);
    case "sharegpt": {
      const tok = options.tokenizer;
      return sharegptSpecs(source.path, {
        useOutputLen: source.useOutputLen,
        ...(tok ? { tokenizer: tok } : {}),
      });
    }
    case "jsonl":
      return jsonlSpecs(source.path, source.fields);
    case "csv":
      return csvSpecs(source.path, source.fields);
    case "gsm8k":
      return taskFileSpecs(source.taskFile, seed);
  }
}

/** Input tokens of a spec as the server will count them, under the tokenizer. */
export function countInput(spec: RequestSpec, tokenizer: TextTokenizer, api: ApiKind): number {
  if (Array.isArray(spec.prompt)) return spec.prompt.length;
  if (api === "openai-chat") {
    const messages = spec.messages ?? [{ role: "user" as const, content: spec.prompt as string }];
    const templated = tokenizer.chatPrompt(messages);
    if (templated !== undefined) return tokenizer.encode(templated).length;
    return messages.reduce(
      (n, m) => n + tokenizer.encode(typeof m.content === "string" ? m.content : "").length,
      0,
    );
  }
  const text = typeof spec.prompt === "string"
    ? spec.prompt
    : (spec.messages ?? []).map((m) => (typeof m.content === "string" ? m.content : "")).join("\n");
  return tokenizer.encode(text).length;
}

/** Builds the specs a task will send, before it starts. Throws UsageError on bad input. */
export async function prepareSpecs(
  source: DatasetSource,
  options: PrepareOptions,
): Promise<RequestSpec[]> {
  const limit = Math.min(options.requestCount ?? Infinity, options.needed, MAX_PREPARED);
  const isFile = source.type === "sharegpt" || source.type === "jsonl" || source.type === "csv" ||
    source.type === "gsm8k";
  const random = new Random(options.seed ^ 0x51ed);
  let specs: RequestSpec[] = [];
  if (isFile && options.shuffle) {
    // Reservoir sampling over the whole file (or its first request_count records).
    let seen = 0;
    for await (const spec of generated(source, limit, options.seed, options)) {
      if (options.requestCount !== undefined && seen >= options.requestCount) break;
      seen++;
      if (specs.length < limit) specs.push(spec);
      else {
        const j = random.int(0, seen - 1);
        if (j < limit) specs[j] = spec;
      }
    }
  } else {
    for await (const spec of generated(source, limit, options.seed, options)) {
      specs.push(spec);
      if (specs.length >= limit) break;
    }
  }
  if (options.shuffle) {
    for (let i = specs.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [specs[i], specs[j]] = [specs[j]!, specs[i]!];
    }
  }
  if (options.tokenizer) {
    const tok = options.tokenizer;
    specs = specs.map((s) =>
      s.expectedInputTokens !== undefined
        ? s
        : { ...s, expectedInputTokens: countInput(s, tok, options.api) }
    );
  }
  return specs;
}
