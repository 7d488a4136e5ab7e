import { DEFAULT_STATS, parseStats } from "../../src/metrics/stats.ts";
import { NoStableWindowError, peakInFlight, stableWindow } from "../../src/metrics/stable.ts";
import { summarizeRecords } from "../../src/metrics/summarize.ts";
import type { RequestRecord } from "../../src/record/record.ts";
import { windowWarnings } from "../../src/report/task_report.ts";
import { assert, assertEquals, assertRejects } from "../helpers.ts";

const iv = (startMs: number, endMs: number) => ({ startMs, endMs });

// Max 2 in flight. A: 0–100, B: 10–50 (first time at max, t=10), C: 50–150
// (second time at max, t=50 → window opens), D: 100–160 (at max again),
// E: 150–170 (max again: C ended at 150 before E started), then in flight drops.
const RUN = [iv(0, 100), iv(10, 50), iv(50, 150), iv(100, 160), iv(150, 170), iv(165, 200)];

Deno.test("stableWindow() opens at the second request that reaches max and closes at the last end at max", () => {
  const w = stableWindow(RUN, 2);
  assertEquals(w.openMs, 50);
  // In flight is 2 until D ends at 160 (E and F overlap after, but 165 starts F with D gone:
  // E 150–170 and F 165–200 are 2 in flight again; the last end at max is E's, at 170).
  assertEquals(w.closeMs, 170);
});

Deno.test("summarizeRecords() with stable_stage counts requests starting in the window and caps concurrency", () => {
  const records: RequestRecord[] = RUN.map((r, i) => ({
    index: i,
    scheduledMs: r.startMs,
    startMs: r.startMs,
    endMs: r.endMs,
    chunkMs: [r.startMs + 5],
    stream: true,
    attempts: 1,
    usage: { promptTokens: 1, completionTokens: 1 },
  }));
  const s = summarizeRecords(records, {
    stats: parseStats(DEFAULT_STATS),
    summarizer: "stable_stage",
    maxConcurrency: 2,
  });
  assertEquals(s.stage, "stable");
  // Starts inside [50, 170]: C (50), D (100), E (150), F (165).
  assertEquals(s.common.total_requests, 4);
  assertEquals(s.common.benchmark_duration_ms, 120);
  // Σ E2EL = 100 + 60 + 20 + 35 = 215 over 120 ms → 1.79, under the cap.
  assertEquals(s.common.concurrency, 215 / 120);
  assertEquals(s.window, { openMs: 50, closeMs: 170 });
});

Deno.test("summarizeRecords() with stable_stage caps concurrency at the max", () => {
  // A request starting in a short window and running long after it pushes
  // Σ E2EL / window (980 / 80) above the cap.
  const long = [iv(0, 100), iv(10, 20), iv(20, 1000)];
  const records: RequestRecord[] = long.map((r, i) => ({
    index: i,
    scheduledMs: r.startMs,
    startMs: r.startMs,
    endMs: r.endMs,
    chunkMs: [],
    stream: true,
    attempts: 1,
  }));
  // Max 2: reached at t=10 (first) and t=20 (second; 10–20 ended at 20 first); the
  // last end at max is A's, at 100.
  const s = summarizeRecords(records, {
    stats: parseStats(["Average"]),
    summarizer: "stable_stage",
    maxConcurrency: 2,
  });
  assertEquals(s.window, { openMs: 20, closeMs: 100 });
  assertEquals(s.common.total_requests, 1);
  assertEquals(s.common.concurrency, 2);
});

Deno.test("stableWindow() explains why there is no window", async () => {
  await assertRejects(
    () => stableWindow([iv(0, 10), iv(20, 30)], 2),
    /peaked at 1, never reaching the max concurrency 2/,
  );
  await assertRejects(() => stableWindow([iv(0, 10), iv(5, 30)], 2), /only once/);
  const error = await assertRejects(() => stableWindow([], 4), /concurrency-over-time plot/);
  assertEquals(error instanceof NoStableWindowError, true);
});

Deno.test("peakInFlight() counts an end and a start at the same instant as not overlapping", () => {
  assertEquals(peakInFlight([iv(0, 10), iv(10, 20), iv(5, 15)]), 2);
});

Deno.test("windowWarnings() warns when the window's longest request took a third of it or more, not otherwise", () => {
  const records = (intervals: { startMs: number; endMs: number }[]): RequestRecord[] =>
    intervals.map((r, i) => ({
      index: i,
      scheduledMs: r.startMs,
      startMs: r.startMs,
      endMs: r.endMs,
      chunkMs: [r.startMs + 5],
      stream: true,
      attempts: 1,
      usage: { promptTokens: 1, completionTokens: 1 },
    }));
  const options = {
    stats: parseStats(DEFAULT_STATS),
    summarizer: "stable_stage" as const,
    maxConcurrency: 2,
  };
  // The window [50, 170] is 120 ms; C took 100 ms of it.
  const short = summarizeRecords(records(RUN), options);
  const [warning, ...rest] = windowWarnings(short);
  assertEquals(rest, []);
  assert(
    warning!.startsWith(
      "the stable window is 120.0 ms long and its longest request took 100.0 ms (a third of it or more): too few requests",
    ),
    warning,
  );
  // Two streams back to back, 10 ms each, for a second: the window is ~1000 ms long.
  const steady = Array.from({ length: 200 }, (_, i) => {
    const start = Math.floor(i / 2) * 10 + (i % 2) * 5;
    return iv(start, start + 10);
  });
  assertEquals(windowWarnings(summarizeRecords(records(steady), options)), []);
  assertEquals(
    windowWarnings(summarizeRecords(records(RUN), { ...options, summarizer: "default_perf" })),
    [],
    "no window, no check",
  );
});
