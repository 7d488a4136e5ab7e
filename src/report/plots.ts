/**
 * The HTML reports' charts: data shaped in the tool (exact below a size,
 * aggregated above it, always saying so) and Vega-Lite specs compiled to Vega.
 *
 * Task page: a request timeline (a bar per request, TTFT red, decode blue,
 * failed orange) over the concurrency (a green step line), x zoom and pan
 * linked; under them, when the server's metrics were scraped, its running and
 * waiting requests against the client's in-flight count, its KV-cache usage
 * and prefix-cache hit rate on the same time axis; histograms of TTFT, ITL
 * and E2EL; the stable window shaded.
 * Run page: headline metrics across model × dataset cells, and for sweeps a
 * throughput-vs-latency curve per model.
 *
 * @module
 */

import { compile, type TopLevelSpec } from "vega-lite";
import type { TaskIdentity } from "../config/plan.ts";
import { metricsIn } from "../metrics/metric_table.ts";
import type { Distribution } from "../metrics/stats.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import type { RequestFacts } from "../record/record.ts";
import { type Chart, escapeHtml, htmlPage } from "./html.ts";
import { commonRows, formatValue, TURN_HEADER, turnRows } from "./table.ts";
import type { TaskResultJson } from "./result_json.ts";
import {
  compareLatency,
  describeServerBlock,
  LATENCY_COMPARISON_METHOD,
  type PanelSeries,
  type ServerSummary,
} from "../server_metrics/mod.ts";

/** Above this many requests the timeline shows bins of consecutive requests. */
export const TIMELINE_EXACT_MAX = 5_000;
/** Bars of an aggregated timeline. */
export const TIMELINE_BINS = 2_000;
/** Above this many concurrency changes the curve is a min–max envelope per time bin. */
export const CONCURRENCY_EXACT_MAX = 20_000;
const CONCURRENCY_BINS = 2_000;
const HIST_BINS = 40;

const COLORS = { ttft: "#d62728", decode: "#1f77b4", failed: "#ff7f0e", concurrency: "#2ca02c" };
const PHASES = ["TTFT", "decode", "failed"];
const WIDTH = 900;

const r3 = (x: number) => Math.round(x * 1000) / 1000;

interface TimelineRow {
  i: number;
  i2: number;
  s: number;
  f: number | null;
  e: number;
  ok: boolean;
  n: number;
  tt: number | null;
  dc: number | null;
  el: number;
  in: number | null;
  out: number | null;
  st: string;
}

function status(r: RequestFacts): string {
  if (!r.error) return r.warmup ? "ok (warm-up)" : "ok";
  const s = r.error.status !== undefined ? ` ${r.error.status}` : "";
  return `${r.error.category}${s}: ${r.error.message}${r.chunks ? " (partial timings)" : ""}`;
}

/** Timeline rows: one per request, or per bin of consecutive requests above TIMELINE_EXACT_MAX. */
export function timelineRows(
  records: readonly RequestFacts[],
  anchorMs: number,
): { rows: TimelineRow[]; perBin: number } {
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const sec = (ms: number) => r3((ms - anchorMs) / 1000);
  const row = (r: RequestFacts): TimelineRow => {
    const f = r.firstChunkMs;
    return {
      i: r.index + 1,
      i2: r.index + 1,
      s: sec(r.startMs),
      f: f !== undefined ? sec(f) : null,
      e: sec(r.endMs),
      ok: !r.error,
      n: 1,
      tt: f !== undefined ? r3(f - r.startMs) : null,
      dc: f !== undefined ? r3(r.endMs - f) : null,
      el: r3(r.endMs - r.startMs),
      in: r.usage?.promptTokens ?? r.inputTokens ?? null,
      out: r.usage?.completionTokens ?? r.tokenizerOutputTokens ?? (r.chunks || null),
      st: status(r),
    };
  };
  if (sorted.length <= TIMELINE_EXACT_MAX) return { rows: sorted.map(row), perBin: 1 };
  const perBin = Math.ceil(sorted.length / TIMELINE_BINS);
  const rows: TimelineRow[] = [];
  for (let b = 0; b < sorted.length; b += perBin) {
    const group = sorted.slice(b, b + perBin);
    let s = Infinity,
      e = -Infinity,
      fSum = 0,
      fN = 0,
      ttSum = 0,
      elSum = 0,
      failed = 0,
      inSum = 0,
      outSum = 0;
    for (const r of group) {
      s = Math.min(s, r.startMs);
      e = Math.max(e, r.endMs);
      elSum += r.endMs - r.startMs;
      if (r.error) failed++;
      const f = r.firstChunkMs;
      if (f !== undefined) {
        fSum += f;
        ttSum += f - r.startMs;
        fN++;
      }
      inSum += r.usage?.promptTokens ?? r.inputTokens ?? 0;
      outSum += r.usage?.completionTokens ?? r.chunks;
    }
    rows.push({
      i: group[0]!.index + 1,
      i2: group[group.length - 1]!.index + 1,
      s: sec(s),
      f: fN ? sec(fSum / fN) : null,
      e: sec(e),
      ok: failed === 0,
      n: group.length,
      tt: fN ? r3(ttSum / fN) : null,
      dc: null,
      el: r3(elSum / group.length),
      in: Math.round(inSum / group.length),
      out: Math.round(outSum / group.length),
      st: failed ? `${failed} of ${group.length} failed` : `${group.length} ok`,
    });
  }
  return { rows, perBin };
}

