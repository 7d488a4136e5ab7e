/**
 * `summary.html`, built for comparison: the run's verdict (the
 * recommendation; per task its SLO results, goodput, errors, warnings, client
 * state and a link to its page), knee charts (output throughput against tail
 * latency, coloured by model, shaped by dataset, the SLO target as a rule),
 * an ECDF of TTFT, TPOT and E2EL per task overlaid, a grid of headline
 * metrics with deltas between models, and the headline metrics per cell.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import type { TaskSummary } from "../metrics/summarize.ts";
import { type Chart, chartDiv, escapeHtml, htmlPage } from "./html.ts";
import { safeName } from "./paths.ts";
import type { TaskResultJson } from "./result_json.ts";
import { recommend } from "./summary.ts";
import { humanValue, loadLabel, metricLabel, runVerdictHtml } from "./verdict.ts";

/** A task of the run page: its result, and its summary when at hand (for the ECDFs). */
export interface SummaryPageTask {
  json: TaskResultJson;
  summary?: TaskSummary;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const name = (t: TaskResultJson) => `${t.task.model_abbr}/${t.task.output_name}`;

/** Where a task's page is, relative to the run folder (paths.ts lays it out). */
function pageOf(t: TaskResultJson): string {
  return `performances/${safeName(t.task.model_abbr)}/${safeName(t.task.output_name)}_plot.html`;
}

/** A task's row of the run page: identity, load and headline numbers (absent where missing). */
function pageRow(t: TaskResultJson, order: number) {
  const row: Record<string, string | number> = {
    order,
    model: t.task.model_abbr,
    dataset: t.task.dataset,
    cell: `${t.task.dataset} · ${t.task.output_name}`,
    task: name(t),
    load: loadLabel(t),
    "Output tok/s": t.common.output_token_throughput_tps,
    "Requests/s": t.common.request_throughput_rps,
  };
  const put = (label: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) row[label] = v;
  };
  put("TTFT mean (ms)", t.metrics.ttft_ms?.mean);
  put("TTFT P99 (ms)", t.metrics.ttft_ms?.p99);
  put("TPOT mean (ms)", t.metrics.tpot_ms?.mean);
  put("TPOT P99 (ms)", t.metrics.tpot_ms?.p99);
  put("ITL mean (ms)", t.metrics.itl_ms?.mean);
  put("E2EL mean (ms)", t.metrics.e2el_ms?.mean);
  put("E2EL P99 (ms)", t.metrics.e2el_ms?.p99);
  if (t.goodput) row["Goodput (%)"] = Math.round(t.goodput.share * 1000) / 10;
  return row;
}

type PageRow = ReturnType<typeof pageRow>;

/** The headline metrics the cells chart shows, in order. */
const CELL_METRICS = [
  "Output tok/s",
  "Requests/s",
  "TTFT mean (ms)",
  "TTFT P99 (ms)",
  "TPOT mean (ms)",
  "ITL mean (ms)",
  "E2EL mean (ms)",
];

/** Headline metrics across model × dataset cells, a facet per metric. */
function cellsChart(rows: PageRow[]): Chart {
  return {
    id: "cells",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      transform: [{ fold: CELL_METRICS, as: ["metric", "value"] }, {
        filter: "isValid(datum.value)",
      }],
      facet: { row: { field: "metric", type: "nominal", title: null, sort: CELL_METRICS } },
      spec: {
        width: Math.min(720, 60 + rows.length * 40),
        height: 110,
        mark: { type: "bar" },
        encoding: {
          x: { field: "cell", type: "nominal", title: "dataset · task", sort: { field: "order" } },
          xOffset: { field: "model", type: "nominal" },
          y: { field: "value", type: "quantitative", title: null },
          color: { field: "model", type: "nominal" },
          tooltip: [
            { field: "task", type: "nominal", title: "task" },
            { field: "load", type: "nominal", title: "load" },
            { field: "metric", type: "nominal", title: "metric" },
            { field: "value", type: "quantitative", title: "value", format: ",.2f" },
          ],
        },
      },
      resolve: { scale: { y: "independent" } },
    } as TopLevelSpec,
  };
}

/**
 * Each model's output throughput against a tail latency across its load
 * points: colour by model, shape by dataset, both axes from zero, the load
 * labelled at the ends of each curve only (no collisions in the middle), the
 * SLO target as a dashed rule.
 */
