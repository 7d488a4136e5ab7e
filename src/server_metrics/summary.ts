/**
 * From the scrapes of a samples file over a task window: the `server` block
 * of the result JSON and the per-panel time series drawn under the client's
 * timeline.
 *
 * Methods (stated in the block's `method` field too):
 * - Gauges (running, waiting, KV usage) are read at each scrape inside the
 *   window; a metric's series (engines, models) are summed (counts) or
 *   averaged (KV usage) at a scrape; peak = the largest scrape, mean = the
 *   mean over scrapes (scrapes are evenly spaced, so it is a time mean).
 * - Counters and histogram buckets are read as increments between
 *   consecutive scrapes (a value that fell is a restart: the increment is the
 *   new value, as Prometheus' `increase()` takes it); the window's total
 *   sums the increments of every scrape pair whose interval overlaps the
 *   window — from the last scrape at or before its start to the first at or
 *   after its end. Start the scraper just before the task's first request
 *   (after warm-up) and stop it right after its last, so that span is tight.
 * - Quantiles follow Prometheus' `histogram_quantile`: find the bucket where
 *   the rank q·count falls and interpolate linearly between its lower and
 *   upper bound (the first bucket's lower bound is 0); a rank in the `+Inf`
 *   bucket gives the largest finite bound. A quantile therefore never
 *   exceeds that bound and has the resolution of the server's buckets.
 *
 * @module
 */

import {
  detectFamily,
  FAMILIES,
  type FamilyMetrics,
  type GaugePanel,
  HISTOGRAM_PANELS,
  type HistogramPanel,
  matchesRef,
  type MetricRef,
  type RatioPanel,
  type ServerFamily,
} from "./families.ts";
import { type Bucket, parseNumber } from "./prometheus.ts";
import type { SeriesInfo, ServerMetricsEntry } from "./scrape.ts";

/** How the numbers of a `server` block were computed. */
export const SERVER_METRICS_METHOD =
  "gauges read at each scrape in the task window (peak, mean over scrapes); counters and " +
  "histogram buckets as increments between the last scrape at or before the window's start and " +
  "the first at or after its end (a drop is a restart), so requests just outside the window " +
  "(warm-up ones among them) can count in its first and last intervals — a shorter scrape " +
  "interval narrows that; percentiles by Prometheus' " +
  "histogram_quantile rule: linear interpolation inside the bucket holding the rank, lower " +
  "bound 0 for the first bucket, the largest finite bound for a rank in +Inf";

/**
 * Prometheus' `histogram_quantile` on cumulative buckets (sorted by `le`,
 * the last `+Inf`). NaN when there is no `+Inf` bucket, fewer than two
 * buckets, or no observation.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const n = buckets.length;
  if (n < 2 || buckets[n - 1]!.le !== Infinity) return NaN;
  // Cumulative counts must not fall (a scrape between two bucket updates can break that).
  const counts: number[] = [];
  let max = 0;
  for (const b of buckets) counts.push(max = Math.max(max, b.count));
  const total = counts[n - 1]!;
  if (total === 0) return NaN;
  let rank = q * total;
  let b = counts.findIndex((c) => c >= rank);
  if (b === n - 1) return buckets[n - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  if (b < 0) b = n - 1;
  const start = b === 0 ? 0 : buckets[b - 1]!.le;
  const end = buckets[b]!.le;
  let count = counts[b]!;
  if (b > 0) {
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return start + (end - start) * (rank / count);
}

/** Server-side latency statistics from a histogram's increments over the window. */
export interface ServerLatencyStats {
  /** Observations in the window. */
  n: number;
  /** Δsum / Δcount. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  /** The metric they come from. */
  metric: string;
  /** A caveat on what the server measures, when there is one. */
  note?: string;
}

/** The `server` block of a task's result JSON; a number that does not apply is absent. */
export interface ServerBlock {
  /** The detected server family; absent for an unknown server (nothing mapped). */
  family?: ServerFamily;
  /** Where the names were read from. */
  family_source?: string;
  /** Scrapes inside the window. */
  scrapes: number;
  peak_running_requests?: number;
  peak_waiting_requests?: number;
  mean_kv_cache_usage_ratio?: number;
  peak_kv_cache_usage_ratio?: number;
  prefix_cache_hit_ratio?: number;
  spec_decode_acceptance_ratio?: number;
  preemptions?: number;
  ttft_ms?: ServerLatencyStats;
  queue_ms?: ServerLatencyStats;
  prefill_ms?: ServerLatencyStats;
  decode_ms?: ServerLatencyStats;
  e2e_ms?: ServerLatencyStats;
  itl_ms?: ServerLatencyStats;
  method: string;
}

