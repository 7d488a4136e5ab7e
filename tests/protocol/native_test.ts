import type { ApiAdapter, EventSink } from "../../src/protocol/adapter.ts";
import { sendRequest } from "../../src/protocol/client.ts";
import { apisForUrl } from "../../src/protocol/mod.ts";
import { llamacppCompletion } from "../../src/protocol/llamacpp_completion.ts";
import { sglangGenerate } from "../../src/protocol/sglang_generate.ts";
import { tgiGenerate } from "../../src/protocol/tgi_generate.ts";
import { tgiGenerateStream } from "../../src/protocol/tgi_generate_stream.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { encodeRecord, TraceLineDecoder } from "../../src/record/trace.ts";
import { assert, assertEquals } from "../helpers.ts";

const enc = new TextEncoder();

/** What an adapter read from a body, as a test sees it. */
interface Read {
  text: string;
  outputs: number;
  usage: Record<string, number>;
  finish?: string;
  ended: boolean;
  error?: string;
  timings?: Record<string, number>;
}

/** Feeds `bytes` cut at `cuts` through the adapter's framing and reader into a recording sink. */
function feed(adapter: ApiAdapter, bytes: Uint8Array, cuts: number[]): Read {
  const r: Read = { text: "", outputs: 0, usage: {}, ended: false };
  let out = false;
  const sink: EventSink = {
    content(t) {
      r.text += t;
      out = true;
    },
    reasoning() {
      out = true;
    },
    usage(u) {
      Object.assign(r.usage, u);
    },
    error(m) {
      r.error ??= m;
    },
    finish(f) {
      r.finish ??= f;
    },
    end() {
      r.ended = true;
    },
    bad(m) {
      r.error ??= `bad: ${m}`;
    },
    parsed() {},
    serverTimings(t) {
      r.timings = { ...r.timings, ...t };
    },
  };
  const read = adapter.reader ? adapter.reader() : adapter.readEvent;
  const onField = adapter.readField
    ? (f: string, v: string) => adapter.readField!(f, v, sink)
    : undefined;
  const decoder = adapter.framing.decoder((data, _stamp, name) => {
    if (r.ended) return;
    out = false;
    read(data, name, sink);
    if (out) r.outputs++;
  }, onField);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    decoder.push(bytes.subarray(from, cut), 0);
    from = cut;
  }
  decoder.end(0);
  return r;
}

/** Every way of cutting `body` in two, and byte by byte, reads the same as whole. */
function assertSplitsAgree(adapter: ApiAdapter, body: string): Read {
  const bytes = enc.encode(body);
  const whole = feed(adapter, bytes, []);
  for (let i = 1; i < bytes.length; i++) {
    assertEquals(feed(adapter, bytes, [i]), whole, `cut at byte ${i}`);
  }
  assertEquals(feed(adapter, bytes, [...bytes.keys()].slice(1)), whole, "byte by byte");
  return whole;
}

// TGI writes `data:` with no space (axum Event::json_data), one event per token.
const tgiToken = (i: number, text: string, special = false) =>
  `data:{"index":${i},"token":{"id":${i},"text":${
    JSON.stringify(text)
  },"logprob":-0.1,"special":${special}},"generated_text":null,"details":null}\n\n`;
const TGI_OK = tgiToken(1, " caf\u00e9") + ":\n\n" + tgiToken(2, " \u20ac") +
  `data:{"index":3,"token":{"id":2,"text":"</s>","logprob":-0.01,"special":true},"generated_text":" caf\u00e9 \u20ac","details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null,"input_length":5}}\n\n`;

Deno.test("tgi-generate-stream reads tokens, skips special ones and ends at the final event, split anywhere", () => {
  const r = assertSplitsAgree(tgiGenerateStream, TGI_OK);
  assertEquals(r.text, " caf\u00e9 \u20ac");
  assertEquals(r.outputs, 2, "the special token's event carries no output");
  assertEquals(r.usage, { completionTokens: 3, promptTokens: 5 });
  assertEquals(r.finish, "eos_token");
  assert(r.ended, "the event with generated_text ends the stream");
  assertEquals(r.error, undefined);
});

Deno.test("tgi-generate-stream reads a mid-stream error event", () => {
  const body = tgiToken(1, " a") +
    `data:{"error":"Incomplete generation stream","error_type":"incomplete_generation_stream"}\n\n`;
  const r = assertSplitsAgree(tgiGenerateStream, body);
  assertEquals(r.error, "Incomplete generation stream (incomplete_generation_stream)");
  assertEquals(r.ended, false);
});

