import {
  arrivalOffsets,
  rampOffsets,
  type RampProfile,
  runShape,
  wholeLoad,
} from "../../src/load/mod.ts";
import { rampLengthMs } from "../../src/load/ramp.ts";
import { mean, stddev } from "../../src/metrics/stats.ts";
import { assert, assertClose, assertEquals, FakeClock } from "../helpers.ts";

function take(it: Iterator<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const gaps = (offsets: number[]) => offsets.slice(1).map((t, i) => t - offsets[i]!);

const origin = performance.timeOrigin;

Deno.test("arrivalOffsets() constant: the i-th arrival is due at exactly i / rate", () => {
  assertEquals(
    take(arrivalOffsets({ kind: "rate", rate: 4, arrival: "constant", burstiness: 1, seed: 0 }), 5),
    [
      0,
      250,
      500,
      750,
      1000,
    ],
  );
});

Deno.test("arrivalOffsets() poisson: mean inter-arrival within 3% over 10,000 draws, reproducible for a seed", () => {
  const p = {
    kind: "rate" as const,
    rate: 20,
    arrival: "poisson" as const,
    burstiness: 1,
    seed: 7,
  };
  const a = take(arrivalOffsets(p), 10_001);
  assertClose(mean(gaps(a)), 50, 1.5, "mean gap (ms)");
  assertEquals(take(arrivalOffsets(p), 100), a.slice(0, 100));
  assert(
    take(arrivalOffsets({ ...p, seed: 8 }), 5).join() !== a.slice(0, 5).join(),
    "another seed differs",
  );
});

Deno.test("arrivalOffsets() gamma: coefficient of variation matches 1/√shape within 5%", () => {
  for (const shape of [0.25, 0.5, 2, 4]) {
    const g = gaps(
      take(
        arrivalOffsets({ kind: "rate", rate: 10, arrival: "gamma", burstiness: shape, seed: 3 }),
        20_001,
      ),
    );
    assertClose(mean(g), 100, 5, `mean gap, shape ${shape}`);
    const cv = stddev(g) / mean(g);
    assertClose(cv, 1 / Math.sqrt(shape), 0.05 / Math.sqrt(shape), `CV, shape ${shape}`);
  }
});

Deno.test("arrivalOffsets() with a known count makes the realized rate exactly the target", () => {
  const a = [
    ...arrivalOffsets({ kind: "rate", rate: 20, arrival: "poisson", burstiness: 1, seed: 1 }, 200),
  ];
  assertEquals(a.length, 200);
  assertClose(199 / (a[199]! / 1000), 20, 1e-9, "realized rate");
  assert(stddev(gaps(a)) > 20, "still random");
});

Deno.test("rampOffsets() follows the curve: arrivals i are where the rate's integral reaches i", () => {
  const linear: RampProfile = { kind: "ramp", curve: "linear", from: 1, to: 9 };
  const T = rampLengthMs(linear, 50);
  assertEquals(T, 10_000); // 50 arrivals at an average 5 req/s
  const lin = [...rampOffsets(linear, T, { count: 50 })].map((t) => t / 1000);
  for (const [i, t] of lin.entries()) {
    assertClose(t + (8 / 20) * t * t, i, 1e-9, `linear arrival ${i}`);
  }
  const exp: RampProfile = { kind: "ramp", curve: "exponential", from: 1, to: 16 };
  const Te = rampLengthMs(exp, 60) / 1000;
  const ex = [...rampOffsets(exp, Te * 1000, { count: 60 })].map((t) => t / 1000);
  for (const [i, t] of ex.entries()) {
    assertClose((Te * (16 ** (t / Te) - 1)) / Math.log(16), i, 1e-6, `exponential arrival ${i}`);
  }
  // Denser at the end than at the start.
  assert(ex[1]! - ex[0]! > ex[59]! - ex[58]!, "exponential ramp speeds up");
});

Deno.test("runShape() rate: each send is scheduled at t0 + offset, and the cap holds sends back (their lag shows)", async () => {
  const clock = new FakeClock(1000);
  const t0 = clock.t;
  const sent: Array<[number, number, number]> = [];
  let inFlight = 0;
  let peak = 0;
  const releases: Array<() => void> = [];
  const done = runShape(
    { kind: "rate", rate: 10, arrival: "constant", burstiness: 1, seed: 0, maxConcurrency: 2 },
    { total: 4 },
    {
      send: (index, scheduledMs) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        sent.push([index, scheduledMs - origin - t0, clock.t - t0]);
        return new Promise<void>((resolve) => releases.push(() => (inFlight--, resolve())));
      },
      clock,
      shard: wholeLoad(clock),
    },
  );
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(sent, [[0, 0, 0], [1, 100, 100]]);
  clock.t += 500; // both still in flight; the third waits for a slot
  releases.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  releases.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  releases.splice(0).forEach((r) => r());
  await done;
  assertEquals(sent.map((s) => s[1]), [0, 100, 200, 300]);
  // Due at 200 (the clock reached it), held by the cap until a slot freed at 700.
  assertEquals(sent[2]![2], 700, "sent late: when a slot freed");
  assertEquals(peak, 2);
});

Deno.test("runShape() stops starting sends at the duration", async () => {
  const clock = new FakeClock(1000);
  const t0 = clock.t;
  const starts: number[] = [];
  await runShape({ kind: "rate", rate: 10, arrival: "constant", burstiness: 1, seed: 0 }, {
    total: Infinity,
    durationMs: 1000,
  }, {
    send: () => {
      starts.push(clock.t - t0);
      return Promise.resolve();
    },
    clock,
    shard: wholeLoad(clock),
  });
  assertEquals(starts.length, 10);
  assertEquals(starts[9], 900);
});
