import type { ApiAdapter, EventSink, StreamOutcome } from "../../src/protocol/adapter.ts";
import type { Usage } from "../../src/protocol/openai.ts";
import type { RequestError } from "../../src/record/record.ts";
import { adapterFor } from "../../src/protocol/mod.ts";
import { NdjsonDecoder } from "../../src/protocol/ndjson.ts";
import { assert, assertEquals } from "../helpers.ts";

const enc = new TextEncoder();

/** What an adapter made of a body, as the client would record it. */
interface Read {
  content: string;
  reasoning: string;
  /** Events that carried output. */
  chunks: number;
  usage: Partial<Usage>;
  finish: string | undefined;
  timings: Record<string, number> | undefined;
  failure: RequestError | undefined;
}

/** A sink recording what the adapter reports, ignoring events after the end, as the client does. */
function recorder(): { sink: EventSink & StreamOutcome; read: Read; out: () => boolean } {
  const read: Read = {
    content: "",
    reasoning: "",
    chunks: 0,
    usage: {},
    finish: undefined,
    timings: undefined,
    failure: undefined,
  };
  let output = false;
  const sink = {
    ended: false,
    finishReason: undefined as string | undefined,
    errorMessage: undefined as string | undefined,
    errorCode: undefined as number | undefined,
    badEvent: undefined as string | undefined,
    streamed: true,
    outputSeen: false,
    completionTokens: undefined as number | undefined,
    content(t: string) {
      read.content += t;
      output = true;
      sink.outputSeen = true;
    },
    reasoning(t: string) {
      read.reasoning += t;
      output = true;
      sink.outputSeen = true;
    },
    usage(u: Partial<Usage>) {
      Object.assign(read.usage, u);
      if (u.completionTokens !== undefined) sink.completionTokens = u.completionTokens;
    },
    error(m: string, c: number | undefined) {
      sink.errorMessage ??= m;
      sink.errorCode ??= c;
    },
    finish(r: string) {
      sink.finishReason ??= r;
    },
    end() {
      sink.ended = true;
    },
    bad(m: string) {
      sink.badEvent ??= m;
    },
    parsed() {},
    serverTimings(t: Readonly<Record<string, number>>) {
      read.timings = { ...read.timings, ...t };
    },
  };
  return {
    sink,
    read,
    out: () => {
      const o = output;
      output = false;
      return o;
    },
  };
}

/** Feeds `body` to the adapter's framing in pieces of `size` bytes, then EOF. */
function feed(adapter: ApiAdapter, body: string, size: number): Read {
  const { sink, read, out } = recorder();
  const decoder = adapter.framing.decoder((data, _stamp, name) => {
    if (sink.ended) return;
    adapter.readEvent(data, name, sink);
    if (out()) read.chunks++;
  });
  const bytes = enc.encode(body);
  for (let i = 0; i < bytes.length; i += size) decoder.push(bytes.subarray(i, i + size), i);
  decoder.end(bytes.length);
  read.finish = sink.finishReason;
  read.failure = adapter.endOfStream(sink);
  return read;
}

/** The same reading for every split size from 1 byte to 17 and the whole body at once. */
function feedAll(adapter: ApiAdapter, body: string): Read {
  const whole = feed(adapter, body, body.length + 1);
  for (let size = 1; size <= 17; size++) {
    assertEquals(feed(adapter, body, size), whole, `split every ${size} bytes`);
  }
  return whole;
}

// ---------------------------------------------------------------- Ollama

const ollamaChat = adapterFor("ollama-chat");
const ollamaGenerate = adapterFor("ollama-generate");
const chatLine = (message: Record<string, unknown>, extra = "") =>
  `{"model":"llama3.2","created_at":"2026-12-01T20:50:01.123456789Z","message":${
    JSON.stringify({ role: "assistant", ...message })
  },"done":false${extra}}\n`;
const chatDone =
  `{"model":"llama3.2","created_at":"2026-12-01T20:50:01.5Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":512345678,"load_duration":2345678,"prompt_eval_count":26,"prompt_eval_duration":45678901,"eval_count":4,"eval_duration":401234567}\n`;

