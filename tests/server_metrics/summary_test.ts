import { assert, assertClose, assertEquals } from "../helpers.ts";
import type { SeriesInfo, ServerMetricsEntry } from "../../src/server_metrics/scrape.ts";
import {
  compareLatency,
  describeServerBlock,
  histogramQuantile,
  summarizeServerMetrics,
} from "../../src/server_metrics/summary.ts";

/**
 * Builds the entries a samples file yields, from one `{ "name{labels}": value }`
 * map per scrape (labels written `k=v,k=v`), growing the series dictionary as
 * the reader does.
 */
function entries(scrapes: Array<[number, Record<string, number>]>): ServerMetricsEntry[] {
  const series: SeriesInfo[] = [];
  const ids = new Map<string, number>();
  const out: ServerMetricsEntry[] = [];
  for (const [tMs, map] of scrapes) {
    const values: (number | undefined)[] = [];
    for (const [key, v] of Object.entries(map)) {
      let id = ids.get(key);
      if (id === undefined) {
        const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key)!;
        const labels = Object.fromEntries(
          (m[2] ?? "").split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]),
        );
        id = series.length;
        ids.set(key, id);
        series.push({ id, name: m[1]!, labels, type: "untyped" });
      }
      values[id] = v;
    }
    out.push({ kind: "scrape", tMs, rttMs: 1, series, values });
  }
  return out;
}

const TTFT = "vllm:time_to_first_token_seconds";

/** A TTFT histogram (engine 0) with cumulative bucket counts for le 0.05, 0.1, 0.25, +Inf. */
function ttft(counts: [number, number, number, number], sum: number): Record<string, number> {
  const les = ["0.05", "0.1", "0.25", "+Inf"];
  const out: Record<string, number> = {};
  les.forEach((le, i) => (out[`${TTFT}_bucket{engine=0,le=${le}}`] = counts[i]!));
  out[`${TTFT}_sum{engine=0}`] = sum;
  out[`${TTFT}_count{engine=0}`] = counts[3];
  return out;
}

function scrape(
  running: [number, number],
  waiting: number,
  kv: [number, number],
  hitsQueries: [number, number],
  preemptions: number,
  hist: Record<string, number>,
): Record<string, number> {
  return {
    "vllm:num_requests_running{engine=0}": running[0],
    "vllm:num_requests_running{engine=1}": running[1],
    "vllm:num_requests_waiting{engine=0}": waiting,
    "vllm:kv_cache_usage_perc{engine=0}": kv[0],
    "vllm:kv_cache_usage_perc{engine=1}": kv[1],
    "vllm:prefix_cache_hits_total{engine=0}": hitsQueries[0],
    "vllm:prefix_cache_queries_total{engine=0}": hitsQueries[1],
    "vllm:num_preemptions_total{engine=0}": preemptions,
    ...hist,
  };
}

// Window [1000, 3500]: scrapes at 2000 and 3000 inside; 0 is the last at or before the
// start, 4000 the first at or after the end; 5000 lies beyond and must not count.
const FILE = entries([
  [0, scrape([1, 0], 0, [0.1, 0.1], [10, 100], 5, ttft([2, 3, 3, 3], 0.2))],
  [2000, scrape([3, 2], 4, [0.2, 0.4], [30, 200], 7, ttft([2, 8, 10, 10], 1.0))],
  [3000, scrape([6, 1], 1, [0.5, 0.7], [50, 300], 1, ttft([2, 10, 12, 13], 1.6))],
  [4000, scrape([2, 2], 9, [0.9, 0.9], [70, 400], 2, ttft([2, 13, 17, 18], 2.2))],
  [5000, scrape([9, 9], 9, [1, 1], [370, 1000], 10, ttft([2, 20, 30, 40], 9))],
]);

