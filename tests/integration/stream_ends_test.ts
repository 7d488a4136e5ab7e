/**
 * How streams end (#15 items 1 and 2), against the simulator's fault modes
 * written as real servers write them: EOF after a finish without `[DONE]`
 * (TGI ≤ 2.1), EOF before any finish, `[DONE]` with no output, old
 * llama.cpp's `error:` field line, and a JSON body to a streaming request.
 */

import { sendRequest } from "../../src/protocol/client.ts";
import { adapterFor, type ApiKind } from "../../src/protocol/mod.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { endpointUrl } from "../../src/bench/target.ts";
import type { FaultKind } from "../../src/fault_kinds.ts";
import type { RequestRecord } from "../../src/record/record.ts";
import { type SimServerKind, startSimulator } from "../../src/sim/server.ts";
import { planFromFlags, RUN_FLAGS, runCommand } from "../../src/cli/run.ts";
import { parseFlags } from "../../src/cli/args.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals, runFlags, withTempDir } from "../helpers.ts";

/** Sends one request per fault (in script order) through the real client; returns the records. */
async function sendEach(
  api: ApiKind,
  faults: readonly (FaultKind | undefined)[],
  server: SimServerKind = "vllm",
): Promise<RequestRecord[]> {
  const script: Record<number, FaultKind> = {};
  faults.forEach((f, i) => {
    if (f) script[i] = f;
  });
  const sim = await startSimulator({
    server,
    ttftMs: 2,
    itlMs: 1,
    outputTokens: 5,
    faults: { script },
  });
  const transport = createTransport("fetch");
  try {
    const adapter = adapterFor(api);
    const body = JSON.stringify(
      adapter.buildBody({ prompt: "a b c", maxTokens: 5 }, {
        model: "sim-model",
        stream: true,
        maxTokens: 5,
        extraBody: {},
      }),
    );
    const out: RequestRecord[] = [];
    for (let i = 0; i < faults.length; i++) {
      out.push(
        await sendRequest(
          {
            url: endpointUrl(sim.url, adapter.path),
            headers: { "content-type": "application/json" },
            adapter,
            stream: true,
            transport,
            keepText: true,
          },
          body,
          { index: i, scheduledMs: 0 },
        ),
      );
    }
    return out;
  } finally {
    transport.close();
    await sim.shutdown();
  }
}

for (const api of ["openai-chat", "openai-completions"] as const) {
  Deno.test(`${api}: EOF after a finish is a success, EOF before one truncated, [DONE] alone empty_stream, an error: line stream_error`, async () => {
    const [noDone, cut, empty, errorLine, clean] = await sendEach(api, [
      "no_done",
      "cut_stream",
      "empty_stream",
      "error_line",
      undefined,
    ]);
    assertEquals(noDone!.error, undefined, "EOF right after the finish chunk (TGI ≤ 2.1)");
    assertEquals(noDone!.chunkMs.length, 5, "every token of it counted");
    assertEquals(noDone!.finishReason, "length");
    assertEquals(cut!.error?.category, "truncated", "EOF before any finish reason");
    assertEquals(cut!.error?.message, "stream ended without [DONE]");
    assertEquals(cut!.chunkMs.length, 2, "partial timings kept");
    assertEquals(empty!.error?.category, "empty_stream", "[DONE] after no output");
    assertEquals(empty!.chunkMs.length, 0);
    assertEquals(errorLine!.error, {
      category: "stream_error",
      message: "simulated engine failure",
      status: 500,
    }, "old llama.cpp's error: field line, with the server's message and code");
    assertEquals(clean!.error, undefined);
  });
}

Deno.test("llamacpp-completion: old llama.cpp's error: field line then EOF is stream_error with its message", async () => {
  const [errorLine, clean] = await sendEach(
    "llamacpp-completion",
    ["error_line", undefined],
    "llamacpp",
  );
  assertEquals(errorLine!.error?.category, "stream_error");
  assertEquals(errorLine!.error?.message, "simulated engine failure");
  assertEquals(clean!.error, undefined);
});

