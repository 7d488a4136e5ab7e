/**
 * Per-request metrics, derived from a request's facts alone (DESIGN.md's table).
 * A metric that does not apply is `undefined`, never 0.
 *
 * @module
 */

import type { RequestFacts } from "../record/record.ts";

/** Where an output token count came from. */
export type TokenSource = "server" | "tokenizer" | "chunks";

/** Which count drives the metrics when the server and the tokenizer both gave one. */
export type TokenCountMode = "server" | "tokenizer";

/** Metrics of one request. Times in ms. */
export interface RequestMetrics {
  index: number;
  ok: boolean;
  /** First output chunk − start (streaming only). */
  ttftMs?: number;
  /**
   * First content chunk − start: TTFT unless reasoning streamed first; E2EL
   * for a success with no content at all (streaming only).
   */
  ttfoMs?: number;
  /** End − start. */
  e2elMs: number;
  /** End − scheduled: latency including the wait for the send slot. */
  e2elFromScheduledMs: number;
  /** Start − scheduled. */
  sendLagMs: number;
  /** (E2EL − TTFT) / (OutputTokens − 1), where OutputTokens > 1. */
  tpotMs?: number;
  inputTokens?: number;
  /** Prompt tokens the server's prefix cache held, when its usage said. */
  cachedTokens?: number;
  outputTokens?: number;
  outputTokenSource?: TokenSource;
  /** OutputTokens / E2EL, tokens per second. */
  outputTokenThroughputTps?: number;
  /** InputTokens / TTFT, tokens per second. */
  prefillTokenThroughputTps?: number;
}

/** Output tokens of a record and where the count came from. */
export function outputTokensOf(
  record: RequestFacts,
  mode: TokenCountMode = "server",
): { tokens: number; source: TokenSource } | undefined {
  const server = record.usage?.completionTokens;
  const tokenizer = record.tokenizerOutputTokens;
  if (mode === "tokenizer" && tokenizer !== undefined) {
    return { tokens: tokenizer, source: "tokenizer" };
  }
  if (server !== undefined) return { tokens: server, source: "server" };
  if (tokenizer !== undefined) return { tokens: tokenizer, source: "tokenizer" };
  if (record.stream && record.chunks > 0) {
    return { tokens: record.chunks, source: "chunks" };
  }
  return undefined;
}

/** Input tokens of a record: the server's count, else the one known from the dataset. */
export function inputTokensOf(
  record: RequestFacts,
  mode: TokenCountMode = "server",
): number | undefined {
  if (mode === "tokenizer" && record.inputTokens !== undefined) return record.inputTokens;
  return record.usage?.promptTokens ?? record.inputTokens;
}

/** Computes the per-request metrics of one record. */
export function requestMetrics(
  record: RequestFacts,
  mode: TokenCountMode = "server",
): RequestMetrics {
  const e2elMs = record.endMs - record.startMs;
  const m: RequestMetrics = {
    index: record.index,
    ok: record.error === undefined,
    e2elMs,
    e2elFromScheduledMs: record.endMs - record.scheduledMs,
    sendLagMs: record.startMs - record.scheduledMs,
  };
  const first = record.firstChunkMs;
  if (record.stream && first !== undefined) m.ttftMs = first - record.startMs;
  // TTFO of a streamed success is always defined, so an objective on it cannot be passed by
  // having none: TTFT when content came first, and the end when no content came at all.
  if (record.stream && record.firstContentMs !== undefined) {
    m.ttfoMs = record.firstContentMs - record.startMs;
  } else if (record.stream && m.ok) m.ttfoMs = e2elMs;
  const input = inputTokensOf(record, mode);
  if (input !== undefined) m.inputTokens = input;
  const cached = record.usage?.cachedTokens;
  if (cached !== undefined) m.cachedTokens = cached;
  const output = outputTokensOf(record, mode);
  if (output) {
    m.outputTokens = output.tokens;
    m.outputTokenSource = output.source;
    if (e2elMs > 0 && output.tokens > 0) {
      m.outputTokenThroughputTps = output.tokens / (e2elMs / 1000);
    }
    if (m.ttftMs !== undefined && output.tokens > 1) {
      m.tpotMs = (e2elMs - m.ttftMs) / (output.tokens - 1);
    }
  }
  if (input !== undefined && m.ttftMs !== undefined && m.ttftMs > 0) {
    m.prefillTokenThroughputTps = input / (m.ttftMs / 1000);
  }
  return m;
}
