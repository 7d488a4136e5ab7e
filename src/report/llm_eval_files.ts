/**
 * LLM-Eval's result files, written when a run is started as
 * `servebench serving_perf_eval`: an Excel workbook (`serving_perf_eval.xlsx`
 * in the run folder) with a summary sheet — one row per test (concurrency or
 * request rate), LLM-Eval's summary and latency metrics (its guide, "Output
 * Metrics": Average, Median, P99, P1, P90, P10 of TTFT, TPOT, ITL and E2EL) —
 * and a per-request sheet (every task's requests CSV, the task first); with
 * `--save-data`, each task's requests as JSON (`<task>_process_data.json`
 * beside its CSV).
 *
 * @module
 */

import type { Task } from "../config/plan.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import { csvRows } from "../dataset/csv.ts";
import type { TaskPaths } from "./paths.ts";
import { writeXlsx, type XlsxCell } from "./xlsx.ts";

/** One finished task: what it was, its files and its summary (absent when it had none). */
export interface LlmEvalTask {
  task: Task;
  paths: TaskPaths;
  summary?: TaskSummary;
}

const LATENCIES = [["TTFT", "ttft_ms"], ["TPOT", "tpot_ms"], ["ITL", "itl_ms"], [
  "E2EL",
  "e2el_ms",
]] as const;
const STATS = [["Average", -1], ["Median", 50], ["P99", 99], ["P1", 1], ["P90", 90], [
  "P10",
  10,
]] as const;

/** The summary sheet's header. */
export const LLM_EVAL_SUMMARY_HEADER: readonly string[] = [
  "Test",
  "Concurrency",
  "Request rate (req/s)",
  "Duration (s)",
  "Completed requests",
  "Failed requests",
  "Total input tokens",
  "Total output tokens",
  "Request throughput (req/s)",
  "Input throughput (tok/s)",
  "Output throughput (tok/s)",
  ...LATENCIES.flatMap(([m]) => STATS.map(([s]) => `${m} ${s} (ms)`)),
];

function rateOf(task: Task): XlsxCell {
  if (task.load.kind !== "rate") return undefined;
  const rate = task.load.rate;
  return Number.isFinite(rate) ? rate : "inf";
}

/** One summary row. */
export function llmEvalSummaryRow(t: LlmEvalTask): XlsxCell[] {
  const s = t.summary;
  const head: XlsxCell[] = [`${t.task.model.abbr}/${t.task.outputName}`];
  if (!s) return head;
  const c = s.common;
  return [
    ...head,
    c.max_concurrency,
    rateOf(t.task),
    c.benchmark_duration_ms / 1000,
    c.success_requests,
    c.failed_requests,
    c.total_input_tokens,
    c.total_output_tokens,
    c.request_throughput_rps,
    c.input_token_throughput_tps,
    c.output_token_throughput_tps,
    ...LATENCIES.flatMap(([, key]) => {
      const d = s.samples[key];
      return STATS.map(([, p]) => d && d.n > 0 ? (p < 0 ? d.mean() : d.percentile(p)) : undefined);
    }),
  ];
}

async function* requestRows(
  tasks: readonly LlmEvalTask[],
  header: readonly string[],
): AsyncGenerator<XlsxCell[]> {
  for (const t of tasks) {
    let columns: string[] | undefined;
    for await (const { fields } of csvRows(t.paths.requestsCsv)) {
      if (!columns) {
        columns = fields;
        continue;
      }
      const byName = new Map(columns.map((c, i) => [c, fields[i]]));
      yield [`${t.task.model.abbr}/${t.task.outputName}`, ...header.map((h) => byName.get(h))];
    }
  }
}

async function csvHeader(path: string): Promise<string[]> {
  for await (const { fields } of csvRows(path)) return fields;
  return [];
}

/**
 * Writes `runDir/serving_perf_eval.xlsx` (and with `saveData`, each task's
 * `<task>_process_data.json`). Returns the paths written.
 */
export async function writeLlmEvalFiles(
  runDir: string,
  options: { tasks: readonly LlmEvalTask[]; saveData: boolean },
): Promise<string[]> {
  const written: string[] = [];
  const first = options.tasks[0];
  const header = first ? await csvHeader(first.paths.requestsCsv) : [];
  const xlsx = `${runDir}/serving_perf_eval.xlsx`;
  await writeXlsx(xlsx, {
    summary: { header: LLM_EVAL_SUMMARY_HEADER, rows: options.tasks.map(llmEvalSummaryRow) },
    requests: { header: ["Test", ...header], rows: requestRows(options.tasks, header) },
  });
  written.push(xlsx);
  if (options.saveData) {
    for (const t of options.tasks) {
      const records: Record<string, string>[] = [];
      let columns: string[] | undefined;
      for await (const { fields } of csvRows(t.paths.requestsCsv)) {
        if (!columns) columns = fields;
        else records.push(Object.fromEntries(columns.map((c, i) => [c, fields[i] ?? ""])));
      }
      const path = t.paths.requestsCsv.replace(/_requests\.csv$/, "_process_data.json");
      Deno.writeTextFileSync(path, JSON.stringify(records, null, 1) + "\n");
      written.push(path);
    }
  }
  return written;
}