/** The concurrency step curve: exact points, or a min–max envelope per time bin above CONCURRENCY_EXACT_MAX changes. */
export function concurrencyRows(
  records: readonly RequestFacts[],
  anchorMs: number,
): {
  rows: Array<{ t: number; c: number } | { t: number; t2: number; lo: number; hi: number }>;
  binned: boolean;
} {
  // The changes are walked in time order (an end before a start at the same instant) from two
  // sorted typed arrays, never held as objects: 2n point objects were the biggest transient of
  // a report at 100,000 requests, enough to break a 64 MB heap (#23).
  const n = records.length;
  const starts = Float64Array.from(records, (r) => r.startMs).sort();
  const ends = Float64Array.from(records, (r) => r.endMs).sort();
  const visit = (f: (t: number, c: number) => void) => {
    f(0, 0);
    let c = 0;
    for (let i = 0, j = 0; i < n || j < n;) {
      const end = j < n && (i >= n || ends[j]! <= starts[i]!);
      c += end ? -1 : 1;
      f(((end ? ends[j++]! : starts[i++]!) - anchorMs) / 1000, c);
    }
  };
  if (2 * n + 1 <= CONCURRENCY_EXACT_MAX) {
    const rows: Array<{ t: number; c: number }> = [];
    visit((t, c) => rows.push({ t: r3(t), c }));
    return { rows, binned: false };
  }
  const t0 = 0;
  const span = (Math.max(starts[n - 1]!, ends[n - 1]!) - anchorMs) / 1000 - t0 || 1;
  const bins = Array.from({ length: CONCURRENCY_BINS }, (_, b) => ({
    t: r3(t0 + (b * span) / CONCURRENCY_BINS),
    t2: r3(t0 + ((b + 1) * span) / CONCURRENCY_BINS),
    lo: Infinity,
    hi: -Infinity,
  }));
  let prev = 0;
  visit((t, c) => {
    const b = Math.min(CONCURRENCY_BINS - 1, Math.floor(((t - t0) / span) * CONCURRENCY_BINS));
    const bin = bins[b]!;
    bin.lo = Math.min(bin.lo, c, prev);
    bin.hi = Math.max(bin.hi, c, prev);
    prev = c;
  });
  // A bin with no change holds the level it inherited.
  let level = 0;
  for (const bin of bins) {
    if (bin.lo === Infinity) bin.lo = bin.hi = level;
    level = bin.hi === -Infinity ? level : bin.hi;
  }
  return { rows: bins, binned: true };
}

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

function toVega(spec: TopLevelSpec): unknown {
  return compile(spec).spec;
}

