/**
 * The run summary: one row per task, side by side (`summary.json`,
 * `summary.csv` at the run folder's root).
 *
 * @module
 */

import { csvLine } from "./csv.ts";
import { renderTable } from "./table.ts";
import type { TaskResultJson } from "./task_report.ts";

/** Writes `summary.json` and `summary.csv`; returns their paths. */
export function writeRunSummary(
  runDir: string,
  tasks: readonly TaskResultJson[],
): { json: string; csv: string } {
  const json = `${runDir}/summary.json`;
  const csv = `${runDir}/summary.csv`;
  const rows = tasks.map(summaryRow);
  Deno.writeTextFileSync(json, JSON.stringify({ tasks: rows }, null, 2) + "\n");
  const columns = rows.length ? Object.keys(rows[0]!) : ["model", "dataset", "task"];
  Deno.writeTextFileSync(
    csv,
    csvLine(columns) + rows.map((r) => csvLine(columns.map((c) => r[c]))).join(""),
  );
  return { json, csv };
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

/** The run summary as a console table: one row per task, headline numbers side by side. */
export function renderSummaryTable(tasks: readonly TaskResultJson[]): string {
  const f = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(2));
  return renderTable(
    [
      "Model",
      "Dataset",
      "Task",
      "OK/Total",
      "TTFT mean",
      "TTFT P99",
      "ITL mean",
      "TPOT mean",
      "E2EL mean",
      "Req/s",
      "Out tok/s",
    ],
    tasks.map((t) => [
      t.task.model_abbr,
      t.task.dataset,
      t.task.output_name,
      `${t.common.success_requests}/${t.common.total_requests}`,
      f(t.metrics.ttft_ms?.mean),
      f(t.metrics.ttft_ms?.p99),
      f(t.metrics.itl_ms?.mean),
      f(t.metrics.tpot_ms?.mean),
      f(t.metrics.e2el_ms?.mean),
      f(t.common.request_throughput_rps),
      f(t.common.output_token_throughput_tps),
    ]),
  );
}
