/**
 * The metric table: every per-request and common metric, defined once — its
 * key, label, unit, how it is computed, when it applies, which way is better,
 * and where it is shown. Everything else is derived from these rows: the
 * console tables and the Performance Parameters CSV, the requests CSV's metric
 * columns, the result JSON's `metrics` and `common`, gate and SLO names, the
 * HTML histograms, the percentile view and the run summary. Adding a metric is
 * one row.
 *
 * Views whose files predate the table keep their historical column order
 * ({@link RESULT_ORDER}, and the pinned lists of their modules); a row they do
 * not pin follows the pinned ones, in table order (see {@link metricsIn}).
 *
 * @module
 */

import type { RequestMetrics } from "./request.ts";

/** Units as the tables print them. */
export type MetricUnit = "ms" | "" | "token/s" | "req/s";

/** Which way a metric is better; `neither` for sizes and counts. */
export type Better = "lower" | "higher" | "neither";

/** Where a per-request metric is shown. A percentile-view entry is its column label. */
export interface MetricViews {
  /** Its statistics are in the summary and the result JSON's `metrics`. */
  readonly stats?: true;
  /** A row of the Performance Parameters table (console and CSV). */
  readonly table?: true;
  /** A `--fail-on` name (`<name>.<stat>`). */
  readonly gate?: true;
  /** An `--slo` name (a time bounded per request; needs `value`). */
  readonly slo?: true;
  /** A column of the requests CSV (needs `value`). */
  readonly requestsCsv?: true;
  /** A histogram on the task page. */
  readonly histogram?: true;
  /** Mean, P50 and P99 columns of the run summary. */
  readonly summary?: true;
  /** A column of EvalScope's percentile view, with this label. */
  readonly percentiles?: string;
}

/** One per-request metric. Exactly one of `value`, `gaps`, `sameAs` says where its sample comes from. */
export interface RequestMetricDef {
  /** Result JSON and sample key, unit in the name: `ttft_ms`. */
  readonly key: string;
  /** Gate and SLO name: `ttft`. */
  readonly name: string;
  /** Table label: `TTFT`. */
  readonly label: string;
  readonly unit: MetricUnit;
  readonly better: Better;
  /** How it is computed (DESIGN.md's definitions). */
  readonly computed: string;
  /** Which requests have it. */
  readonly applies: string;
  /** Its value for one request's metrics; undefined where it does not apply. */
  readonly value?: (m: RequestMetrics) => number | undefined;
  /** Folded from the chunk gaps of the counted requests (`ChunkGaps`), not per request. */
  readonly gaps?: "itl" | "itlPerToken";
  /** The same sample as another metric's, under its own name. */
  readonly sameAs?: string;
  readonly views: MetricViews;
}

/**
 * The per-request metrics, in table order (latency first, then sizes and
 * rates). Three views of inter-token latency, each under its own name:
 * `itl_ms` pools the gaps between consecutive chunks (AISBench, vLLM);
 * `itl_per_token_ms` counts a chunk of k tokens as k gaps of gap/k where k is
 * known; `itl_request_mean_ms` is one value per request, what GuideLLM and
 * AIPerf call ITL (the same formula as TPOT here).
 */
