/**
 * The HTML reports' charts: data shaped in the tool (exact below a size,
 * aggregated above it, always saying so) and their Vega-Lite specs, which the
 * page compiles (./html.ts).
 *
 * The task page opens with its verdict (./verdict.ts), then the charts: the
 * request timeline over the concurrency (./timeline.ts); under them, when the
 * server's metrics were scraped, its running and waiting requests against the
 * client's in-flight count, its KV-cache usage and prefix-cache hit rate on
 * the same time axis; the over-time views (./over_time.ts); histograms with
 * P50/P99 and SLO markers; the failures; the tables last, collapsed. The run
 * page is ./summary_page.ts.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import type { TaskIdentity } from "../config/plan.ts";
import { metricsIn } from "../metrics/metric_table.ts";
import type { TokenCountMode } from "../metrics/request.ts";
import type { Distribution } from "../metrics/stats.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import type { RequestFacts } from "../record/record.ts";
import { type Chart, chartDiv, escapeHtml, htmlPage } from "./html.ts";
import { commonRows, TURN_HEADER, turnRows } from "./table.ts";
import type { TaskResultJson } from "./result_json.ts";
import {
  compareLatency,
  describeServerBlock,
  LATENCY_COMPARISON_METHOD,
  type PanelSeries,
  type ServerSummary,
} from "../server_metrics/mod.ts";
import {
  CANVAS_MARKS,
  latencyOverTimeSpec,
  overTimeRows,
  rateRows,
  ratesSpec,
} from "./over_time.ts";
import {
  COLORS,
  concurrencyLayers,
  concurrencyRows,
  preparationLayers,
  requestsView,
  TIME_X,
  type TimelineRow,
  timelineRows,
  windowLayers,
  ZOOM_SCRIPT,
  zoomData,
  zoomDataHtml,
} from "./timeline.ts";
import {
  errorBanner,
  failuresHtml,
  humanValue,
  metricLabel,
  taskVerdict,
  taskVerdictHtml,
} from "./verdict.ts";

type Window = { open: number; close: number } | undefined;

const HIST_BINS = 40;
const WIDTH = 720;

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** A histogram: HIST_BINS equal bins from the minimum to P99.9; larger values count in the last bin. */
export function histogram(
  sample: Distribution,
): Array<{ b0: number; b1: number; count: number }> {
  if (sample.n === 0) return [];
  const lo = sample.percentile(0);
  const hi = Math.max(sample.percentile(99.9), lo + 1e-6);
  const width = (hi - lo) / HIST_BINS;
  const counts = new Array<number>(HIST_BINS).fill(0);
  sample.forEach((v, n) => {
    counts[Math.min(HIST_BINS - 1, Math.floor((v - lo) / width))]! += n;
  });
  return counts.map((count, b) => ({
    b0: r3(lo + b * width),
    b1: r3(lo + (b + 1) * width),
    count,
  }));
}

const SERVER_SERIES = ["in flight (client)", "running (server)", "waiting (server)"];

/** The server's running and waiting requests (at each scrape) over the client's in-flight steps. */
function serverLoadView(
  panels: readonly PanelSeries[],
  conc: ReturnType<typeof concurrencyRows>,
  window: Window,
) {
  const values: Array<{ t: number; v: number; series: string; metric?: string }> = [];
  for (const r of conc.rows) {
    values.push({ t: r.t, v: "c" in r ? r.c : r.hi, series: SERVER_SERIES[0]! });
  }
  for (const [i, key] of [[1, "running"], [2, "waiting"]] as const) {
    const p = panels.find((x) => x.panel === key);
    for (const pt of p?.points ?? []) {
      values.push({
        t: r3(pt.t_ms / 1000),
        v: pt.value,
        series: SERVER_SERIES[i]!,
        metric: p!.metric,
      });
    }
  }
  const color = {
    field: "series",
    type: "nominal" as const,
    title: null,
    scale: { domain: SERVER_SERIES, range: [COLORS.concurrency, "#9467bd", "#8c564b"] },
  };
  const x = { ...TIME_X, field: "t" };
  const tooltip = [
    { field: "series", title: "series" },
    {
      field: "t",
      title: "time (s)",
      format: ".3f",
    },
    { field: "v", title: "requests" },
    { field: "metric", title: "metric" },
  ];
  return {
    width: WIDTH,
    height: 140,
    title: "Server: requests running and waiting (at each scrape) vs the client's in flight",
    data: { values },
    layer: [
      {
        mark: { type: "line" as const, interpolate: "step-after" as const },
        encoding: { x, y: { field: "v", type: "quantitative" as const, title: "requests" }, color },
      },
      {
        transform: [{ filter: `datum.series != '${SERVER_SERIES[0]}'` }],
        mark: { type: "point" as const, filled: true, size: 30 },
        encoding: { x, y: { field: "v", type: "quantitative" as const }, color, tooltip },
      },
      ...windowLayers(window),
    ],
  };
}

