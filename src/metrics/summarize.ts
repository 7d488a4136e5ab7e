/**
 * From a task's records to its numbers: which requests count (summarizer),
 * the common metrics, and the statistics of every per-request metric.
 *
 * @module
 */

import {
  chunkDeltasUs,
  type ErrorCategory,
  factsOf,
  type RequestFacts,
  type RequestRecord,
} from "../record/record.ts";
import { type CountsState, ValueCounts } from "./counts.ts";
import { meetsSlo, type Objective } from "./goodput.ts";
import { inWindow, peakInFlight, type StableWindow, stableWindow } from "./stable.ts";
import {
  outputTokensOf,
  type RequestMetrics,
  requestMetrics,
  type TokenCountMode,
} from "./request.ts";
import {
  describe,
  type Distribution,
  percentileSorted,
  Sample,
  type StatSpec,
  type StatValues,
} from "./stats.ts";

/** The summarizers: all counted requests, or only the stable stage. */
export const SUMMARIZERS = ["default_perf", "stable_stage"] as const;
/** One of {@link SUMMARIZERS}. */
export type SummarizerName = typeof SUMMARIZERS[number];

/** How to summarize a task. */
export interface SummaryOptions {
  readonly stats: readonly StatSpec[];
  readonly summarizer: SummarizerName;
  /** The configured cap on requests in flight. */
  readonly maxConcurrency: number;
  readonly tokenCount?: TokenCountMode;
  /** Service-level objectives for goodput. */
  readonly slo?: readonly Objective[];
  /** The profile's target arrival rate (req/s), for achieved-vs-target. */
  readonly targetRateRps?: number;
}

/** A send later than its due time by more than this counts as late. */
export const LATE_SEND_MS = 10;

/** The common metrics of DESIGN.md, units in the names. */
export interface CommonMetrics {
  benchmark_duration_ms: number;
  total_requests: number;
  success_requests: number;
  failed_requests: number;
  concurrency: number;
  max_concurrency: number;
  /** The most requests observed in flight at once. */
  peak_in_flight: number;
  request_throughput_rps: number;
  total_input_tokens: number;
  total_output_tokens: number;
  prefill_token_throughput_tps: number;
  input_token_throughput_tps: number;
  output_token_throughput_tps: number;
  total_token_throughput_tps: number;
}

/**
 * Per-request metrics: JSON key, table label, unit, and whether the console
 * table shows it (the JSON always holds every one that applies), in table order.
 *
 * Three views of inter-token latency, each under its own name:
 * - `itl_ms`: gaps between consecutive chunks, pooled over requests (AISBench, vLLM);
 * - `itl_per_token_ms`: the same with a chunk of k tokens counted as k gaps of
 *   gap/k, where k is known (one token per chunk, or the server's token count a
 *   whole multiple of the chunk count);
 * - `itl_request_mean_ms`: one value per request, (E2EL − TTFT) / (tokens − 1):
 *   what GuideLLM and AIPerf call ITL (the same formula as TPOT here).
 */
export const METRIC_ROWS = [
  { key: "e2el_ms", label: "E2EL", unit: "ms", table: true },
  { key: "ttft_ms", label: "TTFT", unit: "ms", table: true },
  { key: "ttfo_ms", label: "TTFO", unit: "ms", table: true },
  { key: "tpot_ms", label: "TPOT", unit: "ms", table: true },
  { key: "itl_ms", label: "ITL", unit: "ms", table: true },
  { key: "itl_per_token_ms", label: "ITL per token", unit: "ms", table: false },
  { key: "itl_request_mean_ms", label: "ITL request mean", unit: "ms", table: false },
  { key: "e2el_from_scheduled_ms", label: "E2EL from scheduled", unit: "ms", table: false },
  { key: "input_tokens", label: "InputTokens", unit: "", table: true },
  { key: "output_tokens", label: "OutputTokens", unit: "", table: true },
  {
    key: "output_token_throughput_tps",
    label: "OutputTokenThroughput",
    unit: "token/s",
    table: true,
  },
  {
    key: "prefill_token_throughput_tps",
    label: "PrefillTokenThroughput",
    unit: "token/s",
    table: true,
  },
] as const;