Deno.test("NdjsonDecoder splits lines anywhere across reads, multi-byte characters included", () => {
  const lines: Array<[string, number]> = [];
  const d = new NdjsonDecoder((data, stamp) => lines.push([data, stamp]));
  const bytes = enc.encode('{"a":"caf\u00e9"}\r\n\n{"b":"\u20ac"}\n{"c":1}');
  d.push(bytes.subarray(0, 10), 1); // inside "é"
  d.push(bytes.subarray(10, 25), 2); // the first line's end, into the second
  d.push(bytes.subarray(25, 27), 3); // inside "€"
  d.push(bytes.subarray(27), 4);
  d.end(5);
  assertEquals(lines, [['{"a":"caf\u00e9"}', 2], ['{"b":"\u20ac"}', 4], ['{"c":1}', 5]]);
});

Deno.test("ollama-chat reads content, thinking as reasoning, usage and the server's durations", () => {
  const body = chatLine({ content: "", thinking: "Hmm \u2026" }) +
    chatLine({ content: "", thinking: " ok" }) + chatLine({ content: "Caf\u00e9" }) +
    chatLine({ content: " \u20ac5" }) + chatDone;
  const r = feedAll(ollamaChat, body);
  assertEquals(r.failure, undefined);
  assertEquals(r.content, "Caf\u00e9 \u20ac5");
  assertEquals(r.reasoning, "Hmm \u2026 ok");
  assertEquals(r.chunks, 4);
  assertEquals(r.usage, { promptTokens: 26, completionTokens: 4 });
  assertEquals(r.finish, "stop");
  assertEquals(r.timings, {
    total_ms: 512.345678,
    load_ms: 2.345678,
    prompt_eval_ms: 45.678901,
    eval_ms: 401.234567,
  });
});

Deno.test("ollama-chat fails a stream with an error line, and one cut before done:true", () => {
  const err = feedAll(
    ollamaChat,
    chatLine({ content: "a" }) + `{"error":"an error was encountered while running the model"}\n`,
  );
  assertEquals(err.failure, {
    category: "stream_error",
    message: "an error was encountered while running the model",
  });
  assertEquals(err.chunks, 1);
  const cut = feedAll(ollamaChat, chatLine({ content: "a" }) + chatLine({ content: "b" }));
  assertEquals(cut.failure?.category, "truncated");
  assertEquals(cut.content, "ab");
  const bad = feedAll(ollamaChat, `{"message":{"content":"x"\n` + chatDone);
  assertEquals(bad.failure?.category, "bad_event");
});

Deno.test("ollama-generate reads response and thinking; the body sets stream and num_predict", () => {
  const line = (o: Record<string, unknown>) =>
    JSON.stringify({ model: "m", created_at: "2026-12-01T00:00:00Z", ...o, done: false }) + "\n";
  const body = line({ response: "", thinking: "t" }) + line({ response: "x\u00e9" }) +
    `{"model":"m","created_at":"2026-12-01T00:00:01Z","response":"","done":true,"done_reason":"length","context":[1,2],"total_duration":9000000,"eval_count":2}\n`;
  const r = feedAll(ollamaGenerate, body);
  assertEquals(r.failure, undefined);
  assertEquals([r.content, r.reasoning, r.chunks], ["x\u00e9", "t", 2]);
  // prompt_eval_count is omitted when 0 (omitempty): only the output count is known.
  assertEquals(r.usage, { completionTokens: 2 });
  assertEquals(r.finish, "length");
  assertEquals(r.timings, { total_ms: 9 });
  const built = ollamaGenerate.buildBody({ prompt: "hi", maxTokens: 7 }, {
    model: "m",
    stream: false,
    maxTokens: 99,
    extraBody: { options: { temperature: 0 }, keep_alive: "5m" },
  });
  assertEquals(built, {
    model: "m",
    prompt: "hi",
    stream: false,
    options: { num_predict: 7, temperature: 0 },
    keep_alive: "5m",
  });
});

// ---------------------------------------------------------------- Anthropic

