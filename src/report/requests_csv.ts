/**
 * Per-request rows (`<task>_requests.csv`): raw times and the metric table's
 * `requestsCsv` metrics.
 *
 * @module
 */

import { metricDef, type MetricKey, metricsIn } from "../metrics/metric_table.ts";
import { type RequestMetrics, requestMetrics, type TokenCountMode } from "../metrics/request.ts";
import type { RequestFacts } from "../record/record.ts";
import { type Cell, csvLine } from "./csv.ts";
import type { Writer } from "./reporter.ts";

/** A request's facts and metrics, as a column reads them. */
interface RowInput {
  r: RequestFacts;
  m: RequestMetrics;
  anchorMs: number;
}

/** A column that is not a metric of the metric table: raw facts, statuses, sources. */
type Column = readonly [name: string, value: (row: RowInput) => Cell];

/** A row's outcome: `ok`, `failed`, `failed_partial` (after some output) or `cancelled`. */
function statusOf(r: RequestFacts): string {
  if (!r.error) return "ok";
  if (r.error.category === "cancelled") return "cancelled";
  return r.chunks > 0 ? "failed_partial" : "failed";
}

/** A column that is: its value is the metric table row's. */
const metric = (key: MetricKey): Column => {
  const def = metricDef(key);
  return [def.key, ({ m }) => def.value!(m)];
};

/**
 * The columns, in the order the file has always had; a metric of the table's
 * `requestsCsv` view that is not placed here is added at the end.
 */
const LAYOUT: readonly Column[] = [
  ["index", ({ r }) => r.index],
  ["warmup", ({ r }) => (r.warmup ? 1 : 0)],
  ["status", ({ r }) => statusOf(r)],
  ["error_category", ({ r }) => r.error?.category],
  ["error_message", ({ r }) => r.error?.message],
  ["http_status", ({ r }) => r.status],
  ["scheduled_ms", ({ r, anchorMs }) => r.scheduledMs - anchorMs],
  ["start_ms", ({ r, anchorMs }) => r.startMs - anchorMs],
  ["end_ms", ({ r, anchorMs }) => r.endMs - anchorMs],
  ["send_lag_ms", ({ m }) => m.sendLagMs],
  metric("ttft_ms"),
  metric("ttfo_ms"),
  metric("e2el_ms"),
  metric("tpot_ms"),
  [
    "itl_mean_ms",
    ({ r }) => (r.chunks > 1 ? (r.lastChunkMs! - r.firstChunkMs!) / (r.chunks - 1) : undefined),
  ],
  ["chunks", ({ r }) => r.chunks],
  metric("input_tokens"),
  metric("output_tokens"),
  ["output_token_source", ({ m }) => m.outputTokenSource],
  ["server_prompt_tokens", ({ r }) => r.usage?.promptTokens],
  ["server_completion_tokens", ({ r }) => r.usage?.completionTokens],
  ["attempts", ({ r }) => r.attempts],
  ["finish_reason", ({ r }) => r.finishReason],
];

const COLUMNS: readonly Column[] = [
  ...LAYOUT,
  ...metricsIn("requestsCsv").filter((d) => !LAYOUT.some(([name]) => name === d.key)).map((d) =>
    metric(d.key as MetricKey)
  ),
];

/** How request rows are written. */
export interface RequestsCsvOptions {
  /** Times are written relative to this (the task's start), ms. */
  anchorMs: number;
  /** Which token counts drive the metrics; default server. */
  tokenCount?: TokenCountMode;
}

/**
 * Writes one CSV row per request, a block at a time: the file may be larger
 * than any string.
 */
export function writeRequestsCsv(
  out: Writer,
  records: readonly RequestFacts[],
  options: RequestsCsvOptions,
): void {
  const { anchorMs } = options;
  const mode = options.tokenCount ?? "server";
  let text = csvLine(COLUMNS.map(([name]) => name));
  for (const r of records) {
    const row: RowInput = { r, m: requestMetrics(r, mode), anchorMs };
    text += csvLine(COLUMNS.map(([, value]) => value(row)));
    if (text.length > 1 << 20) {
      out.write(text);
      text = "";
    }
  }
  out.write(text);
}
