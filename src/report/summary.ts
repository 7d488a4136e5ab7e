/**
 * The run summary: one row per task, side by side (`summary.json`,
 * `summary.csv` at the run folder's root).
 *
 * @module
 */

import { metricsIn } from "../metrics/metric_table.ts";
import { csvLine } from "./csv.ts";
import { renderTable } from "./table.ts";
import type { TaskResultJson } from "./result_json.ts";

/** The metric table's `summary` view; the first four in the order summary files have always had. */
const SUMMARY_METRICS = metricsIn("summary", ["ttft_ms", "tpot_ms", "itl_ms", "e2el_ms"]);

/** `summary.json`: one row per task, and the recommended load point. */
export function summaryJsonText(tasks: readonly TaskResultJson[]): string {
  const rec = recommend(tasks);
  return JSON.stringify(
    { tasks: tasks.map(summaryRow), ...(rec ? { recommendation: rec } : {}) },
    null,
    2,
  ) +
    "\n";
}

/** `summary.csv`: one row per task. */
export function summaryCsvText(tasks: readonly TaskResultJson[]): string {
  const rows = tasks.map(summaryRow);
  const columns = rows.length ? Object.keys(rows[0]!) : ["model", "dataset", "task"];
  return csvLine(columns) + rows.map((r) => csvLine(columns.map((c) => r[c]))).join("");
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
  for (const { key: m } of SUMMARY_METRICS) {
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

/** Share of good requests a load point needs to count as meeting the SLO. */
export const SLO_SHARE = 0.99;

/**
 * The recommended load point: best output throughput among those meeting the
 * SLO, else overall. Runs with no output at all (embeddings) are ranked by
 * input throughput instead, named in `input_token_throughput_tps`.
 */
export interface Recommendation {
  task: string;
  output_token_throughput_tps: number;
  /** Set when the ranking was by input tokens/s (no task produced output tokens). */
  input_token_throughput_tps?: number;
  /** True when chosen among points meeting the SLO. */
  meets_slo: boolean;
  text: string;
}

/**
 * Picks the point with the best output throughput (input throughput when no
 * task produced output, e.g. embeddings), among those meeting the SLO when one
 * was given.
 */
export function recommend(tasks: readonly TaskResultJson[]): Recommendation | undefined {
  if (!tasks.length) return undefined;
  const name = (t: TaskResultJson) => `${t.task.model_abbr}/${t.task.output_name}`;
  const byInput = tasks.every((t) => t.common.total_output_tokens === 0);
  const rate = (t: TaskResultJson) =>
    byInput ? t.common.input_token_throughput_tps : t.common.output_token_throughput_tps;
  const unit = byInput ? "input tok/s" : "output tok/s";
  const best = (list: readonly TaskResultJson[]) =>
    list.reduce((a, b) => (rate(b) > rate(a) ? b : a));
  const point = (b: TaskResultJson) => ({
    task: name(b),
    output_token_throughput_tps: b.common.output_token_throughput_tps,
    ...(byInput ? { input_token_throughput_tps: b.common.input_token_throughput_tps } : {}),
  });
  const withSlo = tasks.filter((t) => t.goodput);
  if (withSlo.length) {
    const meeting = withSlo.filter((t) => t.goodput!.share >= SLO_SHARE);
    const slo = Object.entries(withSlo[0]!.goodput!.slo).map(([k, v]) =>
      `${k.replace("_ms", "")}<=${v}ms`
    ).join(",");
    if (meeting.length) {
      const b = best(meeting);
      return {
        ...point(b),
        meets_slo: true,
        text: `Recommendation: ${name(b)} — ${
          rate(b).toFixed(1)
        } ${unit}, the best among the ${meeting.length} point(s) where at least ${
          SLO_SHARE * 100
        }% of requests met ${slo}`,
      };
    }
    const b = best(tasks);
    return {
      ...point(b),
      meets_slo: false,
      text: `Recommendation: no point met ${slo} for ${
        SLO_SHARE * 100
      }% of requests; best overall: ${name(b)} — ${rate(b).toFixed(1)} ${unit}`,
    };
  }
  const b = best(tasks);
  return {
    ...point(b),
    meets_slo: false,
    text: `Recommendation: ${name(b)} — ${
      rate(b).toFixed(1)
    } ${unit}, the best overall (give --slo to require latency targets)`,
  };
}

/** Throughput against latency, one row per task, in run order. */
export function renderTradeoffTable(tasks: readonly TaskResultJson[]): string {
  const f = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(2));
  return renderTable(
    ["Task", "Load", "Out tok/s", "Req/s", "TTFT P99", "TPOT P99", "E2EL P99", "Good %"],
    tasks.map((t) => [
      `${t.task.model_abbr}/${t.task.output_name}`,
      String(
        t.task.load.kind === "concurrency"
          ? `c=${t.task.load.concurrency}`
          : t.task.load.kind === "rate"
          ? `${t.task.load.rate ?? "inf"} req/s`
          : t.task.load.kind,
      ),
      f(t.common.output_token_throughput_tps),
      f(t.common.request_throughput_rps),
      f(t.metrics.ttft_ms?.p99),
      f(t.metrics.tpot_ms?.p99),
      f(t.metrics.e2el_ms?.p99),
      t.goodput ? (t.goodput.share * 100).toFixed(1) : "-",
    ]),
  );
}
