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
import { meetsSlo, type Objective, sloKey } from "./goodput.ts";
import { peakInFlight, type StableWindow } from "./stable.ts";
import { outputTokensOf, requestMetrics, type TokenCountMode } from "./request.ts";
import { type CommonMetrics, metricsIn, REQUEST_METRICS, RESULT_ORDER } from "./metric_table.ts";
import { type SummarizerName, summarizerOf } from "./summarizers/mod.ts";
import {
  describe,
  type Distribution,
  percentileSorted,
  Sample,
  type StatSpec,
  type StatValues,
} from "./stats.ts";

export { type SummarizerName, SUMMARIZERS } from "./summarizers/mod.ts";
export type { CommonMetrics } from "./metric_table.ts";

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
  /**
   * What the tokenizer counted of each output, when it counted any: content
   * and reasoning text, as the server's `completion_tokens` and the chunk
   * count do.
   */
  tokenizer_text?: "content+reasoning";
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

/** One kind of failure: its category, HTTP status and message, and how many requests had it. */
export interface ErrorMessageCount {
  category: ErrorCategory;
  status?: number;
  message: string;
  count: number;
}

/** Mean, P50 and P99 of one metric over a turn's requests. */
export interface TurnStat {
  mean: number;
  p50: number;
  p99: number;
}

/**
 * One turn index of a task's conversations, over its successful counted
 * requests: how many, TTFT (streamed only) and E2EL, the mean input and
 * cached tokens (cached where the server reported them).
 */
export interface TurnSummary {
  turn: number;
  requests: number;
  ttft_ms?: TurnStat;
  e2el_ms: TurnStat;
  input_tokens_mean?: number;
  cached_tokens_mean?: number;
}

/** The most common failures a summary lists, by count. */
export const TOP_ERROR_MESSAGES = 10;
/** Distinct failures told apart; the rest are counted under one "other messages" row. */
const DISTINCT_ERROR_MESSAGES = 1000;

/** Everything a task reports. */
export interface TaskSummary {
  stage: "total" | "stable";
  window?: StableWindow;
  common: CommonMetrics;
  metrics: Record<string, StatValues>;
  errors: Partial<Record<ErrorCategory, number>>;
  /** The most common failures (category, status, message), most frequent first; empty without any. */
  errorMessages: ErrorMessageCount[];
  delivery: DeliveryStats;
  goodput?: Goodput;
  /** Present when any request had both server and tokenizer counts, or the tokenizer counted outputs. */
  tokenCounts?: TokenCountCheck;
  /**
   * The server's own timings (llama.cpp `timings`, TGI headers, SGLang
   * `meta_info`), mean ms and requests per name over the successful counted
   * requests; present when any request had them.
   */
  serverTimings?: Record<string, { mean: number; n: number }>;
  /** Metrics by turn index, when the requests belong to conversations; ascending turn. */
  turns?: TurnSummary[];
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
  options: { summarizer: SummarizerName; maxConcurrency: number },
): Selection {
  const { summarizer, maxConcurrency } = options;
  const measured = facts.filter((r) => !r.warmup);
  // The window is where in-flight requests held at the most they could: the configured cap, or
  // fewer when the task had fewer requests than that.
  const reachable = maxConcurrency > 0 ? Math.min(maxConcurrency, measured.length) : 0;
  const picked = summarizerOf(summarizer).select(measured, reachable);
  return { total: facts.length, measured, ...picked };
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
  const selection = selectRequests(facts, options);
  const counted = new Set(selection.counted);
  const gaps = new ChunkGaps(options.tokenCount);
  for (let i = 0; i < records.length; i++) {
    if (counted.has(facts[i]!)) gaps.add(facts[i]!, chunkDeltasUs(records[i]!));
  }
  return summarizeTask(selection, gaps, options);
}

const safeDiv = (a: number, b: number) => (b > 0 ? a / b : 0);

/** The metrics whose sample is computed per request, in table order. */
const PER_REQUEST = REQUEST_METRICS.filter((m) => "value" in m);

