/**
 * The schemas of config files (YAML or JSON): model tasks, dataset tasks and
 * summarizers, with AISBench's field names. Unknown keys are errors.
 *
 * @module
 */

import { z } from "zod";
import { API_KINDS } from "../protocol/mod.ts";
import { SUMMARIZERS } from "../metrics/summarize.ts";
import { FAULT_KINDS } from "../fault_kinds.ts";

const positiveInt = z.number().int().positive();

const faultKind = z.enum(FAULT_KINDS);

/** Faults a simulator injects (see the simulator's FaultPlan). */
export const FaultsSchema = z.strictObject({
  rates: z.partialRecord(faultKind, z.number().min(0).max(1)).optional(),
  script: z.record(z.string().regex(/^\d+$/, "expected a request number"), faultKind).optional(),
  seed: z.number().int().optional(),
  retry_after_s: z.number().min(0).optional(),
  after_tokens: z.number().int().min(0).optional(),
});

/** Settings of a built-in simulator serving a model config (instead of a URL). */
export const SimSchema = z.strictObject({
  model: z.string().min(1).optional(),
  ttft_ms: z.number().min(0).optional(),
  prefill_ms_per_token: z.number().min(0).optional(),
  itl_ms: z.number().min(0).optional(),
  jitter_ms: z.number().min(0).optional(),
  output_tokens: z.number().int().min(0).optional(),
  tokens_per_chunk: positiveInt.optional(),
  reasoning_tokens: z.number().int().min(0).optional(),
  max_batch: positiveInt.optional(),
  seed: z.number().int().optional(),
  usage_scale: z.number().min(0).optional(),
  tokenizer: z.string().min(1).optional(),
  faults: FaultsSchema.optional(),
});

/** A model task: where the service is and how to call it. */
export const ModelConfigSchema = z.strictObject({
  abbr: z.string().min(1).optional(),
  api: z.enum(API_KINDS).default("openai-chat"),
  stream: z.boolean().default(true),
  url: z.string().min(1).optional(),
  host_ip: z.string().min(1).optional(),
  host_port: z.number().int().min(1).max(65535).optional(),
  sim: SimSchema.optional(),
  model: z.string().default(""),
  tokenizer: z.string().min(1).optional(),
  ca_cert: z.string().min(1).optional(),
  insecure: z.boolean().optional(),
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name")
    .optional(),
  headers: z.record(z.string(), z.string()).default({}),
  /** AISBench: arrivals per second (below 0.1: all at once); absent → 0. Not with `load`. */
  request_rate: z.number().min(0).optional(),
  retry: z.number().int().min(0).default(0),
  max_out_len: positiveInt.default(128),
  /** AISBench: requests in flight at most; absent → 1. Not with `load`. */
  batch_size: positiveInt.optional(),
  /** The load, as the load flags would say it: `{kind: rate, rate: 2, …}` (see src/load/). */
  load: z.record(z.string(), z.unknown()).optional(),
  timeout_s: z.number().positive().default(600),
  generation_kwargs: z.record(z.string(), z.unknown()).default({}),
});
/** A parsed model config. */
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/** A length distribution in a dataset config. */
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

const common = {
  abbr: z.string().min(1).optional(),
  /** Records to take (the first N, or a random N with shuffle); generated sources make this many. */
  request_count: positiveInt.optional(),
  shuffle: z.boolean().default(false),
  seed: z.number().int().default(0),
};
const fields = {
  prompt_field: z.string().min(1).default("prompt"),
  messages_field: z.string().min(1).default("messages"),
  max_tokens_field: z.string().min(1).default("max_tokens"),
};
const dataType = z.enum(["string", "tokenid"]).default("string");

/** A dataset task: what to send. */
export const DatasetConfigSchema = z.discriminatedUnion("type", [
  z.strictObject({
    ...common,
    type: z.literal("synthetic"),
    data_type: dataType,
    input: LengthDistSchema,
    output: LengthDistSchema.optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal("random"),
    data_type: dataType,
    input_len: positiveInt.default(1024),
    output_len: positiveInt.default(128),
    range_ratio: z.number().min(0).max(1).default(0),
    min_input_len: positiveInt.optional(),
    max_input_len: positiveInt.optional(),
    prefix_len: z.number().int().min(0).default(0),
  }),
  z.strictObject({
    ...common,
    type: z.literal("sharegpt"),
    path: z.string().min(1),
    use_output_len: z.boolean().default(true),
  }),
  z.strictObject({ ...common, ...fields, type: z.literal("jsonl"), path: z.string().min(1) }),
  z.strictObject({ ...common, ...fields, type: z.literal("csv"), path: z.string().min(1) }),
  z.strictObject({
    ...common,
    type: z.literal("gsm8k"),
    path: z.string().min(1),
    train_path: z.string().min(1).optional(),
    shots: z.number().int().min(0).default(4),
  }),
  z.strictObject({
    ...common,
    type: z.literal("prompt"),
    prompt: z.string().min(1),
    max_tokens: positiveInt.optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal("images"),
    prompt: z.string().min(1).default("Describe this image."),
    files: z.array(z.string().min(1)).optional(),
    width: positiveInt.default(512),
    height: positiveInt.default(512),
    images_per_request: positiveInt.default(1),
  }),
]);
/** A parsed dataset config. */
export type DatasetConfig = z.infer<typeof DatasetConfigSchema>;

/** A summarizer: how results are presented. */
export const SummarizerConfigSchema = z.strictObject({
  abbr: z.string().min(1).optional(),
  summarizer: z.enum(SUMMARIZERS).default("default_perf"),
  stats_list: z.array(z.string()).min(1).optional(),
  percentiles: z.boolean().default(false),
});
/** A parsed summarizer config. */
export type SummarizerConfig = z.infer<typeof SummarizerConfigSchema>;

/** The three kinds of config, by their folder names. */
export const CONFIG_KINDS = {
  models: ModelConfigSchema,
  datasets: DatasetConfigSchema,
  summarizers: SummarizerConfigSchema,
} as const;
/** One of the config kinds. */
export type ConfigKind = keyof typeof CONFIG_KINDS;
