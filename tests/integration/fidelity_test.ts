import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { startSimulator } from "../../src/sim/server.ts";
import {
  assert,
  assertClose,
  assertEquals,
  modelAt,
  quiet,
  sendTruth,
  simplePlan,
  withTempDir,
} from "../helpers.ts";

Deno.test("runBenchmark() measures the simulator's TTFT and ITL within a few ms of the truth", async () => {
  const sim = await startSimulator({
    ttftMs: 50,
    itlMs: 10,
    tokenizer: "qwen3",
    keepSendTimes: true,
  });
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
      // The truth: what the simulator really sent (its timers run late on a loaded machine),
      // over the measured requests (the warm-up round arrived first).
      const truth = sendTruth(sim.sendTimes().slice(8));
      const ttft = json.metrics.ttft_ms!.mean!;
      const itl = json.metrics.itl_ms!.mean!;
      console.log(`TTFT mean ${ttft}, ITL mean ${itl}; simulator sent ${JSON.stringify(truth)}`);
      // Never early (the simulator sends no token before its settings), and within a few ms of
      // what it sent: the client's own delay.
      assert(ttft >= 49.5 && itl >= 9.5, `TTFT ${ttft}, ITL ${itl}: below the settings`);
      assertClose(ttft, truth.ttftMs, 5, "mean TTFT against the simulator's sends (ms)");
      assertClose(itl, truth.itlMs, 1, "mean ITL against the simulator's sends (ms)");
      assertEquals(sim.stats().peakHeld, 8, "simulator peak in flight");
      assertEquals(json.delivery.warmup_requests, 8, "warm-up requests kept out");
      assert(json.common.peak_in_flight === 8, "client-side peak in flight");
    });
  } finally {
    await sim.shutdown();
  }
});