function kneeChart(
  rows: PageRow[],
  spec: { id: string; x: string; slo?: number | undefined },
): Chart {
  const series = (r: PageRow) => `${r.model}|${r.dataset}`;
  const withX = rows.filter((r) => r[spec.x] !== undefined);
  const labelled = withX.map((r) => {
    const same = withX.filter((o) => series(o) === series(r));
    const edge = r === same[0] || r === same[same.length - 1];
    return { ...r, label: edge ? r.load : "" };
  });
  const enc = {
    x: { field: spec.x, type: "quantitative", title: spec.x, scale: { zero: true } },
    y: {
      field: "Output tok/s",
      type: "quantitative",
      title: "Output tok/s",
      scale: { zero: true },
    },
  };
  return {
    id: spec.id,
    spec: {
      $schema: SCHEMA,
      width: 340,
      height: 260,
      title: `Output throughput against ${spec.x}`,
      layer: [
        {
          data: { values: labelled },
          encoding: {
            ...enc,
            color: { field: "model", type: "nominal", title: "model" },
            detail: { field: "dataset", type: "nominal" },
            order: { field: "order" },
          },
          layer: [
            { mark: { type: "line", opacity: 0.7 } },
            {
              mark: { type: "point", filled: true, size: 70 },
              encoding: {
                shape: { field: "dataset", type: "nominal", title: "dataset" },
                tooltip: [
                  { field: "task", type: "nominal", title: "task" },
                  { field: "load", type: "nominal", title: "load" },
                  { field: spec.x, type: "quantitative", title: spec.x, format: ",.1f" },
                  { field: "Output tok/s", type: "quantitative", format: ",.1f" },
                  { field: "Requests/s", type: "quantitative", format: ",.2f" },
                ],
              },
            },
            {
              mark: { type: "text", dx: 7, dy: -7, align: "left", fontSize: 10 },
              encoding: { text: { field: "label" } },
            },
          ],
        },
        ...(spec.slo !== undefined
          ? [{
            data: { values: [{ v: spec.slo, label: `SLO ${spec.slo} ms` }] },
            mark: { type: "rule", strokeDash: [6, 4], color: "#2ca02c", strokeWidth: 2 },
            encoding: {
              x: { field: "v", type: "quantitative" },
              tooltip: [{ field: "label", type: "nominal", title: "target" }],
            },
          }]
          : []),
      ],
    } as TopLevelSpec,
  };
}

const ECDF_METRICS = ["ttft_ms", "tpot_ms", "e2el_ms"] as const;

/** TTFT, TPOT and E2EL as an ECDF per task, overlaid (101 quantiles each, from the exact samples). */
function ecdfChart(tasks: readonly SummaryPageTask[]): Chart | undefined {
  const values: Array<{ task: string; metric: string; v: number; p: number }> = [];
  for (const { json, summary } of tasks) {
    for (const key of ECDF_METRICS) {
      const sample = summary?.samples[key];
      if (!sample || !sample.n) continue;
      for (let p = 0; p <= 100; p++) {
        values.push({
          task: name(json),
          metric: metricLabel(key),
          v: Math.round(sample.percentile(p) * 1000) / 1000,
          p: p / 100,
        });
      }
    }
  }
  if (!values.length) return undefined;
  const metrics = [...new Set(values.map((v) => v.metric))];
  return {
    id: "ecdf",
    spec: {
      $schema: SCHEMA,
      data: { values },
      hconcat: metrics.map((m) => ({
        width: 230,
        height: 200,
        title: `${m}: share of requests at or below`,
        transform: [{ filter: { field: "metric", equal: m } }],
        mark: { type: "line", interpolate: "step-after" },
        encoding: {
          x: { field: "v", type: "quantitative", title: m },
          y: {
            field: "p",
            type: "quantitative",
            title: "share of requests",
            axis: { format: "%" },
          },
          color: { field: "task", type: "nominal", title: "task" },
          tooltip: [
            { field: "task", type: "nominal", title: "task" },
            { field: "v", type: "quantitative", title: m, format: ",.1f" },
            { field: "p", type: "quantitative", title: "share", format: ".0%" },
          ],
        },
      })),
    } as TopLevelSpec,
  };
}

/** Headline metrics of the grid, with which way is better. */
const GRID: Array<[string, "higher" | "lower"]> = [
  ["Output tok/s", "higher"],
  ["Requests/s", "higher"],
  ["TTFT P99 (ms)", "lower"],
  ["TPOT P99 (ms)", "lower"],
  ["E2EL P99 (ms)", "lower"],
  ["Goodput (%)", "higher"],
];

/**
 * Per dataset and load, each model's headline metrics, with the change
 * against the first model (green better, red worse); empty with one model.
 */
