import type { RequestRecord } from "../../src/record/record.ts";
import {
  decodeDeltas as decodeDeltaArray,
  encodeDeltas,
  encodeRecord,
  readTrace,
  readTraceRecords,
  recordOf,
  TraceLineDecoder,
} from "../../src/record/trace.ts";
import { Random } from "../../src/random.ts";
import { assertEquals, assertRejects, createTestTrace, withTempDir } from "../helpers.ts";

const ANCHOR = 1_795_000_000_000;

/** A trace line read back as a whole record. */
const decodeRecord = (line: string, anchorMs: number) =>
  recordOf(new TraceLineDecoder(anchorMs).decodeText(line), anchorMs);

const decodeDeltas = (text: string) => Array.from(decodeDeltaArray(text));

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
  assertEquals(decodeDeltas(parsed.c), [51100 - 1235, 10150, 10050]);
  assertEquals(parsed.c.length, 9, "3 characters per delta of 2.1 to 97 ms");
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
    const w = createTestTrace(path, ANCHOR, { task: { name: "x" } });
    w.append(sample(1));
    w.append(sample(0));
    w.close();
    const { header } = await readTrace(path);
    assertEquals(header.task, { name: "x" });
    const written = [0, 1].map((i) => decodeRecord(encodeRecord(sample(i), ANCHOR), ANCHOR));
    assertEquals(await readTraceRecords(path), written, "in send order");
  });
});

Deno.test("readTrace() skips a last line cut short by a kill, and names a corrupt line otherwise", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    const w = createTestTrace(path, ANCHOR);
    w.append(sample(0));
    w.close();
    await Deno.writeTextFile(path, '{"i":1,"sched":1,"sta', { append: true });
    assertEquals((await readTraceRecords(path)).length, 1);
    await Deno.writeTextFile(path, 'rt":2}\n{"i":2}\n', { append: true });
    await assertRejects(async () => {
      for await (const _ of (await readTrace(path)).entries) { /* drain */ }
    }, /line 3 is not a valid record: field "end" is missing/);
  });
});

Deno.test("TraceWriter.create() never overwrites an existing trace", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    await Deno.writeTextFile(path, "keep");
    await assertRejects(
      () => createTestTrace(path, 0),
      /Cannot create trace/,
    );
    assertEquals(await Deno.readTextFile(path), "keep");
  });
});

Deno.test("encodeDeltas() round-trips any integers ≥ 0 as JSON-safe text; decodeDeltas() rejects damage", () => {
  const values = [0, 1, 45, 46, 2115, 2116, 10_000, 97_335, 97_336, 4_477_455, 9_007_199_254];
  const text = encodeDeltas(values);
  assertEquals(decodeDeltas(text), values);
  assertEquals(JSON.parse(JSON.stringify(text)), text);
  assertEquals(JSON.stringify(text).length, text.length + 2, "nothing needs escaping");
  assertEquals(encodeDeltas([45]).length, 1);
  assertEquals(encodeDeltas([46]).length, 2);
  assertEquals(encodeDeltas([97_335]).length, 3);
  assertEquals(decodeDeltas(""), []);
  let threw = 0;
  for (const bad of [encodeDeltas([46]).slice(0, 1), "a\\b", "\u00e9"]) {
    try {
      decodeDeltas(bad);
    } catch {
      threw++;
    }
  }
  assertEquals(threw, 3);
});

Deno.test("decodeDeltas() reads any mix of number lengths, and every cut is a prefix or an error", () => {
  const random = new Random(11);
  const ranges = [45, 2115, 97_335, 4_477_455, 1e12];
  const values = Array.from({ length: 3000 }, () => random.int(0, ranges[random.int(0, 4)]!));
  assertEquals(decodeDeltas(encodeDeltas(values)), values);
  const few = values.slice(0, 40);
  const text = encodeDeltas(few);
  for (let cut = 0; cut <= text.length; cut++) {
    let read: number[] | undefined;
    try {
      read = decodeDeltas(text.slice(0, cut));
    } catch {
      continue; // cut inside a number
    }
    assertEquals(read, few.slice(0, read.length), `cut at ${cut}`);
  }
});

Deno.test("decodeRecord() still reads version-1 lines with a chunks array", () => {
  const line = JSON.stringify({
    i: 0,
    sched: 0,
    start: 10,
    end: 500,
    chunks: [100, 50],
    stream: true,
    attempts: 1,
  });
  const r = decodeRecord(line, ANCHOR);
  assertEquals(r.chunkMs.map((t) => Math.round((t - ANCHOR) * 1000)), [110, 160]);
});

Deno.test("reading a line's bytes gives what parsing its text gives, whatever its strings hold", () => {
  const record: RequestRecord = {
    ...sample(1),
    error: { category: "bad_event", message: 'café ✓ ,"c":"!!" \\ \n' },
    tries: [{
      startMs: ANCHOR + 0.1234567,
      endMs: ANCHOR + 5.0000004,
      error: { category: "timeout", message: "timed out" },
    }],
  };
  const line = encodeRecord(record, ANCHOR);
  const bytes = new TextEncoder().encode(`xx${line}yy`);
  const decoder = new TraceLineDecoder(ANCHOR);
  const fromBytes = decoder.decodeBytes(bytes, 2, bytes.length - 2);
  const facts = fromBytes.facts;
  const deltas = Array.from(fromBytes.deltasUs);
  const fromText = decoder.decodeText(line);
  assertEquals([facts, deltas], [fromText.facts, Array.from(fromText.deltasUs)]);
  assertEquals(facts.error, record.error);
  assertEquals([facts.chunks, deltas], [3, [51100 - 1235, 10150, 10050]]);
  assertEquals(Math.round((facts.lastChunkMs! - ANCHOR) * 1000), 71300);
});

Deno.test("readTrace() reads lines longer than its read buffer, and lines across reads", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.jsonl`;
    const w = createTestTrace(path, ANCHOR);
    // 1.5 M chunks of 10 ms (3 bytes each): a line of 4.5 MB, beyond the 4 MiB buffer.
    const long = {
      ...sample(1),
      chunkMs: Array.from({ length: 1_500_000 }, (_, k) => ANCHOR + 2 + 10 * k),
    };
    for (let i = 0; i < 300; i++) w.append(i === 150 ? { ...long, index: i } : sample(i));
    w.close();
    let n = 0;
    let chunks = 0;
    for await (const e of (await readTrace(path)).entries) {
      assertEquals(e.facts.index, n++);
      chunks += e.facts.chunks;
      if (e.facts.index === 150) assertEquals(e.deltasUs[1_499_999], 10_000);
    }
    assertEquals([n, chunks], [300, 299 * 3 + 1_500_000]);
  });
});

Deno.test("encodeRecord() falls back to a chunks array when an arrival goes backwards", () => {
  const record: RequestRecord = { ...sample(2), chunkMs: [ANCHOR + 60, ANCHOR + 55] };
  const line = JSON.parse(encodeRecord(record, ANCHOR));
  assertEquals([line.c, line.chunks], [undefined, [60000 - 1235, -5000]]);
  assertEquals(decodeRecord(JSON.stringify(line), ANCHOR).chunkMs, [ANCHOR + 60, ANCHOR + 55]);
});
