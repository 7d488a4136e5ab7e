/**
 * Known metric names per server family, mapped to the common panels servebench
 * draws beside the client's timeline. Each name was read from the server's own
 * source:
 *
 * - vLLM: vllm-project/vllm `vllm/v1/metrics/loggers.py` (`PrometheusStatLogger`)
 *   and `vllm/v1/spec_decode/metrics.py` (`SpecDecodingProm`). Counters are
 *   declared without `_total`; `prometheus_client` adds it to the exposed name.
 * - SGLang: sgl-project/sglang `python/sglang/srt/metrics/collector.py`
 *   (`SchedulerMetricsCollector`, `TokenizerMetricsCollector`).
 * - TGI: huggingface/text-generation-inference `router/src/server.rs` (the
 *   `metrics::describe_*` list) — exported by `metrics-exporter-prometheus`,
 *   which adds no `_total`.
 * - llama.cpp: ggml-org/llama.cpp `tools/server/server.cpp` (the `/metrics`
 *   handler, every name prefixed `llamacpp:`); `kv_cache_usage_ratio` only in
 *   older builds (`examples/server/server.cpp`), since removed.
 *
 * A family is detected from the names present ({@link detectFamily}); a
 * metric no panel names is kept in the samples file, not mapped.
 *
 * @module
 */

/** The server families servebench knows the metrics of. */
export const SERVER_FAMILIES = ["vllm", "sglang", "tgi", "llamacpp"] as const;
/** One of {@link SERVER_FAMILIES}. */
export type ServerFamily = typeof SERVER_FAMILIES[number];

