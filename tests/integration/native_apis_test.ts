import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { sendRequest } from "../../src/protocol/client.ts";
import { adapterFor, type ApiKind } from "../../src/protocol/mod.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { type SimServerKind, startSimulator } from "../../src/sim/server.ts";
import { endpointUrl } from "../../src/bench/target.ts";
import type { RequestRecord } from "../../src/record/record.ts";
import {
  assert,
  assertClose,
  assertEquals,
  modelAt,
  quiet,
  runCli,
  runFlags,
  simplePlan,
  withTempDir,
} from "../helpers.ts";

const CASES: Array<[ApiKind, SimServerKind]> = [
  ["tgi-generate-stream", "tgi"],
  ["llamacpp-completion", "llamacpp"],
  ["sglang-generate", "sglang"],
];

for (const [api, server] of CASES) {
  Deno.test(`${api} against the simulator playing ${server}: counts exact, timings as sent`, async () => {
    const sim = await startSimulator({ ttftMs: 50, itlMs: 10, outputTokens: 20, server });
    try {
      await withTempDir(async (dir) => {
        const plan = simplePlan(
          modelAt(sim.url, { api, model: "sim-model", generationKwargs: {} }),
          {
            concurrency: 8,
            requests: 16,
            workDir: dir,
          },
        );
        plan.warmup = 8;
        const json = (await runBenchmark(plan, { print: quiet })).tasks[0]!.report.json!;
        assertEquals(json.common.failed_requests, 0, "failed");
        assertEquals(json.common.total_output_tokens, 16 * 20, "output tokens");
        assertEquals(json.common.total_input_tokens, 16 * 16, "input tokens");
        assertEquals(json.metrics.output_tokens!.min, 20);
        assertEquals(sim.stats().peakHeld, 8, "simulator peak in flight");
        if (api === "llamacpp-completion") {
          // The simulator reports its own decode time: 19 gaps of 10 ms.
          const predicted = json.server_timings_ms?.predicted_ms;
          assertEquals(predicted?.n, 16, "every request's timings");
          // (At least the schedule's; a loaded machine makes the simulator's timers late.)
          assert(predicted!.mean >= 189, `server-reported predicted_ms ${predicted!.mean}`);
        }
      });

      // Timing against the simulator's own send stamps (a loaded machine shifts both).
      const adapter = adapterFor(api);
      const transport = createTransport("fetch");
      const url = endpointUrl(sim.url, adapter.path);
      const body = JSON.stringify(adapter.buildBody({ prompt: "a b c d" }, {
        model: "sim-model",
        stream: true,
        maxTokens: 20,
        extraBody: {},
      }));
      const sent = new Map<number, number[]>();
      const arrived = new Map<number, number[]>();
      const one = async (i: number): Promise<RequestRecord> => {
        const s: number[] = [];
        const a: number[] = [];
        sent.set(i, s);
        arrived.set(i, a);
        return await sendRequest(
          {
            url,
            headers: { "content-type": "application/json" },
            adapter,
            stream: true,
            transport,
            probe(event, stamp) {
              const t = (event as { sim_sent_ms?: number }).sim_sent_ms;
              if (typeof t === "number") {
                s.push(t);
                a.push(performance.timeOrigin + stamp);
              }
            },
          },
          body,
          { index: i, scheduledMs: 0 },
        );
      };
      // A first round warms the client's and the simulator's code up; the second is measured.
      await Promise.all(Array.from({ length: 8 }, (_, i) => one(i)));
      const records = await Promise.all(Array.from({ length: 8 }, (_, i) => one(i)));
      let ttftDiff = 0;
      let itlClient = 0;
      let itlSim = 0;
      let gaps = 0;
      for (const [i, r] of records.entries()) {
        assertEquals(r.error, undefined, `request ${i}`);
        assertEquals(r.chunkMs.length, 20, "one output event per token");
        assertEquals(r.usage?.completionTokens, 20, "the protocol's count");
        const s = sent.get(i)!;
        ttftDiff += (r.chunkMs[0]! - r.startMs) - (s[0]! - r.startMs);
        for (let k = 1; k < 20; k++) {
          itlClient += r.chunkMs[k]! - r.chunkMs[k - 1]!;
          itlSim += s[k]! - s[k - 1]!;
          gaps++;
        }
      }
      const ttftDelay = ttftDiff / records.length;
      console.log(
        `${api}: first event arrives ${ttftDelay.toFixed(2)} ms after sent; ` +
          `ITL client ${(itlClient / gaps).toFixed(2)}, sim ${(itlSim / gaps).toFixed(2)}`,
      );
      assert(
        ttftDelay >= 0 && ttftDelay < 5,
        `mean TTFT within 5 ms of the sim's send: ${ttftDelay}`,
      );
      assertClose(itlClient / gaps, itlSim / gaps, 1, "mean ITL (ms) against the sim's");
      // The simulator never sends early; late (a loaded machine) it may be.
      assert(itlSim / gaps >= 9.5, `the sim paced at least its 10 ms: ${itlSim / gaps}`);
    } finally {
      await sim.shutdown();
    }
  });
}

