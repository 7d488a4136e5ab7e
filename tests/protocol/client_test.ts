import { type HttpTarget, sendRequest } from "../../src/protocol/client.ts";
import { openaiChat } from "../../src/protocol/openai_chat.ts";
import { openaiCompletions } from "../../src/protocol/openai_completions.ts";
import { createTransport, type Transport, TRANSPORTS } from "../../src/protocol/transport.ts";
import { assert, assertEquals } from "../helpers.ts";

const enc = new TextEncoder();

/** Serves one fixed response: chunks written with a pause between them. */
async function withServer(
  respond: () => Response,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    return respond();
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/v1/chat/completions`);
  } finally {
    await server.shutdown();
  }
}

function sse(events: string[], pauseMs = 2): () => Response {
  return () =>
    new Response(
      new ReadableStream({
        async start(c) {
          for (const e of events) {
            c.enqueue(enc.encode(e));
            await new Promise((r) => setTimeout(r, pauseMs));
          }
          c.close();
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** The transport of the test that is running (tests in a file run one at a time). */
let transport: Transport;

/** Registers `fn` once per transport; {@link target} sends through that test's transport. */
function test(name: string, fn: () => Promise<void>): void {
  for (const kind of TRANSPORTS) {
    Deno.test(`${name} (${kind} transport)`, async () => {
      transport = createTransport(kind);
      try {
        await fn();
      } finally {
        transport.close();
      }
    });
  }
}

function target(url: string, extra: Partial<HttpTarget> = {}): HttpTarget {
  return {
    url,
    headers: {},
    adapter: openaiChat,
    stream: true,
    keepText: true,
    transport,
    ...extra,
  };
}

const meta = { index: 0, scheduledMs: 0 };

test("sendRequest() counts only output-carrying events as chunks and reads usage", async () => {
  await withServer(
    sse([
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      ": keep-alive\n\n",
      chunk({ content: "lo" }, "stop"),
      `data: ${
        JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 2 } })
      }\n\n`,
      "data: [DONE]\n\n",
    ]),
    async (url) => {
      const r = await sendRequest(target(url), "{}", meta);
      assertEquals(r.error, undefined);
      assertEquals(r.chunkMs.length, 2);
      assertEquals(r.usage, { promptTokens: 7, completionTokens: 2 });
      assertEquals(r.outputText, "Hello");
      assertEquals(r.finishReason, "stop");
      assertEquals(r.status, 200);
      assert(
        r.startMs <= r.chunkMs[0]! && r.chunkMs[0]! <= r.chunkMs[1]! && r.chunkMs[1]! <= r.endMs,
      );
      assertEquals(r.firstContentMs, r.chunkMs[0]);
    },
  );
});

test("sendRequest() counts reasoning as output for TTFT and keeps the first content apart (TTFO)", async () => {
  await withServer(
    sse(
      [chunk({ reasoning_content: "think" }), chunk({ content: "answer" }), "data: [DONE]\n\n"],
      10,
    ),
    async (url) => {
      const r = await sendRequest(target(url), "{}", meta);
      assertEquals(r.chunkMs.length, 2);
      assert(r.firstContentMs! > r.chunkMs[0]!, "TTFO after TTFT");
      assertEquals(r.firstContentMs, r.chunkMs[1]);
    },
  );
});

test("sendRequest() turns an error object inside the stream into a stream_error", async () => {
  await withServer(
    sse([
      chunk({ content: "a" }),
      `data: ${
        JSON.stringify({ error: { message: "engine died", type: "InternalError", code: 500 } })
      }\n\n`,
      "data: [DONE]\n\n",
    ]),
    async (url) => {
      const r = await sendRequest(target(url), "{}", meta);
      assertEquals(r.error, { category: "stream_error", message: "engine died", status: 500 });
      assertEquals(r.chunkMs.length, 1, "partial timings kept");
    },
  );
});

test("sendRequest() records a non-2xx status with the server's message and Retry-After", async () => {
  await withServer(
    () =>
      new Response(
        JSON.stringify({ error: { message: "slow down", type: "RateLimit", code: 429 } }),
        {
          status: 429,
          headers: { "content-type": "application/json", "retry-after": "2" },
        },
      ),
    async (url) => {
      const r = await sendRequest(target(url), "{}", meta);
      assertEquals(r.error, {
        category: "http_4xx",
        status: 429,
        message: "slow down",
        retryAfterMs: 2000,
      });
      assertEquals(r.status, 429);
    },
  );
});

test("sendRequest() marks a stream without [DONE] as truncated, keeping partial timings", async () => {
  await withServer(sse([chunk({ content: "a" }), chunk({ content: "b" })]), async (url) => {
    const r = await sendRequest(target(url), "{}", meta);
    assertEquals(r.error?.category, "truncated");
    assertEquals(r.chunkMs.length, 2);
  });
});

test("sendRequest() reads old llama.cpp's error: field line, even cut across reads, as stream_error", async () => {
  await withServer(
    sse([
      chunk({ content: "a" }),
      `error: {"code":400,"message":"the request exceeds`,
      ` the available context size","type":"invalid_request_error"}\n\n`,
      "data: [DONE]\n\n",
    ]),
    async (url) => {
      const r = await sendRequest(target(url), "{}", meta);
      assertEquals(r.error, {
        category: "stream_error",
        message: "the request exceeds the available context size",
        status: 400,
      });
    },
  );
});