// llama.cpp writes `data: ` with a space (format_oai_sse); the last event has stop: true.
const llamaEvent = (content: string, n: number) =>
  `data: {"index":0,"content":${
    JSON.stringify(content)
  },"tokens":[],"stop":false,"id_slot":0,"tokens_predicted":${n},"tokens_evaluated":7}\n\n`;
const LLAMA_FINAL =
  `data: {"index":0,"content":"","tokens":[],"id_slot":0,"stop":true,"model":"m","tokens_predicted":2,"tokens_evaluated":7,"generation_settings":{},"prompt":"","has_new_line":false,"truncated":false,"stop_type":"limit","stopping_word":"","tokens_cached":9,"timings":{"cache_n":0,"prompt_n":7,"prompt_ms":12.5,"prompt_per_token_ms":1.8,"prompt_per_second":560,"predicted_n":2,"predicted_ms":20.25,"predicted_per_token_ms":10.1,"predicted_per_second":98.7}}\n\n`;

Deno.test("llamacpp-completion reads content, the stop event's counts and timings, split anywhere", () => {
  const r = assertSplitsAgree(
    llamacppCompletion,
    llamaEvent(" caf\u00e9", 1) + ":\n\n" + llamaEvent(" \u20ac", 2) + LLAMA_FINAL,
  );
  assertEquals(r.text, " caf\u00e9 \u20ac");
  assertEquals(r.outputs, 2, "the stop event carries no content");
  assertEquals(r.usage, { promptTokens: 7, completionTokens: 2 });
  assertEquals(r.finish, "limit");
  assert(r.ended);
  assertEquals(r.timings, {
    prompt_ms: 12.5,
    prompt_per_token_ms: 1.8,
    predicted_ms: 20.25,
    predicted_per_token_ms: 10.1,
  });
});

Deno.test("llamacpp-completion reads an error in data: and the old error: field line", () => {
  const now = assertSplitsAgree(
    llamacppCompletion,
    llamaEvent(" a", 1) + `data: {"error":{"code":500,"message":"boom","type":"server_error"}}\n\n`,
  );
  assertEquals(now.error, "boom");
  const old = assertSplitsAgree(
    llamacppCompletion,
    llamaEvent(" a", 1) +
      `error: {"code":400,"message":"the request exceeds the available context size","type":"invalid_request_error"}\n\n`,
  );
  assertEquals(old.error, "the request exceeds the available context size");
  assertEquals(old.ended, false);
});

// SGLang writes `data: ` with a space and cumulative text; [DONE] last.
const sglEvent = (text: string, n: number, finish = "null", extra = "") =>
  `data: {"text":${
    JSON.stringify(text)
  },"output_ids":[],"meta_info":{"id":"x","finish_reason":${finish},"prompt_tokens":7,"weight_version":"default","completion_tokens":${n},"cached_tokens":0${extra}}}\n\n`;

Deno.test("sglang-generate outputs the growth of the cumulative text and ends at [DONE], split anywhere", () => {
  const body = sglEvent(" caf\u00e9", 1) + sglEvent(" caf\u00e9 \u20ac", 2) +
    sglEvent(" caf\u00e9 \u20ac the", 3, `{"type":"length","length":3}`, `,"e2e_latency":0.25`) +
    "data: [DONE]\n\n";
  const r = assertSplitsAgree(sglangGenerate, body);
  assertEquals(r.text, " caf\u00e9 \u20ac the", "each event's new text once");
  assertEquals(r.outputs, 3);
  assertEquals(r.usage, { promptTokens: 7, completionTokens: 3 });
  assertEquals(r.finish, "length");
  assertEquals(r.timings, { e2e_ms: 250 });
  assert(r.ended);
});

Deno.test("sglang-generate reads a mid-stream error (followed by [DONE])", () => {
  const r = assertSplitsAgree(
    sglangGenerate,
    sglEvent(" a", 1) + `data: {"error":{"message":"boom"}}\n\n` + "data: [DONE]\n\n",
  );
  assertEquals(r.error, "boom");
});