Deno.test("summarizeServerMetrics() takes peaks and means of gauges over the scrapes in the window", async () => {
  const { server } = await summarizeServerMetrics(FILE, { startMs: 1000, endMs: 3500 });
  assertEquals(server.family, "vllm");
  assertEquals(server.scrapes, 2);
  // Running sums the engines (5, then 7); KV usage averages them (0.3, then 0.6).
  assertEquals(server.peak_running_requests, 7);
  assertEquals(server.peak_waiting_requests, 4);
  assertClose(server.mean_kv_cache_usage_ratio!, 0.45, 1e-12, "mean KV usage");
  assertClose(server.peak_kv_cache_usage_ratio!, 0.6, 1e-12, "peak KV usage");
});

Deno.test("summarizeServerMetrics() takes counter increments from the scrape before the window to the one after, across a restart", async () => {
  const { server } = await summarizeServerMetrics(FILE, { startMs: 1000, endMs: 3500 });
  // Hits 10 → 70, queries 100 → 400.
  assertClose(server.prefix_cache_hit_ratio!, 60 / 300, 1e-12, "hit ratio");
  // 5 → 7 (+2), restart to 1 (+1), → 2 (+1).
  assertEquals(server.preemptions, 4);
});

Deno.test("summarizeServerMetrics() gives histogram_quantile percentiles of the bucket increments over the window", async () => {
  const { server } = await summarizeServerMetrics(FILE, { startMs: 1000, endMs: 3500 });
  // Increments 0 → 4000: cumulative [0, 10, 14, 15] for le 0.05, 0.1, 0.25, +Inf; sum 2.0 s.
  // p50: rank 7.5 in (0.05, 0.1] holding 10 → 0.05 + 0.05 · 7.5/10 = 0.0875 s.
  // p90: rank 13.5 in (0.1, 0.25] holding 4, 3.5 into it → 0.1 + 0.15 · 3.5/4 = 0.23125 s.
  // p99: rank 14.85 in +Inf → the largest finite bound, 0.25 s.
  const t = server.ttft_ms!;
  assertEquals(t.n, 15);
  assertEquals(t.metric, TTFT);
  assertClose(t.mean, 2000 / 15, 1e-9, "mean");
  assertClose(t.p50, 87.5, 1e-9, "p50");
  assertClose(t.p90, 231.25, 1e-9, "p90");
  assertClose(t.p99, 250, 1e-9, "p99");
  assertEquals(server.queue_ms, undefined, "a histogram the server does not expose is absent");
  assert(server.method.includes("histogram_quantile"));
});

Deno.test("summarizeServerMetrics() draws panels relative to the task start, ratios per interval", async () => {
  const { panels } = await summarizeServerMetrics(FILE, { startMs: 1000, endMs: 3500 });
  const byName = Object.fromEntries(panels.map((p) => [p.panel, p]));
  assertEquals(byName.running!.points, [
    { t_ms: -1000, value: 1 },
    { t_ms: 1000, value: 5 },
    { t_ms: 2000, value: 7 },
    { t_ms: 3000, value: 4 },
    { t_ms: 4000, value: 18 },
  ]);
  assertEquals(byName.running!.metric, "vllm:num_requests_running");
  assertEquals(byName.prefix_hit_rate!.points.map((p) => [p.t_ms, p.value]), [
    [1000, 0.2],
    [2000, 0.2],
    [3000, 0.2],
    [4000, 0.5],
  ]);
  assertEquals(byName.preemptions!.points.map((p) => p.value), [2, 1, 1, 8]);
  assertEquals(byName.kv_usage!.unit, "ratio");
});

Deno.test("summarizeServerMetrics() counts a series that appears mid-window from zero", async () => {
  const h = "tgi_request_queue_duration";
  const file = entries([
    [0, { "tgi_queue_size": 0 }],
    [1000, {
      "tgi_queue_size": 3,
      [`${h}_bucket{le=0.1}`]: 4,
      [`${h}_bucket{le=+Inf}`]: 4,
      [`${h}_sum`]: 0.2,
    }],
    [2000, {
      "tgi_queue_size": 1,
      [`${h}_bucket{le=0.1}`]: 4,
      [`${h}_bucket{le=+Inf}`]: 6,
      [`${h}_sum`]: 1.2,
    }],
  ]);
  const { server } = await summarizeServerMetrics(file, { startMs: 500, endMs: 2000 });
  assertEquals(server.family, "tgi");
  assertEquals(server.peak_waiting_requests, 3);
  assertEquals(server.queue_ms!.n, 6);
  assertClose(server.queue_ms!.mean, 200, 1e-9, "mean");
  // rank 3 of 6 falls in (0, 0.1] holding 4 → 0.1 · 3/4.
  assertClose(server.queue_ms!.p50, 75, 1e-9, "p50");
  assertEquals(server.prefix_cache_hit_ratio, undefined, "TGI has no prefix cache metric");
});

