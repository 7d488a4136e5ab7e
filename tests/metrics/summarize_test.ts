import { checkGates, parseFailOn } from "../../src/metrics/gates.ts";
import { requestMetrics } from "../../src/metrics/request.ts";
import { DEFAULT_STATS, parseStats } from "../../src/metrics/stats.ts";
import { summarizeRecords } from "../../src/metrics/summarize.ts";
import { chunkDeltasUs, factsOf, type RequestRecord } from "../../src/record/record.ts";
import { assertClose, assertEquals } from "../helpers.ts";

function rec(
  index: number,
  start: number,
  chunks: number[],
  end: number,
  extra: Partial<RequestRecord> = {},
): RequestRecord {
  return {
    index,
    scheduledMs: start,
    startMs: start,
    endMs: end,
    chunkMs: chunks,
    stream: true,
    attempts: 1,
    ...extra,
  };
}

const stats = parseStats(DEFAULT_STATS);

Deno.test("requestMetrics() derives TTFT, E2EL, TPOT and throughputs from raw instants", () => {
  const r = rec(0, 1000, [1050, 1060, 1075, 1080], 1081, {
    usage: { promptTokens: 100, completionTokens: 4 },
  });
  const m = requestMetrics(factsOf(r));
  assertEquals(m.ttftMs, 50);
  assertEquals(m.e2elMs, 81);
  assertEquals(m.tpotMs, (81 - 50) / 3);
  assertEquals(m.outputTokens, 4);
  assertEquals(m.outputTokenSource, "server");
  assertClose(m.outputTokenThroughputTps!, 4 / 0.081, 1e-9, "output tok/s");
  assertEquals(m.prefillTokenThroughputTps, 2000);
  assertEquals(chunkDeltasUs(r), [50000, 10000, 15000, 5000]);
});

Deno.test("requestMetrics() leaves TPOT undefined for a one-token output", () => {
  const m = requestMetrics(factsOf(
    rec(0, 0, [40], 41, { usage: { promptTokens: 5, completionTokens: 1 } }),
  ));
  assertEquals(m.ttftMs, 40);
  assertEquals(m.tpotMs, undefined);
});

Deno.test("requestMetrics() falls back to the chunk count, then reports TTFO apart when reasoning came first", () => {
  const m = requestMetrics(factsOf(rec(0, 0, [10, 20, 30], 31, { firstContentMs: 20 })));
  assertEquals(m.outputTokens, 3);
  assertEquals(m.outputTokenSource, "chunks");
  assertEquals(m.ttftMs, 10);
  assertEquals(m.ttfoMs, 20);
});

Deno.test("requestMetrics() of a non-streaming request has no TTFT, ITL or TPOT", () => {
  const m = requestMetrics(factsOf(
    rec(0, 0, [], 100, { stream: false, usage: { promptTokens: 5, completionTokens: 10 } }),
  ));
  assertEquals([m.ttftMs, m.tpotMs, m.e2elMs, m.outputTokens], [undefined, undefined, 100, 10]);
});

