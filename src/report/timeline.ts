/**
 * The task page's request timeline: a bar per request (TTFT red, decode
 * blue, failed orange) over the concurrency (a green step line with the cap
 * as a dashed rule), x zoom and pan linked. Above TIMELINE_EXACT_MAX
 * requests the bars are bins of consecutive requests; up to ZOOM_EXACT_MAX
 * the page carries every request in compact columns and re-bins the visible
 * ones on every zoom, down to exact requests (y follows: its domain is the
 * requests shown). A bin with some failures is drawn as partly failed; the
 * failure markers are coloured by category (a bin's most frequent one).
 * Tooltips list only the fields a row has.
 *
 * @module
 */

import type { RequestFacts } from "../record/record.ts";
import { scriptJson } from "./html.ts";

/** Above this many requests the timeline shows bins of consecutive requests. */
export const TIMELINE_EXACT_MAX = 5_000;
/** Bars of an aggregated timeline. */
export const TIMELINE_BINS = 2_000;
/** Up to this many requests the page can re-bin a zoomed range down to exact requests. */
export const ZOOM_EXACT_MAX = 50_000;
/** Above this many concurrency changes the curve is a min–max envelope per time bin. */
export const CONCURRENCY_EXACT_MAX = 20_000;
const CONCURRENCY_BINS = 2_000;

/** Colours the pages share. */
export const COLORS = {
  ttft: "#d62728",
  decode: "#1f77b4",
  partly: "#fdae6b",
  failed: "#ff7f0e",
  concurrency: "#2ca02c",
};
const PHASES = ["TTFT", "decode", "partly failed", "failed"];
/** The failure markers' colours by category, the most frequent category first (orange, as failed bars). */
const FAILURE_COLORS = [
  "#ff7f0e",
  "#8c564b",
  "#e377c2",
  "#bcbd22",
  "#17becf",
  "#9467bd",
  "#7f7f7f",
];

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** A bar: one request (n 1) or a bin of consecutive ones; `fl` of them failed. */
export interface TimelineRow {
  i: number;
  i2: number;
  s: number;
  f?: number;
  e: number;
  n: number;
  fl: number;
  /** The failure category (a bin's most frequent one), when `fl` > 0. */
  cat?: string;
  /** What hovering shows: only the fields the row has, formatted. */
  tip: Record<string, string | number>;
}

function status(r: RequestFacts): string {
  if (!r.error) return r.warmup ? "ok (warm-up)" : "ok";
  const s = r.error.status !== undefined ? ` ${r.error.status}` : "";
  return `${r.error.category}${s}: ${r.error.message}${r.chunks ? " (partial timings)" : ""}`;
}

const inTokens = (r: RequestFacts) => r.usage?.promptTokens ?? r.inputTokens;
const outTokens = (r: RequestFacts) =>
  r.usage?.completionTokens ?? r.tokenizerOutputTokens ?? (r.chunks || undefined);