export const REQUEST_METRICS = [
  {
    key: "ttft_ms",
    name: "ttft",
    label: "TTFT",
    unit: "ms",
    better: "lower",
    computed: "first output chunk − start",
    applies: "successful streamed requests with output",
    value: (m: RequestMetrics): number | undefined => m.ttftMs,
    views: {
      stats: true,
      table: true,
      gate: true,
      slo: true,
      requestsCsv: true,
      histogram: true,
      summary: true,
      percentiles: "TTFT (ms)",
    },
  },
  {
    key: "ttfo_ms",
    name: "ttfo",
    label: "TTFO",
    unit: "ms",
    better: "lower",
    computed:
      "first content chunk − start (TTFT unless reasoning came first; E2EL when no content came)",
    applies: "successful streamed requests",
    value: (m: RequestMetrics): number | undefined => m.ttfoMs,
    views: {
      stats: true,
      table: true,
      gate: true,
      slo: true,
      requestsCsv: true,
      histogram: true,
      summary: true,
      percentiles: "TTFO (ms)",
    },
  },
  {
    key: "itl_ms",
    name: "itl",
    label: "ITL",
    unit: "ms",
    better: "lower",
    computed: "chunks[i] − chunks[i−1], pooled over requests",
    applies: "successful streamed requests with two or more chunks",
    gaps: "itl",
    views: {
      stats: true,
      table: true,
      gate: true,
      histogram: true,
      summary: true,
      percentiles: "ITL (ms)",
    },
  },
  {
    key: "itl_per_token_ms",
    name: "itl_per_token",
    label: "ITL per token",
    unit: "ms",
    better: "lower",
    computed: "a chunk of k tokens counted as k gaps of gap/k",
    applies: "as ITL, where every chunk of a request carries the same known number of tokens",
    gaps: "itlPerToken",
    views: { stats: true },
  },
  {
    key: "tpot_ms",
    name: "tpot",
    label: "TPOT",
    unit: "ms",
    better: "lower",
    computed: "(E2EL − TTFT) / (OutputTokens − 1)",
    applies: "successful streamed requests with more than one output token",
    value: (m: RequestMetrics): number | undefined => m.tpotMs,
    views: {
      stats: true,
      table: true,
      gate: true,
      slo: true,
      requestsCsv: true,
      histogram: true,
      summary: true,
      percentiles: "TPOT (ms)",
    },
  },
  {
    key: "itl_request_mean_ms",
    name: "itl_request_mean",
    label: "ITL request mean",
    unit: "ms",
    better: "lower",
    computed: "(E2EL − TTFT) / (OutputTokens − 1), one value per request",
    applies: "as TPOT",
    sameAs: "tpot_ms",
    views: { stats: true },
  },
  {
    key: "e2el_ms",
    name: "e2el",
    label: "E2EL",
    unit: "ms",
    better: "lower",
    computed: "end − start",
    applies: "successful requests",
    value: (m: RequestMetrics): number | undefined => m.e2elMs,
    views: {
      stats: true,
      table: true,
      gate: true,
      slo: true,
      requestsCsv: true,
      histogram: true,
      summary: true,
      percentiles: "Latency (ms)",
    },
  },
  {
    key: "e2el_from_scheduled_ms",
    name: "e2el_from_scheduled",
    label: "E2EL from scheduled",
    unit: "ms",
    better: "lower",
    computed: "end − scheduled: latency including the wait for the send slot",
    applies: "successful requests",
    value: (m: RequestMetrics): number | undefined => m.e2elFromScheduledMs,
    views: { stats: true },
  },
  {
    key: "input_tokens",
    name: "input_tokens",
    label: "InputTokens",
    unit: "",
    better: "neither",
    computed: "the server's prompt count, else the tokenizer's or the dataset's",
    applies: "successful requests whose input size is known",
    value: (m: RequestMetrics): number | undefined => m.inputTokens,
    views: {
      stats: true,
      table: true,
      gate: true,
      requestsCsv: true,
      percentiles: "Input tokens",
    },
  },
  {
    key: "cached_tokens",
    name: "cached_tokens",
    label: "CachedTokens",
    unit: "",
    better: "neither",
    computed:
      "the server's `usage.prompt_tokens_details.cached_tokens`: prompt tokens its prefix cache held",
    applies: "successful requests whose usage reports cached tokens",
    value: (m: RequestMetrics): number | undefined => m.cachedTokens,
    views: { stats: true },
  },
  {
    key: "output_tokens",
    name: "output_tokens",
    label: "OutputTokens",
    unit: "",
    better: "neither",
    computed: "the server's completion count, else the tokenizer's, else the chunk count",
    applies: "successful requests whose output size is known",
    value: (m: RequestMetrics): number | undefined => m.outputTokens,
    views: {
      stats: true,
      table: true,
      gate: true,
      requestsCsv: true,
      percentiles: "Output tokens",
    },
  },
  {
    key: "output_token_throughput_tps",
    name: "output_token_throughput",
    label: "OutputTokenThroughput",
    unit: "token/s",
    better: "higher",
    computed: "OutputTokens / E2EL",
    applies: "successful requests with output tokens and E2EL > 0",
    value: (m: RequestMetrics): number | undefined => m.outputTokenThroughputTps,
    views: { stats: true, table: true, gate: true, percentiles: "Output (tok/s)" },
  },
  {
    key: "prefill_token_throughput_tps",
    name: "prefill_token_throughput",
    label: "PrefillTokenThroughput",
    unit: "token/s",
    better: "higher",
    computed: "InputTokens / TTFT",
    applies: "successful streamed requests with input tokens and TTFT > 0",
    value: (m: RequestMetrics): number | undefined => m.prefillTokenThroughputTps,
    views: { stats: true, table: true, gate: true },
  },
  {
    key: "total_token_throughput_tps",
    name: "total_token_throughput",
    label: "TotalTokenThroughput",
    unit: "token/s",
    better: "higher",
    computed: "(InputTokens + OutputTokens) / E2EL",
    applies: "successful requests with output tokens and E2EL > 0",
    value: (m: RequestMetrics): number | undefined =>
      m.e2elMs > 0 && m.outputTokens !== undefined
        ? ((m.inputTokens ?? 0) + m.outputTokens) / (m.e2elMs / 1000)
        : undefined,
    views: { percentiles: "Total (tok/s)" },
  },
] as const satisfies readonly RequestMetricDef[];

