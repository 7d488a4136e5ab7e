import { DENSE_KEYS, ValueCounts } from "../../src/metrics/counts.ts";
import { DEFAULT_STATS, describe, parseStats, Sample } from "../../src/metrics/stats.ts";
import { ChunkGaps, summarizeRecords } from "../../src/metrics/summarize.ts";
import type { RequestRecord } from "../../src/record/record.ts";
import { Random } from "../../src/random.ts";
import { assertEquals } from "../helpers.ts";

const STATS = parseStats([...DEFAULT_STATS, "P25", "P99.9", "P0.1"]);

Deno.test("ValueCounts gives exactly the statistics of the values themselves", () => {
  const random = new Random(7);
  const counts = new ValueCounts(1000);
  const values: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    // Mostly small µs gaps with repeats, some beyond the dense table, some fractions.
    const r = random.next();
    const key = r < 0.9
      ? random.int(0, 30_000)
      : r < 0.95
      ? DENSE_KEYS + random.int(0, 5_000_000)
      : random.int(0, 40_000) / 3;
    counts.add(key);
    values.push(key / 1000);
  }
  const exact = describe(new Sample(values), STATS)!;
  const folded = describe(counts, STATS)!;
  for (const key of Object.keys(exact)) {
    if (key === "mean") {
      // The same sum in another order: equal to the last bits.
      assertEquals(Math.abs(folded.mean! - exact.mean!) < 1e-9, true, "mean");
    } else assertEquals(folded[key], exact[key], key);
  }
  const seen: number[] = [];
  let total = 0;
  counts.forEach((v, n) => {
    seen.push(v);
    total += n;
  });
  assertEquals(total, values.length);
  assertEquals(seen.every((v, i) => i === 0 || seen[i - 1]! < v), true, "ascending, distinct");
});

Deno.test("ValueCounts merge adds counts; addAll counts a slice; empty is NaN and n 0", () => {
  const a = new ValueCounts();
  const b = new ValueCounts();
  a.addAll([9, 1, 2, 3, 9], 1, 4);
  b.add(2, 3);
  b.add(DENSE_KEYS * 4);
  a.merge(b);
  assertEquals(a.n, 7);
  assertEquals([a.percentile(0), a.percentile(50), a.percentile(100)], [1, 2, DENSE_KEYS * 4]);
  const empty = new ValueCounts();
  assertEquals([empty.n, Number.isNaN(empty.mean()), Number.isNaN(empty.percentile(50))], [
    0,
    true,
    true,
  ]);
  a.add(Infinity);
  assertEquals(a.n, 7, "non-finite keys are not counted");
});

Deno.test("ChunkGaps folds pooled ITL and ITL per token from µs deltas", () => {
  const facts = (chunks: number, tokens: number) => ({
    index: 0,
    scheduledMs: 0,
    startMs: 0,
    endMs: 100,
    chunks,
    stream: true,
    attempts: 1,
    usage: { promptTokens: 1, completionTokens: tokens },
  });
  const gaps = new ChunkGaps();
  gaps.add(facts(3, 3), [5000, 10000, 20000]); // one token per chunk
  gaps.add(facts(3, 6), [5000, 4000, 8000]); // two tokens per chunk
  gaps.add(facts(3, 7), [5000, 1000, 1000]); // unknown split: pooled ITL only
  gaps.add({ ...facts(3, 3), error: { category: "truncated", message: "x" } }, [1, 1, 1]);
  const itl: number[] = [];
  gaps.itl().forEach((v, n) => itl.push(...Array(n).fill(v)));
  assertEquals(itl, [1, 1, 4, 8, 10, 20]);
  const perToken: number[] = [];
  gaps.itlPerToken().forEach((v, n) => perToken.push(...Array(n).fill(v)));
  assertEquals(perToken, [2, 2, 4, 4, 10, 20]);
});

Deno.test("summarizeRecords() pools ITL exactly on the µs grid, whatever the time origin", () => {
  const origin = 1_763_900_000_000; // an epoch-ms time axis, where doubles carry ~0.2 µs
  const rec = (index: number, chunks: number[]): RequestRecord => ({
    index,
    scheduledMs: origin,
    startMs: origin,
    endMs: origin + 100,
    chunkMs: chunks.map((c) => origin + c),
    stream: true,
    attempts: 1,
  });
  const s = summarizeRecords([rec(0, [50, 60.001, 70.002]), rec(1, [40, 50.5])], {
    stats: STATS,
    summarizer: "default_perf",
    maxConcurrency: 2,
  });
  assertEquals([s.metrics.itl_ms!.min, s.metrics.itl_ms!.median, s.metrics.itl_ms!.max], [
    10.001,
    10.001,
    10.5,
  ]);
});
