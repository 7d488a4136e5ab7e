import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import type { ApiKind } from "../../src/protocol/mod.ts";
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

const REQUESTS = 32;

/** One run of 32 requests at concurrency 8 against a simulator (TTFT 50 ms, ITL 10 ms, 20 tokens). */
async function runAgainstSim(api: ApiKind, stream: boolean) {
  const sim = await startSimulator({ ttftMs: 50, itlMs: 10, tokenizer: "qwen3" });
  try {
    return await withTempDir(async (dir) => {
      const model = modelAt(sim.url, { api, stream, generationKwargs: {} });
      const plan = simplePlan(model, { concurrency: 8, requests: REQUESTS, workDir: dir });
      // Keep the in-process simulator's JIT warm-up out of the measurement (as fidelity_test does).
      plan.warmup = 8;
      const result = await runBenchmark(plan, { print: quiet });
      assertEquals(sim.stats().peakHeld, 8, "simulator peak in flight");
      return result.tasks[0]!.report.json!;
    });
  } finally {
    await sim.shutdown();
  }
}

for (
  const api of ["ollama-chat", "ollama-generate", "anthropic-messages", "openai-responses"] as const
) {
  Deno.test(`runBenchmark() over ${api} measures the simulator speaking it within a few ms`, async () => {
    const json = await runAgainstSim(api, true);
    assertEquals(json.common.total_requests, REQUESTS, "total");
    assertEquals(json.common.failed_requests, 0, "failed");
    // The protocol's usage, exact: 20 output tokens each, the prompt as the simulator's tokenizer counts it.
    assertEquals(json.common.total_output_tokens, REQUESTS * 20, "output tokens");
    assertEquals(json.metrics.output_tokens!.min, 20);
    assertEquals(json.metrics.output_tokens!.max, 20);
    assert(json.common.total_input_tokens >= REQUESTS * 16, "input tokens");
    assertEquals(
      json.metrics.input_tokens!.min,
      json.metrics.input_tokens!.max,
      "same prompt size",
    );
    console.log(
      `${api}: TTFT mean ${json.metrics.ttft_ms!.mean}, ITL mean ${json.metrics.itl_ms!.mean}`,
    );
    assertClose(json.metrics.ttft_ms!.mean!, 50, 5, "mean TTFT (ms)");
    assertClose(json.metrics.itl_ms!.mean!, 10, 1, "mean ITL (ms)");
  });
}

Deno.test("runBenchmark() over openai-embeddings reports latency and input tokens, no streaming metrics", async () => {
  const json = await runAgainstSim("openai-embeddings", false);
  assertEquals(json.common.total_requests, REQUESTS, "total");
  assertEquals(json.common.failed_requests, 0, "failed");
  assertEquals(json.common.total_input_tokens, REQUESTS * 16, "input tokens");
  assertEquals(json.common.total_output_tokens, 0, "output tokens");
  for (const absent of ["ttft_ms", "itl_ms", "tpot_ms"] as const) {
    assertEquals(json.metrics[absent], undefined, `${absent} absent`);
  }
  // The simulator answers an embedding after its TTFT (the prefill).
  assertClose(json.metrics.e2el_ms!.mean!, 50, 5, "mean latency (ms)");
  assert(json.common.input_token_throughput_tps > 0, "input tokens/s");
});