const anthropic = adapterFor("anthropic-messages");
const sse = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const aDelta = (index: number, delta: Record<string, unknown>) =>
  sse("content_block_delta", { type: "content_block_delta", index, delta });
const aStart = sse("message_start", {
  type: "message_start",
  message: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    content: [],
    usage: { input_tokens: 25, output_tokens: 1 },
  },
});

Deno.test("anthropic-messages reads thinking and text deltas, usage from start and delta, ends at message_stop", () => {
  const body = aStart +
    sse("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    }) +
    sse("ping", { type: "ping" }) +
    aDelta(0, { type: "thinking_delta", thinking: "Let me think \u2026" }) +
    aDelta(0, { type: "signature_delta", signature: "EqQBCgIYAhIM" }) +
    sse("content_block_stop", { type: "content_block_stop", index: 0 }) +
    sse("content_block_start", {
      type: "content_block_start",
      index: 1,
      content_block: { type: "text", text: "" },
    }) +
    aDelta(1, { type: "text_delta", text: "Caf\u00e9" }) +
    aDelta(1, { type: "text_delta", text: " \u20ac" }) +
    sse("content_block_stop", { type: "content_block_stop", index: 1 }) +
    sse("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 15 },
    }) +
    sse("message_stop", { type: "message_stop" }) +
    aDelta(1, { type: "text_delta", text: "late" });
  const r = feedAll(anthropic, body);
  assertEquals(r.failure, undefined);
  assertEquals([r.content, r.reasoning, r.chunks], ["Caf\u00e9 \u20ac", "Let me think \u2026", 3]);
  // The opening output_tokens (1) is a placeholder: the message_delta's count wins.
  assertEquals(r.usage, { promptTokens: 25, completionTokens: 15 });
  assertEquals(r.finish, "end_turn");
});

Deno.test("anthropic-messages fails on an error event and on EOF before message_stop", () => {
  const err = feedAll(
    anthropic,
    aStart + aDelta(0, { type: "text_delta", text: "a" }) +
      sse("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
  );
  assertEquals(err.failure, { category: "stream_error", message: "overloaded_error: Overloaded" });
  const cut = feedAll(anthropic, aStart + aDelta(0, { type: "text_delta", text: "a" }));
  assertEquals(cut.failure, {
    category: "truncated",
    message: "stream ended without message_stop",
  });
});

Deno.test("anthropic-messages sends max_tokens, a top-level system and its version header", () => {
  const body = anthropic.buildBody({
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
  }, { model: "claude", stream: true, maxTokens: 64, extraBody: {} });
  assertEquals(body, {
    model: "claude",
    max_tokens: 64,
    messages: [{ role: "user", content: "Hi" }],
    system: "Be brief.",
    stream: true,
  });
  assertEquals(anthropic.auth, "x-api-key");
  assertEquals(anthropic.headers, { "anthropic-version": "2023-06-01" });
});

// ---------------------------------------------------------------- Responses

const responses = adapterFor("openai-responses");
let seq = 0;
const rEv = (type: string, data: Record<string, unknown>) =>
  sse(type, { type, sequence_number: seq++, ...data });
const rResponse = (status: string, extra: Record<string, unknown> = {}) => ({
  response: { id: "resp_1", object: "response", status, output: [], ...extra },
});
const usage = {
  input_tokens: 12,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 2 },
  total_tokens: 17,
};
const rHead = () =>
  rEv("response.created", rResponse("in_progress", { usage: null })) +
  rEv("response.in_progress", rResponse("in_progress", { usage: null })) +
  rEv("response.output_item.added", { output_index: 0, item: { type: "reasoning", id: "rs" } }) +
  rEv("response.reasoning_text.delta", {
    item_id: "rs",
    output_index: 0,
    content_index: 0,
    delta: "think \u2026",
  }) +
  rEv("response.reasoning_summary_text.delta", {
    item_id: "rs",
    output_index: 0,
    summary_index: 0,
    delta: " sum",
  }) +
  rEv("response.output_item.added", { output_index: 1, item: { type: "message", id: "msg" } }) +
  rEv("response.content_part.added", {
    item_id: "msg",
    output_index: 1,
    content_index: 0,
    part: { type: "output_text", text: "", annotations: [] },
  }) +
  rEv("response.output_text.delta", {
    item_id: "msg",
    output_index: 1,
    content_index: 0,
    delta: "Caf\u00e9",
    logprobs: [],
  });