/** One panel's series, ready to draw: times relative to the window's `originMs`. */
export interface PanelSeries {
  panel: GaugePanel | RatioPanel | "preemptions";
  /** The metric the values come from. */
  metric: string;
  unit: "requests" | "ratio" | "count";
  points: Array<{ t_ms: number; value: number }>;
}

/** A window's summary, its panels, and what the file said along the way. */
export interface ServerSummary {
  server: ServerBlock;
  panels: PanelSeries[];
  /** Info and warnings stored in the file (and lines that could not be read). */
  notes: string[];
}

/** The task window, on the shared time axis (ms). */
export interface ServerWindow {
  startMs: number;
  endMs: number;
  /** Panel times are relative to this (e.g. the trace's anchor); default `startMs`. */
  originMs?: number;
  /** Force a family instead of detecting it. */
  family?: ServerFamily;
}

/** Sum of increments, per series id, over the window. */
class Increments {
  readonly total = new Map<number, number>();

  /** Adds the increment from `prev` to `cur`: a series absent before was created since, from 0. */
  add(id: number, prev: number | undefined, cur: number | undefined): void {
    if (cur === undefined || !Number.isFinite(cur)) return;
    const inc = prev === undefined || !Number.isFinite(prev) ? cur : cur >= prev ? cur - prev : cur;
    this.total.set(id, (this.total.get(id) ?? 0) + inc);
  }
}

const GAUGE_UNITS: Record<GaugePanel, PanelSeries["unit"]> = {
  running: "requests",
  waiting: "requests",
  kv_usage: "ratio",
};

/** Folds the entries of one samples file into a {@link ServerSummary}. */
export class ServerMetricsFold {
  readonly #window: ServerWindow;
  #family: FamilyMetrics | undefined;
  #familyResolved = false;
  /** Series ids per metric ref (by ref object), grown as series appear. */
  readonly #idsByRef = new Map<MetricRef, number[]>();
  /** Histogram refs: bucket ids with their `le`, and the sum and count ids. */
  readonly #histIds = new Map<
    MetricRef,
    { buckets: Array<[number, number]>; sum: number[]; count: number[] }
  >();
  #classified = 0;
  #prev: readonly (number | undefined)[] | undefined;
  #prevT = NaN;
  /** Every series id a counter or histogram panel reads. */
  readonly #tracked: number[] = [];
  readonly #inc = new Increments();
  readonly #gauge = new Map<GaugePanel, { peak: number; sum: number; n: number; metric: string }>();
  readonly #panels = new Map<string, PanelSeries>();
  #scrapes = 0;
  /** The info and warning messages the file holds, in order. */
  readonly notes: string[] = [];

  /** @param window the task window; times on the shared axis */
  constructor(window: ServerWindow) {
    this.#window = window;
  }

  #resolveFamily(series: readonly SeriesInfo[]): void {
    if (this.#familyResolved || series.length === 0) return;
    this.#familyResolved = true;
    const f = this.#window.family ?? detectFamily(series.map((s) => s.name));
    this.#family = f === undefined ? undefined : FAMILIES[f];
  }