/** What hovering a request's bar shows. */
const TOOLTIP = [
  { field: "i", type: "quantitative" as const, title: "request" },
  { field: "i2", type: "quantitative" as const, title: "to request" },
  { field: "s", type: "quantitative" as const, title: "start (s)", format: ".3f" },
  { field: "tt", type: "quantitative" as const, title: "TTFT (ms)", format: ".1f" },
  { field: "dc", type: "quantitative" as const, title: "decode (ms)", format: ".1f" },
  { field: "el", type: "quantitative" as const, title: "E2EL (ms)", format: ".1f" },
  { field: "in", type: "quantitative" as const, title: "input tokens" },
  { field: "out", type: "quantitative" as const, title: "output tokens" },
  { field: "st", type: "nominal" as const, title: "status" },
];

type Window = { open: number; close: number } | undefined;

/** The stable window as a shaded band, when there is one. */
function windowLayers(window: Window) {
  return window
    ? [{
      data: { values: [window] },
      mark: { type: "rect" as const, color: "#888", opacity: 0.15 },
      encoding: { x: { field: "open", type: "quantitative" as const }, x2: { field: "close" } },
    }]
    : [];
}

/** One phase of the requests' bars (TTFT, decode or failed) from field `x` to `x2`. */
function phaseBar(n: number, bar: { phase: string; filter: string; x: string; x2: string }) {
  return {
    transform: [{ filter: bar.filter }, { calculate: `'${bar.phase}'`, as: "phase" }],
    mark: { type: "rect" as const },
    encoding: {
      x: { field: bar.x, type: "quantitative" as const, title: "seconds since the task started" },
      x2: { field: bar.x2 },
      y: {
        field: "y0",
        type: "quantitative" as const,
        title: "request",
        scale: { domain: [0.5, n + 0.5], nice: false },
      },
      y2: { field: "y1" },
      color: {
        field: "phase",
        type: "nominal" as const,
        title: null,
        scale: { domain: PHASES, range: [COLORS.ttft, COLORS.decode, COLORS.failed] },
      },
      tooltip: TOOLTIP,
    },
  };
}

/** The requests' bars: TTFT, decode, failed, a marker per failure, and the stable window. */
function requestsView(rows: TimelineRow[], window: Window) {
  const n = rows.length ? rows[rows.length - 1]!.i2 : 1;
  return {
    width: WIDTH,
    height: Math.min(600, Math.max(160, rows.length * 3)),
    title: "Requests (bars: TTFT red, decode blue, failed orange)",
    data: { values: rows },
    transform: [{ calculate: "datum.i - 0.45", as: "y0" }, {
      calculate: "datum.i2 + 0.45",
      as: "y1",
    }],
    layer: [
      {
        ...phaseBar(n, { phase: "TTFT", filter: "datum.ok && datum.f != null", x: "s", x2: "f" }),
        params: [{
          name: "zoom",
          select: { type: "interval", encodings: ["x"] },
          bind: "scales",
        }],
      },
      phaseBar(n, { phase: "decode", filter: "datum.ok && datum.f != null", x: "f", x2: "e" }),
      phaseBar(n, { phase: "decode", filter: "datum.ok && datum.f == null", x: "s", x2: "e" }),
      phaseBar(n, { phase: "failed", filter: "!datum.ok", x: "s", x2: "e" }),
      {
        // A failure that answered at once has no width: a marker keeps it visible and hoverable.
        transform: [{ filter: "!datum.ok" }, { calculate: "'failed'", as: "phase" }],
        mark: { type: "point" as const, shape: "diamond", filled: true, size: 60, opacity: 1 },
        encoding: {
          x: { field: "s", type: "quantitative" as const },
          y: { field: "i", type: "quantitative" as const },
          color: { field: "phase", type: "nominal" as const, title: null },
          tooltip: TOOLTIP,
        },
      },
      ...windowLayers(window),
    ],
  };
}

