import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { sendRequest } from "../../src/protocol/client.ts";
import { adapterFor } from "../../src/protocol/mod.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import type { ApiKind } from "../../src/protocol/mod.ts";
import { startSimulator } from "../../src/sim/server.ts";
import {
  assert,
  assertClose,
  assertEquals,
  modelAt,
  quiet,
  runCli,
  simplePlan,
  withTempDir,
} from "../helpers.ts";

const REQUESTS = 32;

/** One run of 32 requests at concurrency 8 against a simulator (TTFT 50 ms, ITL 10 ms, 20 tokens). */
async function runAgainstSim(api: ApiKind, stream: boolean) {
  const sim = await startSimulator({
    ttftMs: 50,
    itlMs: 10,
    tokenizer: "qwen3",
    // Ollama's discovery pages answer only where the simulator plays Ollama.
    ...(api.startsWith("ollama-") ? { server: "ollama" as const } : {}),
  });
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

/**
 * 32 requests, 8 at a time, through the client with a probe: the mean TTFT
 * and ITL the client measured, and the same from the simulator's `sim_sent_ms`
 * of each output event (the latest stamp among the events of its read). A
 * first round of 8 warms the in-process simulator up and is not counted.
 */
async function measureAgainstStamps(api: ApiKind) {
  const sim = await startSimulator({ ttftMs: 50, itlMs: 10, outputTokens: 20 });
  const transport = createTransport("fetch");
  const adapter = adapterFor(api);
  const zero = { ttftClient: 0, ttftSim: 0, n: 0, itlClient: 0, itlSim: 0, gaps: 0 };
  const sums = { ...zero };
  const one = async () => {
    // [read stamp, latest sim_sent_ms among its events]
    const sent: Array<[number, number]> = [];
    const probe = (event: unknown, stamp: number) => {
      const s = (event as { sim_sent_ms?: number }).sim_sent_ms;
      if (typeof s !== "number") return;
      const last = sent[sent.length - 1];
      if (last && last[0] === stamp) last[1] = Math.max(last[1], s);
      else sent.push([stamp, s]);
    };
    const body = adapter.buildBody({ messages: [{ role: "user", content: "a b c" }] }, {
      model: "sim-model",
      stream: true,
      maxTokens: 20,
      extraBody: {},
    });
    const r = await sendRequest(
      {
        url: sim.url + adapter.path,
        headers: { "content-type": "application/json", ...adapter.headers },
        adapter,
        stream: true,
        transport,
        probe,
      },
      JSON.stringify(body),
      { index: 0, scheduledMs: 0 },
    );
    assertEquals(r.error, undefined);
    assertEquals(r.chunkMs.length, 20);
    // The record's stamps are shifted by timeOrigin, which rounds (a quarter µs at this size).
    const simMs = r.chunkMs.map((t) =>
      sent.find(([stamp]) => Math.abs(stamp + performance.timeOrigin - t) < 0.01)?.[1]
    );
    assert(simMs.every((t) => t !== undefined), "every output event carries sim_sent_ms");
    sums.ttftClient += r.chunkMs[0]! - r.startMs;
    sums.ttftSim += simMs[0]! - r.startMs;
    sums.n++;
    for (let i = 1; i < 20; i++) {
      sums.itlClient += r.chunkMs[i]! - r.chunkMs[i - 1]!;
      sums.itlSim += simMs[i]! - simMs[i - 1]!;
      sums.gaps++;
    }
  };
  try {
    for (let round = 0; round < 5; round++) {
      if (round === 1) Object.assign(sums, zero);
      await Promise.all(Array.from({ length: 8 }, one));
    }
  } finally {
    transport.close();
    await sim.shutdown();
  }
  return {
    ttft: { client: sums.ttftClient / sums.n, sim: sums.ttftSim / sums.n },
    itl: { client: sums.itlClient / sums.gaps, sim: sums.itlSim / sums.gaps },
  };
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
    // The simulator never sends early: a TTFT or ITL below its settings would be a client error.
    assert(json.metrics.ttft_ms!.mean! >= 49.5, "mean TTFT at least the simulator's");
    assert(json.metrics.itl_ms!.mean! >= 9.5, "mean ITL at least the simulator's");
    // Against the truth: the simulator's own send stamps (a loaded machine delays both sides).
    const truth = await measureAgainstStamps(api);
    console.log(`${api} vs sim_sent_ms: ${JSON.stringify(truth)}`);
    assertClose(truth.ttft.client, truth.ttft.sim, 5, "mean TTFT vs the simulator's stamps (ms)");
    assertClose(truth.itl.client, truth.itl.sim, 1, "mean ITL vs the simulator's stamps (ms)");
  });
}

Deno.test("runBenchmark() over openai-embeddings reports latency and input tokens, no streaming metrics", async () => {
  const json = await runAgainstSim("openai-embeddings", false);
  assertEquals(json.common.total_requests, REQUESTS, "total");
  assertEquals(json.common.failed_requests, 0, "failed");
  assertEquals(json.common.total_input_tokens, REQUESTS * 16, "input tokens");
  assertEquals(json.common.total_output_tokens, 0, "output tokens");
  for (
    const absent of [
      "ttft_ms",
      "itl_ms",
      "tpot_ms",
      "prefill_token_throughput_tps",
      "output_token_throughput_tps",
    ] as const
  ) {
    assertEquals(json.metrics[absent], undefined, `${absent} absent`);
  }
  assertEquals(json.common.prefill_token_throughput_tps, undefined, "no prefill rate unstreamed");
  // The simulator answers an embedding after its TTFT (the prefill).
  // (No send stamps in a whole body: bounded by the simulator's setting from below only.)
  assert(json.metrics.e2el_ms!.mean! >= 49.5, "mean latency at least the simulator's TTFT");
  assert(json.common.input_token_throughput_tps > 0, "input tokens/s");
});

Deno.test("a --url on /v1/embeddings sends whole requests and recommends by input tokens/s", async () => {
  const sim = await startSimulator({ ttftMs: 5 });
  try {
    await withTempDir(async (dir) => {
      const flags = ["--url", `${sim.url}/v1/embeddings`, "--concurrency", "1", "2"];
      flags.push("--num-prompts", "4", "--work-dir", dir);
      const r = await runCli(["run", ...flags]);
      assertEquals(r.code, 0, r.stderr);
      assert(/Recommendation: .* input tok\/s/.test(r.stdout), r.stdout);
      const stream = await runCli(["run", ...flags, "--stream"]);
      assertEquals(stream.code, 2, stream.stderr);
      assert(
        stream.stderr.includes(`--stream: API "openai-embeddings" cannot stream`),
        stream.stderr,
      );
    });
  } finally {
    await sim.shutdown();
  }
});
