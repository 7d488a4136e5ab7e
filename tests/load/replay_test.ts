import { planFromFlags } from "../../src/cli/run.ts";
import { replayOffsets, type ReplayProfile } from "../../src/load/replay.ts";
import { describeLoad, replayWindowOf, runShape, wholeLoad } from "../../src/load/mod.ts";
import type { Clock } from "../../src/load/clock.ts";
import { assertEquals } from "../helpers.ts";

const REPLAY: ReplayProfile = { kind: "replay", speed: 2, fromS: 1 };

/** A clock that jumps to each deadline at once. */
class FakeClock implements Clock {
  t = 0;
  now = () => this.t;
  sleepUntil(at: number): Promise<void> {
    if (at > this.t) this.t = at;
    return Promise.resolve();
  }
}

Deno.test("replayOffsets() starts at the window and compresses by the speed", () => {
  assertEquals([...replayOffsets([1000, 1000, 1500, 3000], REPLAY)], [0, 0, 250, 1000]);
  assertEquals(replayWindowOf({ ...REPLAY, toS: 4 }), { fromMs: 1000, toMs: 4000 });
  assertEquals(replayWindowOf(REPLAY), { fromMs: 1000, toMs: Infinity });
});

Deno.test("runShape() replay: each arrival once at t0 + its offset, however large the count", async () => {
  const clock = new FakeClock();
  const due: Array<[number, number]> = [];
  await runShape(REPLAY, { total: Infinity }, {
    send: (i, scheduledMs) => {
      due.push([i, Math.round(scheduledMs - performance.timeOrigin)]);
      return Promise.resolve();
    },
    clock,
    shard: wholeLoad(clock),
    arrivals: [1000, 1200, 5000],
  });
  assertEquals(due, [[0, 0], [1, 100], [2, 2000]]);
});

Deno.test("--replay flags make a replay profile; --concurrency caps it", () => {
  const plan = planFromFlags(
    {
      replay: true,
      concurrency: [4],
      "dataset-path": "x.jsonl",
    },
    () => undefined,
    { extra: { "replay-speed": 3, "replay-from": 10, "replay-to": 20 } },
  );
  const load = plan.tasks[0]!.load;
  assertEquals(
    { ...load },
    { kind: "replay", speed: 3, fromS: 10, toS: 20, maxConcurrency: 4 },
  );
  assertEquals(describeLoad(load), "replay at 3× of 10–20 s, cap 4");
});