/** The concurrency curve: an exact step line, or a min–max band per time bin. */
function concurrencyLayers(conc: ReturnType<typeof concurrencyRows>) {
  const step = {
    type: "line" as const,
    color: COLORS.concurrency,
    interpolate: "step-after" as const,
  };
  if (!conc.binned) {
    return [{
      mark: step,
      encoding: {
        x: { field: "t", type: "quantitative" as const, title: "seconds since the task started" },
        y: { field: "c", type: "quantitative" as const, title: "in flight" },
        tooltip: [{ field: "t", title: "time (s)", format: ".3f" }, {
          field: "c",
          title: "in flight",
        }],
      },
    }];
  }
  return [{
    mark: { type: "area" as const, color: COLORS.concurrency, opacity: 0.5 },
    encoding: {
      x: { field: "t", type: "quantitative" as const, title: "seconds since the task started" },
      x2: { field: "t2" },
      y: { field: "lo", type: "quantitative" as const, title: "in flight" },
      y2: { field: "hi" },
    },
  }, {
    mark: step,
    encoding: {
      x: { field: "t", type: "quantitative" as const },
      y: { field: "hi", type: "quantitative" as const },
      tooltip: [{ field: "t", title: "from (s)" }, { field: "t2", title: "to (s)" }, {
        field: "lo",
        title: "min in flight",
      }, {
        field: "hi",
        title: "max in flight",
      }],
    },
  }];
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
  const x = { field: "t", type: "quantitative" as const, title: "seconds since the task started" };
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
  const x = { field: "t", type: "quantitative" as const, title: "seconds since the task started" };
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
  window: Window,
  server?: ServerSummary,
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    vconcat: [
      requestsView(rows, window),
      {
        width: WIDTH,
        height: 140,
        title: conc.binned
          ? "Concurrency (min–max per time bin)"
          : "Concurrency (requests in flight)",
        data: { values: conc.rows },
        layer: [...concurrencyLayers(conc), ...windowLayers(window)],
      },
      ...serverViews(server, conc, window),
    ],
    resolve: { scale: { x: "shared", color: "independent" } },
  } as TopLevelSpec;
}

function histogramSpec(title: string, bins: ReturnType<typeof histogram>): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 280,
    height: 160,
    title,
    data: { values: bins },
    mark: { type: "rect", color: COLORS.decode },
    encoding: {
      x: { field: "b0", type: "quantitative", title: "ms", bin: { binned: true } },
      x2: { field: "b1" },
      y: { field: "count", type: "quantitative", title: "count" },
      tooltip: [{ field: "b0", title: "from (ms)" }, { field: "b1", title: "to (ms)" }, {
        field: "count",
        title: "count",
      }],
    },
  } as TopLevelSpec;
}

function metricsTable(summary: TaskSummary): string {
  const rows = commonRows(summary).map((c) =>
    `<tr><td>${escapeHtml(c.label)}</td><td>${
      escapeHtml(formatValue(summary.common[c.key], c.unit))
    }</td></tr>`
  ).join("");
  return `<table class="metrics"><tr><th>Common metric (${
    escapeHtml(summary.stage)
  })</th><th>Value</th></tr>${rows}</table>`;
}

function turnTable(summary: TaskSummary): string {
  if (!summary.turns) return "";
  const head = TURN_HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const rows = turnRows(summary.turns).map((r) =>
    `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}</tr>`
  ).join("");
  return `<table class="metrics"><tr>${head}</tr>${rows}</table>`;
}

function percentileTable(json: TaskResultJson): string {
  const keys = Object.keys(Object.values(json.metrics)[0] ?? {}).filter((k) => k !== "n");
  const head = `<tr><th>Metric</th>${
    keys.map((k) => `<th>${escapeHtml(k)}</th>`).join("")
  }<th>n</th></tr>`;
  const body = Object.entries(json.metrics).map(([name, v]) =>
    `<tr><td>${escapeHtml(name)}</td>${
      keys.map((k) => `<td>${v[k] === undefined ? "-" : escapeHtml(v[k]!.toFixed(2))}</td>`).join(
        "",
      )
    }<td>${v.n}</td></tr>`
  ).join("");
  return `<table class="metrics">${head}${body}</table>`;
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
}

