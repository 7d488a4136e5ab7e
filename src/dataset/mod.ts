/**
 * Dataset sources, by type, and the preparation of a task's requests: up to
 * {@link MAX_PREPARED} specs are built before the run starts (tokenized, off
 * the measured path); a run that needs more cycles through them. Files are
 * streamed: only what is prepared is held in memory. `shuffle` draws a
 * uniform random sample of the file (reservoir sampling) in random order.
 *
 * @module
 */

import { z } from "zod";
import type { ApiKind } from "../protocol/mod.ts";
import { Random } from "../random.ts";
import { throwIfInterrupted } from "../errors.ts";
import type { TextTokenizer } from "../tokenizer/tokenizer.ts";
import { UsageError } from "../errors.ts";
import { azureTraceKind } from "./azure_trace.ts";
import { burstGptKind } from "./burstgpt.ts";
import { csvKind } from "./csv.ts";
import { gsm8kKind } from "./gsm8k.ts";
import { imagesKind } from "./images.ts";
import { jsonlKind } from "./jsonl.ts";
import type { DatasetKind } from "./kind.ts";
import { mooncakeKind } from "./mooncake.ts";
import { multiturnKind } from "./multiturn.ts";
import { prefixGroupsKind } from "./prefix_groups.ts";
import { promptKind } from "./prompt.ts";
import { PromptBuilder } from "./prompt_builder.ts";
import { randomKind } from "./random.ts";
import { sharegptKind } from "./sharegpt.ts";
import type { RequestSpec } from "./spec.ts";
import { syntheticKind } from "./synthetic.ts";
import { traceKind } from "./trace.ts";
import { textLinesKind } from "./text_lines.ts";

export type { ChatMessage, RequestSpec, SpecSession } from "./spec.ts";
export type { DatasetKind, SourceOptions, SpecContext } from "./kind.ts";
export type { LengthDist, SyntheticOptions } from "./synthetic.ts";
export type { RandomOptions } from "./random.ts";
export type { FieldNames } from "./jsonl.ts";
export type { TaskFileOptions } from "./gsm8k.ts";
export type { ImageOptions } from "./images.ts";

/** Every dataset source, by `type` (the order `type:` errors list them in). */
export const DATASET_KINDS = {
  synthetic: syntheticKind,
  random: randomKind,
  sharegpt: sharegptKind,
  jsonl: jsonlKind,
  csv: csvKind,
  gsm8k: gsm8kKind,
  prompt: promptKind,
  images: imagesKind,
  mooncake: mooncakeKind,
  azure_trace: azureTraceKind,
  burstgpt: burstGptKind,
  trace: traceKind,
  multiturn: multiturnKind,
  prefix_groups: prefixGroupsKind,
  text_lines: textLinesKind,
} as const;

/** A dataset source's `type`. */
export type DatasetType = keyof typeof DATASET_KINDS;

type SourceOf<K> = K extends DatasetKind<infer _C, infer S> ? S : never;
type ConfigOf<K> = K extends DatasetKind<infer C, infer _S> ? C : never;

/** Where a dataset's requests come from (what a task carries). */
export type DatasetSource = SourceOf<typeof DATASET_KINDS[DatasetType]>;

/** A parsed dataset config, of any source. */
export type DatasetConfig = ConfigOf<typeof DATASET_KINDS[DatasetType]>;

/** A source with its own config and source types erased (what the registry hands out). */
export type AnyDatasetKind = DatasetKind<DatasetConfig, DatasetSource>;

/** The source registered under `type`, or undefined. */
export function datasetKind(type: string): AnyDatasetKind | undefined {
  return Object.hasOwn(DATASET_KINDS, type)
    // Each entry's config and source match its key; erasing them is safe.
    ? DATASET_KINDS[type as DatasetType] as unknown as AnyDatasetKind
    : undefined;
}

function kindOf(source: { readonly type: string }): AnyDatasetKind {
  return datasetKind(source.type)!;
}

const schemas = Object.keys(DATASET_KINDS).map((type) => datasetKind(type)!.schema);

