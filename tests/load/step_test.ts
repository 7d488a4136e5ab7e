import { planFromFlags } from "../../src/cli/run.ts";
import { stepLevels, stepOffsets, type StepProfile } from "../../src/load/step.ts";
import { describeLoad, runShape, wholeLoad } from "../../src/load/mod.ts";
import { UsageError } from "../../src/errors.ts";
import { assertEquals, FakeClock } from "../helpers.ts";

const STEP: StepProfile = { kind: "step", from: 1, to: 3, step: 1, holdS: 2 };

function take(it: Iterator<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

Deno.test("stepLevels() climbs by step and ends at to, also downward and past an uneven step", () => {
  assertEquals(stepLevels(STEP), [1, 2, 3]);
  assertEquals(stepLevels({ ...STEP, from: 4, to: 1, step: 2 }), [4, 2, 1]);
  assertEquals(stepLevels({ ...STEP, from: 1, to: 4, step: 2 }), [1, 3, 4]);
  assertEquals(stepLevels({ ...STEP, from: 5, to: 5 }), [5]);
});

Deno.test("stepOffsets() holds each rate for hold_s, evenly spaced, and holds the last one", () => {
  // 1 req/s for 2 s (0, 1000), 2 req/s for 2 s (2000..3500), then 3 req/s on.
  assertEquals(take(stepOffsets(STEP), 9).map((t) => Math.round(t)), [
    0,
    1000,
    2000,
    2500,
    3000,
    3500,
    4000,
    4333,
    4667,
  ]);
});

Deno.test("runShape() step: sends are scheduled at t0 + the step offsets until the count", async () => {
  const clock = new FakeClock();
  const due: number[] = [];
  await runShape(STEP, { total: 5 }, {
    send: (_i, scheduledMs) => {
      due.push(Math.round(scheduledMs - performance.timeOrigin));
      return Promise.resolve();
    },
    clock,
    shard: wholeLoad(clock),
  });
  assertEquals(due, [0, 1000, 2000, 2500, 3000]);
});

Deno.test("planFromFlags() --ramp step builds one step task, the same as its load: fields", () => {
  const plan = planFromFlags(
    {
      url: "http://127.0.0.1:1",
      ramp: "step",
      "ramp-from": 1,
      "ramp-to": 4,
      concurrency: [8],
      "num-prompts": [20],
    },
    undefined,
    { extra: { "ramp-step": 1, "ramp-hold": 5 } },
  );
  const load = plan.tasks[0]!.load;
  assertEquals(load, {
    kind: "step",
    from: 1,
    to: 4,
    step: 1,
    holdS: 5,
    maxConcurrency: 8,
    numRequests: 20,
  });
  assertEquals(describeLoad(load), "step ramp 1→4 req/s by 1 every 5 s, cap 8");
});

Deno.test("planFromFlags() --ramp step names every missing step flag, and --ramp-step needs it", () => {
  const problems = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof UsageError) return error.problems;
      throw error;
    }
    throw new Error("expected a UsageError");
  };
  assertEquals(
    problems(() =>
      planFromFlags({ url: "http://127.0.0.1:1", ramp: "step", "ramp-from": 1, "ramp-to": 2 })
    ),
    ["--ramp: needs --ramp-step, --ramp-hold"],
  );
  assertEquals(
    problems(() =>
      planFromFlags(
        { url: "http://127.0.0.1:1", ramp: "linear", "ramp-from": 1, "ramp-to": 2 },
        undefined,
        {
          extra: { "ramp-hold": 3 },
        },
      )
    ),
    ["--ramp-hold: not used with --ramp linear (it needs --ramp step)"],
  );
});