/** The tooltip of a bar; the page's zoom script builds the same keys (see ZOOM_SCRIPT). */
function tipOf(t: {
  i: number;
  i2: number;
  s: number;
  tt?: number;
  dc?: number;
  el: number;
  in?: number;
  out?: number;
  st: string;
}, mean: boolean): Record<string, string | number> {
  const tip: Record<string, string | number> = { request: t.i };
  if (t.i2 !== t.i) tip["to request"] = t.i2;
  tip["start (s)"] = t.s.toFixed(3);
  const m = mean ? " mean" : "";
  if (t.tt !== undefined) tip[`TTFT${m} (ms)`] = t.tt.toFixed(1);
  if (t.dc !== undefined) tip[`decode${m} (ms)`] = t.dc.toFixed(1);
  tip[`E2EL${m} (ms)`] = t.el.toFixed(1);
  if (t.in !== undefined) tip[`input tokens${m}`] = t.in;
  if (t.out !== undefined) tip[`output tokens${m}`] = t.out;
  tip.status = t.st;
  return tip;
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
    const i = r.index + 1;
    const s = sec(r.startMs);
    const out: TimelineRow = {
      i,
      i2: i,
      s,
      e: sec(r.endMs),
      n: 1,
      fl: r.error ? 1 : 0,
      tip: tipOf({
        i,
        i2: i,
        s,
        ...(f !== undefined ? { tt: f - r.startMs, dc: r.endMs - f } : {}),
        el: r.endMs - r.startMs,
        ...(inTokens(r) !== undefined ? { in: inTokens(r)! } : {}),
        ...(outTokens(r) !== undefined ? { out: outTokens(r)! } : {}),
        st: status(r),
      }, false),
    };
    if (f !== undefined) out.f = sec(f);
    if (r.error) out.cat = r.error.category;
    return out;
  };
  if (sorted.length <= TIMELINE_EXACT_MAX) return { rows: sorted.map(row), perBin: 1 };
  const perBin = Math.ceil(sorted.length / TIMELINE_BINS);
  const rows: TimelineRow[] = [];
  for (let b = 0; b < sorted.length; b += perBin) {
    const group = sorted.slice(b, b + perBin);
    const cats = new Map<string, number>();
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
      if (r.error) {
        failed++;
        cats.set(r.error.category, (cats.get(r.error.category) ?? 0) + 1);
      }
      const f = r.firstChunkMs;
      if (f !== undefined) {
        fSum += f;
        ttSum += f - r.startMs;
        fN++;
      }
      inSum += inTokens(r) ?? 0;
      outSum += outTokens(r) ?? 0;
    }
    const i = group[0]!.index + 1;
    const i2 = group[group.length - 1]!.index + 1;
    const row: TimelineRow = {
      i,
      i2,
      s: sec(s),
      e: sec(e),
      n: group.length,
      fl: failed,
      tip: tipOf({
        i,
        i2,
        s: sec(s),
        ...(fN ? { tt: ttSum / fN } : {}),
        el: elSum / group.length,
        in: Math.round(inSum / group.length),
        out: Math.round(outSum / group.length),
        st: failed ? `${failed} of ${group.length} failed` : `${group.length} ok`,
      }, true),
    };
    if (fN) row.f = sec(fSum / fN);
    if (failed) row.cat = [...cats].reduce((a, c) => (c[1] > a[1] ? c : a))[0];
    rows.push(row);
  }
  return { rows, perBin };
}

/**
 * Every request in compact columns for the page's zoom (seconds since the
 * anchor; -1 for no first chunk or no token count; `st` indexes `statuses`),
 * in index order; undefined when the timeline is exact or the run too large.
 */
export function zoomData(records: readonly RequestFacts[], anchorMs: number) {
  const n = records.length;
  if (n <= TIMELINE_EXACT_MAX || n > ZOOM_EXACT_MAX) return undefined;
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const statuses: string[] = [];
  /** The failure category of each status (empty for a success). */
  const categories: string[] = [];
  const known = new Map<string, number>();
  const sec = (ms: number) => r3((ms - anchorMs) / 1000);
  // Typed columns: a 100,000-request run reports in a 64 MB heap.
  const cols = {
    i: new Int32Array(n),
    s: new Float64Array(n),
    f: new Float64Array(n),
    e: new Float64Array(n),
    in: new Int32Array(n),
    out: new Int32Array(n),
    st: new Int32Array(n),
  };
  sorted.forEach((r, k) => {
    const text = status(r);
    let at = known.get(text);
    if (at === undefined) {
      at = statuses.push(text) - 1;
      categories.push(r.error?.category ?? "");
      known.set(text, at);
    }
    cols.i[k] = r.index + 1;
    cols.s[k] = sec(r.startMs);
    cols.f[k] = r.firstChunkMs !== undefined ? sec(r.firstChunkMs) : -1;
    cols.e[k] = sec(r.endMs);
    cols.in[k] = inTokens(r) ?? -1;
    cols.out[k] = outTokens(r) ?? -1;
    cols.st[k] = r.error ? -1 - at : at;
  });
  return { exact: TIMELINE_EXACT_MAX, bins: TIMELINE_BINS, ...cols, statuses, categories };
}

