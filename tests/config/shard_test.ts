import { firstDifference, type ShardFlags, shardPart, startAtMs } from "../../src/config/shard.ts";
import { planFromFlags } from "../../src/cli/run.ts";
import { assert, assertEquals } from "../helpers.ts";

const NOW = Date.parse("2026-12-02T01:00:00Z");

function parsed<T>(fn: (problems: string[]) => T): { value: T; problems: string[] } {
  const problems: string[] = [];
  return { value: fn(problems), problems };
}

const startAt = (text: string) => parsed((problems) => startAtMs(text, { nowMs: NOW, problems }));

const shard = (flags: ShardFlags, env: (name: string) => string | undefined) =>
  parsed((problems) => shardPart(flags, { env, problems }));

Deno.test("startAtMs() reads ISO instants with a zone and +DURATION, and names the flag for anything else", () => {
  assertEquals(
    startAt("2026-12-02T01:00:30Z").value,
    NOW + 30_000,
  );
  assertEquals(
    startAt("2026-12-02T02:00:30+01:00").value,
    NOW + 30_000,
  );
  assertEquals(startAt("+30s").value, NOW + 30_000);
  assertEquals(startAt("+1.5m").value, NOW + 90_000);
  assertEquals(startAt("+500ms").value, NOW + 500);
  assertEquals(startAt("+20").value, NOW + 20_000);
  for (const bad of ["soon", "2026-12-02 01:00:30", "2026-12-02T01:00:30", "-5s"]) {
    const r = startAt(bad);
    assertEquals(r.value, undefined, bad);
    assert(r.problems[0]?.startsWith("--start-at: expected"), r.problems.join());
  }
  const past = startAt("2026-12-02T00:59:50Z");
  assertEquals(past.problems, [
    '--start-at: "2026-12-02T00:59:50Z" is 10.0 s in the past (now 2026-12-02T01:00:00.000Z)',
  ]);
  assertEquals(startAt("+25h").problems, [
    '--start-at: "+25h" is more than 24 h ahead',
  ]);
});

Deno.test("shardPart() reads --shard I/N, or --shards N with JOB_COMPLETION_INDEX, and says what is wrong", () => {
  const noEnv = () => undefined;
  assertEquals(shard({ shard: "2/3" }, noEnv).value, {
    index: 2,
    count: 3,
  });
  const env = (name: string) => (name === "JOB_COMPLETION_INDEX" ? "4" : undefined);
  assertEquals(shard({ shards: 5 }, env).value, {
    index: 4,
    count: 5,
  });
  assertEquals(shard({}, env).value, undefined);
  const cases: Array<[ShardFlags, (n: string) => string | undefined, RegExp]> = [
    [{ shard: "3/3" }, noEnv, /^--shard: expected INDEX\/COUNT with 0 ≤ INDEX < COUNT/],
    [{ shard: "1" }, noEnv, /^--shard: expected/],
    [{ shard: "0/2", shards: 2 }, env, /^--shard and --shards: give one/],
    [{ shards: 3 }, noEnv, /^--shards 3: needs the shard index in JOB_COMPLETION_INDEX/],
    [
      { shards: 3 },
      env,
      /^--shards 3: JOB_COMPLETION_INDEX must be an integer from 0 to 2, got "4"/,
    ],
  ];
  for (const [flags, e, pattern] of cases) {
    const r = shard(flags, e);
    assertEquals(r.value, undefined);
    assert(pattern.test(r.problems[0] ?? ""), r.problems.join());
  }
});

Deno.test("planFromFlags() --shard refuses more shards than the cap or the requests can feed", () => {
  let message = "";
  try {
    planFromFlags({
      url: "http://127.0.0.1:1",
      concurrency: [2],
      "num-prompts": [10],
      shard: "0/3",
    });
  } catch (error) {
    message = (error as Error).message;
  }
  assert(
    message.includes("has a cap of 2 requests in flight, which 3 shards cannot share"),
    message,
  );
  const plan = planFromFlags(
    {
      url: "http://127.0.0.1:1",
      concurrency: [3],
      "num-prompts": [10],
      shard: "2/3",
      "start-at": "+30s",
    },
    () => undefined,
    { now: () => NOW },
  );
  assertEquals(plan.shard, { index: 2, count: 3 });
  assertEquals(plan.startAtMs, NOW + 30_000);
});

Deno.test("firstDifference() names the first differing field as a path, with both values", () => {
  const a = { tasks: [{ load: { rate: 2, kind: "rate" } }], warmup: 0 };
  assertEquals(firstDifference(a, structuredClone(a)), undefined);
  assertEquals(
    firstDifference(a, { tasks: [{ load: { rate: 3, kind: "rate" } }], warmup: 0 }),
    { field: "tasks[0].load.rate", a: "2", b: "3" },
  );
  assertEquals(firstDifference(a, { ...a, seed: 1 }), { field: "seed", a: "absent", b: "1" });
});