test("sendRequest() fails a stream whose events the API does not recognise while usage counts tokens (bad_event, is --api right?)", async () => {
  await withServer(
    sse([
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }, "stop"),
      `data: ${
        JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 2 } })
      }\n\n`,
      "data: [DONE]\n\n",
    ]),
    async (url) => {
      // Chat chunks read by the completions adapter: no `text` in any choice.
      const r = await sendRequest(target(url, { adapter: openaiCompletions }), "{}", meta);
      assertEquals(r.error?.category, "bad_event");
      assert(r.error!.message.includes("is --api right?"), r.error!.message);
    },
  );
});

test("sendRequest() marks invalid JSON in an event as bad_event", async () => {
  await withServer(
    sse([chunk({ content: "a" }), "data: {not json\n\n", "data: [DONE]\n\n"]),
    async (url) => {
      const r = await sendRequest(target(url), "{}", meta);
      assertEquals(r.error?.category, "bad_event");
    },
  );
});

test("sendRequest() reports an HTML page where an event stream was expected as bad_response", async () => {
  await withServer(
    () =>
      new Response("<html><body>Bad gateway</body></html>", {
        headers: { "content-type": "text/html" },
      }),
    async (url) => {
      const r = await sendRequest(target(url), "{}", meta);
      assertEquals(r.error?.category, "bad_response");
      assert(r.error!.message.includes("text/html"), r.error!.message);
    },
  );
});

test("sendRequest() reports a refused connection as connect", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const r = await sendRequest(target(`http://127.0.0.1:${port}/v1/chat/completions`), "{}", meta);
  assertEquals(r.error?.category, "connect");
  assertEquals(r.status, undefined);
});

test("sendRequest() fails a stalled stream with timeout", async () => {
  await withServer(sse([chunk({ content: "a" }), chunk({ content: "b" })], 500), async (url) => {
    const r = await sendRequest(target(url, { timeoutMs: 200 }), "{}", meta);
    assertEquals(r.error?.category, "timeout");
    assertEquals(r.chunkMs.length, 1);
  });
});

test("sendRequest() reads a non-streaming completions response without chunk times", async () => {
  await withServer(
    () =>
      Response.json({
        choices: [{ index: 0, text: "hi there", finish_reason: "length" }],
        usage: { prompt_tokens: 3, completion_tokens: 2 },
      }),
    async (url) => {
      const r = await sendRequest(
        target(url, { adapter: openaiCompletions, stream: false }),
        "{}",
        meta,
      );
      assertEquals(r.error, undefined);
      assertEquals(r.chunkMs.length, 0);
      assertEquals(r.usage, { promptTokens: 3, completionTokens: 2 });
      assertEquals(r.outputText, "hi there");
      assertEquals(r.stream, false);
    },
  );
});
