/**
 * The task page's over-time views, the readable views of long and large
 * runs: TTFT, TPOT and E2EL per request against its send time with rolling
 * P50 and P99; output tokens/s, requests/s and errors per second.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import { requestMetrics, type TokenCountMode } from "../metrics/request.ts";
import type { RequestFacts } from "../record/record.ts";
import { metricLabel } from "./verdict.ts";

/** Per-request points drawn at most; above, every k-th request in send order (the page says so). */
export const OVER_TIME_POINTS_MAX = 10_000;
/** Above this many points a chart is drawn on a canvas: SVG slows down with tens of thousands of paths. */
export const CANVAS_MARKS = 3_000;
/** Rolling percentiles are over this many consecutive requests (fewer in a small run). */
const ROLLING_WINDOW = 100;
/** Rolling points kept per series. */
const ROLLING_POINTS = 400;
/** Per-second bins at most; a longer run uses wider bins. */
const RATE_BINS = 600;

const OVER_TIME_METRICS = ["ttft_ms", "tpot_ms", "e2el_ms"] as const;
type OverTimeMetric = typeof OVER_TIME_METRICS[number];

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r1 = (x: number) => Math.round(x * 10) / 10;

/** One successful measured request: its send time (s) and its latencies (ms). */
interface PointRow {
  t: number;
  i: number;
  ttft_ms?: number;
  tpot_ms?: number;
  e2el_ms?: number;
}

/**
 * Per-request points, in send order, and how many requests each point stands
 * for. The values are held in typed arrays, one per metric (NaN where a
 * request has none), and objects are made only for the points drawn: a
 * 100,000-request run reports in a 64 MB heap.
 */
export function overTimeRows(
  facts: readonly RequestFacts[],
  anchorMs: number,
  tokenCount: TokenCountMode = "server",
): { points: PointRow[]; stride: number; rolling: RollingRow[] } {
  const ok = facts.filter((f) => !f.warmup && !f.error).sort((a, b) => a.startMs - b.startMs);
  const n = ok.length;
  const t = new Float64Array(n);
  const values = Object.fromEntries(
    OVER_TIME_METRICS.map((m) => [m, new Float64Array(n).fill(NaN)]),
  ) as Record<OverTimeMetric, Float64Array>;
  for (let k = 0; k < n; k++) {
    const m = requestMetrics(ok[k]!, tokenCount);
    t[k] = r3((ok[k]!.startMs - anchorMs) / 1000);
    // Tenths of a ms: what the tooltips show, and a smaller page.
    if (m.ttftMs !== undefined) values.ttft_ms[k] = r1(m.ttftMs);
    if (m.tpotMs !== undefined) values.tpot_ms[k] = r1(m.tpotMs);
    values.e2el_ms[k] = r1(m.e2elMs);
  }
  const stride = Math.max(1, Math.ceil(n / OVER_TIME_POINTS_MAX));
  const points: PointRow[] = [];
  for (let k = 0; k < n; k += stride) {
    const row: PointRow = { t: t[k]!, i: ok[k]!.index + 1 };
    for (const m of OVER_TIME_METRICS) {
      const v = values[m][k]!;
      if (!Number.isNaN(v)) row[m] = v;
    }
    points.push(row);
  }
  return { points, stride, rolling: rollingRows(t, values) };
}

/** A rolling percentile at a send time. */
interface RollingRow {
  t: number;
  metric: OverTimeMetric;
  p50: number;
  p99: number;
}

