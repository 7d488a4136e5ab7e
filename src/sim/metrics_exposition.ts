/**
 * The simulator's `/metrics` text: vLLM's metric names, labels, bucket bounds
 * and number formatting, rendered from a plain snapshot of the simulator's
 * state. A pure function, so the simulator's route is a few lines:
 *
 * ```ts
 * const ttft = new HistogramRecorder(VLLM_BUCKETS.timeToFirstToken);   // observe(s) at first token
 * // in the request handler:
 * if (url.pathname === "/metrics") {
 *   return new Response(renderVllmMetrics({ model, running, waiting, kvUsage, … ttftSeconds: ttft }),
 *     { headers: { "content-type": VLLM_METRICS_CONTENT_TYPE } });
 * }
 * ```
 *
 * What vLLM sends, from its own source (vllm-project/vllm
 * `vllm/v1/metrics/loggers.py`, `PrometheusStatLogger`): gauges
 * `vllm:num_requests_running`, `vllm:num_requests_waiting`,
 * `vllm:kv_cache_usage_perc` (the 0.9+ name; `gpu_cache_usage_perc` is the
 * deprecated one); counters `vllm:prefix_cache_queries`,
 * `vllm:prefix_cache_hits` (tokens), `vllm:num_preemptions`,
 * `vllm:prompt_tokens`, `vllm:generation_tokens`,
 * `vllm:request_success{finished_reason}`; histograms
 * `vllm:time_to_first_token_seconds`, `vllm:time_per_output_token_seconds`
 * and the per-request phase histograms (`e2e_request_latency`,
 * `request_queue_time`, `request_inference_time`, `request_prefill_time`,
 * `request_decode_time`, all `_seconds`) on one shared bucket list. Every
 * series carries `engine` and `model_name`. The text is what Python's
 * `prometheus_client` writes (vLLM serves its registry): a counter's family
 * and samples end in `_total`, label names sorted, numbers as its
 * `floatToGoString` prints them (`1.0`, `0.001`, `8.128902e+06`, `+Inf`),
 * and, as vLLM's multiprocess collector orders them, a histogram's `_sum`
 * first, then its buckets, then `_count`.
 *
 * @module
 */

/** The `content-type` of a 0.0.4 text exposition, as `prometheus_client` sends it. */
export const VLLM_METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** vLLM's bucket bounds (seconds), from `vllm/v1/metrics/loggers.py`. */
export const VLLM_BUCKETS = {
  timeToFirstToken: [
    0.001,
    0.005,
    0.01,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    20.0,
    40.0,
    80.0,
    160.0,
    640.0,
    2560.0,
  ],
  timePerOutputToken: [
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    20.0,
    40.0,
    80.0,
  ],
  /** Shared by the e2e, queue, inference, prefill and decode histograms. */
  requestLatency: [
    0.3,
    0.5,
    0.8,
    1.0,
    1.5,
    2.0,
    2.5,
    5.0,
    10.0,
    15.0,
    20.0,
    30.0,
    40.0,
    50.0,
    60.0,
    120.0,
    240.0,
    480.0,
    960.0,
    1920.0,
    7680.0,
  ],
} as const;

/** Observation counts per bucket, as {@link HistogramRecorder} keeps them. */
export interface HistogramCounts {
  /** Upper bounds, ascending (without `+Inf`). */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative: `counts[i]` ≤ `bounds[i]`, the last one above all. */
  readonly counts: readonly number[];
  /** Sum of all observations. */
  readonly sum: number;
}

/** Every observation so far, or their counts per bucket. */
export type Observations = readonly number[] | HistogramCounts;

/**
 * Counts observations into fixed buckets in O(buckets) memory, for a
 * simulator that observes for hours. An observation equal to a bound falls
 * in that bound's bucket (`le` is "less or equal").
 */
export class HistogramRecorder implements HistogramCounts {
  readonly bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;

  /** @param bounds upper bounds, ascending, without `+Inf` */
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.#counts = new Array(bounds.length + 1).fill(0);
  }

  /** Counts one observation. */
  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += value;
  }

  /** Observations per bucket (see {@link HistogramCounts.counts}). */
  get counts(): readonly number[] {
    return this.#counts;
  }

  /** Sum of all observations. */
  get sum(): number {
    return this.#sum;
  }
}

/** What the simulator knows at one instant; counters are totals since it started. */
export interface VllmMetricsSnapshot {
  /** The served model id (`model_name` label). */
  model: string;
  /** Requests in the running batch. */
  running: number;
  /** Requests waiting for a batch slot. */
  waiting: number;
  /** KV-cache usage, 0 to 1. */
  kvUsage: number;
  /** Prompt tokens looked up in the prefix cache. */
  prefixQueries: number;
  /** Of those, tokens found there. */
  prefixHits: number;
  /** Requests preempted; default 0. */
  preemptions?: number;
  /** Prefill tokens processed; default 0. */
  promptTokens?: number;
  /** Tokens generated; default 0. */
  generationTokens?: number;
  /** Finished requests by reason; default none. */
  finished?: Partial<Record<"stop" | "length" | "abort", number>>;
  /** Time to first token per request, seconds. */
  ttftSeconds?: Observations;
  /** Gaps between output tokens, seconds (`time_per_output_token_seconds`). */
  interTokenSeconds?: Observations;
  /** Time in the waiting queue per finished request, seconds. */
  queueSeconds?: Observations;
  /** Arrival to last token per finished request, seconds. */
  e2eSeconds?: Observations;
  /** Prefill phase per finished request, seconds. */
  prefillSeconds?: Observations;
  /** Decode phase per finished request, seconds. */
  decodeSeconds?: Observations;
  /** Running phase (prefill + decode) per finished request, seconds. */
  inferenceSeconds?: Observations;
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function pythonRepr(v: number): string {
  if (Object.is(v, -0)) return "-0.0";
  const [mantissa, expText] = v.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    const s = String(v);
    return s.includes(".") ? s : `${s}.0`;
  }
  const sign = exp < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** `prometheus_client`'s `floatToGoString`: how every number in its exposition is written. */
export function formatPrometheusNumber(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isNaN(v)) return "NaN";
  const s = pythonRepr(v);
  const dot = s.indexOf(".");
  // Go switches to exponents sooner than Python; the client mimics it for large positives.
  if (v > 0 && dot > 6) {
    const mantissa = `${s[0]}.${s.slice(1, dot)}${s.slice(dot + 1)}`.replace(/[0.]+$/, "");
    return `${mantissa}e+0${dot - 1}`;
  }
  return s;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}="${escapeLabel(labels[n]!)}"`).join(",")}}`;
}