function deltaGrid(rows: PageRow[]): string {
  const models = [...new Set(rows.map((r) => String(r.model)))];
  if (models.length < 2) return "";
  const cells = [...new Set(rows.map((r) => `${r.dataset} · ${r.load}`))];
  const metrics = GRID.filter(([m]) => rows.some((r) => r[m] !== undefined));
  const head = `<tr><th>Dataset · load</th><th>Metric</th>${
    models.map((m, k) => `<th>${escapeHtml(m)}${k === 0 ? " (base)" : ""}</th>`).join("")
  }</tr>`;
  const body = cells.flatMap((cell) =>
    metrics.map(([metric, better], k) => {
      const at = (m: string) =>
        rows.find((r) => `${r.dataset} · ${r.load}` === cell && r.model === m)?.[metric] as
          | number
          | undefined;
      const base = at(models[0]!);
      const tds = models.map((m, j) => {
        const v = at(m);
        if (v === undefined) return "<td>–</td>";
        const text = escapeHtml(humanValue(v, ""));
        if (j === 0 || base === undefined || base === 0) return `<td>${text}</td>`;
        const delta = (v - base) / Math.abs(base);
        const good = better === "higher" ? delta > 0 : delta < 0;
        return `<td>${text} <span class="${Math.abs(delta) < 0.005 ? "" : good ? "ok" : "bad"}">${
          delta >= 0 ? "+" : ""
        }${(delta * 100).toFixed(1)}%</span></td>`;
      }).join("");
      return `<tr>${k === 0 ? `<td rowspan="${metrics.length}">${escapeHtml(cell)}</td>` : ""}<td>${
        escapeHtml(metric)
      }</td>${tds}</tr>`;
    })
  ).join("");
  return `<h2>Models compared</h2><div class="meta">Change against the first model; green is better, red worse.</div><table class="metrics" id="delta-grid">${head}${body}</table>`;
}

/** The run page's table: one row per task, headline P99s. */
function taskTable(rows: PageRow[]): string {
  const cols = [
    "load",
    "Output tok/s",
    "Requests/s",
    "TTFT P99 (ms)",
    "TPOT P99 (ms)",
    "E2EL P99 (ms)",
  ];
  return `<table class="metrics" id="task-table"><tr><th>Task</th>${
    cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("")
  }</tr>${
    rows.map((r) =>
      `<tr><td>${escapeHtml(String(r.task))}</td>${
        cols.map((c) => {
          const v = r[c];
          return `<td>${
            escapeHtml(typeof v === "number" ? humanValue(v, "") : v === undefined ? "–" : v)
          }</td>`;
        }).join("")
      }</tr>`
    ).join("")
  }</table>`;
}

/** The page of a run: the verdict first, then the charts, then the tables (collapsed). */
export function summaryPage(tasks: readonly SummaryPageTask[]): string {
  const jsons = tasks.map((t) => t.json);
  const rows = jsons.map(pageRow);
  const slo = jsons.find((t) => t.goodput)?.goodput?.slo;
  const charts: Chart[] = [];
  const sweep = new Set(rows.map((r) => `${r.model}|${r.dataset}`)).size < rows.length;
  if (rows.length > 1) {
    charts.push(
      kneeChart(rows, { id: "knee-ttft", x: "TTFT P99 (ms)", slo: slo?.ttft_ms }),
      kneeChart(rows, { id: "knee-tpot", x: "TPOT P99 (ms)", slo: slo?.tpot_ms }),
    );
  }
  const ecdf = ecdfChart(tasks);
  if (ecdf) charts.push(ecdf);
  if (rows.length) charts.push(cellsChart(rows));
  const knees = charts.filter((c) => c.id.startsWith("knee"));
  const body = `<h1>servebench — run summary</h1><div class="meta">${tasks.length} task(s)${
    sweep
      ? "; the curves show each model's throughput against tail latency across its load points — the knee is where latency climbs faster than throughput; axes start at 0"
      : ""
  }.</div>
${runVerdictHtml(jsons, recommend(jsons), pageOf)}
${
    knees.length
      ? `<h2>Throughput against latency</h2><div class="grid">${
        knees.map((c) => chartDiv(c.id)).join("")
      }</div>`
      : ""
  }
${ecdf ? `<h2>Latency distributions per task</h2>${chartDiv("ecdf")}` : ""}
${deltaGrid(rows)}
<h2>Headline metrics per cell</h2>${rows.length ? chartDiv("cells") : ""}
<details id="tables"><summary>Table: every task</summary>${taskTable(rows)}</details>`;
  return htmlPage("servebench — run summary", body, charts);
}