/** A per-request metric's key: `ttft_ms`. */
export type MetricKey = typeof REQUEST_METRICS[number]["key"];

/** A metric an SLO may bound: `ttft`. */
export type SloName = Extract<typeof REQUEST_METRICS[number], { views: { slo: true } }>["name"];

/**
 * The order of the result JSON's `metrics` and of the Performance Parameters
 * table, as files written before the table have it.
 */
export const RESULT_ORDER: readonly MetricKey[] = [
  "e2el_ms",
  "ttft_ms",
  "ttfo_ms",
  "tpot_ms",
  "itl_ms",
  "itl_per_token_ms",
  "itl_request_mean_ms",
  "e2el_from_scheduled_ms",
  "input_tokens",
  "output_tokens",
  "output_token_throughput_tps",
  "prefill_token_throughput_tps",
];

/** The row of a metric key. */
export function metricDef(key: MetricKey): RequestMetricDef {
  return REQUEST_METRICS.find((m) => m.key === key)!;
}

/**
 * The metrics shown in a view: the `pinned` ones first, in that order, then
 * every other row shown there, in table order. A pinned key the view does not
 * show is left out.
 */
export function metricsIn(
  view: keyof MetricViews,
  pinned: readonly MetricKey[] = [],
): RequestMetricDef[] {
  const shown = (m: RequestMetricDef) => m.views[view] !== undefined;
  const rows: readonly RequestMetricDef[] = REQUEST_METRICS;
  const first = pinned.map(metricDef).filter(shown);
  return [...first, ...rows.filter((m) => shown(m) && !first.includes(m))];
}

/** One common metric: a number over a task's counted requests. */
export interface CommonMetricDef {
  /** Result JSON key under `common`, unit in the name. */
  readonly key: string;
  /** Table label. */
  readonly label: string;
  readonly unit: MetricUnit;
  readonly better: Better;
  /** How it is computed. */
  readonly computed: string;
  /** Its `--fail-on` name, when it has one. */
  readonly gate?: string;
  /** Tables leave its row out where it is absent (a count that exists only in some tasks). */
  readonly onlyWhenPresent?: true;
}