Deno.test("summarizeServerMetrics() maps nothing for an unknown server and keeps the file's notes", async () => {
  const file: ServerMetricsEntry[] = [
    ...entries([[0, { "my_queue_depth": 1 }], [1000, { "my_queue_depth": 2 }]]),
    { kind: "note", tMs: 1000, level: "warning", message: "line 3: bad" },
  ];
  const { server, panels, notes } = await summarizeServerMetrics(file, { startMs: 0, endMs: 1000 });
  assertEquals(server.family, undefined);
  assertEquals(server.scrapes, 2);
  assertEquals(server.peak_running_requests, undefined);
  assertEquals(panels, []);
  assertEquals(notes, ["line 3: bad"]);
});

Deno.test("histogramQuantile() follows Prometheus at the edges", () => {
  const b = (pairs: Array<[number, number]>) => pairs.map(([le, count]) => ({ le, count }));
  // The first bucket's lower bound is 0.
  assertEquals(histogramQuantile(0.5, b([[1, 10], [Infinity, 10]])), 0.5);
  // A bucket whose bound is ≤ 0 answers its bound.
  assertEquals(histogramQuantile(0.1, b([[0, 5], [1, 10], [Infinity, 10]])), 0);
  // No +Inf bucket, or no observation: NaN.
  assert(Number.isNaN(histogramQuantile(0.5, b([[1, 10], [2, 10]]))));
  assert(Number.isNaN(histogramQuantile(0.5, b([[1, 0], [Infinity, 0]]))));
  // q outside [0, 1].
  assertEquals(histogramQuantile(-1, b([[1, 1], [Infinity, 1]])), -Infinity);
  assertEquals(histogramQuantile(2, b([[1, 1], [Infinity, 1]])), Infinity);
  // Cumulative counts that fall (torn scrape) are lifted to stay monotonic: [4, 4, 8].
  assertEquals(histogramQuantile(0.75, b([[1, 4], [2, 3], [Infinity, 8]])), 2);
});

Deno.test("compareLatency() pairs server histograms with the client's metrics of the same name", async () => {
  const { server } = await summarizeServerMetrics(FILE, { startMs: 1000, endMs: 3500 });
  const rows = compareLatency(server, {
    ttft_ms: { mean: 150, median: 90, p90: 240, p99: 260 },
    e2el_ms: { mean: 900 },
  });
  // The server has TTFT only: E2E has no server side, ITL no client side.
  assertEquals(rows.length, 1);
  assertEquals(rows[0]!.client_metric, "ttft_ms");
  assertEquals(rows[0]!.server_metric, TTFT);
  assertEquals(rows[0]!.client_ms, { mean: 150, p50: 90, p90: 240, p99: 260 });
  assertClose(rows[0]!.server_ms.p50, 87.5, 1e-9, "server p50");
  assertClose(rows[0]!.mean_difference_ms!, 150 - 2000 / 15, 1e-9, "mean difference");
});

Deno.test("describeServerBlock() says each headline number, and '-' where the server has none", () => {
  assertEquals(
    describeServerBlock({
      family: "vllm",
      scrapes: 3,
      peak_running_requests: 4,
      mean_kv_cache_usage_ratio: 0.25,
      peak_kv_cache_usage_ratio: 0.5,
      method: "m",
    }),
    "Server (vllm metrics): 3 scrapes in the task window · peak running 4 · peak waiting - · KV-cache usage mean 25.0%, peak 50.0% · prefix-cache hit rate -",
  );
});
