import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { STREAMS_PER_WORKER, workerCount } from "../../src/bench/drive.ts";
import type { Plan } from "../../src/config/plan.ts";
import { readTraceRecords } from "../../src/record/trace.ts";
import { type SimServer, startSimulator } from "../../src/sim/server.ts";
import {
  assert,
  assertEquals,
  modelAt,
  quiet,
  sendTruth,
  simplePlan,
  withTempDir,
} from "../helpers.ts";

/** Runs a plan with `workers` load workers; returns its result JSON and records. */
async function runWith(plan: Plan, workers: number, sim?: SimServer) {
  sim?.resetStats();
  const result = await runBenchmark({ ...plan, workers }, { print: quiet });
  const task = result.tasks[0]!;
  const records = await readTraceRecords(task.paths.trace);
  return { json: task.report.json!, records, sent: sim ? sendTruth(sim.sendTimes()) : undefined };
}

Deno.test("1 and 2 load workers against the same deterministic simulator give the same counts, tokens and TTFT", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 3, seed: 1, keepSendTimes: true });
  try {
    await withTempDir(async (dir) => {
      // Few tokens per request: TTFT is what is compared, and few events keep the machine quiet.
      const plan = simplePlan(modelAt(sim.url, { maxOutLen: 4 }), {
        concurrency: 4,
        requests: 96,
        workDir: dir,
      });
      const one = await runWith(plan, 1, sim);
      const two = await runWith(plan, 2, sim);
      assertEquals(one.json.client!.load_workers, 1);
      assertEquals(two.json.client!.load_workers, 2);
      for (const r of [one, two]) {
        assertEquals(r.json.common.total_requests, 96);
        assertEquals(r.json.common.failed_requests, 0);
        assertEquals(r.records.length, 96, "one trace holds every worker's records");
        // Every index exactly once: the workers' shares were merged exactly.
        assertEquals(
          r.records.map((x) => x.index).join(","),
          Array.from({ length: 96 }, (_, i) => i).join(","),
        );
      }
      assertEquals(two.json.common.total_output_tokens, one.json.common.total_output_tokens);
      assertEquals(two.json.common.total_input_tokens, one.json.common.total_input_tokens);
      assertEquals(one.json.common.total_output_tokens, 96 * 4);
      // Each against what the simulator really sent in that run (its timers run late on a loaded
      // machine): one worker or two, the client adds the same few ms.
      const t1 = one.json.metrics.ttft_ms!.mean!;
      const t2 = two.json.metrics.ttft_ms!.mean!;
      const d1 = t1 - one.sent!.ttftMs;
      const d2 = t2 - two.sent!.ttftMs;
      const text = `mean TTFT ${t1} ms with 1 worker (sent ${
        one.sent!.ttftMs
      }), ${t2} ms with 2 (sent ${two.sent!.ttftMs})`;
      assert(t1 >= 19.5 && t2 >= 19.5, `${text}: below the setting`);
      // The client's own delay: a few ms on a quiet machine, more when other jobs hold the two
      // cores (13 ms at load average 9) — but the same with one worker or two.
      assert(d1 >= -0.5 && d1 < 25 && d2 >= -0.5 && d2 < 25, `${text}: the client's delay`);
      assert(
        Math.abs(d1 - d2) <= 2 + 0.2 * Math.max(d1, d2),
        `${text}: the client's delay differs`,
      );
      // The closed loop held 4 in flight across both workers, not 4 each.
      assert(two.json.common.peak_in_flight <= 4, `peak ${two.json.common.peak_in_flight}`);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("an arrival schedule split over 2 workers keeps every send's due time", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1, seed: 1 });
  try {
    await withTempDir(async (dir) => {
      const base = simplePlan(modelAt(sim.url, { maxOutLen: 4 }), {
        concurrency: 1,
        requests: 40,
        workDir: dir,
      });
      const task = base.tasks[0]!;
      const plan: Plan = {
        ...base,
        tasks: [{
          ...task,
          load: {
            kind: "rate",
            rate: 100,
            arrival: "poisson",
            burstiness: 1,
            seed: 7,
            maxConcurrency: 6,
            numRequests: 40,
          },
        }],
      };
      const offsets = async (workers: number) => {
        const { records } = await runWith(plan, workers);
        assertEquals(records.length, 40);
        const t0 = records[0]!.scheduledMs;
        return records.map((r) => r.scheduledMs - t0);
      };
      const one = await offsets(1);
      const two = await offsets(2);
      for (let i = 0; i < 40; i++) {
        assert(Math.abs(one[i]! - two[i]!) < 0.01, `send ${i}: due ${one[i]} vs ${two[i]} ms`);
      }
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("workerCount() follows the load: one per STREAMS_PER_WORKER streams, within the cores and the lanes", () => {
  const cores = navigator.hardwareConcurrency ?? 1;
  assertEquals(workerCount({ kind: "concurrency", concurrency: 8 }), 1);
  assertEquals(workerCount({ kind: "concurrency", concurrency: STREAMS_PER_WORKER }), 1);
  assertEquals(
    workerCount({ kind: "concurrency", concurrency: STREAMS_PER_WORKER + 1 }),
    Math.min(cores, 2),
  );
  assertEquals(workerCount({ kind: "concurrency", concurrency: 1000 }), Math.min(cores, 32));
  assertEquals(workerCount({ kind: "concurrency", concurrency: 3 }, 8), 3);
  assertEquals(workerCount({ kind: "concurrency", concurrency: 64 }, 0), 0);
  assertEquals(workerCount({ kind: "pressure", clients: 2, rampRate: 1 }, 4), 2);
  // An uncapped schedule is bounded by its request count, not given every core.
  assertEquals(
    workerCount({
      kind: "rate",
      rate: 1,
      arrival: "poisson",
      burstiness: 1,
      seed: 0,
      numRequests: 10,
    }),
    1,
  );
});