/** The page of one task. */
export function taskPage(identity: TaskIdentity, result: TaskPageInput): string {
  const { facts: records, anchorMs } = result;
  const title = `servebench — ${identity.model_abbr} × ${identity.output_name}`;
  const load = Object.entries(identity.load).map(([k, v]) => `${k} ${v}`).join(", ");
  const notes: string[] = [];
  const { rows, perBin } = timelineRows(records, anchorMs);
  const conc = concurrencyRows(records, anchorMs);
  if (perBin > 1) {
    notes.push(
      `The timeline is aggregated: each bar is a bin of ${perBin} consecutive requests (${records.length} in all), spanning their earliest start to latest end; TTFT and E2EL in tooltips are bin means. Exact values are in the JSON and CSV.`,
    );
  }
  if (conc.binned) {
    notes.push(
      "The concurrency curve is aggregated: each time bin shows the exact minimum and maximum requests in flight within it.",
    );
  }
  if (result.error) notes.push(`No summary: ${result.error}`);
  // A lag judged harmless is a plain note; a harmful one is among the warnings.
  if (result.json?.client_lag?.level === "info") notes.push(result.json.client_lag.text);
  const window = result.json?.stable_window_ms
    ? {
      open: r3(result.json.stable_window_ms.open / 1000),
      close: r3(result.json.stable_window_ms.close / 1000),
    }
    : undefined;
  if (window) {
    notes.push(`The shaded band is the stable stage: ${window.open} s to ${window.close} s.`);
  }
  for (const n of result.server?.notes ?? []) notes.push(n);
  const charts: Chart[] = [{
    id: "timeline",
    spec: toVega(timelineSpec(rows, conc, window, result.server)),
  }];
  const s = result.summary;
  if (s) {
    for (const m of metricsIn("histogram")) {
      const sample = s.samples[m.key];
      const h = sample ? histogram(sample) : [];
      if (h.length) {
        charts.push({
          id: `hist-${m.name}`,
          spec: toVega(histogramSpec(`${m.label} distribution`, h)),
        });
      }
    }
  }
  const errors = result.json && Object.keys(result.json.errors).length
    ? `<table class="metrics"><tr><th>Failure</th><th>Requests</th></tr>${
      Object.entries(result.json.errors).map(([k, v]) =>
        `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`
      ).join("")
    }</table>`
    : "";
  const body = `<h1>${escapeHtml(title)}</h1>
<div class="meta">model <b>${escapeHtml(identity.model)}</b> (${escapeHtml(identity.api)}, ${
    identity.stream ? "streaming" : "non-streaming"
  }) · dataset <b>${escapeHtml(identity.dataset)}</b> · load ${escapeHtml(load)}${
    result.json
      ? ` · summarizer ${escapeHtml(result.json.task.summarizer)} · generated ${
        escapeHtml(result.json.generated_at)
      }`
      : ""
  }</div>
${notes.map((n) => `<div class="note">${escapeHtml(n)}</div>`).join("\n")}
${(result.warnings ?? []).map((w) => `<div class="note warn">${escapeHtml(w)}</div>`).join("\n")}
${s ? metricsTable(s) : ""}
${s ? turnTable(s) : ""}
${result.json ? percentileTable(result.json) : ""}
${errors}
${result.json ? serverLine(result.json) + serverLatencyTable(result.json) : ""}
<h2>Timeline and concurrency</h2><div class="meta">Drag or scroll on the timeline to zoom and pan; the concurrency follows. Hover a bar for its request. Export from the ⋯ menu.</div>`;
  return htmlPage(title, body, charts);
}

/** A task's row of the run page: identity, load and headline numbers (null where absent). */
function summaryPageRows(tasks: readonly TaskResultJson[]) {
  return tasks.map((t, order) => ({
    order,
    model: t.task.model_abbr,
    dataset: t.task.dataset,
    cell: `${t.task.dataset} · ${t.task.output_name}`,
    task: `${t.task.model_abbr}/${t.task.output_name}`,
    load: String(
      t.task.load.kind === "concurrency"
        ? `c=${t.task.load.concurrency}`
        : t.task.load.kind === "rate"
        ? `${t.task.load.rate} req/s`
        : t.task.load.kind,
    ),
    "TTFT mean (ms)": t.metrics.ttft_ms?.mean ?? null,
    "TTFT P99 (ms)": t.metrics.ttft_ms?.p99 ?? null,
    "TPOT mean (ms)": t.metrics.tpot_ms?.mean ?? null,
    "TPOT P99 (ms)": t.metrics.tpot_ms?.p99 ?? null,
    "ITL mean (ms)": t.metrics.itl_ms?.mean ?? null,
    "E2EL mean (ms)": t.metrics.e2el_ms?.mean ?? null,
    "Output tok/s": t.common.output_token_throughput_tps,
    "Requests/s": t.common.request_throughput_rps,
  }));
}