/** One ratio panel of the server (KV-cache usage, prefix-cache hit rate): a line through its scrapes. */
function serverRatioView(panel: PanelSeries, title: string, window: Window) {
  const values = panel.points.map((p) => ({ t: r3(p.t_ms / 1000), v: p.value }));
  const x = { ...TIME_X, field: "t" };
  const y = {
    field: "v",
    type: "quantitative" as const,
    title: "ratio",
    scale: { domain: [0, 1] },
    axis: { format: "%" },
  };
  return {
    width: WIDTH,
    height: 110,
    title: `${title} (${panel.metric})`,
    data: { values },
    layer: [
      { mark: { type: "line" as const, color: "#17becf" }, encoding: { x, y } },
      {
        mark: { type: "point" as const, filled: true, size: 30, color: "#17becf" },
        encoding: {
          x,
          y,
          tooltip: [{ field: "t", title: "time (s)", format: ".3f" }, {
            field: "v",
            title: "ratio",
            format: ".3f",
          }],
        },
      },
      ...windowLayers(window),
    ],
  };
}

/** The server panels under the timeline: the ones the scraped metrics have points for. */
function serverViews(
  server: ServerSummary | undefined,
  conc: ReturnType<typeof concurrencyRows>,
  window: Window,
): unknown[] {
  const panels = server?.panels ?? [];
  if (!panels.some((p) => p.points.length > 0)) return [];
  const views: unknown[] = [];
  if (panels.some((p) => (p.panel === "running" || p.panel === "waiting") && p.points.length)) {
    views.push(serverLoadView(panels, conc, window));
  }
  const ratios: Array<[PanelSeries["panel"], string]> = [
    ["kv_usage", "Server: KV-cache usage"],
    ["prefix_hit_rate", "Server: prefix-cache hit rate per scrape interval"],
    ["spec_accept_rate", "Server: speculative-decoding acceptance per scrape interval"],
  ];
  for (const [key, title] of ratios) {
    const p = panels.find((x) => x.panel === key);
    if (p && p.points.length) views.push(serverRatioView(p, title, window));
  }
  return views;
}

/** The timeline over the concurrency curve (and the server's panels), x zoom and pan linked. */
function timelineSpec(
  rows: TimelineRow[],
  conc: ReturnType<typeof concurrencyRows>,
  options: {
    window: Window;
    cap?: number;
    server?: ServerSummary | undefined;
    categories: readonly string[];
  },
): TopLevelSpec {
  const { window } = options;
  // The server's scrapes may start before the first request: that time is shaded as preparation.
  let from = Infinity;
  for (const p of options.server?.panels ?? []) {
    for (const pt of p.points) from = Math.min(from, pt.t_ms / 1000);
  }
  const first = conc.rows[0]?.t;
  const prep = first !== undefined && from < first ? { from: r3(from), to: first } : undefined;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    vconcat: [
      requestsView(rows, window, { width: WIDTH, prep, categories: options.categories }),
      {
        width: WIDTH,
        height: 140,
        title: conc.binned
          ? "Concurrency (min–max per time bin; dashed: the cap)"
          : "Concurrency (requests in flight; dashed: the cap)",
        data: { values: conc.rows },
        layer: [
          ...concurrencyLayers(conc, options.cap),
          ...windowLayers(window),
          ...preparationLayers(prep),
        ],
      },
      ...serverViews(options.server, conc, window),
    ],
    resolve: { scale: { x: "shared", color: "independent" } },
  } as TopLevelSpec;
}

