/**
 * The built-in OpenAI-compatible simulator: the ground truth for tests and
 * demos. It speaks vLLM's wire format (openai_wire.ts), times every token on
 * an absolute schedule (stream.ts), models a decode capacity (at most
 * `maxBatch` requests decode at once; the rest queue: capacity.ts), injects
 * faults (faults.ts), reports vLLM's `/metrics` from its own state
 * (engine_metrics.ts), and stamps each event with its own send time in an
 * extra `sim_sent_ms` field. This module starts it: settings, the shared
 * core, the listener and shutdown; routing is router.ts.
 *
 * @module
 */

import { Random } from "../random.ts";
import { DeadlineScheduler } from "./scheduler.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import { Capacity, type SimStats } from "./capacity.ts";
import { EngineMetrics } from "./engine_metrics.ts";
import { FaultPicker } from "./faults.ts";
import { promptCounter, promptIdReader } from "./openai_wire.ts";
import { PrefixCache } from "./prefix_cache.ts";
import { simRouter } from "./router.ts";
import type { SimOptions } from "../sim_options.ts";
import type { SendTimes, SimCore } from "./stream.ts";

export { FAULT_KINDS, type FaultKind, type FaultPlan } from "./faults.ts";
export type { SimStats } from "./capacity.ts";
export type { SendTimes } from "./stream.ts";
export { SIM_SERVERS, type SimOptions, type SimServerKind } from "../sim_options.ts";
export { simPromptTokens } from "./openai_wire.ts";

/** KV-cache size when the options set none, tokens. */
export const DEFAULT_KV_CACHE_TOKENS = 65_536;

/** A running simulator. */
export interface SimServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<
    Required<
      Omit<
        SimOptions,
        "hostname" | "port" | "tokenizer" | "faults" | "tls" | "server" | "keepSendTimes"
      >
    >
  >;
  /** A copy of the counters. */
  stats(): SimStats;
  /** Zeroes the counters (not the open requests) and empties the send log. */
  resetStats(): void;
  /**
   * Each streamed response's send times, in arrival order (empty unless
   * `keepSendTimes` was set): what the simulator really did, late timers included.
   */
  sendTimes(): readonly SendTimes[];
  /** Stops listening and ends open streams. */
  shutdown(): Promise<void>;
}

/** What a test may observe of a simulator beyond its counters. */
export interface SimHooks {
  /**
   * Called after every change of the running (decoding) or waiting (queued)
   * count, with the instant on the shared time axis (`performance.timeOrigin
   * + performance.now()`): the ground truth `/metrics` reports.
   */
  onCounts?: (tMs: number, running: number, waiting: number) => void;
  /**
   * Called with each completions request's arrival on the send stamps' axis
   * (`performance.timeOrigin` + now, ms), stamped before its body is read,
   * and the parsed body.
   */
  onArrival?(arrivedMs: number, body: Record<string, unknown>): void;
}

/** Starts the simulator and resolves once it listens. */
export async function startSimulator(
  options: SimOptions = {},
  hooks: SimHooks = {},
): Promise<SimServer> {
  const tokenizer = options.tokenizer ? await loadTokenizer(options.tokenizer) : undefined;
  const countPrompt = promptCounter(tokenizer);
  const opts = {
    model: options.model ?? "sim-model",
    ttftMs: options.ttftMs ?? 50,
    prefillMsPerToken: options.prefillMsPerToken ?? 0,
    itlMs: options.itlMs ?? 10,
    jitterMs: options.jitterMs ?? 0,
    outputTokens: options.outputTokens ?? 128,
    tokensPerChunk: Math.max(1, options.tokensPerChunk ?? 1),
    reasoningTokens: options.reasoningTokens ?? 0,
    maxBatch: options.maxBatch ?? Infinity,
    seed: options.seed ?? 0,
    usageScale: options.usageScale ?? 1,
    kvCacheTokens: options.kvCacheTokens ?? DEFAULT_KV_CACHE_TOKENS,
    prefixCacheBlocks: options.prefixCacheBlocks ?? 0,
    prefixBlockTokens: options.prefixBlockTokens ?? 16,
  };
  const random = new Random(opts.seed);
  const onCounts = hooks.onCounts;
  const capacity = new Capacity(
    opts.maxBatch,
    onCounts &&
      ((running, waiting) =>
        onCounts(performance.timeOrigin + performance.now(), running, waiting)),
  );
  const scheduler = new DeadlineScheduler();
  const openStreams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const stalled = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const stalledHeaders = new Set<() => void>();
  let idCounter = 0;
  const cache = opts.prefixCacheBlocks > 0
    ? new PrefixCache(opts.prefixCacheBlocks, opts.prefixBlockTokens)
    : undefined;
  const promptIds = promptIdReader(tokenizer);
  const core: SimCore = {
    pacing: opts,
    scheduler,
    capacity,
    metrics: new EngineMetrics(opts.model, opts.kvCacheTokens),
    jitter: () => opts.jitterMs === 0 ? 0 : (random.next() * 2 - 1) * opts.jitterMs,
    prefill(body) {
      const stats = capacity.stats;
      if (!cache) {
        const promptTokens = countPrompt(body);
        stats.promptTokens += promptTokens;
        return { promptTokens };
      }
      const ids = promptIds(body);
      const cachedTokens = cache.admit(ids);
      stats.promptTokens += ids.length;
      stats.cachedTokens += cachedTokens;
      return { promptTokens: ids.length, cachedTokens };
    },
    nextId: () => ++idCounter,
    faultAfterTokens: options.faults?.afterTokens ?? 2,
    openStreams,
    stalled,
    ...(options.keepSendTimes ? { sendLog: [] } : {}),
  };
  const handle = simRouter(core, {
    model: opts.model,
    capacity,
    faults: new FaultPicker(options.faults),
    faultPlan: options.faults,
    stalledHeaders,
    ...(options.server ? { server: options.server } : {}),
    ...(hooks.onArrival ? { onArrival: hooks.onArrival } : {}),
  });

  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: options.hostname ?? "127.0.0.1",
        port: options.port ?? 0,
        onListen: () => {},
        ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
      }, handle);
      const addr = server.addr;
      const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
      resolve({
        url: `${options.tls ? "https" : "http"}://${host}:${addr.port}`,
        port: addr.port,
        options: opts,
        stats: () => ({ ...capacity.stats }),
        resetStats: () => {
          capacity.reset();
          core.sendLog?.splice(0);
        },
        sendTimes: () => core.sendLog ?? [],
        async shutdown() {
          scheduler.clear();
          for (const resolve of stalledHeaders) resolve();
          stalledHeaders.clear();
          for (const c of stalled) {
            try {
              c.close();
            } catch {
              // already closed by its reader
            }
          }
          stalled.clear();
          for (const c of openStreams) {
            try {
              c.close();
            } catch {
              // already closed by its reader
            }
          }
          openStreams.clear();
          await server.shutdown();
        },
      });
    } catch (error) {
      reject(error);
    }
  });
}