type SummaryPageRow = ReturnType<typeof summaryPageRows>[number];

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
function cellsChart(rows: SummaryPageRow[]): Chart {
  return {
    id: "cells",
    spec: toVega({
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      data: { values: rows },
      transform: [{ fold: CELL_METRICS, as: ["metric", "value"] }, {
        filter: "datum.value != null",
      }],
      facet: { row: { field: "metric", type: "nominal", title: null, sort: CELL_METRICS } },
      spec: {
        width: Math.min(900, 60 + rows.length * 40),
        height: 120,
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: {
            field: "cell",
            type: "nominal",
            title: "dataset · task",
            sort: { field: "order" },
          },
          xOffset: { field: "model", type: "nominal" },
          y: { field: "value", type: "quantitative", title: null },
          color: { field: "model", type: "nominal" },
          tooltip: [{ field: "task", type: "nominal" }, { field: "load", type: "nominal" }, {
            field: "metric",
            type: "nominal",
          }, {
            field: "value",
            type: "quantitative",
            format: ".2f",
          }],
        },
      },
      resolve: { scale: { y: "independent" } },
    } as TopLevelSpec),
  };
}

/** For sweeps: each model's throughput against tail latency across its load points. */
function kneeCharts(rows: SummaryPageRow[]): Chart[] {
  return (
    [["knee-ttft", "TTFT P99 (ms)"], ["knee-tpot", "TPOT P99 (ms)"]] as const
  ).map(([id, x]) => ({
    id,
    spec: toVega({
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: 560,
      height: 300,
      title: `Output throughput against ${x}`,
      data: { values: rows.filter((r) => r[x] !== null) },
      encoding: {
        x: { field: x, type: "quantitative" },
        y: { field: "Output tok/s", type: "quantitative" },
        color: { field: "model", type: "nominal" },
        detail: { field: "dataset", type: "nominal" },
        order: { field: "order" },
      },
      layer: [
        { mark: { type: "line", point: true, tooltip: true } },
        {
          mark: { type: "text", dx: 6, dy: -6, align: "left" },
          encoding: { text: { field: "load" } },
        },
      ],
    } as TopLevelSpec),
  }));
}

/** The run page's table: one row per task, headline P99s. */
function summaryPageTable(tasks: readonly TaskResultJson[], rows: SummaryPageRow[]): string {
  return `<table class="metrics"><tr><th>Task</th><th>Load</th><th>OK/Total</th><th>Out tok/s</th><th>TTFT P99</th><th>TPOT P99</th><th>E2EL P99</th></tr>${
    tasks.map((t) =>
      `<tr><td>${escapeHtml(`${t.task.model_abbr}/${t.task.output_name}`)}</td><td>${
        escapeHtml(
          rows.find((r) => r.task === `${t.task.model_abbr}/${t.task.output_name}`)?.load ?? "",
        )
      }</td><td>${t.common.success_requests}/${t.common.total_requests}</td><td>${
        t.common.output_token_throughput_tps.toFixed(1)
      }</td><td>${t.metrics.ttft_ms?.p99?.toFixed(1) ?? "-"}</td><td>${
        t.metrics.tpot_ms?.p99?.toFixed(1) ?? "-"
      }</td><td>${t.metrics.e2el_ms?.p99?.toFixed(1) ?? "-"}</td></tr>`
    ).join("")
  }</table>`;
}

/** The page of a run: headline metrics across cells, and throughput against latency for sweeps. */
export function summaryPage(tasks: readonly TaskResultJson[]): string {
  const rows = summaryPageRows(tasks);
  const charts: Chart[] = rows.length ? [cellsChart(rows)] : [];
  const sweep = new Set(rows.map((r) => `${r.model}|${r.dataset}`)).size < rows.length;
  if (sweep) charts.push(...kneeCharts(rows));
  const table = summaryPageTable(tasks, rows);
  const body = `<h1>servebench — run summary</h1><div class="meta">${tasks.length} task(s)${
    sweep
      ? "; the curves show each model's throughput against tail latency across its load points — the knee is where latency climbs faster than throughput"
      : ""
  }.</div>${table}`;
  return htmlPage("servebench — run summary", body, charts);
}
