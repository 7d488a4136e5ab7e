import { sendRequest } from "../../src/protocol/client.ts";
import { adapterFor, type ApiKind } from "../../src/protocol/mod.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { SimServerKind } from "../../src/sim_options.ts";
import { assert, assertEquals } from "../helpers.ts";

const STREAMED: ApiKind[] = [
  "ollama-chat",
  "ollama-generate",
  "anthropic-messages",
  "openai-responses",
];

/** Sends one request of `api` to the simulator; `model` overrides the served one. */
async function send(url: string, api: ApiKind, options: { model?: string; maxTokens?: number }) {
  const adapter = adapterFor(api);
  const stream = adapter.streaming !== false;
  const body = adapter.buildBody({ messages: [{ role: "user", content: "one two three" }] }, {
    model: options.model ?? "sim-model",
    stream,
    maxTokens: options.maxTokens ?? 6,
    extraBody: {},
  });
  const transport = createTransport("fetch");
  try {
    return await sendRequest(
      {
        url: url + adapter.path,
        headers: { "content-type": "application/json", ...adapter.headers },
        adapter,
        stream,
        transport,
        keepText: true,
      },
      JSON.stringify(body),
      { index: 0, scheduledMs: 0 },
    );
  } finally {
    transport.close();
  }
}

for (const api of STREAMED) {
  Deno.test(`simulator speaks ${api}: usage, end of stream, error frame, split UTF-8, cut stream`, async () => {
    const sim = await startSimulator({
      ttftMs: 1,
      itlMs: 1,
      outputTokens: 6,
      reasoningTokens: 2,
      faults: { script: { 1: "error_event", 2: "split_utf8", 3: "no_done", 4: "bad_json" } },
    });
    try {
      const ok = await send(sim.url, api, {});
      assertEquals(ok.error, undefined);
      assertEquals(ok.usage, { promptTokens: 3, completionTokens: 6 });
      // 2 reasoning events, 4 content events: reasoning is output, never content (TTFO).
      assertEquals(ok.chunkMs.length, 6);
      // The text kept for the tokenizer holds the reasoning too, as the chunk count does.
      assertEquals(ok.outputText!.split(" ").length - 1, 6);
      const failed = await send(sim.url, api, {});
      assertEquals(failed.error?.category, "stream_error", "error frame");
      assert(failed.chunkMs.length >= 1, "output before the error");
      const utf8 = await send(sim.url, api, {});
      assertEquals(utf8.error, undefined, "split UTF-8");
      assert(utf8.outputText!.includes(" caf\u00e9 \u20ac"), "the split characters");
      const cut = await send(sim.url, api, {});
      assertEquals(cut.error?.category, "truncated", "no end of stream");
      const bad = await send(sim.url, api, {});
      assertEquals(bad.error?.category, "bad_event", "bad JSON");
      const unknown = await send(sim.url, api, { model: "nope" });
      assertEquals(unknown.error?.category, "http_4xx");
      assertEquals(unknown.status, 404);
      assert(unknown.error!.message.includes("nope"), unknown.error!.message);
    } finally {
      await sim.shutdown();
    }
  });
}

Deno.test("simulator answers discovery the way each server does", async () => {
  const sim = await startSimulator({ model: "m1", server: "ollama" });
  try {
    const get = async (path: string, headers: Record<string, string> = {}) =>
      await (await fetch(sim.url + path, { headers })).json();
    const tags = await get("/api/tags");
    assertEquals(adapterFor("ollama-chat").models!.read(tags), ["m1"]);
    assertEquals(typeof (await get("/api/version")).version, "string");
    const page = await get("/v1/models", { "anthropic-version": "2023-06-01" });
    assertEquals([page.data[0].type, page.has_more], ["model", false]);
    assertEquals(adapterFor("anthropic-messages").models!.read(page), ["m1"]);
    assertEquals((await get("/v1/models")).object, "list");
  } finally {
    await sim.shutdown();
  }
  // Playing another server, it has no Ollama pages (so `--api auto` finds no Ollama there).
  const vllm = await startSimulator({ model: "m1" });
  try {
    const r = await fetch(vllm.url + "/api/version");
    await r.body?.cancel();
    assertEquals(r.status, 404);
  } finally {
    await vllm.shutdown();
  }
});

Deno.test("simulator's embeddings: one embedding per input, usage.prompt_tokens over the batch", async () => {
  const sim = await startSimulator({ ttftMs: 1 });
  try {
    const res = await fetch(`${sim.url}/v1/embeddings`, {
      method: "POST",
      body: JSON.stringify({ model: "sim-model", input: ["a b", "c d e"] }),
    });
    const body = await res.json();
    assertEquals(body.data.length, 2);
    assertEquals(body.usage, { prompt_tokens: 5, total_tokens: 5, completion_tokens: 0 });
    const r = await send(sim.url, "openai-embeddings", {});
    assertEquals([r.error, r.usage, r.chunkMs.length], [undefined, {
      promptTokens: 3,
      completionTokens: 0,
    }, 0]);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simulator's injected HTTP errors take each protocol's own error shape", async () => {
  const cases: Array<[SimServerKind, string, Record<string, unknown>, unknown]> = [
    ["vllm", "/v1/chat/completions", { messages: [] }, {
      error: {
        message: "simulated: too many requests",
        type: "RateLimitError",
        param: null,
        code: 429,
      },
    }],
    ["vllm", "/v1/responses", { input: "x" }, {
      error: {
        message: "simulated: too many requests",
        type: "RateLimitError",
        param: null,
        code: 429,
      },
    }],
    ["vllm", "/v1/messages", { max_tokens: 4, messages: [] }, {
      type: "error",
      error: { type: "rate_limit_error", message: "simulated: too many requests" },
    }],
    ["vllm", "/api/chat", { messages: [] }, { error: "simulated: too many requests" }],
    ["tgi", "/generate_stream", { inputs: "x" }, {
      error: "simulated: too many requests",
      error_type: "overloaded",
    }],
    ["llamacpp", "/completion", { prompt: "x" }, {
      error: { code: 429, message: "simulated: too many requests", type: "server_error" },
    }],
    ["sglang", "/generate", { text: "x" }, { error: { message: "simulated: too many requests" } }],
  ];
  for (const [server, path, body, expected] of cases) {
    const sim = await startSimulator({ server, faults: { script: { 0: "http_429" } } });
    try {
      const res = await fetch(sim.url + path, {
        method: "POST",
        body: JSON.stringify({ model: "sim-model", ...body }),
      });
      assertEquals(res.status, 429, path);
      assertEquals(res.headers.get("retry-after"), "1", path);
      assertEquals(await res.json(), expected, path);
    } finally {
      await sim.shutdown();
    }
  }
});