/** What one pass over the counted requests adds up. */
interface Totals {
  /** One column per {@link PER_REQUEST} metric, of successful requests. */
  columns: Float64Array[];
  /** Send lag (start − scheduled) of every counted request. */
  lag: Float64Array;
  minStart: number;
  maxEnd: number;
  lastStart: number;
  sumE2el: number;
  success: number;
  /** Requests cut off by an interrupt: counted, and in nothing else. */
  cancelled: number;
  inputTokens: number;
  outputTokens: number;
  /** TTFT and input tokens summed over the successful requests that have both. */
  sumTtft: number;
  inputForPrefill: number;
  /** Cached and input tokens summed over the successful requests that report cached tokens. */
  cachedTokens: number;
  inputForCache: number;
  cacheReported: number;
  lateSends: number;
  retried: number;
  good: number;
  errors: Partial<Record<ErrorCategory, number>>;
  /** Failures by category, status and message. */
  messages: Map<string, ErrorMessageCount>;
}

/**
 * One pass: each request's metrics are computed, added to the totals and to
 * one column per metric, and dropped, so nothing per request outlives it but
 * numbers. A request cut off by an interrupt (`cancelled`) is counted and
 * kept out of everything else: it neither succeeded nor failed, and its
 * times end where the interrupt cut it.
 */
function addUp(
  counted: readonly RequestFacts[],
  mode: TokenCountMode,
  slo: readonly Objective[] | undefined,
): Totals {
  const n = counted.length;
  const columns = PER_REQUEST.map(() => new Float64Array(n));
  const filled = PER_REQUEST.map(() => 0);
  const t: Totals = {
    columns,
    lag: new Float64Array(n),
    minStart: Infinity,
    maxEnd: -Infinity,
    lastStart: -Infinity,
    sumE2el: 0,
    success: 0,
    cancelled: 0,
    inputTokens: 0,
    outputTokens: 0,
    sumTtft: 0,
    inputForPrefill: 0,
    cachedTokens: 0,
    inputForCache: 0,
    cacheReported: 0,
    lateSends: 0,
    retried: 0,
    good: 0,
    errors: {},
    messages: new Map(),
  };
  for (let i = 0; i < n; i++) {
    const r = counted[i]!;
    if (r.error?.category === "cancelled") {
      t.cancelled++;
      continue;
    }
    const m = requestMetrics(r, mode);
    if (r.startMs < t.minStart) t.minStart = r.startMs;
    if (r.startMs > t.lastStart) t.lastStart = r.startMs;
    if (r.endMs > t.maxEnd) t.maxEnd = r.endMs;
    t.sumE2el += m.e2elMs;
    t.lag[i - t.cancelled] = m.sendLagMs;
    if (m.sendLagMs > LATE_SEND_MS) t.lateSends++;
    if (r.attempts > 1) t.retried++;
    if (slo && meetsSlo(m, slo)) t.good++;
    if (!m.ok) {
      const c = r.error!.category;
      t.errors[c] = (t.errors[c] ?? 0) + 1;
      countMessage(t.messages, r.error!);
      continue;
    }
    t.success++;
    t.inputTokens += m.inputTokens ?? 0;
    t.outputTokens += m.outputTokens ?? 0;
    if (m.ttftMs !== undefined && m.inputTokens !== undefined) {
      t.sumTtft += m.ttftMs;
      t.inputForPrefill += m.inputTokens;
    }
    if (m.cachedTokens !== undefined) {
      t.cacheReported++;
      t.cachedTokens += m.cachedTokens;
      t.inputForCache += m.inputTokens ?? 0;
    }
    for (let k = 0; k < PER_REQUEST.length; k++) {
      const v = PER_REQUEST[k]!.value(m);
      if (v !== undefined) columns[k]![filled[k]!++] = v;
    }
  }
  t.columns = columns.map((c, k) => c.subarray(0, filled[k]!));
  t.lag = t.lag.subarray(0, n - t.cancelled);
  return t;
}

/** Counts one failure by its category, status and message. */
function countMessage(
  messages: Map<string, ErrorMessageCount>,
  error: NonNullable<RequestFacts["error"]>,
): void {
  let key = `${error.category}\u0000${error.status ?? ""}\u0000${error.message}`;
  let row = messages.get(key);
  if (!row && messages.size >= DISTINCT_ERROR_MESSAGES) {
    key = `${error.category}\u0000\u0000`;
    row = messages.get(key);
    if (!row) {
      row = { category: error.category, message: "(other messages)", count: 0 };
      messages.set(key, row);
    }
  }
  if (!row) {
    row = {
      category: error.category,
      ...(error.status !== undefined ? { status: error.status } : {}),
      message: error.message,
      count: 0,
    };
    messages.set(key, row);
  }
  row.count++;
}

