import { DEFAULT_STATS, describe, parseStats } from "../../src/metrics/stats.ts";
import type { RequestFacts, RequestRecord } from "../../src/record/record.ts";
import { readTraceEntries } from "../../src/record/trace.ts";
import { Random } from "../../src/random.ts";
import { type FoldSpec, foldTrace } from "../../src/report/trace_fold.ts";
import { assertEquals, assertRejects, createTestTrace, withTempDir } from "../helpers.ts";

const ANCHOR = 1_795_000_000_000;
const STATS = parseStats([...DEFAULT_STATS, "P99.9"]);

/** A trace of 300 requests: warm-ups, failures, 1 and 2 tokens per chunk, random gaps. */
function writeTrace(path: string): void {
  const w = createTestTrace(path, ANCHOR, { maxConcurrency: 4 });
  const random = new Random(3);
  for (let i = 0; i < 300; i++) {
    const start = ANCHOR + i * 7.5;
    const chunkMs: number[] = [];
    let t = start + 20 + random.int(0, 9000) / 1000;
    for (let k = random.int(0, 40); k > 0; k--) {
      chunkMs.push(t);
      t += random.int(0, 30_000) / 1000;
    }
    const record: RequestRecord = {
      index: i,
      scheduledMs: start,
      startMs: start,
      endMs: t,
      chunkMs,
      stream: true,
      attempts: 1,
      usage: { promptTokens: 10, completionTokens: chunkMs.length * (i % 3 === 0 ? 2 : 1) },
    };
    if (i < 5) record.warmup = true;
    if (i % 17 === 0) record.error = { category: "stream_error", message: "reset" };
    w.append(record);
  }
  w.finish({ self_check: { loop_lag_ms: { p99: 1 } } });
  w.close();
}

async function folded(spec: FoldSpec, workers: number) {
  const f = await foldTrace(spec, workers);
  return {
    facts: f.facts.sort((a, b) => a.index - b.index),
    itl: describe(f.gaps.itl(), STATS),
    perToken: describe(f.gaps.itlPerToken(), STATS),
    footer: f.footer,
  };
}

Deno.test("foldTrace() gives the same facts, gaps and footer in this thread and over 3 workers", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    writeTrace(path);
    const measured: FoldSpec = { path, anchorMs: ANCHOR, facts: true, gapsOf: "measured" };
    const here = await folded(measured, 0);
    assertEquals(here.facts.length, 300);
    // The kept rows (table columns) read as the decoder's plain facts of the same lines.
    const decoded: RequestFacts[] = [];
    for await (const e of readTraceEntries(path, ANCHOR)) decoded.push(e.facts);
    assertEquals(here.facts, decoded.sort((a, b) => a.index - b.index));
    assertEquals(here.footer, { self_check: { loop_lag_ms: { p99: 1 } } });
    assertEquals(await folded(measured, 3), here);
    // A second pass folds only some requests, and keeps no facts.
    const some: FoldSpec = { path, anchorMs: ANCHOR, facts: false, gapsOf: [10, 11, 12, 200] };
    const few = await folded(some, 2);
    assertEquals(few.facts.length, 0);
    assertEquals(few, await folded(some, 0));
    assertEquals(few.itl!.n! > 0 && few.itl!.n! < here.itl!.n!, true, "some gaps, not all");
  });
});

Deno.test("foldTrace() in workers names a corrupt line by its byte offset", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    writeTrace(path);
    const lines = Deno.readTextFileSync(path).split("\n");
    lines[200] = '{"i":1}';
    Deno.writeTextFileSync(path, lines.join("\n"));
    const offset = new TextEncoder().encode(lines.slice(0, 200).join("\n") + "\n").length;
    const spec: FoldSpec = { path, anchorMs: ANCHOR, facts: true, gapsOf: "measured" };
    await assertRejects(
      () => foldTrace(spec, 2),
      new RegExp(`the line at byte ${offset} is not a valid record: field "sched" is missing`),
    );
    await assertRejects(() => foldTrace(spec, 0), /line 201 is not a valid record/);
  });
});
