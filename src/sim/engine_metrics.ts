/**
 * What the simulator's `GET /metrics` reports, kept from its own state as
 * requests move through it: the latency histograms (vLLM's phases: queue =
 * arrival → admission, prefill = admission → first token, decode = first →
 * last token, inference = admission → last, e2e and TTFT from arrival, as
 * vLLM's v1 `IterationStats` takes them from the request's arrival), token
 * counters, finished requests, a KV cache and the prefix cache's queries and
 * hits. Running and waiting come from the capacity model (capacity.ts) when
 * the page is drawn.
 *
 * The KV model: every admitted request holds its prompt tokens and the tokens
 * generated so far; usage is their sum over `kvCacheTokens`, at most 1.
 * The prefix cache is the simulator's own (prefix_cache.ts, with
 * `prefixCacheBlocks`): at admission a prompt's tokens are queried and the
 * tokens it found cached count as hits (none without a cache).
 *
 * @module
 */

import {
  HistogramRecorder,
  renderVllmMetrics,
  VLLM_BUCKETS,
  type VllmMetricsSnapshot,
} from "./metrics_exposition.ts";

/** One request's progress, as the engine metrics follow it (times `performance.now()` ms). */
export interface EngineRequest {
  readonly arrivedMs: number;
  readonly promptTokens: number;
  /** Its prompt tokens the prefix cache held. */
  readonly cachedTokens: number;
  admittedMs?: number;
  firstMs?: number;
  lastMs?: number;
  generated: number;
}

/** The simulator's engine-side counters and histograms, rendered in vLLM's names. */
export class EngineMetrics {
  readonly #model: string;
  readonly #kvCacheTokens: number;
  readonly #live = new Set<EngineRequest>();
  #prefixQueries = 0;
  #prefixHits = 0;
  #promptTokens = 0;
  #generationTokens = 0;
  readonly #finished = { stop: 0, length: 0, abort: 0 };
  readonly #ttft = new HistogramRecorder(VLLM_BUCKETS.timeToFirstToken);
  readonly #itl = new HistogramRecorder(VLLM_BUCKETS.timePerOutputToken);
  readonly #queue = new HistogramRecorder(VLLM_BUCKETS.requestLatency);
  readonly #e2e = new HistogramRecorder(VLLM_BUCKETS.requestLatency);
  readonly #prefill = new HistogramRecorder(VLLM_BUCKETS.requestLatency);
  readonly #decode = new HistogramRecorder(VLLM_BUCKETS.requestLatency);
  readonly #inference = new HistogramRecorder(VLLM_BUCKETS.requestLatency);

  /**
   * @param model the served model id (`model_name` label)
   * @param kvCacheTokens the KV cache's size in tokens
   */
  constructor(model: string, kvCacheTokens: number) {
    this.#model = model;
    this.#kvCacheTokens = kvCacheTokens;
  }

  /** A request arrived (before it waits for a slot). */
  arrived(arrivedMs: number, prompt: { tokens: number; cachedTokens: number }): EngineRequest {
    return {
      arrivedMs,
      promptTokens: prompt.tokens,
      cachedTokens: prompt.cachedTokens,
      generated: 0,
    };
  }

  /** It got a decode slot: it now holds KV cache, and its prompt's cached tokens count as prefix-cache hits. */
  admitted(r: EngineRequest, atMs: number): void {
    r.admittedMs = atMs;
    this.#live.add(r);
    this.#queue.observe((atMs - r.arrivedMs) / 1000);
    this.#promptTokens += r.promptTokens;
    this.#prefixQueries += r.promptTokens;
    this.#prefixHits += r.cachedTokens;
  }

  /** `n` output tokens went out at `atMs` (one event). */
  tokens(r: EngineRequest, n: number, atMs: number): void {
    if (r.firstMs === undefined) {
      r.firstMs = atMs;
      this.#ttft.observe((atMs - r.arrivedMs) / 1000);
      this.#prefill.observe((atMs - (r.admittedMs ?? r.arrivedMs)) / 1000);
    } else if (r.lastMs !== undefined && n > 0) {
      const gap = (atMs - r.lastMs) / 1000 / n;
      for (let i = 0; i < n; i++) this.#itl.observe(gap);
    }
    r.lastMs = atMs;
    r.generated += n;
    this.#generationTokens += n;
  }

  /** The request ended: `stop` (completed) or `abort` (cancelled, reset). */
  finished(r: EngineRequest, atMs: number, reason: "stop" | "abort"): void {
    if (!this.#live.delete(r) && r.admittedMs === undefined) {
      this.#finished.abort++;
      return;
    }
    this.#finished[reason]++;
    if (reason === "abort") return;
    const admitted = r.admittedMs ?? r.arrivedMs;
    this.#e2e.observe((atMs - r.arrivedMs) / 1000);
    this.#inference.observe((atMs - admitted) / 1000);
    if (r.firstMs !== undefined) this.#decode.observe((atMs - r.firstMs) / 1000);
  }

  /** KV-cache usage now, 0 to 1. */
  kvUsage(): number {
    let held = 0;
    for (const r of this.#live) held += r.promptTokens + r.generated;
    return Math.min(1, held / this.#kvCacheTokens);
  }

  /** The snapshot `/metrics` renders, with the capacity model's running and waiting counts. */
  snapshot(counts: { running: number; waiting: number }): VllmMetricsSnapshot {
    return {
      model: this.#model,
      running: counts.running,
      waiting: counts.waiting,
      kvUsage: this.kvUsage(),
      prefixQueries: this.#prefixQueries,
      prefixHits: this.#prefixHits,
      promptTokens: this.#promptTokens,
      generationTokens: this.#generationTokens,
      finished: { ...this.#finished },
      ttftSeconds: this.#ttft,
      interTokenSeconds: this.#itl,
      queueSeconds: this.#queue,
      e2eSeconds: this.#e2e,
      prefillSeconds: this.#prefill,
      decodeSeconds: this.#decode,
      inferenceSeconds: this.#inference,
    };
  }

  /** The `/metrics` text now. */
  exposition(counts: { running: number; waiting: number }): string {
    return renderVllmMetrics(this.snapshot(counts));
  }
}