/** The zoom data's script element (empty without it); the columns joined as they are, not copied. */
export function zoomDataHtml(data: ReturnType<typeof zoomData>): string {
  if (!data) return "";
  const { statuses, categories, exact, bins, ...cols } = data;
  const columns = Object.entries(cols).map(([k, v]) => `"${k}":[${v.join(",")}]`).join(",");
  return `<script type="application/json" id="servebench-requests">{"exact":${exact},"bins":${bins},${columns},"statuses":${
    scriptJson(statuses)
  },"categories":${scriptJson(categories)}}</script>`;
}

/**
 * Runs in the page once the charts are drawn: on every zoom of the timeline
 * (debounced), the requests overlapping the visible range become its data —
 * exact up to `exact` of them, else `bins` bins of consecutive ones, built as
 * timelineRows builds them. `document.body.dataset.timelinePerBin` and
 * `timelineShown` tell what the latest redraw drew.
 */
export const ZOOM_SCRIPT = `
(function () {
  var el = document.getElementById("servebench-requests");
  var view = window.servebenchViews.timeline;
  if (!el || !view) return;
  var d = JSON.parse(el.textContent), n = d.s.length;
  function tip(t, mean) {
    var m = mean ? " mean" : "", o = { request: t.i };
    if (t.i2 !== t.i) o["to request"] = t.i2;
    o["start (s)"] = t.s.toFixed(3);
    if (t.tt !== undefined) o["TTFT" + m + " (ms)"] = t.tt.toFixed(1);
    if (t.dc !== undefined) o["decode" + m + " (ms)"] = t.dc.toFixed(1);
    o["E2EL" + m + " (ms)"] = t.el.toFixed(1);
    if (t.in !== undefined) o["input tokens" + m] = t.in;
    if (t.out !== undefined) o["output tokens" + m] = t.out;
    o.status = t.st;
    return o;
  }
  function exact(k) {
    var f = d.f[k], st = d.st[k], row = { i: d.i[k], i2: d.i[k], s: d.s[k], e: d.e[k], n: 1, fl: st < 0 ? 1 : 0 };
    if (st < 0) row.cat = d.categories[-1 - st];
    var t = { i: row.i, i2: row.i, s: row.s, el: (row.e - row.s) * 1000, st: d.statuses[st < 0 ? -1 - st : st] };
    if (f >= 0) { row.f = f; t.tt = (f - row.s) * 1000; t.dc = (row.e - f) * 1000; }
    if (d.in[k] >= 0) t.in = d.in[k];
    if (d.out[k] >= 0) t.out = d.out[k];
    row.tip = tip(t, false);
    return row;
  }
  function bin(ks) {
    var s = Infinity, e = -Infinity, fSum = 0, fN = 0, ttSum = 0, elSum = 0, failed = 0, inSum = 0, outSum = 0, cats = {};
    for (var j = 0; j < ks.length; j++) {
      var k = ks[j];
      s = Math.min(s, d.s[k]); e = Math.max(e, d.e[k]); elSum += d.e[k] - d.s[k];
      if (d.st[k] < 0) { failed++; var c = d.categories[-1 - d.st[k]]; cats[c] = (cats[c] || 0) + 1; }
      if (d.f[k] >= 0) { fSum += d.f[k]; ttSum += d.f[k] - d.s[k]; fN++; }
      inSum += Math.max(0, d.in[k]); outSum += Math.max(0, d.out[k]);
    }
    var i = d.i[ks[0]], i2 = d.i[ks[ks.length - 1]], c = ks.length;
    var row = { i: i, i2: i2, s: s, e: e, n: c, fl: failed };
    if (fN) row.f = Math.round(fSum / fN * 1000) / 1000;
    if (failed) row.cat = Object.keys(cats).reduce(function (a, b) { return cats[b] > cats[a] ? b : a; });
    var t = { i: i, i2: i2, s: s, el: elSum / c * 1000, in: Math.round(inSum / c), out: Math.round(outSum / c),
      st: failed ? failed + " of " + c + " failed" : c + " ok" };
    if (fN) t.tt = ttSum / fN * 1000;
    row.tip = tip(t, true);
    return row;
  }
  function redraw(range) {
    var x0 = range ? range[0] : -Infinity, x1 = range ? range[1] : Infinity, ks = [];
    for (var k = 0; k < n; k++) if (d.s[k] <= x1 && d.e[k] >= x0) ks.push(k);
    var per = ks.length <= d.exact ? 1 : Math.ceil(ks.length / d.bins), rows = [];
    for (var b = 0; b < ks.length; b += per) rows.push(per === 1 ? exact(ks[b]) : bin(ks.slice(b, b + per)));
    var mine = ++drawn;
    view.change("requests", vega.changeset().remove(vega.truthy).insert(rows)).runAsync().then(function () {
      if (mine !== drawn) return;
      document.body.dataset.timelinePerBin = String(per);
      document.body.dataset.timelineShown = String(ks.length);
    });
  }
  var timer, drawn = 0;
  view.addSignalListener("zoom", function (_, v) {
    clearTimeout(timer);
    timer = setTimeout(function () { redraw(v && v.s); }, 150);
  });
})();
`;

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
    // From the first request: the time before it (preparation) is no part of the curve.
    if (n) f((starts[0]! - anchorMs) / 1000, 0);
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
  const t0 = (starts[0]! - anchorMs) / 1000;
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