/** P50 and P99 over the last ROLLING_WINDOW requests (in send order), at most ROLLING_POINTS per metric. */
function rollingRows(
  t: Float64Array,
  values: Record<OverTimeMetric, Float64Array>,
): RollingRow[] {
  const out: RollingRow[] = [];
  for (const metric of OVER_TIME_METRICS) {
    const all = values[metric];
    const at: number[] = [];
    for (let k = 0; k < all.length; k++) if (!Number.isNaN(all[k])) at.push(k);
    if (at.length < 2) continue;
    const w = Math.min(ROLLING_WINDOW, Math.max(2, Math.floor(at.length / 4)));
    const step = Math.max(1, Math.floor(at.length / ROLLING_POINTS));
    const window = new Float64Array(w);
    for (let k = w - 1; k < at.length; k += step) {
      for (let j = 0; j < w; j++) window[j] = all[at[k - w + 1 + j]!]!;
      const sorted = window.slice().sort();
      const q = (p: number) => sorted[Math.min(w - 1, Math.floor(p * w))]!;
      out.push({ t: t[at[k]!]!, metric, p50: r3(q(0.5)), p99: r3(q(0.99)) });
    }
  }
  return out;
}

/** Bins of 1 s; wider for long runs (at most RATE_BINS), narrower for runs under a minute (about 30). */
function binWidthS(spanS: number): number {
  if (spanS >= 60) return Math.max(1, Math.ceil(spanS / RATE_BINS));
  const raw = Math.max(spanS / 30, 0.001);
  const unit = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((k) => k * unit >= raw)! * unit;
  return Number(step.toPrecision(3));
}

/** Completions per time bin: output tokens/s, requests/s, errors/s. */
export function rateRows(
  facts: readonly RequestFacts[],
  anchorMs: number,
  tokenCount: TokenCountMode = "server",
): { rows: Array<{ t: number; t2: number; tps: number; rps: number; eps: number }>; binS: number } {
  const measured = facts.filter((f) => !f.warmup);
  if (!measured.length) return { rows: [], binS: 1 };
  let first = Infinity;
  let last = -Infinity;
  for (const f of measured) {
    first = Math.min(first, f.startMs);
    last = Math.max(last, f.endMs);
  }
  const spanS = (last - first) / 1000;
  const binS = binWidthS(spanS);
  const n = Math.max(1, Math.ceil(spanS / binS));
  const origin = (first - anchorMs) / 1000;
  const rows = Array.from({ length: n }, (_, b) => ({
    t: r3(origin + b * binS),
    t2: r3(origin + (b + 1) * binS),
    tps: 0,
    rps: 0,
    eps: 0,
  }));
  for (const f of measured) {
    const b = Math.min(n - 1, Math.floor((f.endMs - first) / 1000 / binS));
    const row = rows[b]!;
    if (f.error) row.eps += 1 / binS;
    else {
      row.rps += 1 / binS;
      row.tps += (requestMetrics(f, tokenCount).outputTokens ?? 0) / binS;
    }
  }
  for (const r of rows) {
    r.tps = r3(r.tps);
    r.rps = r3(r.rps);
    r.eps = r3(r.eps);
  }
  return { rows, binS };
}

const X = {
  field: "t",
  type: "quantitative" as const,
  title: "send time (s since the task started)",
  scale: { zero: false, nice: false },
};

