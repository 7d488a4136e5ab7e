import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { startSimulator } from "../../src/sim/server.ts";
import {
  assert,
  assertClose,
  assertEquals,
  modelAt,
  quiet,
  simplePlan,
  withTempDir,
} from "../helpers.ts";

Deno.test("runBenchmark() measures the simulator's TTFT and ITL within a few ms of the truth", async () => {
  const sim = await startSimulator({ ttftMs: 50, itlMs: 10, tokenizer: "qwen3" });
  try {
    await withTempDir(async (dir) => {
      const plan = simplePlan(modelAt(sim.url), { concurrency: 8, requests: 32, workDir: dir });
      // The in-process simulator's first requests pay its own JIT warm-up, which a
      // real server would not: a warm-up round keeps that out of the measurement.
      plan.warmup = 8;
      const result = await runBenchmark(plan, { print: quiet });
      const json = result.tasks[0]!.report.json!;
      assertEquals(json.common.total_requests, 32, "total");
      assertEquals(json.common.failed_requests, 0, "failed");
      assertEquals(json.common.total_output_tokens, 32 * 20, "output tokens");
      assertEquals(json.common.total_input_tokens, 32 * 16, "input tokens");
      assertEquals(json.metrics.output_tokens!.min, 20);
      assertEquals(json.metrics.output_tokens!.max, 20);
      console.log(`TTFT mean ${json.metrics.ttft_ms!.mean}, ITL mean ${json.metrics.itl_ms!.mean}`);
      assertClose(json.metrics.ttft_ms!.mean!, 50, 5, "mean TTFT (ms)");
      assertClose(json.metrics.itl_ms!.mean!, 10, 1, "mean ITL (ms)");
      assertEquals(sim.stats().peakHeld, 8, "simulator peak in flight");
      assertEquals(json.delivery.warmup_requests, 8, "warm-up requests kept out");
      assert(json.common.peak_in_flight === 8, "client-side peak in flight");
    });
  } finally {
    await sim.shutdown();
  }
});
