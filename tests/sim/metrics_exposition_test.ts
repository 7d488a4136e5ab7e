import { assert, assertEquals } from "../helpers.ts";
import {
  formatPrometheusNumber,
  HistogramRecorder,
  renderVllmMetrics,
  VLLM_BUCKETS,
} from "../../src/sim/metrics_exposition.ts";
import { histogramSeries, parsePrometheusText } from "../../src/server_metrics/prometheus.ts";
import { detectFamily } from "../../src/server_metrics/families.ts";

Deno.test("formatPrometheusNumber() writes numbers as Python's prometheus_client does", () => {
  const cases: Array<[number, string]> = [
    [0, "0.0"],
    [3, "3.0"],
    [0.001, "0.001"],
    [2560, "2560.0"],
    [1e-5, "1e-05"],
    [8128902, "8.128902e+06"],
    [1e6, "1e+06"],
    [1755178079.975038, "1.755178079975038e+09"],
    [123456.7, "123456.7"],
    [1e16, "1e+16"],
    [-5, "-5.0"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
  ];
  for (const [v, s] of cases) assertEquals(formatPrometheusNumber(v), s, String(v));
});

Deno.test("renderVllmMetrics() round-trips through the parser with vLLM's names, labels and buckets", () => {
  const ttft = [0.03, 0.05, 0.09, 0.3, 3];
  const text = renderVllmMetrics({
    model: 'org/model "x"\\y',
    running: 4,
    waiting: 2,
    kvUsage: 0.375,
    prefixQueries: 1000,
    prefixHits: 250,
    preemptions: 1,
    finished: { stop: 7 },
    ttftSeconds: ttft,
    queueSeconds: [0.001, 0.6],
  });
  const { families, warnings } = parsePrometheusText(text);
  assertEquals(warnings, []);
  const value = (name: string) => families.get(name)!.samples[0]!.value;
  assertEquals(value("vllm:num_requests_running"), 4);
  assertEquals(value("vllm:num_requests_waiting"), 2);
  assertEquals(value("vllm:kv_cache_usage_perc"), 0.375);
  assertEquals(value("vllm:prefix_cache_queries_total"), 1000);
  assertEquals(value("vllm:prefix_cache_hits_total"), 250);
  assertEquals(value("vllm:num_preemptions_total"), 1);
  assertEquals(families.get("vllm:prefix_cache_hits_total")!.type, "counter");
  assertEquals(families.get("vllm:num_requests_running")!.samples[0]!.labels, {
    engine: "0",
    model_name: 'org/model "x"\\y',
  });
  const success = families.get("vllm:request_success_total")!.samples;
  assertEquals(success.map((s) => [s.labels.finished_reason, s.value]), [
    ["stop", 7],
    ["length", 0],
    ["abort", 0],
  ]);

  const [t] = histogramSeries(families.get("vllm:time_to_first_token_seconds")!);
  assertEquals(t!.buckets.map((b) => b.le), [...VLLM_BUCKETS.timeToFirstToken, Infinity]);
  // Cumulative: ≤0.04: 1 (0.03), ≤0.06: 2, ≤0.1: 3, ≤0.5: 4, ≤5: 5.
  const at = (le: number) => t!.buckets.find((b) => b.le === le)!.count;
  assertEquals([at(0.02), at(0.04), at(0.06), at(0.1), at(0.25), at(0.5), at(2.5), at(5)], [
    0,
    1,
    2,
    3,
    3,
    4,
    4,
    5,
  ]);
  assertEquals([t!.count, t!.sum], [5, ttft.reduce((a, b) => a + b, 0)]);
  const [q] = histogramSeries(families.get("vllm:request_queue_time_seconds")!);
  assertEquals(q!.buckets.map((b) => b.le), [...VLLM_BUCKETS.requestLatency, Infinity]);
  assertEquals(q!.buckets[0]!.count, 1);
  assertEquals(q!.count, 2);
  // Histograms with nothing observed are still there, at zero (as vLLM sends them).
  const [d] = histogramSeries(families.get("vllm:request_decode_time_seconds")!);
  assertEquals(d!.count, 0);
  assertEquals(detectFamily(families.keys()), "vllm");
});

Deno.test("renderVllmMetrics() writes _sum, then buckets, then _count, with le among sorted labels", () => {
  const text = renderVllmMetrics({
    model: "m",
    running: 0,
    waiting: 0,
    kvUsage: 0,
    prefixQueries: 0,
    prefixHits: 0,
    ttftSeconds: [0.5],
  });
  const lines = text.split("\n");
  const i = lines.indexOf("# TYPE vllm:time_to_first_token_seconds histogram");
  assert(i > 0);
  assertEquals(lines[i + 1], 'vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} 0.5');
  assertEquals(
    lines[i + 2],
    'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="m"} 0.0',
  );
  assertEquals(
    lines[i + 2 + VLLM_BUCKETS.timeToFirstToken.length + 1],
    'vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 1.0',
  );
  assert(text.endsWith("\n"));
});

Deno.test("HistogramRecorder counts a value equal to a bound in that bound's bucket", () => {
  const h = new HistogramRecorder([0.1, 1]);
  for (const v of [0.1, 0.2, 1, 5]) h.observe(v);
  assertEquals(h.counts, [1, 2, 1]);
  assertEquals(h.sum, 6.3);
  const text = renderVllmMetrics({
    model: "m",
    running: 0,
    waiting: 0,
    kvUsage: 0,
    prefixQueries: 0,
    prefixHits: 0,
    ttftSeconds: (() => {
      const r = new HistogramRecorder(VLLM_BUCKETS.timeToFirstToken);
      r.observe(0.05);
      return r;
    })(),
  });
  assert(
    text.includes(
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.06",model_name="m"} 1.0',
    ),
  );
  assert(
    text.includes(
      'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.04",model_name="m"} 0.0',
    ),
  );
});
