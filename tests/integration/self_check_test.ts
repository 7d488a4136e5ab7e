import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { recomputeRun } from "../../src/cli/report.ts";
import type { Plan } from "../../src/config/plan.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, modelAt, quiet, simplePlan, withTempDir } from "../helpers.ts";

/** A CPU-burning callback on the event loop: 40 ms per finished request. */
function burn(): void {
  const end = performance.now() + 40;
  while (performance.now() < end) { /* burn */ }
}

/** The plan's task as an open loop: constant arrivals at 100 req/s, capped at 4. */
function openLoop(plan: Plan): Plan {
  const task = plan.tasks[0]!;
  const load = {
    kind: "rate" as const,
    rate: 100,
    arrival: "constant" as const,
    burstiness: 1,
    seed: 0,
    maxConcurrency: 4,
    numRequests: task.load.numRequests!,
  };
  return { ...plan, tasks: [{ ...task, load }] };
}

Deno.test("the self-check warns, in the console, the JSON and the page, when the loop that stamps requests is starved, worded for a closed or an open loop", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 5 });
  try {
    await withTempDir(async (dir) => {
      // No load worker: the main thread stamps the requests, and the burn starves it.
      const plan: Plan = {
        ...simplePlan(modelAt(sim.url), { concurrency: 4, requests: 24, workDir: dir }),
        workers: 0,
      };
      const out: string[] = [];
      const starved = await runBenchmark(plan, { print: (t) => out.push(t), onRecord: burn });
      const task = starved.tasks[0]!;
      const json = task.report.json!;
      const lag = json.client_lag!;
      assertEquals(lag.level, "warning", lag.text);
      assert(
        json.client!.stamp_lag_ms!.p99 > 10,
        `stamp lag p99 ${json.client!.stamp_lag_ms!.p99}`,
      );
      assertEquals(lag.scale?.name, "median TTFT");
      assert(json.warnings!.includes(lag.text), "in the JSON's warnings");
      const console = out.join("\n");
      assert(console.includes(`warning: ${lag.text}`), "console warning");
      assert(lag.text.includes("after a stream comes free"), `closed-loop wording: ${lag.text}`);
      assert(!console.includes("due time"), "no due times in a closed loop");
      const page = Deno.readTextFileSync(task.paths.plot);
      assert(page.includes(`<div class="note warn">the client&#39;s stamps may be late`), "page");
      // The self-check is the trace's last line: a recomputed report keeps it, and its judgement.
      const re = await recomputeRun(starved.runDir, { print: quiet });
      assertEquals(re.reports[0]!.json!.client, json.client);
      assertEquals(re.reports[0]!.json!.client_lag, lag);

      const open = await runBenchmark(openLoop(plan), { print: quiet, onRecord: burn });
      const openLag = open.tasks[0]!.report.json!.client_lag!;
      assertEquals(openLag.level, "warning", openLag.text);
      assert(openLag.text.includes("after their due times"), `open-loop wording: ${openLag.text}`);
      assert(!openLag.text.includes("stream comes free"), openLag.text);

      // Without the burn the loop lags far less. (Relative, not a fixed bound: how calm a
      // calm run is depends on the machine; the judgement's thresholds are unit-tested.)
      const calm = await runBenchmark(plan, { print: quiet });
      const calmP99 = calm.tasks[0]!.report.json!.client!.stamp_lag_ms!.p99;
      const starvedP99 = json.client!.stamp_lag_ms!.p99;
      assert(calmP99 < starvedP99 / 2, `calm p99 ${calmP99} vs starved ${starvedP99}`);
    });
  } finally {
    await sim.shutdown();
  }
});
