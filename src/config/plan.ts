/**
 * The Plan: what a run will do, fully resolved and validated before the first
 * request — a list of tasks (model × dataset × load point) and run-wide
 * settings. Secrets live only in memory; {@link redactPlan} gives the form that
 * may be written or printed.
 *
 * @module
 */

import type { DatasetSource } from "../dataset/mod.ts";
import { type LoadPart, type LoadProfile, maxInFlight } from "../load/mod.ts";
import type { SummarizerName } from "../metrics/summarize.ts";
import type { TokenCountMode } from "../metrics/request.ts";
import type { Gate } from "../metrics/gates.ts";
import { formatSlo, type Objective } from "../metrics/goodput.ts";
import type { StatSpec } from "../metrics/stats.ts";
import type { ApiKind } from "../protocol/mod.ts";
import type { TransportKind } from "../protocol/transport.ts";
import type { SimOptions } from "../sim_options.ts";
import { REDACTED, redactHeaders, redactUrl } from "../redact.ts";

/** Where the service is and how to call it (AISBench's model task). */
export interface ModelTask {
  abbr: string;
  api: ApiKind;
  /**
   * Settle `api` by probing the server before the task's first request
   * (`--api auto`: any API, empty; a route two APIs share, `/generate`: its
   * candidates). Absent: `api` stands.
   */
  apiProbe?: ApiKind[];
  stream: boolean;
  /** Base URL (scheme, host, port, optional path prefix); absent when `sim` is set. */
  baseUrl?: string;
  /** Serve this model with a built-in simulator started for the run, with these settings. */
  sim?: SimOptions;
  /** Where the config came from (a path or `builtin:…`), for messages and `--search`. */
  source: string;
  /** Model id; empty → the first id of `GET /v1/models`. */
  model: string;
  /** Extra request headers (may hold secrets: never written unredacted). */
  headers: Record<string, string>;
  /** API key sent as `Authorization: Bearer …` (never written). */
  apiKey?: string;
  /** `max_tokens` when the dataset gives none. */
  maxOutLen: number;
  /** Merged into every request body verbatim. */
  generationKwargs: Record<string, unknown>;
  /** Whole-request timeout in seconds; absent → none. */
  timeoutS?: number;
  /** Retries of a failed request (connect errors, timeouts, 429, 5xx), with backoff. */
  retry: number;
  /** Tokenizer (built-in name or folder) for exact prompts and for counting outputs. */
  tokenizer?: string;
  /** A PEM file of CA certificates to trust for https (besides the system's). */
  caCert?: string;
  /** Skip certificate verification for https (needs the node transport). */
  insecure?: boolean;
  /** Send `model` without checking it against the server's model list (`--no-model-check`). */
  skipModelCheck?: boolean;
  /** Scrape the server's Prometheus metrics during each task; absent → not scraped. */
  serverMetrics?: ServerMetricsSetting;
}

/** Scraping a server's Prometheus metrics during each task (`--server-metrics`). */
export interface ServerMetricsSetting {
  /** The metrics URL; absent → `/metrics` at the server's root (tried; skipped if it does not answer). */
  url?: string;
  /** Time between scrapes. */
  intervalMs: number;
}

/** What to send (AISBench's dataset task). */
export type DatasetTask = DatasetSource & {
  abbr: string;
  /** Where the config came from. */
  source: string;
  /** Records to take or make; absent → what the load needs (whole files at most). */
  requestCount?: number;
  seed: number;
  shuffle: boolean;
};

/** One load point. */
export type LoadPoint = LoadProfile & {
  /** Requests to send (after warm-up); absent → bounded by `durationS` only. */
  numRequests?: number;
  /** Stop starting requests this many seconds after the task starts (in-flight ones drain). */
  durationS?: number;
};

/** One cell of the matrix: a model, a dataset, a load point. */
export interface Task {
  model: ModelTask;
  dataset: DatasetTask;
  load: LoadPoint;
  /** File stem under `performances/<model abbr>/`, unique within the run. */
  outputName: string;
  /** Which run of a task repeated with `--repeat` this is (its `outputName` ends `_r<index>`). */
  repetition?: Repetition;
}

/** One of the runs of a repeated task: `index` from 1 to `of`. */
export interface Repetition {
  index: number;
  of: number;
}

