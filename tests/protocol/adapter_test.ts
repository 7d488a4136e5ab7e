import {
  type ApiAdapter,
  authHeader,
  endOfStreamRule,
  type FrameDecoder,
  type FrameHandler,
  type Framing,
  type StreamOutcome,
} from "../../src/protocol/adapter.ts";
import { sendRequest } from "../../src/protocol/client.ts";
import { adapterFor, API_KINDS, apiHelp } from "../../src/protocol/mod.ts";
import { openaiChat } from "../../src/protocol/openai_chat.ts";
import { sseFraming } from "../../src/protocol/sse.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { modelsUrl, requestHeaders } from "../../src/bench/target.ts";
import type { ModelTask } from "../../src/config/plan.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals } from "../helpers.ts";

const enc = new TextEncoder();
const transport = createTransport("fetch");
const meta = { index: 0, scheduledMs: 0 };

/** Serves one body, written in the given pieces with a short pause between them. */
async function withServer(
  contentType: string,
  pieces: string[],
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    return new Response(
      new ReadableStream({
        async start(c) {
          for (const p of pieces) {
            c.enqueue(enc.encode(p));
            await new Promise((r) => setTimeout(r, 2));
          }
          c.close();
        },
      }),
      { headers: { "content-type": contentType } },
    );
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/x`);
  } finally {
    await server.shutdown();
  }
}

type Obj = Record<string, unknown>;

/**
 * A named-event SSE adapter in the style of Anthropic's Messages API, as a
 * new API would add it: the `event:` name picks the reader, `message_stop`
 * is the terminal event, usage comes in two halves.
 */
const namedEvents: ApiAdapter = {
  help: "test: named SSE events",
  path: "/x",
  input: "messages",
  auth: "x-api-key",
  framing: sseFraming,
  buildBody: () => ({}),
  readEvent(data, name, sink) {
    const e = JSON.parse(data) as Obj;
    if (name === "message_start") {
      const usage = (e.message as Obj).usage as Obj;
      sink.usage({ promptTokens: usage.input_tokens as number });
    } else if (name === "content_block_delta") {
      sink.content((e.delta as Obj).text as string);
    } else if (name === "message_delta") {
      sink.finish((e.delta as Obj).stop_reason as string);
      sink.usage({ completionTokens: (e.usage as Obj).output_tokens as number });
    } else if (name === "message_stop") sink.end();
    else if (name === "error") sink.error(((e.error as Obj).message) as string, undefined);
  },
  readResponse: () => {},
  endOfStream: endOfStreamRule({ terminal: "message_stop", eofAfterFinish: false }),
};

/** NDJSON framing: one JSON document per line. */
const ndjsonFraming: Framing = {
  accepts: (contentType) => contentType.includes("application/x-ndjson"),
  decoder(onEvent: FrameHandler): FrameDecoder {
    const text = new TextDecoder();
    let rest = "";
    let stamp = 0;
    const lines = (chunk: string) => {
      rest += chunk;
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (line.trim()) onEvent(line, stamp, undefined);
      }
    };
    return {
      push(bytes, stampMs) {
        stamp = stampMs;
        lines(text.decode(bytes, { stream: true }));
      },
      end(stampMs) {
        stamp = stampMs;
        lines(text.decode() + "\n");
      },
    };
  },
};

/** An Ollama-style NDJSON adapter: `done: true` ends, EOF after a finish also counts. */
const ndjson: ApiAdapter = {
  help: "test: NDJSON",
  path: "/x",
  input: "prompt",
  auth: "none",
  framing: ndjsonFraming,
  buildBody: () => ({}),
  readEvent(data, _name, sink) {
    const e = JSON.parse(data) as Obj;
    if (typeof e.response === "string" && e.response !== "") sink.content(e.response);
    if (typeof e.done_reason === "string") sink.finish(e.done_reason);
    if (e.done === true) sink.end();
  },
  readResponse: () => {},
  endOfStream: endOfStreamRule({ terminal: "done", eofAfterFinish: true }),
};

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

Deno.test("sendRequest() hands SSE event names to the adapter and ends at its terminal event", async () => {
  const body = [
    event("message_start", { message: { usage: { input_tokens: 7 } } }),
    event("content_block_delta", { delta: { text: "Hel" } }),
    event("ping", {}),
    event("content_block_delta", { delta: { text: "lo" } }),
    event("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }),
    event("message_stop", {}),
    // After the terminal event nothing counts.
    event("content_block_delta", { delta: { text: "late" } }),
  ];
  await withServer("text/event-stream", body, async (url) => {
    const r = await sendRequest(
      { url, headers: {}, adapter: namedEvents, stream: true, keepText: true, transport },
      "{}",
      meta,
    );
    assertEquals(r.error, undefined);
    assertEquals(r.outputText, "Hello");
    assertEquals(r.chunkMs.length, 2);
    assertEquals(r.finishReason, "end_turn");
    assertEquals(r.usage, { promptTokens: 7, completionTokens: 2 });
  });
});

Deno.test("sendRequest() names the adapter's terminal event when a stream is cut short", async () => {
  const body = [event("content_block_delta", { delta: { text: "a" } })];
  await withServer("text/event-stream", body, async (url) => {
    const r = await sendRequest(
      { url, headers: {}, adapter: namedEvents, stream: true, transport },
      "{}",
      meta,
    );
    assertEquals(r.error, { category: "truncated", message: "stream ended without message_stop" });
    assertEquals(r.chunkMs.length, 1);
    // Only half of the usage came: none is recorded.
    assertEquals(r.usage, undefined);
  });
});

Deno.test("sendRequest() reads a body framed by the adapter's own framing (NDJSON)", async () => {
  const lines = [
    `{"response":"a"}\n{"resp`,
    `onse":"b"}\n`,
    `{"response":"","done_reason":"stop"}\n`,
  ];
  await withServer("application/x-ndjson", lines, async (url) => {
    const r = await sendRequest(
      { url, headers: {}, adapter: ndjson, stream: true, keepText: true, transport },
      "{}",
      meta,
    );
    // No `done: true` line, but EOF after a finish reason is a success for this adapter.
    assertEquals(r.error, undefined);
    assertEquals(r.outputText, "ab");
    assertEquals(r.chunkMs.length, 2);
  });
  await withServer("application/x-ndjson", [`{"response":"a"}\n`], async (url) => {
    const r = await sendRequest(
      { url, headers: {}, adapter: ndjson, stream: true, transport },
      "{}",
      meta,
    );
    assertEquals(r.error?.category, "truncated");
  });
});

