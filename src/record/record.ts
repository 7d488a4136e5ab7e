/**
 * The RequestRecord: everything measured about one request, as raw instants
 * on the shared time axis (`performance.timeOrigin + performance.now()`, ms).
 * Every metric is derived from records afterwards.
 *
 * @module
 */

import type { Usage } from "../protocol/openai.ts";

/**
 * Why a request failed: `connect` (no connection), `timeout` (past
 * `--timeout`), `http_4xx` / `http_5xx` (an error status), `stream_error` (an
 * error object, event or field line in the stream, or the connection lost
 * mid-stream), `bad_event` (an unreadable event, or no output recognised while
 * usage says tokens were generated: the wrong `--api`?), `bad_response` (a
 * whole body that is not the API's JSON), `not_streamed` (a streaming request
 * answered without an event stream), `truncated` (EOF before the end marker
 * and before any finish reason), `empty_stream` (the end marker after no
 * output and no finish reason), `cancelled` (cut off by an interrupt).
 */
export const ERROR_CATEGORIES = [
  "connect",
  "timeout",
  "http_4xx",
  "http_5xx",
  "stream_error",
  "bad_event",
  "bad_response",
  "not_streamed",
  "truncated",
  "empty_stream",
  "cancelled",
] as const;
/** One of {@link ERROR_CATEGORIES}. */
export type ErrorCategory = typeof ERROR_CATEGORIES[number];

/** A failure's category, HTTP status when there was one, and a short message. */
export interface RequestError {
  category: ErrorCategory;
  message: string;
  status?: number;
  /** `Retry-After` of a 429/503, in ms, when the server sent one. */
  retryAfterMs?: number;
}

/** Raw facts about one request. Times are absolute ms on the shared time axis. */
export interface RequestRecord {
  /** Position in the task's send order, from 0. */
  index: number;
  /** Sent before measurement started; kept in the trace, out of the metrics. */
  warmup?: boolean;
  /** The shard of a distributed run that sent it (in a merged trace; `--shard`). */
  shard?: number;
  /** Its turn in its conversation, from 0, when the dataset has sessions. */
  turn?: number;
  /** When the load profile wanted it sent. */
  scheduledMs: number;
  /** When it was handed to fetch. */
  startMs: number;
  /** When the stream closed (or the request failed). */
  endMs: number;
  /** Arrival of every stream event that carried output (content or reasoning). */
  chunkMs: number[];
  /** Arrival of the first event that carried content (not reasoning): TTFO. */
  firstContentMs?: number;
  /** Whether the request was sent streaming. */
  stream: boolean;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Absent on success. */
  error?: RequestError;
  /** The server's token counts, when it reported them. */
  usage?: Usage;
  /** Input tokens counted by the configured tokenizer (or known by construction). */
  inputTokens?: number;
  /** Output tokens counted by the configured tokenizer. */
  tokenizerOutputTokens?: number;
  /** The output text, kept only in memory for the tokenizer (never written by default). */
  outputText?: string;
  /** Attempts made, retries included (1 when not retried). */
  attempts: number;
  /** The failed attempts before the last one, oldest first (the record's times are the last attempt's). */
  tries?: Array<{ startMs: number; endMs: number; error: RequestError }>;
  /** The finish reason of the (first) choice. */
  finishReason?: string;
  /**
   * Timings the server reported about this request, in ms by name (e.g.
   * llama.cpp's `prompt_ms`, TGI's `queue_ms`), when its protocol gives them.
   */
  serverTimings?: Record<string, number>;
}

/** True when the request completed without error. */
export function succeeded(record: RequestRecord): boolean {
  return record.error === undefined;
}

/**
 * A request without its chunk arrival times: what a report keeps of each
 * request once the gaps between chunks are folded (see `ChunkGaps`). A report
 * holds them as rows of a `FactTable` (./fact_table.ts): read-only, their
 * fields getters rather than own properties (a spread copies nothing: use
 * `plainFacts`), `usage` a new object at every read.
 */
export interface RequestFacts extends Omit<RequestRecord, "chunkMs" | "outputText"> {
  /** Output chunks (stream events carrying output) that arrived. */
  chunks: number;
  /** Arrival of the first output chunk. */
  firstChunkMs?: number;
  /** Arrival of the last output chunk. */
  lastChunkMs?: number;
}

/** The facts of a record held whole in memory. */
export function factsOf(record: RequestRecord): RequestFacts {
  const { chunkMs, outputText: _, ...rest } = record;
  const facts: RequestFacts = { ...rest, chunks: chunkMs.length };
  if (chunkMs.length) {
    facts.firstChunkMs = chunkMs[0]!;
    facts.lastChunkMs = chunkMs[chunkMs.length - 1]!;
  }
  return facts;
}

/**
 * A record's chunk arrivals as whole-µs deltas, as the trace stores them: the
 * first from the start, then each gap.
 */
export function chunkDeltasUs(record: RequestRecord): number[] {
  const out: number[] = new Array(record.chunkMs.length);
  let prev = 0;
  for (let k = 0; k < record.chunkMs.length; k++) {
    // Differences of nearby instants are exact; rounding the µs offset from the start is too.
    const t = Math.round((record.chunkMs[k]! - record.startMs) * 1000);
    out[k] = t - prev;
    prev = t;
  }
  return out;
}