/** The most common failures, most frequent first (ties in order of first appearance). */
function topMessages(messages: Map<string, ErrorMessageCount>): ErrorMessageCount[] {
  return [...messages.values()].sort((a, b) => b.count - a.count).slice(0, TOP_ERROR_MESSAGES);
}

/** The common metrics from the totals; a window sets the duration and caps the concurrency. */
function commonMetrics(
  t: Totals,
  selection: Selection,
  maxConcurrency: number,
): CommonMetrics {
  const { counted, measured, window } = selection;
  const ended = counted.length - t.cancelled;
  const durationMs = window
    ? window.closeMs - window.openMs
    : ended > 0
    ? t.maxEnd - t.minStart
    : 0;
  const seconds = durationMs / 1000;
  let concurrency = safeDiv(t.sumE2el, durationMs);
  if (window) concurrency = Math.min(concurrency, maxConcurrency);
  return {
    benchmark_duration_ms: durationMs,
    total_requests: counted.length,
    success_requests: t.success,
    failed_requests: ended - t.success,
    ...(t.cancelled > 0 ? { cancelled_requests: t.cancelled } : {}),
    concurrency,
    max_concurrency: maxConcurrency,
    peak_in_flight: peakInFlight(measured),
    request_throughput_rps: safeDiv(t.success, seconds),
    total_input_tokens: t.inputTokens,
    total_output_tokens: t.outputTokens,
    ...(t.sumTtft > 0
      ? { prefill_token_throughput_tps: t.inputForPrefill / (t.sumTtft / 1000) }
      : {}),
    ...(t.cacheReported > 0
      ? {
        total_cached_tokens: t.cachedTokens,
        prefix_cache_hit_rate: safeDiv(t.cachedTokens, t.inputForCache),
      }
      : {}),
    input_token_throughput_tps: safeDiv(t.inputTokens, seconds),
    output_token_throughput_tps: safeDiv(t.outputTokens, seconds),
    total_token_throughput_tps: safeDiv(t.inputTokens + t.outputTokens, seconds),
  };
}

/** Every metric's sample by key, each from where the metric table says it comes. */
function samplesOf(t: Totals, gaps: ChunkGaps): Record<string, Distribution> {
  const samples: Record<string, Distribution> = {};
  PER_REQUEST.forEach((m, k) => {
    samples[m.key] = new Sample(t.columns[k]!);
  });
  for (const m of REQUEST_METRICS) {
    if ("gaps" in m) samples[m.key] = m.gaps === "itl" ? gaps.itl() : gaps.itlPerToken();
  }
  for (const m of REQUEST_METRICS) {
    if ("sameAs" in m) samples[m.key] = samples[m.sameAs]!;
  }
  return samples;
}

/** The statistics of every metric with data, in the result JSON's order. */
function describeAll(
  samples: Record<string, Distribution>,
  stats: readonly StatSpec[],
): Record<string, StatValues> {
  const metrics: Record<string, StatValues> = {};
  for (const row of metricsIn("stats", RESULT_ORDER)) {
    const d = describe(samples[row.key]!, stats);
    if (d) metrics[row.key] = d;
  }
  return metrics;
}

/** How the load was delivered: send lag, late sends, retries, achieved rate. */
function deliveryOf(
  t: Totals,
  selection: Selection,
  targetRateRps: number | undefined,
): DeliveryStats {
  const n = t.lag.length;
  const lag = t.lag.sort();
  const span = n > 1 ? t.lastStart - t.minStart : 0;
  return {
    send_lag_ms: lag.length
      ? {
        p50: percentileSorted(lag, 50),
        p99: percentileSorted(lag, 99),
        max: lag[lag.length - 1]!,
      }
      : undefined,
    warmup_requests: selection.total - selection.measured.length,
    late_sends: t.lateSends,
    retried_requests: t.retried,
    ...(span > 0 ? { achieved_rate_rps: ((n - 1) / span) * 1000 } : {}),
    ...(targetRateRps !== undefined ? { target_rate_rps: targetRateRps } : {}),
  };
}