Deno.test("a streaming request answered with a whole JSON body is not_streamed: no chunk times, the content type named", async () => {
  const [json, clean] = await sendEach("openai-chat", ["json_body", undefined]);
  assertEquals(json!.error?.category, "not_streamed");
  assert(
    json!.error!.message.includes(`content-type "application/json"`),
    `the message names the content type: ${json!.error!.message}`,
  );
  assertEquals(json!.chunkMs.length, 0, "no TTFT/ITL can come from it");
  assertEquals(json!.status, 200);
  assertEquals(clean!.error, undefined);
});

Deno.test("run: answers without an event stream are failed as not_streamed, said loudly on the console and in the JSON", async () => {
  const sim = await startSimulator({
    ttftMs: 2,
    itlMs: 1,
    faults: { script: { 0: "json_body", 3: "json_body" } },
  });
  try {
    await withTempDir(async (dir) => {
      const out: string[] = [];
      const r = await runCommand(
        runFlags(sim.url, { concurrency: 1, prompts: 6, maxTokens: 4, workDir: dir }),
        { print: (t) => out.push(t), env: () => undefined },
      );
      const json = r!.tasks[0]!.report.json!;
      assertEquals(json.errors, { not_streamed: 2 });
      assertEquals(json.metrics.ttft_ms!.n, 4, "TTFT only from the 4 streamed answers");
      const line =
        "2 of 6 streaming requests were answered without an event stream (failed as not_streamed";
      assert(out.join("\n").includes(`warning: ${line}`), "the console says so");
      assert(json.warnings?.some((w) => w.startsWith(line)), "the result JSON says so");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("run: stream or stream_options in --extra-args or generation_kwargs against the model's stream setting is exit 2, naming the field", async () => {
  const problems = (argv: string[]) => {
    try {
      planFromFlags(parseFlags(argv, RUN_FLAGS, { command: "servebench run" }).values);
    } catch (error) {
      if (error instanceof UsageError) return error.problems.join("\n");
      throw error;
    }
    return "";
  };
  const url = ["--url", "http://127.0.0.1:1", "--model", "m"];
  assert(
    problems([...url, "--extra-args", '{"stream": false}']).includes(
      `--extra-args: "stream": false contradicts the model's stream setting (true)`,
    ),
  );
  assert(
    problems([...url, "--no-stream", "--extra-args", '{"stream_options": {"include_usage": true}}'])
      .includes(`--extra-args: "stream_options" is for streaming requests`),
  );
  assertEquals(problems([...url, "--extra-args", '{"stream": true, "temperature": 0}']), "");
  await withTempDir((dir) => {
    Deno.mkdirSync(`${dir}/models`);
    Deno.writeTextFileSync(
      `${dir}/models/m.yaml`,
      "api: openai-chat\nurl: http://127.0.0.1:1\nmodel: m\ngeneration_kwargs:\n  stream: false\n",
    );
    const p = problems(["--config-dir", dir, "--models", "m"]);
    assert(/m\.yaml: generation_kwargs: "stream": false contradicts/.test(p), p);
    return Promise.resolve();
  });
});

Deno.test("run: a reasoning-only answer cannot pass --slo ttfo or a ttfo.p99 gate by having no TTFO", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 5, reasoningTokens: 100 });
  try {
    await withTempDir(async (dir) => {
      const r = await runCommand(
        [
          ...runFlags(sim.url, { concurrency: 2, prompts: 4, maxTokens: 4, workDir: dir }),
          "--slo",
          "ttfo:1ms",
          "--fail-on",
          "ttfo.p99>1ms",
        ],
        { print: () => {}, env: () => undefined },
      );
      const report = r!.tasks[0]!.report;
      assertEquals(report.json!.common.success_requests, 4);
      assertEquals(report.json!.goodput?.good_requests, 0, "no request met ttfo:1ms");
      assertEquals(report.json!.metrics.ttfo_ms?.n, 4);
      assertEquals(report.breaches.map((b) => b.gate.text), ["ttfo.p99>1ms"]);
    });
  } finally {
    await sim.shutdown();
  }
});
