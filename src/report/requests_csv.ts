/**
 * Per-request rows (`<task>_requests.csv`): raw times and every per-request metric.
 *
 * @module
 */

import { requestMetrics, type TokenCountMode } from "../metrics/request.ts";
import type { RequestFacts } from "../record/record.ts";
import { csvLine } from "./csv.ts";

const REQUEST_COLUMNS = [
  "index",
  "warmup",
  "status",
  "error_category",
  "error_message",
  "http_status",
  "scheduled_ms",
  "start_ms",
  "end_ms",
  "send_lag_ms",
  "ttft_ms",
  "ttfo_ms",
  "e2el_ms",
  "tpot_ms",
  "itl_mean_ms",
  "chunks",
  "input_tokens",
  "output_tokens",
  "output_token_source",
  "server_prompt_tokens",
  "server_completion_tokens",
  "attempts",
  "finish_reason",
] as const;

/**
 * Writes one CSV row per request to `path`, times in ms relative to the
 * task's anchor, a block at a time: the file may be larger than any string.
 */
export function writeRequestsCsv(
  path: string,
  records: readonly RequestFacts[],
  anchorMs: number,
  mode: TokenCountMode = "server",
): void {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let out = csvLine([...REQUEST_COLUMNS]);
  const flush = () => {
    const bytes = encoder.encode(out);
    for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
    out = "";
  };
  try {
    for (const r of records) {
      out += row(r, anchorMs, mode);
      if (out.length > 1 << 20) flush();
    }
    flush();
  } finally {
    file.close();
  }
}

/** One request's row. */
function row(r: RequestFacts, anchorMs: number, mode: TokenCountMode): string {
  const m = requestMetrics(r, mode);
  const c = r.chunks;
  const itlMean = c > 1 ? (r.lastChunkMs! - r.firstChunkMs!) / (c - 1) : undefined;
  return csvLine([
    r.index,
    r.warmup ? 1 : 0,
    r.error ? (c > 0 ? "failed_partial" : "failed") : "ok",
    r.error?.category,
    r.error?.message,
    r.status,
    r.scheduledMs - anchorMs,
    r.startMs - anchorMs,
    r.endMs - anchorMs,
    m.sendLagMs,
    m.ttftMs,
    m.ttfoMs,
    m.e2elMs,
    m.tpotMs,
    itlMean,
    c,
    m.inputTokens,
    m.outputTokens,
    m.outputTokenSource,
    r.usage?.promptTokens,
    r.usage?.completionTokens,
    r.attempts,
    r.finishReason,
  ]);
}