/** Server counts against the tokenizer's; undefined when no request had both and the tokenizer counted none. */
function tokenCountCheck(counted: readonly RequestFacts[]): TokenCountCheck | undefined {
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
  let tokenizerCounted = false;
  for (const r of counted) {
    if (r.error) continue;
    if (r.tokenizerOutputTokens !== undefined) tokenizerCounted = true;
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
  if (!check.compared_output && !check.compared_input && !tokenizerCounted) return undefined;
  if (tokenizerCounted) check.tokenizer_text = "content+reasoning";
  check.output_mean_abs_diff = safeDiv(outDiffSum, check.compared_output);
  return check;
}

/** Mean server-reported timings per name over successful requests; undefined when none had any. */
function serverTimingsOf(
  counted: readonly RequestFacts[],
): Record<string, { mean: number; n: number }> | undefined {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const r of counted) {
    if (r.error || !r.serverTimings) continue;
    for (const [name, v] of Object.entries(r.serverTimings)) {
      const s = sums.get(name) ?? { sum: 0, n: 0 };
      s.sum += v;
      s.n++;
      sums.set(name, s);
    }
  }
  if (!sums.size) return undefined;
  return Object.fromEntries([...sums].map(([k, s]) => [k, { mean: s.sum / s.n, n: s.n }]));
}

function turnStat(values: number[]): TurnStat | undefined {
  if (!values.length) return undefined;
  const sorted = Float64Array.from(values).sort();
  return {
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p50: percentileSorted(sorted, 50),
    p99: percentileSorted(sorted, 99),
  };
}

/** Metrics by turn index over the successful counted requests; undefined when none has a turn. */
function turnsOf(
  counted: readonly RequestFacts[],
  mode: TokenCountMode,
): TurnSummary[] | undefined {
  const byTurn = new Map<
    number,
    { ttft: number[]; e2el: number[]; input: number[]; cached: number[] }
  >();
  for (const r of counted) {
    if (r.turn === undefined || r.error) continue;
    const m = requestMetrics(r, mode);
    let t = byTurn.get(r.turn);
    if (!t) byTurn.set(r.turn, t = { ttft: [], e2el: [], input: [], cached: [] });
    if (m.ttftMs !== undefined) t.ttft.push(m.ttftMs);
    t.e2el.push(m.e2elMs);
    if (m.inputTokens !== undefined) t.input.push(m.inputTokens);
    if (m.cachedTokens !== undefined) t.cached.push(m.cachedTokens);
  }
  if (!byTurn.size) return undefined;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return [...byTurn.entries()].sort(([a], [b]) => a - b).map(([turn, t]) => {
    const ttft = turnStat(t.ttft);
    return {
      turn,
      requests: t.e2el.length,
      ...(ttft ? { ttft_ms: ttft } : {}),
      e2el_ms: turnStat(t.e2el)!,
      ...(t.input.length ? { input_tokens_mean: mean(t.input) } : {}),
      ...(t.cached.length ? { cached_tokens_mean: mean(t.cached) } : {}),
    };
  });
}

/** Summarizes the selected requests of a task, given their folded chunk gaps. */
export function summarizeTask(
  selection: Selection,
  gaps: ChunkGaps,
  options: SummaryOptions,
): TaskSummary {
  const slo = options.slo?.length ? options.slo : undefined;
  const totals = addUp(selection.counted, options.tokenCount ?? "server", slo);
  const common = commonMetrics(totals, selection, options.maxConcurrency);
  const samples = samplesOf(totals, gaps);
  const summary: TaskSummary = {
    stage: selection.window ? "stable" : "total",
    common,
    metrics: describeAll(samples, options.stats),
    errors: totals.errors,
    errorMessages: topMessages(totals.messages),
    delivery: deliveryOf(totals, selection, options.targetRateRps),
    samples,
  };
  if (selection.window) summary.window = selection.window;
  const check = tokenCountCheck(selection.counted);
  if (check) summary.tokenCounts = check;
  const timings = serverTimingsOf(selection.counted);
  if (timings) summary.serverTimings = timings;
  const turns = turnsOf(selection.counted, options.tokenCount ?? "server");
  if (turns) summary.turns = turns;
  if (slo) {
    summary.goodput = {
      slo: Object.fromEntries(slo.map((o) => [sloKey(o), o.maxMs])),
      good_requests: totals.good,
      share: safeDiv(totals.good, selection.counted.length - totals.cancelled),
      rate_rps: safeDiv(totals.good, common.benchmark_duration_ms / 1000),
    };
  }
  return summary;
}
