import { mergeTraces } from "../../src/record/merge.ts";
import type { RequestRecord } from "../../src/record/record.ts";
import {
  readTraceHeader,
  readTraceRecords,
  type ShardStamp,
  TraceWriter,
} from "../../src/record/trace.ts";
import { assertEquals, assertRejects, TEST_IDENTITY, withTempDir } from "../helpers.ts";

const T0 = 1_800_000_000_000;

function stamp(index: number, offsetMs: number): ShardStamp {
  return { index, count: 2, clock_source: "test", wall_offset_ms: offsetMs };
}

/** A record of request `index` from `startMs` to `endMs`, one chunk halfway. */
function record(index: number, startMs: number, endMs: number): RequestRecord {
  return {
    index,
    scheduledMs: startMs,
    startMs,
    endMs,
    chunkMs: [(startMs + endMs) / 2],
    stream: true,
    attempts: 1,
  };
}

/** Writes shard `s`'s trace: its anchor, its wall-clock offset, its share of a cap of 3. */
function shardTrace(
  path: string,
  s: ShardStamp,
  options: { anchorMs: number; records: RequestRecord[] },
): void {
  const w = TraceWriter.create(path, {
    anchor_ms: options.anchorMs,
    created: `2026-12-02T00:00:0${s.index}Z`,
    identity: { ...TEST_IDENTITY, max_concurrency: s.index === 0 ? 2 : 1 },
    task: {},
    plan_hash: "h",
    shard: s,
  });
  for (const r of options.records) w.append(r);
  w.close();
}

Deno.test("mergeTraces() keeps every record once with its shard, in end order, each shard's times moved by its wall-clock offset, the caps summed", async () => {
  await withTempDir(async (dir) => {
    // Shard 1's axis runs 5 ms ahead of its wall clock (offset −5): its times move back by 5 ms.
    shardTrace(`${dir}/a.jsonl`, stamp(0, 0), {
      anchorMs: T0,
      records: [record(0, T0 + 10, T0 + 40), record(2, T0 + 20, T0 + 90)],
    });
    shardTrace(`${dir}/b.jsonl`, stamp(1, -5), {
      anchorMs: T0 + 3,
      records: [record(1, T0 + 15, T0 + 60), record(3, T0 + 30, T0 + 100)],
    });
    const out = `${dir}/merged.jsonl`;
    const merged = await mergeTraces([`${dir}/b.jsonl`, `${dir}/a.jsonl`], out);
    assertEquals(merged.records, 4);
    assertEquals(merged.shards.map((s) => s.index), [0, 1]);
    const header = await readTraceHeader(out);
    assertEquals(header.identity.max_concurrency, 3);
    assertEquals(header.shards?.map((s) => s.wall_offset_ms), [0, -5]);
    assertEquals(header.created, "2026-12-02T00:00:00Z");
    const lines = Deno.readTextFileSync(out).trim().split("\n").slice(1).map((l) => JSON.parse(l));
    // In end order (wall clock): 0 at 40, 1 at 55, 2 at 90, 3 at 95.
    assertEquals(lines.map((l) => [l.i, l.sh]), [[0, 0], [1, 1], [2, 0], [3, 1]]);
    const byIndex = await readTraceRecords(out);
    assertEquals(byIndex.map((r) => [r.startMs - T0, r.endMs - T0]), [
      [10, 40],
      [10, 55],
      [20, 90],
      [25, 95],
    ]);
    assertEquals(byIndex[1]!.chunkMs, [T0 + 32.5]);
  });
});

Deno.test("mergeTraces() refuses a record that is not its shard's, and two traces of one shard", async () => {
  await withTempDir(async (dir) => {
    shardTrace(`${dir}/a.jsonl`, stamp(0, 0), { anchorMs: T0, records: [record(1, T0, T0 + 5)] });
    shardTrace(`${dir}/b.jsonl`, stamp(1, 0), { anchorMs: T0, records: [] });
    await assertRejects(
      () => mergeTraces([`${dir}/a.jsonl`, `${dir}/b.jsonl`], `${dir}/m1.jsonl`),
      /request 1 is not shard 0's \(1 mod 2 is 1\)/,
    );
    await assertRejects(
      () => mergeTraces([`${dir}/b.jsonl`, `${dir}/b.jsonl`], `${dir}/m2.jsonl`),
      /both are shard 1/,
    );
  });
});