/** A dataset config of any source: by `type`, each source's own strict schema. */
export const DatasetConfigSchema: z.ZodType<DatasetConfig, unknown> = z.discriminatedUnion(
  "type",
  // The registry holds object schemas keyed by a literal `type`, as discriminatedUnion needs.
  schemas as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<DatasetConfig, unknown>;

/** True when the source reads a file (shuffle samples it; `--dataset-path` replaces its path). */
export function readsFile(source: { readonly type: string }): boolean {
  return kindOf(source).readsFile;
}

/** The source `--dataset-path FILE` alone picks by its extension, or undefined. */
export function sourceFromPath(path: string): DatasetSource | undefined {
  const ext = path.split(".").pop()?.toLowerCase() ?? "";
  for (const type of Object.keys(DATASET_KINDS)) {
    const kind = datasetKind(type)!;
    if (kind.fromPath && kind.extensions?.includes(ext)) return kind.fromPath(path);
  }
  return undefined;
}

/** Extensions `--dataset-path` recognizes, naming the source where it differs: `.json (sharegpt)`. */
export function pathExtensions(): string[] {
  return Object.keys(DATASET_KINDS).flatMap((type) =>
    (datasetKind(type)!.extensions ?? []).map((e) => e === type ? `.${e}` : `.${e} (${type})`)
  );
}

/** Most requests prepared for one task; longer runs cycle through them. */
export const MAX_PREPARED = 20_000;

/** True when a source builds prompts of exact lengths (and so needs a tokenizer). */
export function needsTokenizer(source: DatasetSource): boolean {
  return kindOf(source).needsTokenizer?.(source) ?? false;
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
  /**
   * Aborted (Ctrl-C): preparation ends with an InterruptedError. It lets
   * the event loop run every {@link YIELD_EVERY_MS} of work, so the signal
   * arrives.
   */
  signal?: AbortSignal;
  /**
   * A replay's window, ms after the trace's first record: only the records
   * arriving in [fromMs, toMs) are taken, in trace order, each once.
   */
  window?: { readonly fromMs: number; readonly toMs: number };
}

/** Work between two turns of the event loop while preparing, so an interrupt is seen. */
const YIELD_EVERY_MS = 50;

/**
 * A check of `signal` between pieces of preparation: every
 * {@link YIELD_EVERY_MS} it yields to the event loop (a signal handler runs
 * there), then throws an InterruptedError if the signal has aborted.
 */
function interruptCheck(signal: AbortSignal | undefined): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (!signal || performance.now() - last < YIELD_EVERY_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    last = performance.now();
    throwIfInterrupted(signal, "preparing the dataset");
  };
}

/** Timestamped sources, for messages. */
const TIMESTAMPED = "mooncake, azure_trace, burstgpt or trace";

/** The specs of a replay window, in trace order; throws on a source without arrival times. */
async function windowSpecs(
  source: DatasetSource,
  limit: number,
  options: PrepareOptions & { window: NonNullable<PrepareOptions["window"]> },
): Promise<RequestSpec[]> {
  const { fromMs, toMs } = options.window;
  const specs: RequestSpec[] = [];
  for await (const spec of generated(source, limit, options)) {
    const at = spec.arrivalOffsetMs;
    if (at === undefined) {
      throw new UsageError(
        `A replay needs a timestamped dataset (${TIMESTAMPED}): "${source.type}" gives no arrival times`,
      );
    }
    if (at < fromMs) continue;
    if (at >= toMs) break;
    if (specs.length === limit) {
      if (options.requestCount !== undefined && limit === options.requestCount) break;
      throw new UsageError(
        `A replay prepares at most ${
          MAX_PREPARED.toLocaleString("en-US")
        } records: the trace has more in the window; narrow it (--replay-from, --replay-to) or take the first N (request_count, --num-prompts)`,
      );
    }
    specs.push(spec);
  }
  return specs;
}

function generated(
  source: DatasetSource,
  count: number,
  options: PrepareOptions,
): AsyncIterable<RequestSpec> | Iterable<RequestSpec> {
  const chat = options.api === "openai-chat";
  return kindOf(source).specs(source, {
    count,
    seed: options.seed,
    builder: () => new PromptBuilder(options.tokenizer!, { chat }),
    ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
  });
}

/** Input tokens of a spec as the server will count them, under the tokenizer. */
export function countInput(
  spec: RequestSpec,
  options: { tokenizer: TextTokenizer; api: ApiKind },
): number {
  const { tokenizer, api } = options;
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
  const check = interruptCheck(options.signal);
  throwIfInterrupted(options.signal, "preparing the dataset");
  const isFile = readsFile(source);
  const random = new Random(options.seed ^ 0x51ed);
  let specs: RequestSpec[] = [];
  if (options.window) {
    specs = await windowSpecs(source, limit, { ...options, window: options.window });
  } else if (isFile && options.shuffle) {
    // Reservoir sampling over the whole file (or its first request_count records).
    let seen = 0;
    for await (const spec of generated(source, limit, options)) {
      if (options.requestCount !== undefined && seen >= options.requestCount) break;
      await check();
      seen++;
      if (specs.length < limit) specs.push(spec);
      else {
        const j = random.int(0, seen - 1);
        if (j < limit) specs[j] = spec;
      }
    }
  } else {
    // Priming requests come first and do not count against the limit.
    let measured = 0;
    for await (const spec of generated(source, limit, options)) {
      await check();
      specs.push(spec);
      if (!spec.priming && ++measured >= limit) break;
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
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i]!;
      if (s.expectedInputTokens !== undefined) continue;
      specs[i] = { ...s, expectedInputTokens: countInput(s, { tokenizer: tok, api: options.api }) };
      await check();
    }
  }
  return specs;
}