Deno.test("openai-responses reads text and reasoning deltas and ends at response.completed with usage", () => {
  const body = rHead() +
    rEv("response.output_text.done", { item_id: "msg", output_index: 1, text: "Caf\u00e9" }) +
    rEv("response.completed", rResponse("completed", { usage }));
  const r = feedAll(responses, body);
  assertEquals(r.failure, undefined);
  assertEquals([r.content, r.reasoning, r.chunks], ["Caf\u00e9", "think \u2026 sum", 3]);
  assertEquals(r.usage, { promptTokens: 12, completionTokens: 5 });
  assertEquals(r.finish, "completed");
});

Deno.test("openai-responses: incomplete at max_output_tokens ends well, other reasons, failed and error fail", () => {
  const capped = feedAll(
    responses,
    rHead() +
      rEv(
        "response.incomplete",
        rResponse("incomplete", { usage, incomplete_details: { reason: "max_output_tokens" } }),
      ),
  );
  assertEquals([capped.failure, capped.finish], [undefined, "max_output_tokens"]);
  const filtered = feedAll(
    responses,
    rHead() +
      rEv(
        "response.incomplete",
        rResponse("incomplete", { usage, incomplete_details: { reason: "content_filter" } }),
      ),
  );
  assertEquals(filtered.failure, {
    category: "stream_error",
    message: "response incomplete: content_filter",
  });
  const failed = feedAll(
    responses,
    rHead() +
      rEv(
        "response.failed",
        rResponse("failed", { error: { code: "server_error", message: "The model crashed" } }),
      ),
  );
  assertEquals(failed.failure, {
    category: "stream_error",
    message: "response failed: server_error: The model crashed",
  });
  const err = feedAll(
    responses,
    rHead() + rEv("error", { code: "rate_limit_exceeded", message: "Slow down", param: null }),
  );
  assertEquals(err.failure, {
    category: "stream_error",
    message: "rate_limit_exceeded: Slow down",
  });
  const cut = feedAll(responses, rHead());
  assertEquals(cut.failure, {
    category: "truncated",
    message: "stream ended without response.completed",
  });
});

// ---------------------------------------------------------------- Embeddings

const embeddings = adapterFor("openai-embeddings");

Deno.test("openai-embeddings sends a batch of inputs and reads usage.prompt_tokens, with no output", () => {
  assertEquals(
    embeddings.buildBody({
      messages: [{ role: "user", content: "a b" }, { role: "assistant", content: "c" }],
    }, { model: "e", stream: false, maxTokens: 1, extraBody: {} }),
    { model: "e", input: ["a b", "c"] },
  );
  assertEquals(
    embeddings.buildBody({ prompt: [1, 2, 3] }, {
      model: "e",
      stream: false,
      maxTokens: 1,
      extraBody: { dimensions: 4 },
    }),
    { model: "e", input: [[1, 2, 3]], dimensions: 4 },
  );
  assertEquals(embeddings.streaming, false);
  assert(!embeddings.framing.accepts("text/event-stream"));
  const { sink, read, out } = recorder();
  embeddings.readResponse({
    object: "list",
    data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
    model: "e",
    usage: { prompt_tokens: 9, total_tokens: 9 },
  }, sink);
  assertEquals(read.usage, { promptTokens: 9, completionTokens: 0 });
  assert(!out(), "an embedding is no output chunk");
  assertEquals(embeddings.endOfStream({ ...sink, ended: true }), undefined);
  const failed = recorder();
  embeddings.readResponse({ object: "list", data: [], usage: { prompt_tokens: 1 } }, failed.sink);
  assertEquals(
    embeddings.endOfStream({ ...failed.sink, ended: true })?.category,
    "bad_event",
  );
});