/** Serves `body` once in small writes, with `headers`. */
async function serve(
  body: string,
  headers: Record<string, string>,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const bytes = enc.encode(body);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    return new Response(
      new ReadableStream({
        async start(c) {
          for (let i = 0; i < bytes.length; i += 7) {
            c.enqueue(bytes.slice(i, i + 7));
            await new Promise((r) => setTimeout(r, 1));
          }
          c.close();
        },
      }),
      { headers },
    );
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/x`);
  } finally {
    await server.shutdown();
  }
}

const SSE = { "content-type": "text/event-stream" };
const transport = createTransport("fetch");
const send = (adapter: ApiAdapter, url: string, stream = true) =>
  sendRequest({ url, headers: {}, adapter, stream, transport }, "{}", {
    index: 0,
    scheduledMs: 0,
  });

Deno.test("sendRequest() judges each native stream's end its server's way", async () => {
  const cases: Array<[ApiAdapter, string, string | undefined]> = [
    [tgiGenerateStream, TGI_OK, undefined],
    [tgiGenerateStream, tgiToken(1, " a"), "truncated"],
    [llamacppCompletion, llamaEvent(" a", 1) + LLAMA_FINAL, undefined],
    [llamacppCompletion, llamaEvent(" a", 1), "truncated"],
    [
      llamacppCompletion,
      llamaEvent(" a", 1) + `error: {"code":500,"message":"x"}\n\n`,
      "stream_error",
    ],
    [
      sglangGenerate,
      sglEvent(" a", 1, `{"type":"stop","matched":2}`) + "data: [DONE]\n\n",
      undefined,
    ],
    [sglangGenerate, sglEvent(" a", 1, `{"type":"stop","matched":2}`), "truncated"],
  ];
  for (const [adapter, body, category] of cases) {
    await serve(body, SSE, async (url) => {
      const record = await send(adapter, url);
      assertEquals(record.error?.category, category, `${adapter.path}: ${body.slice(0, 60)}`);
      assert(record.chunkMs.length >= 1, "output chunks stamped");
    });
  }
});

Deno.test("sendRequest() keeps llama.cpp's timings and TGI /generate's x-* headers as serverTimings", async () => {
  await serve(llamaEvent(" a", 1) + LLAMA_FINAL, SSE, async (url) => {
    const record = await send(llamacppCompletion, url);
    assertEquals(record.serverTimings?.predicted_ms, 20.25);
    assertEquals(record.usage, { promptTokens: 7, completionTokens: 2 });
  });
  const tgiBody =
    `{"generated_text":" a b","details":{"finish_reason":"length","generated_tokens":2}}`;
  await serve(tgiBody, {
    "content-type": "application/json",
    "x-compute-time": "0.125",
    "x-queue-time": "3",
    "x-inference-time": "120",
    "x-time-per-token": "10",
    "x-prompt-tokens": "5",
    "x-generated-tokens": "2",
  }, async (url) => {
    const record = await send(tgiGenerate, url, false);
    assertEquals(record.error, undefined);
    assertEquals(record.usage, { promptTokens: 5, completionTokens: 2 });
    assertEquals(record.serverTimings, {
      compute_ms: 125,
      queue_ms: 3,
      inference_ms: 120,
      time_per_token_ms: 10,
    });
    assertEquals(record.finishReason, "length");
  });
});

Deno.test("apisForUrl() names the API of a known route, several for a shared one", () => {
  assertEquals(apisForUrl("http://h:1/v1/chat/completions"), ["openai-chat"]);
  assertEquals(apisForUrl("http://h:1/v1/completions/"), ["openai-completions"]);
  assertEquals(apisForUrl("http://h:1/generate_stream"), ["tgi-generate-stream"]);
  assertEquals(apisForUrl("http://h:1/completion"), ["llamacpp-completion"]);
  assertEquals(apisForUrl("http://h:1/generate"), ["tgi-generate", "sglang-generate"]);
  assertEquals(apisForUrl("http://h:1/v1"), []);
  assertEquals(apisForUrl("not a url"), []);
});

Deno.test("a record's serverTimings survive the trace line", () => {
  const record = {
    index: 3,
    scheduledMs: 1000,
    startMs: 1001,
    endMs: 1100,
    chunkMs: [1050, 1060],
    stream: true,
    attempts: 1,
    serverTimings: { prompt_ms: 12.5, predicted_ms: 40 },
  };
  const line = encodeRecord(record, 1000);
  const bytes = enc.encode(line);
  const entry = new TraceLineDecoder(1000).decodeBytes(bytes, 0, bytes.length);
  assertEquals(entry.facts.serverTimings, { prompt_ms: 12.5, predicted_ms: 40 });
  assertEquals(entry.facts.chunks, 2, "the chunk digits still read fast");
  const without = enc.encode(encodeRecord({ ...record, serverTimings: undefined! }, 1000));
  assert(!new TextDecoder().decode(without).includes('"st"'), "absent when none");
});