const outcome = (o: Partial<StreamOutcome>): StreamOutcome => ({
  ended: false,
  finishReason: undefined,
  errorMessage: undefined,
  errorCode: undefined,
  badEvent: undefined,
  streamed: true,
  outputSeen: true,
  completionTokens: undefined,
  ...o,
});

Deno.test("endOfStreamRule() puts a stream error before a bad event before truncation", () => {
  const judge = endOfStreamRule({ terminal: "[DONE]", eofAfterFinish: false });
  assertEquals(judge(outcome({ ended: true })), undefined);
  assertEquals(judge(outcome({ finishReason: "stop" })), {
    category: "truncated",
    message: "stream ended without [DONE]",
  });
  assertEquals(
    judge(outcome({ ended: true, errorMessage: "boom", errorCode: 503, badEvent: "x" })),
    {
      category: "stream_error",
      message: "boom",
      status: 503,
    },
  );
  assertEquals(judge(outcome({ ended: true, badEvent: "invalid JSON" })), {
    category: "bad_event",
    message: "invalid JSON",
  });
  const lenient = endOfStreamRule({ terminal: "[DONE]", eofAfterFinish: true });
  assertEquals(lenient(outcome({ finishReason: "stop" })), undefined);
  assertEquals(lenient(outcome({}))?.category, "truncated");
});