type Window = { open: number; close: number } | undefined;

/** The stable window as a shaded band, when there is one. */
export function windowLayers(window: Window) {
  return window
    ? [{
      data: { values: [window] },
      mark: { type: "rect" as const, color: "#888", opacity: 0.15 },
      encoding: { x: { field: "open", type: "quantitative" as const }, x2: { field: "close" } },
    }]
    : [];
}

/**
 * Preparation before the first request (when another view's data, the
 * server's scrapes, starts before it): a shaded band, so the space is not
 * empty but explained.
 */
export function preparationLayers(prep: { from: number; to: number } | undefined) {
  return prep && prep.to > prep.from
    ? [{
      data: { values: [{ ...prep, label: "preparation (before the first request)" }] },
      mark: { type: "rect" as const, color: "#9ecae1", opacity: 0.25 },
      encoding: {
        x: { field: "from", type: "quantitative" as const },
        x2: { field: "to" },
        tooltip: [{ field: "label", type: "nominal" as const, title: "phase" }],
      },
    }]
    : [];
}

/** The x axis the timeline's views share. */
export const TIME_X = {
  type: "quantitative" as const,
  title: "seconds since the task started",
  scale: { zero: false, nice: false },
};

/** One phase of the requests' bars from field `x` to `x2`. */
function phaseBar(bar: { phase: string; filter: string; x: string; x2: string }) {
  return {
    transform: [{ filter: bar.filter }, { calculate: `'${bar.phase}'`, as: "phase" }],
    mark: { type: "rect" as const, tooltip: { expr: "datum.tip" } },
    encoding: {
      x: { ...TIME_X, field: bar.x },
      x2: { field: bar.x2 },
      y: {
        field: "y0",
        type: "quantitative" as const,
        title: "request",
        scale: { zero: false, nice: false },
      },
      y2: { field: "y1" },
      color: {
        field: "phase",
        type: "nominal" as const,
        title: null,
        scale: {
          domain: PHASES,
          range: [COLORS.ttft, COLORS.decode, COLORS.partly, COLORS.failed],
        },
      },
    },
  };
}

