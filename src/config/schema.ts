/**
 * The schemas of config files (YAML or JSON): model tasks, dataset tasks and
 * summarizers, with AISBench's field names. Unknown keys are errors.
 *
 * @module
 */

import { z } from "zod";
import { API_KINDS } from "../protocol/openai.ts";
import { SUMMARIZERS } from "../metrics/summarize.ts";

const positiveInt = z.number().int().positive();

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
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name")
    .optional(),
  headers: z.record(z.string(), z.string()).default({}),
  request_rate: z.number().min(0).default(0),
  retry: z.number().int().min(0).default(0),
  max_out_len: positiveInt.default(128),
  batch_size: positiveInt.default(1),
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

/** A dataset task: what to send. */
export const DatasetConfigSchema = z.discriminatedUnion("type", [
  z.strictObject({
    abbr: z.string().min(1).optional(),
    type: z.literal("synthetic"),
    request_count: positiveInt.default(64),
    input: LengthDistSchema,
    output: LengthDistSchema,
    seed: z.number().int().default(0),
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