function countsOf(observations: Observations | undefined, bounds: readonly number[]) {
  if (observations !== undefined && !Array.isArray(observations)) {
    const h = observations as HistogramCounts;
    if (h.bounds.length !== bounds.length || h.bounds.some((b, i) => b !== bounds[i])) {
      throw new RangeError("HistogramCounts bounds differ from the metric's bucket bounds");
    }
    return { counts: h.counts, sum: h.sum };
  }
  const recorder = new HistogramRecorder(bounds);
  for (const v of (observations ?? []) as readonly number[]) recorder.observe(v);
  return { counts: recorder.counts, sum: recorder.sum };
}

/** Renders the snapshot as vLLM's `/metrics` text (0.0.4 exposition). */
export function renderVllmMetrics(snapshot: VllmMetricsSnapshot): string {
  const base = { engine: "0", model_name: snapshot.model };
  const lines: string[] = [];
  const head = (name: string, type: string, help: string) => {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  };
  const gauge = (name: string, help: string, value: number) => {
    head(name, "gauge", help);
    lines.push(`${name}${labelText(base)} ${formatPrometheusNumber(value)}`);
  };
  const counter = (name: string, help: string, value: number) => {
    head(`${name}_total`, "counter", help);
    lines.push(`${name}_total${labelText(base)} ${formatPrometheusNumber(value)}`);
  };
  const histogram = (
    name: string,
    help: string,
    bounds: readonly number[],
    observations: Observations | undefined,
  ) => {
    const { counts, sum } = countsOf(observations, bounds);
    head(name, "histogram", help);
    lines.push(`${name}_sum${labelText(base)} ${formatPrometheusNumber(sum)}`);
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += counts[i] ?? 0;
      const le = formatPrometheusNumber(i < bounds.length ? bounds[i]! : Infinity);
      lines.push(
        `${name}_bucket${labelText({ ...base, le })} ${formatPrometheusNumber(cumulative)}`,
      );
    }
    lines.push(`${name}_count${labelText(base)} ${formatPrometheusNumber(cumulative)}`);
  };

  gauge(
    "vllm:num_requests_running",
    "Number of requests in model execution batches.",
    snapshot.running,
  );
  gauge(
    "vllm:num_requests_waiting",
    "Number of requests waiting to be processed.",
    snapshot.waiting,
  );
  gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", snapshot.kvUsage);
  counter(
    "vllm:prefix_cache_queries",
    "Prefix cache queries, in terms of number of queried tokens.",
    snapshot.prefixQueries,
  );
  counter(
    "vllm:prefix_cache_hits",
    "Prefix cache hits, in terms of number of cached tokens.",
    snapshot.prefixHits,
  );
  counter(
    "vllm:num_preemptions",
    "Cumulative number of preemption from the engine.",
    snapshot.preemptions ?? 0,
  );
  counter("vllm:prompt_tokens", "Number of prefill tokens processed.", snapshot.promptTokens ?? 0);
  counter(
    "vllm:generation_tokens",
    "Number of generation tokens processed.",
    snapshot.generationTokens ?? 0,
  );
  head("vllm:request_success_total", "counter", "Count of successfully processed requests.");
  for (const reason of ["stop", "length", "abort"] as const) {
    const labels = labelText({ ...base, finished_reason: reason });
    lines.push(
      `vllm:request_success_total${labels} ${
        formatPrometheusNumber(snapshot.finished?.[reason] ?? 0)
      }`,
    );
  }
  histogram(
    "vllm:time_to_first_token_seconds",
    "Histogram of time to first token in seconds.",
    VLLM_BUCKETS.timeToFirstToken,
    snapshot.ttftSeconds,
  );
  histogram(
    "vllm:time_per_output_token_seconds",
    "Histogram of time per output token in seconds.",
    VLLM_BUCKETS.timePerOutputToken,
    snapshot.interTokenSeconds,
  );
  const phases: Array<[string, string, Observations | undefined]> = [
    ["e2e_request_latency", "Histogram of e2e request latency in seconds.", snapshot.e2eSeconds],
    [
      "request_queue_time",
      "Histogram of time spent in WAITING phase for request.",
      snapshot.queueSeconds,
    ],
    [
      "request_inference_time",
      "Histogram of time spent in RUNNING phase for request.",
      snapshot.inferenceSeconds,
    ],
    [
      "request_prefill_time",
      "Histogram of time spent in PREFILL phase for request.",
      snapshot.prefillSeconds,
    ],
    [
      "request_decode_time",
      "Histogram of time spent in DECODE phase for request.",
      snapshot.decodeSeconds,
    ],
  ];
  for (const [name, help, observations] of phases) {
    histogram(`vllm:${name}_seconds`, help, VLLM_BUCKETS.requestLatency, observations);
  }
  return lines.join("\n") + "\n";
}