/** The requests' bars: TTFT, decode, (partly) failed, a marker per bin with failures, the stable window. */
export function requestsView(
  rows: TimelineRow[],
  window: Window,
  options: {
    width: number;
    prep?: { from: number; to: number } | undefined;
    /** Failure categories, most frequent first: the markers' colours, in that order. */
    categories: readonly string[];
  },
) {
  const width = options.width;
  return {
    width,
    // Tall enough for the failure legend under the bars' one (76 px down, ~16 px a category).
    height: Math.min(600, Math.max(160, rows.length * 3, 100 + 16 * options.categories.length)),
    title: "Requests (bars: TTFT red, decode blue, failed orange)",
    data: { name: "requests", values: rows },
    transform: [{ calculate: "datum.i - 0.45", as: "y0" }, {
      calculate: "datum.i2 + 0.45",
      as: "y1",
    }],
    layer: [
      {
        ...phaseBar({ phase: "TTFT", filter: "datum.fl == 0 && datum.f != null", x: "s", x2: "f" }),
        params: [{
          name: "zoom",
          select: { type: "interval", encodings: ["x"] },
          bind: "scales",
        }],
      },
      phaseBar({ phase: "decode", filter: "datum.fl == 0 && datum.f != null", x: "f", x2: "e" }),
      phaseBar({ phase: "decode", filter: "datum.fl == 0 && datum.f == null", x: "s", x2: "e" }),
      phaseBar({
        phase: "partly failed",
        filter: "datum.fl > 0 && datum.fl < datum.n",
        x: "s",
        x2: "e",
      }),
      phaseBar({ phase: "failed", filter: "datum.fl > 0 && datum.fl == datum.n", x: "s", x2: "e" }),
      {
        // A failure that answered at once has no width: a marker keeps it visible and hoverable.
        transform: [{ filter: "datum.fl > 0" }, {
          calculate: "datum.fl == datum.n ? 'failed' : 'partly failed'",
          as: "phase",
        }],
        mark: {
          type: "point" as const,
          shape: "diamond",
          filled: true,
          size: 60,
          opacity: 1,
          tooltip: { expr: "datum.tip" },
        },
        encoding: {
          x: { ...TIME_X, field: "s" },
          y: { field: "i", type: "quantitative" as const },
          ...(options.categories.length
            ? {
              fill: {
                field: "cat",
                type: "nominal" as const,
                title: "failure",
                scale: { domain: [...options.categories], range: FAILURE_COLORS },
                // Under the bars' legend (four rows, about 60 px), not beside it, past the edge.
                legend: { orient: "none", legendX: { expr: "width + 18" }, legendY: 76 },
              },
            }
            : {}),
        },
      },
      ...windowLayers(window),
      ...preparationLayers(options.prep),
    ],
  };
}

/** The concurrency curve: an exact step line, or a min–max band per time bin; the cap as a dashed rule. */
export function concurrencyLayers(conc: ReturnType<typeof concurrencyRows>, cap?: number) {
  const step = {
    type: "line" as const,
    color: COLORS.concurrency,
    interpolate: "step-after" as const,
  };
  const y = {
    type: "quantitative" as const,
    title: "in flight",
    axis: { tickMinStep: 1, format: "d" },
  };
  const capRule = cap !== undefined && Number.isFinite(cap) && cap > 0
    ? [{
      data: { values: [{ cap, label: `cap ${cap}` }] },
      mark: { type: "rule" as const, color: "#555", strokeDash: [6, 4] },
      encoding: {
        y: { field: "cap", type: "quantitative" as const },
        tooltip: [{ field: "label", type: "nominal" as const, title: "concurrency cap" }],
      },
    }, {
      data: { values: [{ cap, label: `cap ${cap}` }] },
      mark: { type: "text" as const, align: "left" as const, dx: 4, dy: -6, color: "#555" },
      encoding: {
        y: { field: "cap", type: "quantitative" as const },
        x: { value: 0 },
        text: { field: "label" },
      },
    }]
    : [];
  if (!conc.binned) {
    return [{
      mark: step,
      encoding: {
        x: { ...TIME_X, field: "t" },
        y: { ...y, field: "c" },
        tooltip: [{ field: "t", title: "time (s)", format: ".3f" }, {
          field: "c",
          title: "in flight",
        }],
      },
    }, ...capRule];
  }
  return [{
    mark: { type: "area" as const, color: COLORS.concurrency, opacity: 0.5 },
    encoding: {
      x: { ...TIME_X, field: "t" },
      x2: { field: "t2" },
      y: { ...y, field: "lo" },
      y2: { field: "hi" },
    },
  }, {
    mark: step,
    encoding: {
      x: { ...TIME_X, field: "t" },
      y: { field: "hi", type: "quantitative" as const },
      tooltip: [{ field: "t", title: "from (s)" }, { field: "t2", title: "to (s)" }, {
        field: "lo",
        title: "min in flight",
      }, {
        field: "hi",
        title: "max in flight",
      }],
    },
  }, ...capRule];
}