/** Client-side facts about how the load was delivered. */
export interface DeliveryStats {
  /** start − scheduled over counted requests: p50, p99, max (ms). */
  send_lag_ms: { p50: number; p99: number; max: number } | undefined;
  /** Requests sent but kept out of the metrics as warm-up. */
  warmup_requests: number;
  /** Sends more than LATE_SEND_MS after their due time (held by the cap, or a client behind). */
  late_sends: number;
  /** Starts per second between the first and last counted start. */
  achieved_rate_rps?: number;
  /** The profile's target rate, when it has one. */
  target_rate_rps?: number;
  /** Retried requests, and the attempts they took in all. */
  retried_requests: number;
}

/** Requests that met every SLO. */
export interface Goodput {
  slo: Record<string, number>;
  good_requests: number;
  /** Good / counted requests. */
  share: number;
  /** Good requests per second of benchmark duration. */
  rate_rps: number;
}

/** Server `usage` against the tokenizer's counts, over successful requests that have both. */
export interface TokenCountCheck {
  /** Requests with both an output count from the server and one from the tokenizer. */
  compared_output: number;
  output_mismatches: number;
  output_max_abs_diff: number;
  output_mean_abs_diff: number;
  /** Requests with both a prompt count from the server and one from the tokenizer or dataset. */
  compared_input: number;
  input_mismatches: number;
  input_max_abs_diff: number;
}

/** Everything a task reports. */
export interface TaskSummary {
  stage: "total" | "stable";
  window?: StableWindow;
  common: CommonMetrics;
  metrics: Record<string, StatValues>;
  errors: Partial<Record<ErrorCategory, number>>;
  delivery: DeliveryStats;
  goodput?: Goodput;
  /** Present when any request had both server and tokenizer counts. */
  tokenCounts?: TokenCountCheck;
  /**
   * The samples behind `metrics`, by the same keys, plus `total_token_throughput_tps`
   * per request (in memory only, for gates, plots and the percentile view).
   */
  samples: Record<string, Distribution>;
}

/** Which of a task's requests a summary counts. */
export interface Selection {
  /** Requests of the task, warm-up included. */
  total: number;
  /** The requests outside warm-up. */
  measured: RequestFacts[];
  /** The requests the metrics count: every measured one, or those of the stable window. */
  counted: RequestFacts[];
  window?: StableWindow;
}

/**
 * Picks the requests a summarizer counts. Throws NoStableWindowError for
 * `stable_stage` without a window.
 */
export function selectRequests(
  facts: readonly RequestFacts[],
  summarizer: SummarizerName,
  maxConcurrency: number,
): Selection {
  const measured = facts.filter((r) => !r.warmup);
  if (summarizer !== "stable_stage") return { total: facts.length, measured, counted: measured };
  const window = stableWindow(measured, maxConcurrency);
  const counted = inWindow(measured, window).map((i) => measured[i]!);
  return { total: facts.length, measured, counted, window };
}

/** {@link ChunkGaps} as plain data, to post between threads. */
export interface ChunkGapsState {
  single: CountsState;
  other: CountsState;
  split: CountsState;
}

/**
 * The gaps between output chunks of the counted successful requests, folded
 * into exact counts as their records stream by, so no chunk time is kept:
 * the pooled ITL, and ITL per token (a chunk of k tokens counted as k gaps of
 * gap/k, where k is known).
 */
export class ChunkGaps {
  readonly #mode: TokenCountMode;
  /** Gaps of requests with one token per chunk: in both views. */
  readonly #single = new ValueCounts(1000);
  /** Gaps of the other requests: pooled ITL only. */
  readonly #other = new ValueCounts(1000);
  /** Gap/k, k times each, of requests with k > 1 tokens in every chunk. */
  readonly #split = new ValueCounts(1000);

  /** @param mode which token count tells tokens per chunk */
  constructor(mode: TokenCountMode = "server") {
    this.#mode = mode;
  }