/** Who and what a task was: everything a report needs besides the records. */
export interface TaskIdentity {
  /** The served model id. */
  model: string;
  model_abbr: string;
  dataset: string;
  api: string;
  stream: boolean;
  load: Record<string, unknown>;
  output_name: string;
  /** The configured cap on requests in flight (not lowered to the request count); 0 when none. */
  max_concurrency: number;
  /** Which repetition of the task this is (`--repeat`); absent when it ran once. */
  repetition?: Repetition;
}

/** The most requests a task can have in flight: the profile's cap or its request count, whichever is lower; 0 when neither bounds it. */
export function concurrencyCap(load: LoadPoint): number {
  const cap = Math.min(maxInFlight(load), load.numRequests ?? Infinity);
  return Number.isFinite(cap) ? cap : 0;
}

/** The cap on requests in flight as configured (`--concurrency`, `max_concurrency`); 0 when none. */
export function configuredCap(load: LoadPoint): number {
  const cap = maxInFlight(load);
  return Number.isFinite(cap) ? cap : 0;
}

/** The identity of a planned task. */
export function identityOf(task: Task, servedModel: string): TaskIdentity {
  return {
    model: servedModel,
    model_abbr: task.model.abbr,
    dataset: task.dataset.abbr,
    api: task.model.api,
    stream: task.model.stream,
    load: { ...task.load },
    output_name: task.outputName,
    max_concurrency: configuredCap(task.load),
    ...(task.repetition ? { repetition: { ...task.repetition } } : {}),
  };
}

/** Everything a run does. */
export interface Plan {
  tasks: Task[];
  /** Root of run folders (default `outputs/default`). */
  workDir: string;
  stats: StatSpec[];
  summarizer: SummarizerName;
  /** Requests sent before each task's measurement, kept out of its metrics. */
  warmup: number;
  /** Service-level objectives for goodput (`--slo`). */
  slo?: Objective[];
  /** Conditions that fail the run with exit code 3 (`--fail-on`). */
  failOn?: Gate[];
  /** Add EvalScope's percentile view. */
  percentiles?: boolean;
  /** Which token counts drive the metrics when both exist; default server. */
  tokenCount?: TokenCountMode;
  /** Load workers per task (`--workers`; 0 = the main thread); absent → chosen from the load. */
  workers?: number;
  /** How requests travel (`--transport`); a model with `insecure` always uses `node`. */
  transport: TransportKind;
  /** This process's part of a load split over several (`--shard`, `--shards`); absent → all. */
  shard?: LoadPart;
  /** When the first task's load starts, wall clock (epoch ms, `--start-at`); absent → when ready. */
  startAtMs?: number;
  /** Notes on accepted config fields that have no effect here, printed before the run. */
  notes?: string[];
}

/** The model task as it may be written: no key, secret headers and URL credentials redacted. */
export function redactModel(model: ModelTask): Record<string, unknown> {
  const { apiKey, ...rest } = model;
  const out: Record<string, unknown> = { ...rest, headers: redactHeaders(model.headers) };
  if (model.baseUrl !== undefined) out.baseUrl = redactUrl(model.baseUrl);
  if (model.serverMetrics?.url !== undefined) {
    out.serverMetrics = { ...model.serverMetrics, url: redactUrl(model.serverMetrics.url) };
  }
  if (apiKey !== undefined) out.api_key = REDACTED;
  return out;
}

/** A task as it may be written. */
export function redactTask(task: Task): Record<string, unknown> {
  return {
    outputName: task.outputName,
    model: redactModel(task.model),
    dataset: task.dataset,
    load: task.load,
    ...(task.repetition ? { repetition: task.repetition } : {}),
  };
}

/** The plan as it may be written (YAML config dump, trace headers). */
export function redactPlan(plan: Plan): Record<string, unknown> {
  return {
    workDir: plan.workDir,
    summarizer: plan.summarizer,
    stats: plan.stats.map((s) => s.label),
    warmup: plan.warmup,
    ...(plan.slo ? { slo: formatSlo(plan.slo) } : {}),
    ...(plan.failOn ? { failOn: plan.failOn.map((g) => g.text).join(",") } : {}),
    ...(plan.tokenCount ? { tokenCount: plan.tokenCount } : {}),
    ...(plan.shard ? { shard: `${plan.shard.index}/${plan.shard.count}` } : {}),
    ...(plan.startAtMs !== undefined ? { startAt: new Date(plan.startAtMs).toISOString() } : {}),
    tasks: plan.tasks.map(redactTask),
  };
}
