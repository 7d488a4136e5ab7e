import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { recomputeRun } from "../../src/cli/report.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, modelAt, quiet, simplePlan, withTempDir } from "../helpers.ts";

Deno.test("the self-check warns, in the console and the page, when the client's event loop is starved", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 5 });
  try {
    await withTempDir(async (dir) => {
      const plan = simplePlan(modelAt(sim.url), { concurrency: 4, requests: 24, workDir: dir });
      const out: string[] = [];
      const starved = await runBenchmark(plan, {
        print: (t) => out.push(t),
        // A CPU-burning callback on the event loop: 40 ms per finished request.
        onRecord: () => {
          const end = performance.now() + 40;
          while (performance.now() < end) { /* burn */ }
        },
      });
      const task = starved.tasks[0]!;
      const client = task.report.json!.client!;
      assert(client.loop_lag_ms.p99 > 10, `loop lag p99 ${client.loop_lag_ms.p99}`);
      assert(
        out.join("\n").includes("warning: the client fell behind: its event loop lagged"),
        "console warning",
      );
      assert(
        Deno.readTextFileSync(task.paths.plot).includes("the client fell behind"),
        "page warning",
      );
      // The self-check is the trace's last line: a recomputed report keeps it.
      const re = await recomputeRun(starved.runDir, {
        stats: plan.stats,
        summarizer: "default_perf",
      }, quiet);
      assertEquals(re.reports[0]!.json!.client, client);

      // Without the burn the loop lags far less. (Relative, not a fixed bound: how calm a
      // calm run is depends on the machine; the warning's own threshold is tested above.)
      const calm = await runBenchmark(plan, { print: quiet });
      const calmP99 = calm.tasks[0]!.report.json!.client!.loop_lag_ms.p99;
      assert(
        calmP99 < client.loop_lag_ms.p99 / 2,
        `calm p99 ${calmP99} vs starved ${client.loop_lag_ms.p99}`,
      );
    });
  } finally {
    await sim.shutdown();
  }
});