/** A histogram with its P50 and P99 (and the SLO target, when there is one) as rules. */
function histogramSpec(
  label: string,
  bins: ReturnType<typeof histogram>,
  marks: { p50: number; p99: number; slo?: number | undefined },
): TopLevelSpec {
  const rules = [
    { v: r3(marks.p50), name: "P50" },
    { v: r3(marks.p99), name: "P99" },
    ...(marks.slo !== undefined ? [{ v: marks.slo, name: "SLO target" }] : []),
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 300,
    height: 160,
    title: `${label} distribution`,
    layer: [
      {
        data: { values: bins },
        mark: { type: "rect", color: COLORS.decode },
        encoding: {
          x: { field: "b0", type: "quantitative", title: label, bin: { binned: true } },
          x2: { field: "b1" },
          y: {
            field: "count",
            type: "quantitative",
            title: "requests",
            axis: { tickMinStep: 1, format: "d" },
          },
          tooltip: [
            { field: "b0", type: "quantitative", title: "from", format: ".1f" },
            { field: "b1", type: "quantitative", title: "to", format: ".1f" },
            { field: "count", type: "quantitative", title: "count" },
          ],
        },
      },
      {
        data: { values: rules },
        mark: { type: "rule", strokeWidth: 2, strokeDash: [4, 3] },
        encoding: {
          x: { field: "v", type: "quantitative" },
          color: {
            field: "name",
            type: "nominal",
            title: null,
            scale: {
              domain: rules.map((r) => r.name),
              range: ["#2c3e50", "#d62728", "#2ca02c"].slice(0, rules.length),
            },
          },
          tooltip: [{ field: "name", type: "nominal", title: "marker" }, {
            field: "v",
            type: "quantitative",
            title: "value",
            format: ".1f",
          }],
        },
      },
    ],
  } as TopLevelSpec;
}

function metricsTable(summary: TaskSummary): string {
  const rows = commonRows(summary).map((c) =>
    `<tr><td>${escapeHtml(c.label)}</td><td>${
      escapeHtml(humanValue(summary.common[c.key], c.unit))
    }</td></tr>`
  ).join("");
  return `<table class="metrics" id="common-metrics"><tr><th>Common metric (${
    escapeHtml(summary.stage)
  })</th><th>Value</th></tr>${rows}</table>`;
}

/** The metrics by turn of a task's conversations (sessions), or "" without turns. */
function turnTable(summary: TaskSummary): string {
  if (!summary.turns) return "";
  const head = TURN_HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const rows = turnRows(summary.turns).map((r) =>
    `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}</tr>`
  ).join("");
  return `<table class="metrics"><tr>${head}</tr>${rows}</table>`;
}

/** A statistic's key as a column title: `p99` → `P99`, `mean` → `Mean`. */
function statTitle(key: string): string {
  return /^p\d/.test(key) ? key.toUpperCase() : key[0]!.toUpperCase() + key.slice(1);
}

function percentileTable(json: TaskResultJson): string {
  const keys = Object.keys(Object.values(json.metrics)[0] ?? {}).filter((k) => k !== "n");
  const head = `<tr><th>Metric</th>${
    keys.map((k) => `<th>${escapeHtml(statTitle(k))}</th>`).join("")
  }<th>Requests</th></tr>`;
  const body = Object.entries(json.metrics).map(([name, v]) => {
    return `<tr><td>${escapeHtml(metricLabel(name))}</td>${
      keys.map((k) => `<td>${escapeHtml(humanValue(v[k], ""))}</td>`).join("")
    }<td>${v.n ?? 0}</td></tr>`;
  }).join("");
  return `<table class="metrics" id="metric-stats">${head}${body}</table>`;
}

const fmtMs = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(2);

