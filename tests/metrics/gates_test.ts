import { evaluateGates, parseFailOn } from "../../src/metrics/gates.ts";
import { meetsSlo, parseDurationMs, parseSlo } from "../../src/metrics/goodput.ts";
import { requestMetrics } from "../../src/metrics/request.ts";
import { parseStats } from "../../src/metrics/stats.ts";
import { summarizeRecords } from "../../src/metrics/summarize.ts";
import { factsOf, type RequestRecord } from "../../src/record/record.ts";
import { UsageError } from "../../src/errors.ts";
import { assertEquals, assertRejects } from "../helpers.ts";

function rec(
  index: number,
  ttft: number,
  e2el: number,
  tokens: number,
  failed = false,
): RequestRecord {
  const chunks = Array.from(
    { length: tokens },
    (_, i) => ttft + (i * (e2el - ttft)) / Math.max(1, tokens - 1),
  );
  return {
    index,
    scheduledMs: 0,
    startMs: 0,
    endMs: e2el,
    chunkMs: chunks,
    stream: true,
    attempts: 1,
    usage: { promptTokens: 10, completionTokens: tokens },
    ...(failed ? { error: { category: "http_5xx" as const, status: 500, message: "x" } } : {}),
  };
}

Deno.test("parseDurationMs() reads ms, s, us and plain numbers as ms", () => {
  assertEquals([
    parseDurationMs("500ms"),
    parseDurationMs("2.5s"),
    parseDurationMs("800us"),
    parseDurationMs("7"),
  ], [
    500,
    2500,
    0.8,
    7,
  ]);
  assertEquals(parseDurationMs("fast"), undefined);
});

Deno.test("parseSlo() and meetsSlo(): every objective must hold, failures are never good", () => {
  const slo = parseSlo("ttft:100ms,e2el:1s");
  assertEquals(slo, [{ metric: "ttft", maxMs: 100 }, { metric: "e2el", maxMs: 1000 }]);
  assertEquals(meetsSlo(requestMetrics(factsOf(rec(0, 50, 900, 5))), slo), true);
  assertEquals(meetsSlo(requestMetrics(factsOf(rec(0, 150, 900, 5))), slo), false);
  assertEquals(meetsSlo(requestMetrics(factsOf(rec(0, 50, 1100, 5))), slo), false);
  assertEquals(meetsSlo(requestMetrics(factsOf(rec(0, 50, 900, 5, true))), slo), false);
  // TPOT does not apply to a one-token output, so it does not constrain it.
  assertEquals(meetsSlo(requestMetrics(factsOf(rec(0, 50, 60, 1))), parseSlo("tpot:1ms")), true);
});

Deno.test("summarizeRecords() reports goodput share and rate", () => {
  const records = [
    rec(0, 50, 1000, 5),
    rec(1, 150, 1000, 5),
    rec(2, 50, 1000, 5, true),
    rec(3, 60, 1000, 5),
  ];
  const s = summarizeRecords(records, {
    stats: parseStats(["Average"]),
    summarizer: "default_perf",
    maxConcurrency: 4,
    slo: parseSlo("ttft:100ms"),
  });
  assertEquals(s.goodput, { slo: { ttft_ms: 100 }, good_requests: 2, share: 0.5, rate_rps: 2 });
});

Deno.test("parseFailOn() names every unparseable condition", async () => {
  const error = await assertRejects(
    () => parseFailOn("ttft.p99>fast,bogus>1,ttft.p99 500ms,itl.p99.9<=12ms"),
    /fast/,
  );
  if (!(error instanceof UsageError)) throw error;
  assertEquals(error.problems.length, 3);
  assertEquals(error.problems[1]!.includes('unknown name "bogus"'), true);
  assertEquals(error.problems[2]!.includes("cannot parse"), true);
});

Deno.test("evaluateGates() returns the conditions that hold, with observed values", () => {
  const records = [rec(0, 100, 1000, 5), rec(1, 300, 1000, 5), rec(2, 50, 1000, 5, true)];
  const s = summarizeRecords(records, {
    stats: parseStats(["Average"]),
    summarizer: "default_perf",
    maxConcurrency: 3,
  });
  const gates = parseFailOn(
    "ttft.p50>150ms,ttft.max>=300,failed>0,output_throughput<5,e2el.p99.9<1s",
  );
  const breaches = evaluateGates(gates, s);
  // output_throughput = 10 tokens / 1 s = 10 and e2el p99.9 = 1000 ms: those two do not hold.
  assertEquals(breaches.map((b) => [b.gate.text, b.observed]), [
    ["ttft.p50>150ms", 200],
    ["ttft.max>=300", 300],
    ["failed>0", 1],
  ]);
});

Deno.test("evaluateGates() treats a metric with no data as a breach", () => {
  // One output token: no TPOT.
  const s = summarizeRecords([rec(0, 10, 20, 1)], {
    stats: parseStats(["Average"]),
    summarizer: "default_perf",
    maxConcurrency: 1,
  });
  const breaches = evaluateGates(parseFailOn("tpot.p99>1s"), s);
  assertEquals(breaches.map((b) => [b.gate.text, b.observed]), [["tpot.p99>1s", undefined]]);
});
