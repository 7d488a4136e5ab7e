import type { Clock, Shard } from "../../src/load/clock.ts";
import {
  type LoadProfile,
  partShare,
  runShape,
  shardOfPart,
  wholeLoad,
} from "../../src/load/mod.ts";
import { assert, assertEquals, FakeClock } from "../helpers.ts";

/** Every send of one run of `profile` on `shard`: index → due time (ms after t0), and the peak in flight. */
async function sends(
  profile: LoadProfile,
  total: number,
  shard: (clock: Clock) => Shard,
): Promise<{ due: Map<number, number>; peak: number }> {
  const clock = new FakeClock(1000);
  const s = shard(clock);
  const due = new Map<number, number>();
  let inFlight = 0;
  let peak = 0;
  await runShape(profile, { total }, {
    clock,
    shard: s,
    send: async (index, scheduledMs) => {
      assert(!due.has(index), `index ${index} sent twice`);
      due.set(index, scheduledMs - performance.timeOrigin - s.t0);
      peak = Math.max(peak, ++inFlight);
      // Each request lasts a little, so lanes and caps are exercised.
      await new Promise((r) => setTimeout(r, 0));
      inFlight--;
    },
  });
  return { due, peak };
}

Deno.test("partShare() deals a cap round-robin: each part gets floor or ceiling of cap/N, summing to the cap", () => {
  assertEquals([0, 1, 2].map((index) => partShare(7, { index, count: 3 })), [3, 2, 2]);
  assertEquals([0, 1, 2, 3].map((index) => partShare(2, { index, count: 4 })), [1, 1, 0, 0]);
  for (let cap = 1; cap <= 40; cap++) {
    for (let count = 1; count <= 9; count++) {
      const shares = Array.from({ length: count }, (_, index) => partShare(cap, { index, count }));
      assertEquals(shares.reduce((a, b) => a + b, 0), cap, `cap ${cap} over ${count}`);
      assert(Math.max(...shares) - Math.min(...shares) <= 1, `cap ${cap} over ${count}`);
    }
  }
  assertEquals(partShare(Infinity, { index: 1, count: 3 }), Infinity);
});

Deno.test("shardOfPart() rate: 3 parts send exactly the whole load's schedule between them, part p the indices ≡ p mod 3, each under its share of the cap", async () => {
  const profile: LoadProfile = {
    kind: "rate",
    rate: 50,
    arrival: "gamma",
    burstiness: 0.3,
    seed: 5,
    maxConcurrency: 7,
  };
  const whole = await sends(profile, 100, wholeLoad);
  const union = new Map<number, number>();
  for (let index = 0; index < 3; index++) {
    const part = { index, count: 3 };
    const got = await sends(profile, 100, (c) => shardOfPart(wholeLoad(c), part));
    for (const [i, t] of got.due) {
      assertEquals(i % 3, index, `index ${i} in part ${index}`);
      union.set(i, t);
    }
    assert(got.peak <= partShare(7, part), `part ${index}: peak ${got.peak}`);
  }
  assertEquals(union.size, 100);
  // The i-th global send's due time, not an approximation of it.
  for (const [i, t] of whole.due) assertEquals(union.get(i), t, `due time of send ${i}`);
});

Deno.test("shardOfPart() concurrency: lanes and claimed indices split over parts and workers, every global index once", async () => {
  const profile: LoadProfile = { kind: "concurrency", concurrency: 7 };
  const seen = new Set<number>();
  for (let index = 0; index < 3; index++) {
    const part = { index, count: 3 };
    // Two workers inside each part, claiming from one counter as load workers do.
    let next = 0;
    const counter = () => next++;
    const runs = await Promise.all(
      [0, 1].map((worker) =>
        sends(
          profile,
          50,
          (c) => shardOfPart({ worker, workers: 2, claim: counter, t0: c.now() }, part),
        )
      ),
    );
    const peak = runs.reduce((a, r) => a + r.peak, 0);
    assert(peak <= partShare(7, part), `part ${index}: ${peak} lanes`);
    for (const r of runs) {
      for (const i of r.due.keys()) {
        assertEquals(i % 3, index);
        assert(!seen.has(i), `index ${i} twice`);
        seen.add(i);
      }
    }
  }
  assertEquals([...seen].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
});
