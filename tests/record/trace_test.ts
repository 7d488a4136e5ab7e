import type { RequestRecord } from "../../src/record/record.ts";
import { decodeRecord, encodeRecord, readTrace, TraceWriter } from "../../src/record/trace.ts";
import { assertEquals, assertRejects, withTempDir } from "../helpers.ts";

const ANCHOR = 1_795_000_000_000;
const IDENTITY = {
  model: "m",
  model_abbr: "m",
  dataset: "d",
  api: "openai-chat",
  stream: true,
  load: {},
  output_name: "d",
  max_concurrency: 1,
};

function sample(index: number): RequestRecord {
  return {
    index,
    scheduledMs: ANCHOR + 1.0004,
    startMs: ANCHOR + 1.2345,
    endMs: ANCHOR + 250.5,
    chunkMs: [ANCHOR + 51.1, ANCHOR + 61.25, ANCHOR + 71.3],
    firstContentMs: ANCHOR + 61.25,
    stream: true,
    status: 200,
    usage: { promptTokens: 12, completionTokens: 3 },
    inputTokens: 12,
    attempts: 2,
    finishReason: "length",
    error: { category: "truncated", message: "stream ended without [DONE]" },
  };
}

Deno.test("encodeRecord() writes integer µs and decodeRecord() restores the record on the µs grid", () => {
  const line = encodeRecord(sample(3), ANCHOR);
  const parsed = JSON.parse(line);
  assertEquals(parsed.start, 1235);
  assertEquals(parsed.chunks, [51100 - 1235, 10150, 10050]);
  const back = decodeRecord(line, ANCHOR);
  assertEquals(Math.round((back.chunkMs[2]! - ANCHOR) * 1000), 71300);
  assertEquals(Math.round((back.endMs - back.startMs) * 1000), 249265);
  assertEquals(back.usage, { promptTokens: 12, completionTokens: 3 });
  assertEquals(back.error, sample(0).error);
  assertEquals([back.attempts, back.finishReason, back.index, back.inputTokens], [
    2,
    "length",
    3,
    12,
  ]);
  // Quantizing twice changes nothing: recomputed reports equal the original ones.
  assertEquals(encodeRecord(back, ANCHOR), line);
});

Deno.test("TraceWriter appends records that readTrace() streams back with the header", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    const w = TraceWriter.create(path, {
      anchor_ms: ANCHOR,
      created: "now",
      identity: IDENTITY,
      task: { name: "x" },
    });
    const written = [w.append(sample(0)), w.append(sample(1))];
    w.close();
    const { header, records } = await readTrace(path);
    assertEquals(header.task, { name: "x" });
    const read: RequestRecord[] = [];
    for await (const r of records) read.push(r);
    assertEquals(read, written);
  });
});

Deno.test("readTrace() skips a last line cut short by a kill, and names a corrupt line otherwise", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    const w = TraceWriter.create(path, {
      anchor_ms: ANCHOR,
      created: "now",
      identity: IDENTITY,
      task: {},
    });
    w.append(sample(0));
    w.close();
    await Deno.writeTextFile(path, '{"i":1,"sched":1,"sta', { append: true });
    const read = [];
    for await (const r of (await readTrace(path)).records) read.push(r);
    assertEquals(read.length, 1);
    await Deno.writeTextFile(path, 'rt":2}\n{"i":2}\n', { append: true });
    await assertRejects(async () => {
      for await (const _ of (await readTrace(path)).records) { /* drain */ }
    }, /line 3 is not a valid record: field "end" is missing/);
  });
});

Deno.test("TraceWriter.create() never overwrites an existing trace", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    await Deno.writeTextFile(path, "keep");
    await assertRejects(
      () => TraceWriter.create(path, { anchor_ms: 0, created: "", identity: IDENTITY, task: {} }),
      /Cannot create trace/,
    );
    assertEquals(await Deno.readTextFile(path), "keep");
  });
});