  #refs(): MetricRef[] {
    const f = this.#family;
    if (!f) return [];
    const refs: MetricRef[] = [];
    for (const g of Object.values(f.gauges)) refs.push(...g.metrics);
    for (const r of Object.values(f.ratios)) {
      if (r.counters) refs.push(r.counters.numerator, r.counters.denominator);
      if (r.gauge) refs.push(r.gauge);
    }
    if (f.preemptions) refs.push(f.preemptions);
    return refs;
  }

  #classify(series: readonly SeriesInfo[]): void {
    const refs = this.#refs();
    const hists = this.#family
      ? Object.values(this.#family.histograms).flatMap((h) => h.metrics)
      : [];
    for (let i = this.#classified; i < series.length; i++) {
      const s = series[i]!;
      for (const ref of refs) {
        if (matchesRef(ref, s.name, s.labels)) {
          let ids = this.#idsByRef.get(ref);
          if (!ids) this.#idsByRef.set(ref, ids = []);
          ids.push(s.id);
          this.#tracked.push(s.id);
        }
      }
      for (const ref of hists) {
        let h = this.#histIds.get(ref);
        const entry = () => {
          if (!h) this.#histIds.set(ref, h = { buckets: [], sum: [], count: [] });
          return h;
        };
        if (matchesRef(ref, s.name, s.labels, "_bucket") && s.labels.le !== undefined) {
          entry().buckets.push([s.id, parseNumber(s.labels.le) ?? NaN]);
        } else if (matchesRef(ref, s.name, s.labels, "_sum")) entry().sum.push(s.id);
        else if (matchesRef(ref, s.name, s.labels, "_count")) entry().count.push(s.id);
        else continue;
        this.#tracked.push(s.id);
      }
    }
    this.#classified = series.length;
  }

  #point(
    key: PanelSeries["panel"],
    metric: string,
    unit: PanelSeries["unit"],
    t: number,
    v: number,
  ) {
    let p = this.#panels.get(key);
    if (!p) this.#panels.set(key, p = { panel: key, metric, unit, points: [] });
    const origin = this.#window.originMs ?? this.#window.startMs;
    p.points.push({ t_ms: Math.round((t - origin) * 1000) / 1000, value: v });
  }

  /** Combined value of the first ref that has a value at this scrape. */
  #gaugeValue(
    refs: readonly MetricRef[],
    values: readonly (number | undefined)[],
    combine: "sum" | "mean",
  ): { value: number; metric: string } | undefined {
    for (const ref of refs) {
      let sum = 0;
      let n = 0;
      for (const id of this.#idsByRef.get(ref) ?? []) {
        const v = values[id];
        if (v !== undefined && Number.isFinite(v)) {
          sum += v;
          n++;
        }
      }
      if (n > 0) return { value: combine === "sum" ? sum : sum / n, metric: ref.name };
    }
    return undefined;
  }

  /** Adds one entry of the file, in file order. */
  add(entry: ServerMetricsEntry): void {
    if (entry.kind === "note") {
      this.notes.push(entry.message);
      return;
    }
    if (entry.kind !== "scrape") return;
    this.#resolveFamily(entry.series);
    this.#classify(entry.series);
    const { tMs: t, values } = entry;
    const { startMs, endMs } = this.#window;
    const inWindow = t >= startMs && t <= endMs;
    if (inWindow) this.#scrapes++;
    const f = this.#family;
    if (f) {
      for (
        const [panel, src] of Object.entries(f.gauges) as Array<
          [GaugePanel, typeof f.gauges.running]
        >
      ) {
        const g = this.#gaugeValue(src!.metrics, values, src!.combine);
        if (!g) continue;
        this.#point(panel, g.metric, GAUGE_UNITS[panel], t, g.value);
        if (!inWindow) continue;
        const acc = this.#gauge.get(panel) ?? { peak: -Infinity, sum: 0, n: 0, metric: g.metric };
        acc.peak = Math.max(acc.peak, g.value);
        acc.sum += g.value;
        acc.n++;
        this.#gauge.set(panel, acc);
      }
    }
    const prev = this.#prev;
    if (prev) {
      const overlaps = t > startMs && this.#prevT < endMs;
      if (overlaps) {
        for (const id of new Set(this.#tracked)) this.#inc.add(id, prev[id], values[id]);
      }
      if (f) this.#intervalPanels(f, prev, values, t);
    }
    this.#prev = values;
    this.#prevT = t;
  }

  /** Per-interval ratio and preemption points, at the later scrape. */
  #intervalPanels(
    f: FamilyMetrics,
    prev: readonly (number | undefined)[],
    cur: readonly (number | undefined)[],
    t: number,
  ): void {
    const delta = (ref: MetricRef) => {
      let d = 0;
      let seen = false;
      for (const id of this.#idsByRef.get(ref) ?? []) {
        const a = prev[id];
        const b = cur[id];
        if (b === undefined || !Number.isFinite(b)) continue;
        seen = true;
        d += a === undefined || !Number.isFinite(a) ? b : b >= a ? b - a : b;
      }
      return seen ? d : undefined;
    };
    for (
      const [panel, src] of Object.entries(f.ratios) as Array<
        [RatioPanel, typeof f.ratios.prefix_hit_rate]
      >
    ) {
      if (src!.counters) {
        const num = delta(src!.counters.numerator);
        const den = delta(src!.counters.denominator);
        if (num !== undefined && den !== undefined) {
          if (den > 0) this.#point(panel, src!.counters.numerator.name, "ratio", t, num / den);
          continue;
        }
      }
      if (src!.gauge) {
        const g = this.#gaugeValue([src!.gauge], cur, "mean");
        if (g) this.#point(panel, g.metric, "ratio", t, g.value);
      }
    }
    if (f.preemptions) {
      const d = delta(f.preemptions);
      if (d !== undefined) this.#point("preemptions", f.preemptions.name, "count", t, d);
    }
  }

  #total(ref: MetricRef): number | undefined {
    const ids = this.#idsByRef.get(ref);
    if (!ids) return undefined;
    let sum = 0;
    let seen = false;
    for (const id of ids) {
      const v = this.#inc.total.get(id);
      if (v !== undefined) {
        sum += v;
        seen = true;
      }
    }
    return seen ? sum : undefined;
  }

  #latency(panel: HistogramPanel): ServerLatencyStats | undefined {
    const src = this.#family?.histograms[panel];
    if (!src) return undefined;
    for (const ref of src.metrics) {
      const h = this.#histIds.get(ref);
      if (!h || h.buckets.length === 0) continue;
      const byLe = new Map<number, number>();
      let seen = false;
      for (const [id, le] of h.buckets) {
        const v = this.#inc.total.get(id);
        if (v === undefined) continue;
        seen = true;
        byLe.set(le, (byLe.get(le) ?? 0) + v);
      }
      if (!seen) continue;
      const buckets = [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
      const count = buckets[buckets.length - 1]?.le === Infinity
        ? buckets[buckets.length - 1]!.count
        : NaN;
      if (!(count > 0)) return undefined;
      let sum = 0;
      for (const id of h.sum) sum += this.#inc.total.get(id) ?? 0;
      const scale = src.msPerUnit;
      const q = (p: number) => histogramQuantile(p, buckets) * scale;
      const stats: ServerLatencyStats = {
        n: count,
        mean: (sum / count) * scale,
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        metric: ref.name,
      };
      if (src.note) stats.note = src.note;
      return stats;
    }
    return undefined;
  }

  #ratio(panel: RatioPanel): number | undefined {
    const src = this.#family?.ratios[panel];
    if (!src) return undefined;
    if (src.counters) {
      const num = this.#total(src.counters.numerator);
      const den = this.#total(src.counters.denominator);
      if (num !== undefined && den !== undefined) return den > 0 ? num / den : undefined;
    }
    if (src.gauge) {
      const p = this.#panels.get(panel);
      const { startMs, endMs, originMs = startMs } = this.#window;
      const inside = (p?.points ?? []).filter((x) =>
        x.t_ms >= startMs - originMs && x.t_ms <= endMs - originMs
      );
      if (inside.length > 0) return inside.reduce((a, x) => a + x.value, 0) / inside.length;
    }
    return undefined;
  }

  /** The summary of everything added so far. */
  result(): ServerSummary {
    const f = this.#family;
    const server: ServerBlock = { scrapes: this.#scrapes, method: SERVER_METRICS_METHOD };
    if (f) {
      server.family = f.family;
      server.family_source = f.source;
      const running = this.#gauge.get("running");
      const waiting = this.#gauge.get("waiting");
      const kv = this.#gauge.get("kv_usage");
      if (running) server.peak_running_requests = running.peak;
      if (waiting) server.peak_waiting_requests = waiting.peak;
      if (kv) {
        server.mean_kv_cache_usage_ratio = kv.sum / kv.n;
        server.peak_kv_cache_usage_ratio = kv.peak;
      }
      const hit = this.#ratio("prefix_hit_rate");
      if (hit !== undefined) server.prefix_cache_hit_ratio = hit;
      const spec = this.#ratio("spec_accept_rate");
      if (spec !== undefined) server.spec_decode_acceptance_ratio = spec;
      if (f.preemptions) {
        const p = this.#total(f.preemptions);
        if (p !== undefined) server.preemptions = p;
      }
      for (const panel of HISTOGRAM_PANELS) {
        const stats = this.#latency(panel);
        if (stats) server[`${panel}_ms`] = stats;
      }
    }
    return { server, panels: [...this.#panels.values()], notes: this.notes };
  }
}

/** Summarizes a stream of samples-file entries over one task window. */
export async function summarizeServerMetrics(
  entries: AsyncIterable<ServerMetricsEntry> | Iterable<ServerMetricsEntry>,
  window: ServerWindow,
): Promise<ServerSummary> {
  const fold = new ServerMetricsFold(window);
  for await (const e of entries) fold.add(e);
  return fold.result();
}

/** How {@link compareLatency} rows are to be read. */
export const LATENCY_COMPARISON_METHOD =
  "client statistics are exact over the task's requests; server ones come from the server's " +
  "histogram increments over the same window (percentiles interpolated inside buckets, so only " +
  "as fine as the buckets; means exact). Client − server mean ≈ network, HTTP and client " +
  "overhead plus any queueing outside the engine. A difference of percentiles is not a " +
  "percentile of differences";

/** One row of the client-vs-server latency table. */
export interface LatencyComparisonRow {
  /** The client's metric key (`ttft_ms`, `e2el_ms`, `itl_ms`). */
  client_metric: string;
  /** The server metric the numbers come from. */
  server_metric: string;
  client_ms: { mean?: number; p50?: number; p90?: number; p99?: number };
  server_ms: { mean: number; p50: number; p90: number; p99: number };
  /** Client mean − server mean, when the client has a mean. */
  mean_difference_ms?: number;
  note?: string;
}

const CLIENT_PAIRS: Array<[HistogramPanel, string]> = [
  ["ttft", "ttft_ms"],
  ["e2e", "e2el_ms"],
  ["itl", "itl_ms"],
];

/**
 * Rows of the client-vs-server latency table: each server histogram that has
 * a client counterpart (TTFT, E2E ↔ E2EL, ITL) beside the client's
 * statistics of the result JSON's `metrics` (`mean`, `median` or `p50`,
 * `p90`, `p99`). Read them with {@link LATENCY_COMPARISON_METHOD}.
 */
export function compareLatency(
  server: ServerBlock,
  client: Readonly<Record<string, Readonly<Record<string, number | undefined>> | undefined>>,
): LatencyComparisonRow[] {
  const rows: LatencyComparisonRow[] = [];
  for (const [panel, key] of CLIENT_PAIRS) {
    const s = server[`${panel}_ms`];
    const c = client[key];
    if (!s || !c) continue;
    const client_ms: LatencyComparisonRow["client_ms"] = {};
    const p50 = c.median ?? c.p50;
    if (c.mean !== undefined) client_ms.mean = c.mean;
    if (p50 !== undefined) client_ms.p50 = p50;
    if (c.p90 !== undefined) client_ms.p90 = c.p90;
    if (c.p99 !== undefined) client_ms.p99 = c.p99;
    const row: LatencyComparisonRow = {
      client_metric: key,
      server_metric: s.metric,
      client_ms,
      server_ms: { mean: s.mean, p50: s.p50, p90: s.p90, p99: s.p99 },
    };
    if (c.mean !== undefined) row.mean_difference_ms = c.mean - s.mean;
    if (s.note) row.note = s.note;
    rows.push(row);
  }
  return rows;
}

/**
 * The block's headline in one line of plain text (the console's line under a
 * task's tables, the page's line over its latency table): scrapes, peaks,
 * KV-cache usage, hit rate and preemptions, "-" where the server has none.
 */
export function describeServerBlock(block: ServerBlock): string {
  const pct = (v: number | undefined) => v === undefined ? "-" : `${(v * 100).toFixed(1)}%`;
  const parts = [
    `${block.scrapes} scrapes in the task window`,
    `peak running ${block.peak_running_requests ?? "-"}`,
    `peak waiting ${block.peak_waiting_requests ?? "-"}`,
    `KV-cache usage mean ${pct(block.mean_kv_cache_usage_ratio)}, peak ${
      pct(block.peak_kv_cache_usage_ratio)
    }`,
    `prefix-cache hit rate ${pct(block.prefix_cache_hit_ratio)}`,
  ];
  if (block.preemptions !== undefined) parts.push(`preemptions ${block.preemptions}`);
  if (block.ttft_ms) parts.push(`TTFT mean ${block.ttft_ms.mean.toFixed(2)} ms`);
  return `Server${block.family ? ` (${block.family} metrics)` : ""}: ${parts.join(" · ")}`;
}