Deno.test("run picks the API from the --url's route, from probing a shared route, and with --api auto", async () => {
  const sims = {
    tgi: await startSimulator({ server: "tgi", ttftMs: 5, itlMs: 1 }),
    llamacpp: await startSimulator({ server: "llamacpp", ttftMs: 5, itlMs: 1 }),
    sglang: await startSimulator({ server: "sglang", ttftMs: 5, itlMs: 1 }),
    ollama: await startSimulator({ server: "ollama", ttftMs: 5, itlMs: 1 }),
    vllm: await startSimulator({ ttftMs: 5, itlMs: 1 }),
  };
  const dead = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("", { status: 404 }),
  );
  try {
    await withTempDir(async (dir) => {
      const cases: Array<[string, string[], string]> = [
        [`${sims.tgi.url}/generate_stream`, [], "tgi-generate-stream"],
        [`${sims.sglang.url}/generate`, [], "sglang-generate"],
        [sims.llamacpp.url, ["--api", "auto"], "llamacpp-completion"],
        [sims.tgi.url, ["--api", "auto"], "tgi-generate-stream"],
        [sims.sglang.url, ["--api", "auto"], "sglang-generate"],
        [sims.ollama.url, ["--api", "auto"], "ollama-chat"],
        [sims.vllm.url, ["--api", "auto"], "openai-chat"],
      ];
      for (const [url, extra, api] of cases) {
        const r = await runCli([
          "run",
          ...runFlags(url, { concurrency: 2, prompts: 2, maxTokens: 5, workDir: dir }),
          ...extra,
        ]);
        assertEquals(r.code, 0, `${url}: ${r.stderr}`);
        const sim = Object.values(sims).find((s) => url.startsWith(s.url))!;
        assert(sim.stats().requests >= 2, `${url}: the simulator was sent the requests`);
        if (extra.length || url.endsWith("/generate")) {
          assert(r.stdout.includes(`using API "${api}"`), `${url}: ${r.stdout}`);
        }
      }
      const r = await runCli([
        "run",
        ...runFlags(`http://127.0.0.1:${dead.addr.port}`, {
          concurrency: 1,
          prompts: 1,
          maxTokens: 5,
          workDir: dir,
        }),
        "--api",
        "auto",
      ]);
      assertEquals(r.code, 1, r.stderr);
      assert(/No known API answered/.test(r.stderr), r.stderr);
      assert(r.stderr.includes("/get_model_info"), "lists what was tried");
    });
  } finally {
    for (const s of Object.values(sims)) await s.shutdown();
    await dead.shutdown();
  }
});

Deno.test("a model config's sim block plays the server its api needs (sim.server)", async () => {
  await withTempDir(async (dir) => {
    Deno.mkdirSync(`${dir}/models`);
    Deno.writeTextFileSync(
      `${dir}/models/tgi_sim.yaml`,
      "api: tgi-generate-stream\nsim:\n  server: tgi\n  ttft_ms: 5\n  itl_ms: 1\nmax_out_len: 6\n",
    );
    const base = ["run", "--models", "tgi_sim", "--num-prompts", "3", "--config-dir", dir];
    const r = await runCli([...base, "--work-dir", `${dir}/out`]);
    assertEquals(r.code, 0, r.stderr);
    const trace = [...Deno.readDirSync(`${dir}/out`)];
    assertEquals(trace.length, 1, "one run folder");
    // Without `server:`, the simulator plays the server whose native route the API is.
    Deno.writeTextFileSync(
      `${dir}/models/tgi_sim.yaml`,
      "api: llamacpp-completion\nsim:\n  ttft_ms: 5\n  itl_ms: 1\nmax_out_len: 6\n",
    );
    const inferred = await runCli([...base, "--work-dir", `${dir}/out2`]);
    assertEquals(inferred.code, 0, inferred.stderr);
    for (
      const [text, pattern] of [
        ["sim:\n  server: tgx\n", /tgi_sim\.yaml: sim\.server: /],
        [
          "api: sglang-generate\nsim:\n  server: tgi\n",
          /tgi_sim\.yaml: sim\.server: "tgi" does not serve api "sglang-generate"/,
        ],
      ] as const
    ) {
      Deno.writeTextFileSync(`${dir}/models/tgi_sim.yaml`, text);
      const bad = await runCli([...base, "--work-dir", `${dir}/out3`]);
      assertEquals(bad.code, 2, bad.stderr);
      assert(pattern.test(bad.stderr), bad.stderr);
    }
  });
});