  /** Folds one request; `deltasUs` are its chunk arrivals in µs, the first from its start. */
  add(facts: RequestFacts, deltasUs: ArrayLike<number>): void {
    const n = facts.chunks;
    if (facts.error !== undefined || n < 2) return;
    const tokens = outputTokensOf(facts, this.#mode)?.tokens;
    const per = tokens !== undefined && tokens % n === 0 ? tokens / n : 0;
    if (per === 1) {
      this.#single.addAll(deltasUs, 1, n);
      return;
    }
    this.#other.addAll(deltasUs, 1, n);
    if (per > 1) { for (let k = 1; k < n; k++) this.#split.add(deltasUs[k]! / per, per); }
  }

  /** The folded counts as plain data (their tables can be transferred; this object is spent). */
  state(): ChunkGapsState {
    return { single: this.#single.state(), other: this.#other.state(), split: this.#split.state() };
  }

  /** Adds the gaps folded elsewhere (a worker's share of the trace). */
  merge(state: ChunkGapsState): void {
    this.#single.merge(state.single);
    this.#other.merge(state.other);
    this.#split.merge(state.split);
  }

  /** Gaps between consecutive chunks, pooled over requests (ms). */
  itl(): ValueCounts {
    return joined(this.#single, this.#other);
  }

  /** ITL per token (ms). */
  itlPerToken(): ValueCounts {
    return joined(this.#single, this.#split);
  }
}

function joined(a: ValueCounts, b: ValueCounts): ValueCounts {
  if (b.n === 0) return a;
  if (a.n === 0) return b;
  const out = new ValueCounts(1000);
  out.merge(a);
  out.merge(b);
  return out;
}

/** Summarizes records held in memory: selection, chunk gaps and metrics in one call. */
export function summarizeRecords(
  records: readonly RequestRecord[],
  options: SummaryOptions,
): TaskSummary {
  const facts = records.map(factsOf);
  const selection = selectRequests(facts, options.summarizer, options.maxConcurrency);
  const counted = new Set(selection.counted);
  const gaps = new ChunkGaps(options.tokenCount);
  for (let i = 0; i < records.length; i++) {
    if (counted.has(facts[i]!)) gaps.add(facts[i]!, chunkDeltasUs(records[i]!));
  }
  return summarizeTask(selection, gaps, options);
}

const safeDiv = (a: number, b: number) => (b > 0 ? a / b : 0);

/** The per-request samples of successful requests (ITL comes from ChunkGaps; ITL request mean is TPOT). */
const SAMPLE_COLUMNS: ReadonlyArray<readonly [string, (m: RequestMetrics) => number | undefined]> =
  [
    ["e2el_ms", (m) => m.e2elMs],
    ["ttft_ms", (m) => m.ttftMs],
    ["ttfo_ms", (m) => m.ttfoMs],
    ["tpot_ms", (m) => m.tpotMs],
    ["e2el_from_scheduled_ms", (m) => m.e2elFromScheduledMs],
    ["input_tokens", (m) => m.inputTokens],
    ["output_tokens", (m) => m.outputTokens],
    ["output_token_throughput_tps", (m) => m.outputTokenThroughputTps],
    ["prefill_token_throughput_tps", (m) => m.prefillTokenThroughputTps],
    [
      "total_token_throughput_tps",
      (m) =>
        m.e2elMs > 0 && m.outputTokens !== undefined
          ? ((m.inputTokens ?? 0) + m.outputTokens) / (m.e2elMs / 1000)
          : undefined,
    ],
  ];

/** Summarizes the selected requests of a task, given their folded chunk gaps. */
export function summarizeTask(
  selection: Selection,
  gaps: ChunkGaps,
  options: SummaryOptions,
): TaskSummary {
  const { measured, counted, window } = selection;
  const mode = options.tokenCount ?? "server";
  // One pass: each request's metrics are computed, added to the totals and to
  // one column per metric, and dropped, so nothing per request outlives it but numbers.
  const columns = SAMPLE_COLUMNS.map(() => new Float64Array(counted.length));
  const filled = SAMPLE_COLUMNS.map(() => 0);
  const lag = new Float64Array(counted.length);
  let minStart = Infinity;
  let maxEnd = -Infinity;
  let lastStart = -Infinity;
  let sumE2el = 0;
  let success = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let sumTtft = 0;
  let inputForPrefill = 0;
  let lateSends = 0;
  let retried = 0;
  let good = 0;
  const slo = options.slo?.length ? options.slo : undefined;
  const errors: Partial<Record<ErrorCategory, number>> = {};
  for (let i = 0; i < counted.length; i++) {
    const r = counted[i]!;
    const m = requestMetrics(r, mode);
    if (r.startMs < minStart) minStart = r.startMs;
    if (r.startMs > lastStart) lastStart = r.startMs;
    if (r.endMs > maxEnd) maxEnd = r.endMs;
    sumE2el += m.e2elMs;
    lag[i] = m.sendLagMs;
    if (m.sendLagMs > LATE_SEND_MS) lateSends++;
    if (r.attempts > 1) retried++;
    if (slo && meetsSlo(m, slo)) good++;
    if (!m.ok) {
      const c = r.error!.category;
      errors[c] = (errors[c] ?? 0) + 1;
      continue;
    }
    success++;
    inputTokens += m.inputTokens ?? 0;
    outputTokens += m.outputTokens ?? 0;
    if (m.ttftMs !== undefined && m.inputTokens !== undefined) {
      sumTtft += m.ttftMs;
      inputForPrefill += m.inputTokens;
    }
    for (let k = 0; k < SAMPLE_COLUMNS.length; k++) {
      const v = SAMPLE_COLUMNS[k]![1](m);
      if (v !== undefined) columns[k]![filled[k]!++] = v;
    }
  }
  const durationMs = window
    ? window.closeMs - window.openMs
    : counted.length > 0
    ? maxEnd - minStart
    : 0;
  const seconds = durationMs / 1000;
  let concurrency = safeDiv(sumE2el, durationMs);
  if (window) concurrency = Math.min(concurrency, options.maxConcurrency);

  const common: CommonMetrics = {
    benchmark_duration_ms: durationMs,
    total_requests: counted.length,
    success_requests: success,
    failed_requests: counted.length - success,
    concurrency,
    max_concurrency: options.maxConcurrency,
    peak_in_flight: peakInFlight(measured),
    request_throughput_rps: safeDiv(success, seconds),
    total_input_tokens: inputTokens,
    total_output_tokens: outputTokens,
    prefill_token_throughput_tps: safeDiv(inputForPrefill, sumTtft / 1000),
    input_token_throughput_tps: safeDiv(inputTokens, seconds),
    output_token_throughput_tps: safeDiv(outputTokens, seconds),
    total_token_throughput_tps: safeDiv(inputTokens + outputTokens, seconds),
  };

  const samples: Record<string, Distribution> = {
    itl_ms: gaps.itl(),
    itl_per_token_ms: gaps.itlPerToken(),
  };
  SAMPLE_COLUMNS.forEach(([key], k) => {
    samples[key] = new Sample(columns[k]!.subarray(0, filled[k]!));
  });
  samples.itl_request_mean_ms = samples.tpot_ms!;
  const metrics: Record<string, StatValues> = {};
  for (const row of METRIC_ROWS) {
    const d = describe(samples[row.key]!, options.stats);
    if (d) metrics[row.key] = d;
  }

  lag.sort();
  const span = counted.length > 1 ? lastStart - minStart : 0;
  const summary: TaskSummary = {
    stage: window ? "stable" : "total",
    common,
    metrics,
    errors,
    delivery: {
      send_lag_ms: lag.length
        ? {
          p50: percentileSorted(lag, 50),
          p99: percentileSorted(lag, 99),
          max: lag[lag.length - 1]!,
        }
        : undefined,
      warmup_requests: selection.total - measured.length,
      late_sends: lateSends,
      retried_requests: retried,
      ...(span > 0 ? { achieved_rate_rps: ((counted.length - 1) / span) * 1000 } : {}),
      ...(options.targetRateRps !== undefined ? { target_rate_rps: options.targetRateRps } : {}),
    },
    samples,
  };
  if (window) summary.window = window;
  const check: TokenCountCheck = {
    compared_output: 0,
    output_mismatches: 0,
    output_max_abs_diff: 0,
    output_mean_abs_diff: 0,
    compared_input: 0,
    input_mismatches: 0,
    input_max_abs_diff: 0,
  };
  let outDiffSum = 0;
  for (const r of counted) {
    if (r.error) continue;
    const sOut = r.usage?.completionTokens;
    if (sOut !== undefined && r.tokenizerOutputTokens !== undefined) {
      const d = Math.abs(sOut - r.tokenizerOutputTokens);
      check.compared_output++;
      if (d) check.output_mismatches++;
      outDiffSum += d;
      check.output_max_abs_diff = Math.max(check.output_max_abs_diff, d);
    }
    const sIn = r.usage?.promptTokens;
    if (sIn !== undefined && r.inputTokens !== undefined) {
      const d = Math.abs(sIn - r.inputTokens);
      check.compared_input++;
      if (d) check.input_mismatches++;
      check.input_max_abs_diff = Math.max(check.input_max_abs_diff, d);
    }
  }
  if (check.compared_output || check.compared_input) {
    check.output_mean_abs_diff = safeDiv(outDiffSum, check.compared_output);
    summary.tokenCounts = check;
  }
  if (slo) {
    summary.goodput = {
      slo: Object.fromEntries(slo.map((o) => [`${o.metric}_ms`, o.maxMs])),
      good_requests: good,
      share: safeDiv(good, counted.length),
      rate_rps: safeDiv(good, seconds),
    };
  }
  return summary;
}