/** The server-side vs client-side latency table, with its method; empty without server histograms. */
function serverLatencyTable(json: TaskResultJson): string {
  if (!json.server) return "";
  const rows = compareLatency(json.server, json.metrics);
  if (rows.length === 0) return "";
  const cols = ["mean", "p50", "p90", "p99"] as const;
  const head = `<tr><th>Latency (ms)</th><th>side</th>${
    cols.map((c) => `<th>${c}</th>`).join("")
  }<th>client − server mean</th></tr>`;
  const body = rows.map((r) =>
    `<tr><td>${escapeHtml(r.client_metric)}</td><td>client</td>${
      cols.map((c) => `<td>${fmtMs(r.client_ms[c])}</td>`).join("")
    }<td rowspan="2">${fmtMs(r.mean_difference_ms)}</td></tr><tr><td>${
      escapeHtml(r.server_metric)
    }${r.note ? ` <small>(${escapeHtml(r.note)})</small>` : ""}</td><td>server</td>${
      cols.map((c) => `<td>${fmtMs(r.server_ms[c])}</td>`).join("")
    }</tr>`
  ).join("");
  return `<h2>Server-side vs client-side latency</h2><table class="metrics" id="server-latency">${head}${body}</table><div class="meta">Method: ${
    escapeHtml(LATENCY_COMPARISON_METHOD)
  }.</div>`;
}

/** The server block's headline numbers, one line. */
function serverLine(json: TaskResultJson): string {
  return json.server
    ? `<div class="meta">${escapeHtml(describeServerBlock(json.server))}</div>`
    : "";
}

/** What a task's page shows besides its identity. */
export interface TaskPageInput {
  /** Every request's facts. */
  facts: readonly RequestFacts[];
  /** Times on the page are seconds since this. */
  anchorMs: number;
  summary?: TaskSummary;
  json?: TaskResultJson;
  /** Why there is no summary. */
  error?: string;
  warnings?: readonly string[];
  /** The server's metrics over the task window, when scraped (panels under the timeline). */
  server?: ServerSummary;
  /** Which token counts the over-time views use (the report's setting). */
  tokenCount?: TokenCountMode;
}

/** The notes above the timeline: what is aggregated, the stable window, preparation. */
function timelineNotes(
  records: readonly RequestFacts[],
  anchorMs: number,
  shown: { perBin: number; binned: boolean; zoomable: boolean; window: Window },
): string[] {
  const notes: string[] = [];
  if (shown.perBin > 1) {
    notes.push(
      `The timeline is aggregated: each bar is a bin of ${shown.perBin} consecutive requests (${records.length} in all), spanning their earliest start to latest end; TTFT and E2EL in tooltips are bin means; bins with some failures are drawn as partly failed. ${
        shown.zoomable
          ? "Zoom in and the bars re-bin to the requests in view, down to single requests."
          : "Exact values are in the JSON and CSV."
      }`,
    );
  }
  if (shown.binned) {
    notes.push(
      "The concurrency curve is aggregated: each time bin shows the exact minimum and maximum requests in flight within it.",
    );
  }
  if (shown.window) {
    notes.push(
      `The shaded band is the stable stage: ${shown.window.open} s to ${shown.window.close} s.`,
    );
  }
  let first = Infinity;
  for (const f of records) first = Math.min(first, f.startMs);
  if (Number.isFinite(first) && first - anchorMs >= 1) {
    notes.push(
      `The first request was sent ${
        ((first - anchorMs) / 1000).toFixed(2)
      } s after the task started (preparation): the time axes start there, or where the server's scrapes began, that time shaded.`,
    );
  }
  return notes;
}

/** The failure categories of the requests, most frequent first. */
function failureCategories(records: readonly RequestFacts[]): string[] {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.error) counts.set(r.error.category, (counts.get(r.error.category) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([c]) => c);
}

/** The histograms of the metric table's `histogram` view, with P50/P99 and SLO markers. */
function histogramCharts(
  s: TaskSummary,
  slo: Readonly<Record<string, number>> | undefined,
): Chart[] {
  const charts: Chart[] = [];
  for (const m of metricsIn("histogram")) {
    const sample = s.samples[m.key];
    const h = sample ? histogram(sample) : [];
    if (!sample || !h.length) continue;
    charts.push({
      id: `hist-${m.name}`,
      spec: histogramSpec(metricLabel(m.key), h, {
        p50: sample.percentile(50),
        p99: sample.percentile(99),
        slo: slo?.[m.key],
      }),
    });
  }
  return charts;
}

