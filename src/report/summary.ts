/**
 * The run summary: one row per task, side by side (`summary.json`,
 * `summary.csv` at the run folder's root).
 *
 * @module
 */

import { csvLine } from "./csv.ts";
import { summaryRow, type TaskResultJson } from "./task_files.ts";

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
