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
import { SIM_SERVERS } from "../sim_options.ts";
import { DatasetConfigSchema } from "../dataset/mod.ts";

const positiveInt = z.number().int().positive();

const faultKind = z.enum(FAULT_KINDS);

/** Faults a simulator injects (see the simulator's FaultPlan). */
export const FaultsSchema = z.strictObject({
  rates: z.partialRecord(faultKind, z.number().min(0).max(1)).optional(),
  script: z.record(z.string().regex(/^\d+$/, "expected a request number"), faultKind).optional(),
  seed: z.number().int().optional(),
  retry_after_s: z.number().min(0).optional(),
  after_tokens: z.number().int().min(0).optional(),
  /** Slow discovery: model-list and discovery pages answer after this many ms. */
  discovery_delay_ms: z.number().min(0).optional(),
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
  kv_cache_tokens: positiveInt.optional(),
  seed: z.number().int().optional(),
  usage_scale: z.number().min(0).optional(),
  tokenizer: z.string().min(1).optional(),
  prefix_cache_blocks: z.number().int().min(0).optional(),
  prefix_block_tokens: positiveInt.optional(),
  faults: FaultsSchema.optional(),
  server: z.enum(SIM_SERVERS).optional(),
});

/** A model task: where the service is and how to call it. */
export const ModelConfigSchema = z.strictObject({
  abbr: z.string().min(1).optional(),
  api: z.enum(API_KINDS).default("openai-chat"),
  /** Absent: stream when the API can (every API but embeddings). */
  stream: z.boolean().optional(),
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
  /** Scrape the server's Prometheus metrics per task: true (its `/metrics`), false, or the URL. */
  server_metrics: z.union([z.boolean(), z.string().min(1)]).optional(),
  /** Seconds between scrapes. */
  server_metrics_interval_s: z.number().min(0.05).max(3600).optional(),
  generation_kwargs: z.record(z.string(), z.unknown()).default({}),
});
/** A parsed model config. */
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/** A dataset task: what to send — each source's own schema, by `type` (see src/dataset/). */
export { type DatasetConfig, DatasetConfigSchema } from "../dataset/mod.ts";

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
