import { simOptionsFromFlags } from "../../src/cli/sim.ts";
import { UsageError } from "../../src/errors.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals } from "../helpers.ts";

async function post(url: string, body: Record<string, unknown>): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("simulator streams vLLM's SSE framing: role chunk, content, usage chunk, [DONE]", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 5, model: "m1" });
  try {
    const res = await post(`${sim.url}/v1/chat/completions`, {
      model: "m1",
      messages: [{ role: "user", content: "one two three" }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    assertEquals(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const text = await res.text();
    assert(text.endsWith("data: [DONE]\n\n"), "ends with [DONE]");
    const events = text.split("\n\n").filter((e) => e);
    assert(
      events.every((e) => e.startsWith("data: ") && !e.includes("\n")),
      "one data line per event",
    );
    const json = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    assertEquals(json.length, 5);
    assertEquals(json[0].choices[0].delta, { role: "assistant", content: "" });
    assertEquals(json[0].object, "chat.completion.chunk");
    assertEquals(json.slice(1, 4).map((j) => j.choices[0].finish_reason), [null, null, "length"]);
    assert(json.slice(1, 4).every((j) => typeof j.choices[0].delta.content === "string"));
    assertEquals(json[4].choices, []);
    assertEquals(json[4].usage, { prompt_tokens: 3, total_tokens: 6, completion_tokens: 3 });
    assert(
      json.every((j) => typeof j.sim_sent_ms === "number"),
      "every event carries its send stamp",
    );
    const sent = json.slice(1, 4).map((j) => j.sim_sent_ms);
    // Token 2 is due 2 × ITL after token 0 was due; token 0 may have been up to one ITL late.
    assert(sent[2] - sent[0] >= 4.5, `tokens spaced by ITL: ${sent}`);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simulator sends no usage chunk unless include_usage is set", async () => {
  const sim = await startSimulator({ ttftMs: 1, itlMs: 0 });
  try {
    const text = await (await post(`${sim.url}/v1/completions`, {
      prompt: "a b",
      max_tokens: 2,
      stream: true,
    }))
      .text();
    assert(!text.includes("usage"), text);
    const first = JSON.parse(text.split("\n\n")[0]!.slice(6));
    assertEquals(first.object, "text_completion");
    assertEquals(typeof first.choices[0].text, "string");
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simulator output length honours max_tokens, ignore_eos and min_tokens", async () => {
  const sim = await startSimulator({ ttftMs: 0, itlMs: 0, outputTokens: 10 });
  const tokens = async (extra: Record<string, unknown>) => {
    const res = await post(`${sim.url}/v1/completions`, { prompt: [1, 2, 3, 4], ...extra });
    const body = await res.json();
    return [body.usage.completion_tokens, body.usage.prompt_tokens];
  };
  try {
    assertEquals(await tokens({}), [10, 4]);
    assertEquals(await tokens({ max_tokens: 4 }), [4, 4]);
    assertEquals(await tokens({ max_tokens: 50 }), [10, 4]);
    assertEquals(await tokens({ max_tokens: 50, ignore_eos: true }), [50, 4]);
    assertEquals(await tokens({ max_tokens: 50, min_tokens: 20 }), [20, 4]);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simulator queues requests beyond max batch and reports peaks", async () => {
  const sim = await startSimulator({ ttftMs: 30, itlMs: 0, maxBatch: 2 });
  try {
    const t0 = performance.now();
    const done = await Promise.all(
      Array.from({ length: 4 }, async () => {
        await (await post(`${sim.url}/v1/completions`, { prompt: "x", max_tokens: 1 })).json();
        return performance.now() - t0;
      }),
    );
    done.sort((a, b) => a - b);
    const s = sim.stats();
    assertEquals([s.peakHeld, s.peakActive, s.completed, s.held], [4, 2, 4, 0]);
    assert(done[3]! >= 60, `queued requests wait for a slot (last done at ${done[3]} ms)`);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simulator answers an unknown model and a bad body with OpenAI-shaped errors", async () => {
  const sim = await startSimulator({ model: "m1" });
  try {
    const res = await post(`${sim.url}/v1/chat/completions`, { model: "other", messages: [] });
    assertEquals(res.status, 404);
    const body = await res.json();
    assertEquals(body.error.code, 404);
    assertEquals(body.error.message, "The model `other` does not exist.");
    const bad = await fetch(`${sim.url}/v1/completions`, { method: "POST", body: "nope" });
    assertEquals(bad.status, 400);
    assertEquals((await bad.json()).error.type, "BadRequestError");
    const models = await (await fetch(`${sim.url}/v1/models`)).json();
    assertEquals(models.data.map((m: { id: string }) => m.id), ["m1"]);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simOptionsFromFlags() takes --server and refuses an unknown one naming the choices", async () => {
  const options = simOptionsFromFlags(["--port", "0", "--server", "tgi"])!;
  assertEquals(options.server, "tgi");
  let error: unknown;
  try {
    simOptionsFromFlags(["--server", "vllm2"]);
  } catch (e) {
    error = e;
  }
  assert(error instanceof UsageError, String(error));
  assert(error.message.includes("--server") && error.message.includes("llamacpp"), error.message);
  const sim = await startSimulator(options);
  try {
    const info = await (await fetch(`${sim.url}/info`)).json();
    assertEquals(info.model_id, "sim-model");
  } finally {
    await sim.shutdown();
  }
});