Deno.test("summarizeRecords() computes the common metrics and keeps failures out of latency stats", () => {
  const records = [
    rec(0, 0, [50, 60, 70], 80, { usage: { promptTokens: 10, completionTokens: 3 } }),
    rec(1, 0, [40, 60], 100, { usage: { promptTokens: 20, completionTokens: 2 } }),
    rec(2, 100, [150], 200, {
      error: { category: "truncated", message: "stream ended without [DONE]" },
    }),
    rec(3, 100, [], 110, { error: { category: "http_5xx", status: 500, message: "boom" } }),
  ];
  const s = summarizeRecords(records, { stats, summarizer: "default_perf", maxConcurrency: 2 });
  const c = s.common;
  assertEquals(c.benchmark_duration_ms, 200);
  assertEquals([c.total_requests, c.success_requests, c.failed_requests], [4, 2, 2]);
  assertEquals(c.concurrency, (80 + 100 + 100 + 10) / 200);
  assertEquals(c.request_throughput_rps, 2 / 0.2);
  assertEquals([c.total_input_tokens, c.total_output_tokens], [30, 5]);
  assertEquals(c.output_token_throughput_tps, 5 / 0.2);
  assertEquals(c.total_token_throughput_tps, 35 / 0.2);
  assertEquals(c.prefill_token_throughput_tps, 30 / 0.09);
  assertEquals(c.peak_in_flight, 2);
  assertEquals(s.metrics.ttft_ms!.n, 2);
  assertEquals(s.metrics.ttft_ms!.mean, 45);
  // ITL pooled over successful requests: gaps 10, 10 and 20.
  assertEquals(s.metrics.itl_ms!.n, 3);
  assertClose(s.metrics.itl_ms!.mean!, 40 / 3, 1e-12, "ITL mean");
  assertEquals(s.metrics.tpot_ms!.n, 2);
  assertEquals(s.errors, { truncated: 1, http_5xx: 1 });
  // These records say no content came (no firstContentMs): TTFO is each success's E2EL.
  assertEquals([s.metrics.ttfo_ms!.n, s.metrics.ttfo_ms!.max], [2, 100]);
});

Deno.test("summarizeRecords() keeps warm-up requests out and counts them", () => {
  const records = [
    rec(0, 0, [500], 1000, { warmup: true, usage: { promptTokens: 1, completionTokens: 1 } }),
    rec(1, 1000, [1010], 1020, { usage: { promptTokens: 1, completionTokens: 1 } }),
  ];
  const s = summarizeRecords(records, { stats, summarizer: "default_perf", maxConcurrency: 1 });
  assertEquals(s.common.total_requests, 1);
  assertEquals(s.common.benchmark_duration_ms, 20);
  assertEquals(s.delivery.warmup_requests, 1);
});

Deno.test("requestMetrics() gives TTFO equal to TTFT when content came first, and summaries report it", () => {
  const r = rec(0, 0, [10, 20, 30], 31, { firstContentMs: 10 });
  const m = requestMetrics(factsOf(r));
  assertEquals([m.ttftMs, m.ttfoMs], [10, 10]);
  const s = summarizeRecords([r], { stats, summarizer: "default_perf", maxConcurrency: 1 });
  assertEquals(s.metrics.ttfo_ms, s.metrics.ttft_ms);
});

Deno.test("requestMetrics() defines TTFO for every streamed success: E2EL when no content came, so --slo ttfo and ttfo gates cannot be passed by having none", () => {
  // Reasoning only (the budget ran out while thinking): chunks, but no content.
  const thinking = rec(0, 0, [10, 20, 30], 40, {
    usage: { promptTokens: 4, completionTokens: 3 },
  });
  assertEquals(requestMetrics(factsOf(thinking)).ttfoMs, 40);
  const failed = rec(1, 0, [10], 15, { error: { category: "truncated", message: "cut" } });
  assertEquals(requestMetrics(factsOf(failed)).ttfoMs, undefined, "a failure has no TTFO");
  const whole = rec(2, 0, [], 50, { stream: false });
  assertEquals(requestMetrics(factsOf(whole)).ttfoMs, undefined, "not streamed: no TTFO");
  const answered = rec(3, 0, [5, 6], 7, { firstContentMs: 5 });
  const s = summarizeRecords([thinking, answered], {
    stats,
    summarizer: "default_perf",
    maxConcurrency: 2,
    slo: [{ metric: "ttfo", maxMs: 10 }],
  });
  assertEquals(s.goodput?.good_requests, 1, "the request without content misses ttfo:10ms");
  assertEquals(s.metrics.ttfo_ms?.n, 2);
  assertEquals(s.metrics.ttfo_ms?.max, 40);
  const [gate] = parseFailOn("ttfo.p99>20");
  assertEquals(checkGates([gate!], s)[0]!.holds, true, "the ttfo.p99 gate sees it");
});
