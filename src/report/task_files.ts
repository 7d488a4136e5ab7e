/**
 * A task's files: the AISBench Performance Parameters CSV, the result JSON
 * (the contract of DESIGN.md) and one row per request.
 *
 * @module
 */

import type { Task } from "../config/plan.ts";
import { requestMetrics, type TokenCountMode } from "../metrics/request.ts";
import type { StatSpec } from "../metrics/stats.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import type { RequestRecord } from "../record/record.ts";
import { csvLine } from "./csv.ts";
import type { TaskPaths } from "./paths.ts";
import { performanceRows } from "./table.ts";

/** The `task` block of the result JSON. */
export interface TaskIdentity {
  model: string;
  model_abbr: string;
  dataset: string;
  summarizer: string;
  stage: "total" | "stable";
  api: string;
  stream: boolean;
  load: Record<string, unknown>;
  output_name: string;
}

/** The result contract written to `<dataset>.json`. */
export interface TaskResultJson {
  task: TaskIdentity;
  common: TaskSummary["common"];
  metrics: TaskSummary["metrics"];
  errors: TaskSummary["errors"];
  delivery: TaskSummary["delivery"];
  stable_window_ms?: { open: number; close: number };
  generated_at: string;
}

/** Builds the result JSON of a task. `anchorMs` makes the window relative to the task start. */
export function resultJson(
  task: Task,
  servedModel: string,
  summary: TaskSummary,
  options: { summarizer: string; anchorMs: number; generatedAt: Date },
): TaskResultJson {
  const json: TaskResultJson = {
    task: {
      model: servedModel,
      model_abbr: task.model.abbr,
      dataset: task.dataset.abbr,
      summarizer: options.summarizer,
      stage: summary.stage,
      api: task.model.api,
      stream: task.model.stream,
      load: { ...task.load },
      output_name: task.outputName,
    },
    common: summary.common,
    metrics: summary.metrics,
    errors: summary.errors,
    delivery: summary.delivery,
    generated_at: options.generatedAt.toISOString(),
  };
  if (summary.window) {
    json.stable_window_ms = {
      open: summary.window.openMs - options.anchorMs,
      close: summary.window.closeMs - options.anchorMs,
    };
  }
  return json;
}

/** The Performance Parameters table as AISBench writes it (values with units). */
export function performanceCsv(summary: TaskSummary, stats: readonly StatSpec[]): string {
  const { header, rows } = performanceRows(summary, stats);
  return csvLine(header) + rows.map((r) => csvLine(r)).join("");
}

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

/** One CSV row per request, times in ms relative to the task's anchor. */
export function requestsCsv(
  records: readonly RequestRecord[],
  anchorMs: number,
  mode: TokenCountMode = "server",
): string {
  let out = csvLine([...REQUEST_COLUMNS]);
  for (const r of records) {
    const m = requestMetrics(r, mode);
    const c = r.chunkMs;
    const itlMean = c.length > 1 ? (c[c.length - 1]! - c[0]!) / (c.length - 1) : undefined;
    out += csvLine([
      r.index,
      r.warmup ? 1 : 0,
      r.error ? (c.length > 0 ? "failed_partial" : "failed") : "ok",
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
      c.length,
      m.inputTokens,
      m.outputTokens,
      m.outputTokenSource,
      r.usage?.promptTokens,
      r.usage?.completionTokens,
      r.attempts,
      r.finishReason,
    ]);
  }
  return out;
}

/** Writes the CSV, JSON and requests CSV of a task. */
export function writeTaskFiles(
  paths: TaskPaths,
  files: { csv: string; json: TaskResultJson; requestsCsv: string },
): void {
  Deno.writeTextFileSync(paths.csv, files.csv);
  Deno.writeTextFileSync(paths.json, JSON.stringify(files.json, null, 2) + "\n");
  Deno.writeTextFileSync(paths.requestsCsv, files.requestsCsv);
}

/** Columns of the run summary: task identity, common metrics, headline percentiles. */
export function summaryRow(json: TaskResultJson): Record<string, string | number | undefined> {
  const row: Record<string, string | number | undefined> = {
    model: json.task.model_abbr,
    dataset: json.task.dataset,
    task: json.task.output_name,
    stage: json.task.stage,
    concurrency_cap: json.common.max_concurrency,
  };
  for (const [k, v] of Object.entries(json.common)) row[k] = v;
  for (const m of ["ttft_ms", "tpot_ms", "itl_ms", "e2el_ms"] as const) {
    const s = json.metrics[m];
    row[`${m}_mean`] = s?.mean;
    row[`${m}_p50`] = s?.median ?? s?.p50;
    row[`${m}_p99`] = s?.p99;
  }
  return row;
}