Deno.test("endOfStreamRule() fails an empty stream, and output nobody recognised while usage counts tokens", () => {
  const judge = endOfStreamRule({ terminal: "[DONE]", eofAfterFinish: true });
  assertEquals(judge(outcome({ ended: true, outputSeen: false })), {
    category: "empty_stream",
    message: "stream ended by [DONE] with no output and no finish reason",
  });
  assertEquals(
    judge(outcome({ ended: true, outputSeen: false, finishReason: "length" })),
    undefined,
    "a finish reason with no output (a zero-token answer) is an answer",
  );
  assertEquals(
    judge(outcome({ ended: true, outputSeen: false, streamed: false })),
    undefined,
    "a whole body with nothing in it is the adapter's to judge, not an empty stream",
  );
  const foreign = judge(
    outcome({ ended: true, outputSeen: false, finishReason: "stop", completionTokens: 12 }),
  );
  assertEquals(foreign?.category, "bad_event");
  assert(/12 tokens were generated \(is --api right\?\)/.test(foreign!.message), foreign!.message);
  assertEquals(
    judge(
      outcome({ finishReason: "stop", outputSeen: false, completionTokens: 3, streamed: false }),
    )
      ?.category,
    "bad_event",
    "the same for a whole body",
  );
});

Deno.test("authHeader() sends the key as Bearer, as x-api-key, or not at all", () => {
  assertEquals(authHeader("bearer", "k"), ["authorization", "Bearer k"]);
  assertEquals(authHeader("x-api-key", "k"), ["x-api-key", "k"]);
  assertEquals(authHeader("none", "k"), undefined);
});

Deno.test("the API registry lists every adapter by key, with a help line each", () => {
  for (
    const k of [
      "openai-chat",
      "openai-completions",
      "tgi-generate-stream",
      "tgi-generate",
      "llamacpp-completion",
      "sglang-generate",
      "ollama-chat",
      "ollama-generate",
      "anthropic-messages",
      "openai-responses",
      "openai-embeddings",
    ]
  ) assert((API_KINDS as string[]).includes(k), `"${k}" registered`);
  assertEquals(adapterFor("openai-chat").path, "/v1/chat/completions");
  assertEquals(adapterFor("openai-chat").input, "messages");
  assertEquals(adapterFor("openai-completions").path, "/v1/completions");
  assertEquals(adapterFor("openai-completions").input, "prompt");
  const help = apiHelp();
  assertEquals(help.length, API_KINDS.length);
  for (const [i, key] of API_KINDS.entries()) assert(help[i]!.startsWith(key));
});

Deno.test("the OpenAI adapters discover models at /v1/models under the server's root", () => {
  assertEquals(modelsUrl("http://h:1/v1/", "openai-chat"), "http://h:1/v1/models");
  assertEquals(
    modelsUrl("http://h:1/v1/completions", "openai-completions"),
    "http://h:1/v1/models",
  );
  assertEquals(modelsUrl("http://h:1", "openai-chat"), "http://h:1/v1/models");
  const read = openaiChat.models!.read;
  assertEquals(read({ data: [{ id: "a" }, { id: 3 }, {}, { id: "b" }] }), ["a", "b"]);
  assertEquals(read({ object: "list" }), []);
});

Deno.test("requestHeaders() puts the key in the API's auth header, before the task's own headers", () => {
  const model = {
    abbr: "m",
    api: "openai-chat",
    apiKey: "secret",
    headers: { "X-Extra": "1" },
  } as unknown as ModelTask;
  assertEquals(requestHeaders(model), {
    "content-type": "application/json",
    authorization: "Bearer secret",
    "x-extra": "1",
  });
});

Deno.test("requestHeaders() adds the API's own headers and refuses a streaming task on an API that cannot stream", () => {
  const model = (o: Record<string, unknown>) =>
    ({
      abbr: "m",
      api: "anthropic-messages",
      stream: true,
      headers: {},
      ...o,
    }) as unknown as ModelTask;
  assertEquals(
    requestHeaders(model({ apiKey: "k", headers: { "Anthropic-Version": "2024-01-01" } })),
    {
      "content-type": "application/json",
      "anthropic-version": "2024-01-01",
      "x-api-key": "k",
    },
  );
  assertEquals(requestHeaders(model({}))["anthropic-version"], "2023-06-01");
  let message = "";
  try {
    requestHeaders(model({ api: "openai-embeddings" }));
  } catch (error) {
    assert(error instanceof UsageError);
    message = error.message;
  }
  assertEquals(message, `Model "m": API "openai-embeddings" cannot stream; set stream: false`);
  assertEquals(requestHeaders(model({ api: "openai-embeddings", stream: false })), {
    "content-type": "application/json",
  });
});