/** Per-request latency against send time, one view per metric, with rolling P50/P99 and the SLO target. */
export function latencyOverTimeSpec(
  data: ReturnType<typeof overTimeRows>,
  options: { width: number; slo?: Readonly<Record<string, number>> },
): TopLevelSpec | undefined {
  const views = OVER_TIME_METRICS.filter((m) => data.points.some((p) => p[m] !== undefined))
    .map((metric) => {
      const label = metricLabel(metric);
      const target = options.slo?.[metric];
      return {
        width: options.width,
        height: 130,
        title: `${label} per request${
          data.stride > 1 ? ` (1 in ${data.stride} requests)` : ""
        }, rolling P50 and P99`,
        layer: [
          {
            data: { name: "points" },
            transform: [{ filter: `isValid(datum['${metric}'])` }],
            mark: {
              type: "point" as const,
              filled: true,
              size: 10,
              opacity: 0.45,
              color: "#7f7f7f",
            },
            encoding: {
              x: X,
              y: { field: metric, type: "quantitative" as const, title: label },
              tooltip: [
                { field: "i", type: "quantitative" as const, title: "request" },
                { field: "t", type: "quantitative" as const, title: "sent (s)", format: ".3f" },
                { field: metric, type: "quantitative" as const, title: label, format: ".1f" },
              ],
            },
          },
          ...(["p50", "p99"] as const).map((p) => ({
            data: { name: "rolling" },
            transform: [{ filter: `datum.metric == '${metric}'` }, {
              calculate: `'rolling ${p.toUpperCase()}'`,
              as: "series",
            }],
            mark: { type: "line" as const, strokeWidth: 2 },
            encoding: {
              x: X,
              y: { field: p, type: "quantitative" as const },
              color: {
                field: "series",
                type: "nominal" as const,
                title: null,
                scale: target !== undefined
                  ? {
                    domain: ["rolling P50", "rolling P99", "SLO target"],
                    range: ["#1f77b4", "#d62728", "#2ca02c"],
                  }
                  : { domain: ["rolling P50", "rolling P99"], range: ["#1f77b4", "#d62728"] },
              },
              tooltip: [
                { field: "t", type: "quantitative" as const, title: "sent (s)", format: ".3f" },
                { field: p, type: "quantitative" as const, title: `rolling ${p}`, format: ".1f" },
              ],
            },
          })),
          ...(target !== undefined
            ? [{
              data: { values: [{ v: target, series: "SLO target" }] },
              mark: { type: "rule" as const, strokeDash: [6, 4], strokeWidth: 2 },
              encoding: {
                y: { field: "v", type: "quantitative" as const },
                color: { field: "series", type: "nominal" as const },
                tooltip: [{ field: "v", type: "quantitative" as const, title: "SLO target (ms)" }],
              },
            }]
            : []),
        ],
      };
    });
  if (!views.length) return undefined;
  // Named datasets: the page holds each once, however many views draw it.
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    datasets: { points: data.points, rolling: data.rolling },
    vconcat: views,
    resolve: { scale: { x: "shared", y: "independent", color: "independent" } },
  } as TopLevelSpec;
}

/** Output tokens/s, and requests and errors per second, per time bin. */
export function ratesSpec(
  data: ReturnType<typeof rateRows>,
  options: { width: number },
): TopLevelSpec | undefined {
  if (!data.rows.length) return undefined;
  const per = data.binS !== 1 ? ` (bins of ${data.binS} s)` : "";
  const x = { ...X, title: "completion time (s since the task started)" };
  const tip = (field: string, title: string) => [
    { field: "t", type: "quantitative" as const, title: "from (s)", format: ".1f" },
    { field: "t2", type: "quantitative" as const, title: "to (s)", format: ".1f" },
    { field, type: "quantitative" as const, title, format: ".2f" },
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values: data.rows },
    vconcat: [
      {
        width: options.width,
        height: 110,
        title: `Output tokens per second${per}`,
        mark: { type: "line" as const, interpolate: "step-after" as const, color: "#1f77b4" },
        encoding: {
          x,
          y: { field: "tps", type: "quantitative" as const, title: "output tok/s" },
          tooltip: tip("tps", "output tok/s"),
        },
      },
      {
        width: options.width,
        height: 110,
        title: `Requests and errors per second${per}`,
        transform: [{ fold: ["rps", "eps"], as: ["series", "v"] }, {
          calculate: "datum.series == 'rps' ? 'completed req/s' : 'errors/s'",
          as: "series",
        }],
        mark: { type: "line" as const, interpolate: "step-after" as const },
        encoding: {
          x,
          y: { field: "v", type: "quantitative" as const, title: "per second" },
          color: {
            field: "series",
            type: "nominal" as const,
            title: null,
            scale: { domain: ["completed req/s", "errors/s"], range: ["#2ca02c", "#ff7f0e"] },
          },
          tooltip: [...tip("v", "per second"), { field: "series", type: "nominal" as const }],
        },
      },
    ],
    resolve: { scale: { x: "shared" } },
  } as TopLevelSpec;
}