/** A metric picked by its exposed sample name, optionally only the series with these labels. */
export interface MetricRef {
  /** Sample name as exposed (a counter with its `_total`; a histogram's base name). */
  readonly name: string;
  /** Only series whose labels include all of these. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The gauge panels, each summed (`sum`) or averaged (`mean`) over a metric's series at a scrape. */
export const GAUGE_PANELS = ["running", "waiting", "kv_usage"] as const;
/** One of {@link GAUGE_PANELS}. */
export type GaugePanel = typeof GAUGE_PANELS[number];

/** The ratio panels: Δnumerator / Δdenominator between scrapes, or a gauge that is already the ratio. */
export const RATIO_PANELS = ["prefix_hit_rate", "spec_accept_rate"] as const;
/** One of {@link RATIO_PANELS}. */
export type RatioPanel = typeof RATIO_PANELS[number];

/** The server-side latency histograms. */
export const HISTOGRAM_PANELS = ["ttft", "queue", "prefill", "decode", "e2e", "itl"] as const;
/** One of {@link HISTOGRAM_PANELS}. */
export type HistogramPanel = typeof HISTOGRAM_PANELS[number];

/** A gauge panel's source: the first of `metrics` the server exposes is used. */
export interface GaugeSource {
  readonly metrics: readonly MetricRef[];
  /** How the metric's series (engines, models) combine at one scrape. */
  readonly combine: "sum" | "mean";
}

/** A ratio panel's source: counters (preferred when present) or a gauge. */
export interface RatioSource {
  readonly counters?: { readonly numerator: MetricRef; readonly denominator: MetricRef };
  readonly gauge?: MetricRef;
}

/** A histogram panel's source: the first of `metrics` exposed, with its unit. */
export interface HistogramSource {
  readonly metrics: readonly MetricRef[];
  /** Milliseconds per unit of the metric (1000 for seconds). */
  readonly msPerUnit: number;
  /** A caveat shown with the numbers (what the server measures differs from the client's metric). */
  readonly note?: string;
}

/** Everything known about one family's metrics. */
export interface FamilyMetrics {
  readonly family: ServerFamily;
  /** Prefix every metric of the family carries (used by detection). */
  readonly prefix: string;
  /** The server source file the names were read from. */
  readonly source: string;
  readonly gauges: Readonly<Partial<Record<GaugePanel, GaugeSource>>>;
  readonly ratios: Readonly<Partial<Record<RatioPanel, RatioSource>>>;
  /** Cumulative preemptions (SGLang calls them retractions). */
  readonly preemptions?: MetricRef;
  readonly histograms: Readonly<Partial<Record<HistogramPanel, HistogramSource>>>;
}

const SECONDS = 1000;

/** The known families, by name. */
export const FAMILIES: Readonly<Record<ServerFamily, FamilyMetrics>> = {
  vllm: {
    family: "vllm",
    prefix: "vllm:",
    source: "vllm-project/vllm vllm/v1/metrics/loggers.py, vllm/v1/spec_decode/metrics.py",
    gauges: {
      running: { metrics: [{ name: "vllm:num_requests_running" }], combine: "sum" },
      waiting: { metrics: [{ name: "vllm:num_requests_waiting" }], combine: "sum" },
      // kv_cache_usage_perc since 0.9; gpu_cache_usage_perc before (and deprecated after).
      kv_usage: {
        metrics: [{ name: "vllm:kv_cache_usage_perc" }, { name: "vllm:gpu_cache_usage_perc" }],
        combine: "mean",
      },
    },
    ratios: {
      prefix_hit_rate: {
        counters: {
          numerator: { name: "vllm:prefix_cache_hits_total" },
          denominator: { name: "vllm:prefix_cache_queries_total" },
        },
        // v0 engines exposed the rate itself.
        gauge: { name: "vllm:gpu_prefix_cache_hit_rate" },
      },
      spec_accept_rate: {
        counters: {
          numerator: { name: "vllm:spec_decode_num_accepted_tokens_total" },
          denominator: { name: "vllm:spec_decode_num_draft_tokens_total" },
        },
      },
    },
    preemptions: { name: "vllm:num_preemptions_total" },
    histograms: {
      ttft: { metrics: [{ name: "vllm:time_to_first_token_seconds" }], msPerUnit: SECONDS },
      queue: { metrics: [{ name: "vllm:request_queue_time_seconds" }], msPerUnit: SECONDS },
      prefill: { metrics: [{ name: "vllm:request_prefill_time_seconds" }], msPerUnit: SECONDS },
      decode: { metrics: [{ name: "vllm:request_decode_time_seconds" }], msPerUnit: SECONDS },
      e2e: { metrics: [{ name: "vllm:e2e_request_latency_seconds" }], msPerUnit: SECONDS },
      // Renamed inter_token_latency_seconds in newer releases; time_per_output_token before.
      itl: {
        metrics: [
          { name: "vllm:inter_token_latency_seconds" },
          { name: "vllm:time_per_output_token_seconds" },
        ],
        msPerUnit: SECONDS,
      },
    },
  },
  sglang: {
    family: "sglang",
    prefix: "sglang:",
    source: "sgl-project/sglang python/sglang/srt/metrics/collector.py",
    gauges: {
      running: { metrics: [{ name: "sglang:num_running_reqs" }], combine: "sum" },
      waiting: { metrics: [{ name: "sglang:num_queue_reqs" }], combine: "sum" },
      kv_usage: { metrics: [{ name: "sglang:token_usage" }], combine: "mean" },
    },
    ratios: {
      prefix_hit_rate: {
        counters: {
          numerator: { name: "sglang:cached_tokens_total" },
          denominator: { name: "sglang:prompt_tokens_total" },
        },
        gauge: { name: "sglang:cache_hit_rate" },
      },
      spec_accept_rate: { gauge: { name: "sglang:spec_accept_rate" } },
    },
    preemptions: { name: "sglang:num_retracted_requests_total" },
    histograms: {
      ttft: { metrics: [{ name: "sglang:time_to_first_token_seconds" }], msPerUnit: SECONDS },
      queue: { metrics: [{ name: "sglang:queue_time_seconds" }], msPerUnit: SECONDS },
      e2e: { metrics: [{ name: "sglang:e2e_request_latency_seconds" }], msPerUnit: SECONDS },
      itl: { metrics: [{ name: "sglang:inter_token_latency_seconds" }], msPerUnit: SECONDS },
    },
  },
  tgi: {
    family: "tgi",
    prefix: "tgi_",
    source: "huggingface/text-generation-inference router/src/server.rs",
    gauges: {
      running: { metrics: [{ name: "tgi_batch_current_size" }], combine: "sum" },
      waiting: { metrics: [{ name: "tgi_queue_size" }], combine: "sum" },
    },
    ratios: {},
    histograms: {
      queue: { metrics: [{ name: "tgi_request_queue_duration" }], msPerUnit: SECONDS },
      prefill: {
        metrics: [{ name: "tgi_batch_forward_duration", labels: { method: "prefill" } }],
        msPerUnit: SECONDS,
        note: "per prefill forward pass of a batch, not per request",
      },
      e2e: { metrics: [{ name: "tgi_request_duration" }], msPerUnit: SECONDS },
      itl: {
        metrics: [{ name: "tgi_request_mean_time_per_token_duration" }],
        msPerUnit: SECONDS,
        note: "each request's mean time per output token (TPOT), not single gaps",
      },
    },
  },
  llamacpp: {
    family: "llamacpp",
    prefix: "llamacpp:",
    source: "ggml-org/llama.cpp tools/server/server.cpp (/metrics handler)",
    gauges: {
      running: { metrics: [{ name: "llamacpp:requests_processing" }], combine: "sum" },
      waiting: { metrics: [{ name: "llamacpp:requests_deferred" }], combine: "sum" },
      kv_usage: { metrics: [{ name: "llamacpp:kv_cache_usage_ratio" }], combine: "mean" },
    },
    ratios: {},
    histograms: {},
  },
};

/**
 * The family whose prefix the most metric names carry, or `undefined` when
 * none does (an unknown server: its metrics are kept, not mapped).
 */
export function detectFamily(names: Iterable<string>): ServerFamily | undefined {
  const counts = new Map<ServerFamily, number>();
  for (const name of names) {
    for (const f of SERVER_FAMILIES) {
      if (name.startsWith(FAMILIES[f].prefix)) counts.set(f, (counts.get(f) ?? 0) + 1);
    }
  }
  let best: ServerFamily | undefined;
  for (const [f, n] of counts) if (best === undefined || n > counts.get(best)!) best = f;
  return best;
}

/** Whether a series (sample name and labels) is the one `ref` names, given a suffix. */
export function matchesRef(
  ref: MetricRef,
  sample: string,
  labels: Readonly<Record<string, string>>,
  suffix = "",
): boolean {
  if (sample.length !== ref.name.length + suffix.length) return false;
  if (!sample.startsWith(ref.name) || !sample.endsWith(suffix)) return false;
  if (ref.labels) {
    for (const [k, v] of Object.entries(ref.labels)) if (labels[k] !== v) return false;
  }
  return true;
}