/** The common metrics, in table order (the order of the result JSON's `common` is the summarizer's). */
export const COMMON_METRICS = [
  {
    key: "benchmark_duration_ms",
    label: "Benchmark Duration",
    unit: "ms",
    better: "neither",
    computed: "max(end) − min(start); the stable stage: the window's length",
    gate: "duration",
  },
  {
    key: "total_requests",
    label: "Total Requests",
    unit: "",
    better: "neither",
    computed: "counted requests (cancelled ones included)",
    gate: "total",
  },
  {
    key: "failed_requests",
    label: "Failed Requests",
    unit: "",
    better: "lower",
    computed: "counted requests that failed",
    gate: "failed",
  },
  {
    key: "cancelled_requests",
    label: "Cancelled Requests",
    unit: "",
    better: "neither",
    computed:
      "counted requests cut off in flight by an interrupt (total = success + failed + cancelled); absent when none was",
    onlyWhenPresent: true,
  },
  {
    key: "success_requests",
    label: "Success Requests",
    unit: "",
    better: "higher",
    computed: "counted requests that succeeded",
    gate: "success",
  },
  {
    key: "concurrency",
    label: "Concurrency",
    unit: "",
    better: "neither",
    computed: "Σ E2EL / duration; the stable stage: at most the max concurrency",
    gate: "concurrency",
  },
  {
    key: "max_concurrency",
    label: "Max Concurrency",
    unit: "",
    better: "neither",
    computed: "the configured cap on requests in flight",
  },
  {
    key: "peak_in_flight",
    label: "Peak In Flight",
    unit: "",
    better: "neither",
    computed: "the most measured requests observed in flight at once",
  },
  {
    key: "request_throughput_rps",
    label: "Request Throughput",
    unit: "req/s",
    better: "higher",
    computed: "success / duration",
    gate: "request_throughput",
  },
  {
    key: "total_input_tokens",
    label: "Total Input Tokens",
    unit: "",
    better: "neither",
    computed: "Σ InputTokens of successful requests",
  },
  {
    key: "total_cached_tokens",
    label: "Total Cached Tokens",
    unit: "",
    better: "neither",
    computed:
      "Σ CachedTokens of successful requests whose usage reports them; absent when none does",
    onlyWhenPresent: true,
  },
  {
    key: "prefix_cache_hit_rate",
    label: "Prefix Cache Hit Rate",
    unit: "",
    better: "higher",
    computed:
      "Σ CachedTokens / Σ InputTokens over successful requests whose usage reports cached tokens; absent when none does",
    onlyWhenPresent: true,
  },
  {
    key: "prefill_token_throughput_tps",
    label: "Prefill Token Throughput",
    unit: "token/s",
    better: "higher",
    computed: "Σ InputTokens / Σ TTFT; absent without TTFT (not streamed)",
  },
  {
    key: "total_output_tokens",
    label: "Total Generated Tokens",
    unit: "",
    better: "neither",
    computed: "Σ OutputTokens of successful requests",
  },
  {
    key: "input_token_throughput_tps",
    label: "Input Token Throughput",
    unit: "token/s",
    better: "higher",
    computed: "Σ InputTokens / duration",
    gate: "input_throughput",
  },
  {
    key: "output_token_throughput_tps",
    label: "Output Token Throughput",
    unit: "token/s",
    better: "higher",
    computed: "Σ OutputTokens / duration",
    gate: "output_throughput",
  },
  {
    key: "total_token_throughput_tps",
    label: "Total Token Throughput",
    unit: "token/s",
    better: "higher",
    computed: "Σ (InputTokens + OutputTokens) / duration",
    gate: "total_throughput",
  },
] as const satisfies readonly CommonMetricDef[];

/** A common metric's key. */
export type CommonKey = typeof COMMON_METRICS[number]["key"];

/**
 * Common metrics that do not apply to every task: prefill throughput needs a
 * TTFT (streaming); cancelled requests exist only in an interrupted task; the
 * cache figures only where the server reports cached tokens.
 */
export type OptionalCommonKey =
  | "prefill_token_throughput_tps"
  | "cancelled_requests"
  | "total_cached_tokens"
  | "prefix_cache_hit_rate";

/** The common metrics of a task, by key (units in the names); one that does not apply is absent. */
export type CommonMetrics =
  & Record<Exclude<CommonKey, OptionalCommonKey>, number>
  & Partial<Record<OptionalCommonKey, number>>;