/** The page of one task: the verdict, then the charts, then the tables (collapsed). */
export function taskPage(identity: TaskIdentity, result: TaskPageInput): string {
  const { facts: records, anchorMs, json } = result;
  const title = `servebench — ${identity.model_abbr} × ${identity.output_name}`;
  const load = Object.entries(identity.load).map(([k, v]) => `${k} ${v}`).join(", ");
  const { rows, perBin } = timelineRows(records, anchorMs);
  const conc = concurrencyRows(records, anchorMs);
  const zoom = zoomData(records, anchorMs);
  const window = json?.stable_window_ms
    ? { open: r3(json.stable_window_ms.open / 1000), close: r3(json.stable_window_ms.close / 1000) }
    : undefined;
  const notes = timelineNotes(records, anchorMs, {
    perBin,
    binned: conc.binned,
    zoomable: zoom !== undefined,
    window,
  });
  if (result.error) notes.unshift(`No summary: ${result.error}`);
  // A lag judged harmless is a plain note; a harmful one is among the warnings.
  if (result.json?.client_lag?.level === "info") notes.push(result.json.client_lag.text);
  for (const n of result.server?.notes ?? []) notes.push(n);
  const slo = json?.goodput?.slo;
  const charts: Chart[] = [{
    id: "timeline",
    fit: WIDTH,
    spec: timelineSpec(rows, conc, {
      window,
      cap: identity.max_concurrency,
      server: result.server,
      categories: failureCategories(records),
    }),
  }];
  const tokenCount = result.tokenCount;
  const overTime = overTimeRows(records, anchorMs, tokenCount);
  const latency = latencyOverTimeSpec(overTime, { width: WIDTH, ...(slo ? { slo } : {}) });
  if (latency) {
    charts.push({
      id: "over-time",
      fit: WIDTH,
      spec: latency,
      renderer: overTime.points.length > CANVAS_MARKS ? "canvas" : "svg",
    });
  }
  const rates = ratesSpec(rateRows(records, anchorMs, tokenCount), { width: WIDTH });
  if (rates) charts.push({ id: "rates", fit: WIDTH, spec: rates });
  const s = result.summary;
  const hists = s ? histogramCharts(s, slo) : [];
  charts.push(...hists);
  const verdict = json
    ? taskVerdictHtml(taskVerdict(json, s?.samples), json) + errorBanner(json)
    : "";
  const tables = [
    s ? metricsTable(s) : "",
    s ? turnTable(s) : "",
    json ? percentileTable(json) : "",
    json ? serverLine(json) + serverLatencyTable(json) : "",
  ].join("\n");
  const body = `<h1>${escapeHtml(title)}</h1>
<div class="meta">model <b>${escapeHtml(identity.model)}</b> (${escapeHtml(identity.api)}, ${
    identity.stream ? "streaming" : "non-streaming"
  }) · dataset <b>${escapeHtml(identity.dataset)}</b> · load ${escapeHtml(load)}${
    json
      ? ` · summarizer ${escapeHtml(json.task.summarizer)} · generated ${
        escapeHtml(json.generated_at)
      }`
      : ""
  }</div>
${verdict}
${(result.warnings ?? []).map((w) => `<div class="note warn">${escapeHtml(w)}</div>`).join("\n")}
<h2>Timeline and concurrency</h2><div class="meta">Drag or scroll on the timeline to zoom and pan; the concurrency follows. Hover a bar for its request. Export from the ⋯ menu.</div>
${notes.map((n) => `<div class="note">${escapeHtml(n)}</div>`).join("\n")}
${chartDiv("timeline")}
${
    latency || rates
      ? `<h2>Over time</h2><div class="meta">Each successful request's latency at its send time, with P50 and P99 over a rolling window of consecutive requests; completions per second.</div>${
        latency ? chartDiv("over-time") : ""
      }${rates ? chartDiv("rates") : ""}`
      : ""
  }
${
    hists.length
      ? `<h2>Distributions</h2><div class="grid">${hists.map((c) => chartDiv(c.id)).join("")}</div>`
      : ""
  }
${json ? failuresHtml(json) : ""}
${
    s || json
      ? `<details id="tables"><summary>Tables: common metrics and statistics</summary>${tables}</details>`
      : ""
  }
${zoomDataHtml(zoom)}`;
  return htmlPage(title, body, charts, zoom ? ZOOM_SCRIPT : "");
}
