/**
 * Ollama's native wire format (ollama/ollama server/routes.go `streamResponse`,
 * `GenerateHandler`, `ChatHandler`; api/types.go `GenerateResponse`,
 * `ChatResponse`, `Metrics`): `application/x-ndjson`, one `json.Marshal`ed
 * chunk and `\n` per token, `"done": false` until a last chunk with
 * `"done": true`, `done_reason`, the counts and the durations in integer ns
 * (`load_duration` left out when 0, as `omitempty` does), then EOF. Streams
 * unless `stream` is `false`. Errors are `{"error": "…"}`: with an HTTP status
 * before the first chunk, one more line after it. `GET /api/tags` and
 * `GET /api/version` answer discovery. Every chunk carries the simulator's
 * send stamp in an extra `sim_sent_ms` field; the durations come from those
 * stamps and the request's arrival.
 *
 * @module
 */

import type { Json, SimWire, WireResponse, WireStream } from "./wire.ts";

const encoder = new TextEncoder();
const EOF = new Uint8Array(0);

/** An Ollama error answer: `{"error": message}` with `status`. */
export function ollamaError(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** The `GET /api/tags` answer listing the one served model. */
export function ollamaTags(model: string): Response {
  return Response.json({
    models: [{
      name: model,
      model,
      modified_at: new Date().toISOString(),
      size: 0,
      digest: "0".repeat(64),
      details: {
        parent_model: "",
        format: "gguf",
        family: "sim",
        families: ["sim"],
        parameter_size: "0B",
        quantization_level: "F16",
      },
    }],
  });
}

/** The `GET /api/version` answer. */
export function ollamaVersion(): Response {
  return Response.json({ version: "0.12.0" });
}

function outputLength(body: Json, defaultTokens: number): number {
  const options = body.options as Json | undefined;
  const max = typeof options?.num_predict === "number" && options.num_predict >= 0
    ? options.num_predict
    : undefined;
  return Math.max(0, Math.floor(max === undefined ? defaultTokens : Math.min(defaultTokens, max)));
}

function ollamaStream(chat: boolean, model: string, body: Json, r: WireResponse): WireStream {
  const head = () =>
    `{"model":${JSON.stringify(model)},"created_at":"${new Date().toISOString()}",`;
  const out = (content: string, thinking: string) => {
    const t = thinking ? `,"thinking":${JSON.stringify(thinking)}` : "";
    return chat
      ? `"message":{"role":"assistant","content":${JSON.stringify(content)}${t}}`
      : `"response":${JSON.stringify(content)}${t}`;
  };
  const max = (body.options as Json | undefined)?.num_predict;
  let firstSent: number | undefined;
  let lastSent = r.arrivedMs;
  const ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));
  return {
    frame(payload, sentMs) {
      firstSent ??= sentMs;
      lastSent = sentMs;
      return encoder.encode(`${payload},"sim_sent_ms":${sentMs}}\n`);
    },
    opening: () => undefined,
    token: (text, reasoning) =>
      `${head()}${reasoning ? out("", text) : out(text, "")},"done":false`,
    usage() {
      const first = firstSent ?? lastSent;
      const reason = r.tokens === max ? "length" : "stop";
      const context = chat ? "" : `,"context":[1,2,3]`;
      return `${head()}${out("", "")},"done":true,"done_reason":"${reason}"${context},` +
        `"total_duration":${ns(lastSent - r.arrivedMs)},"prompt_eval_count":${r.promptTokens},` +
        `"prompt_eval_duration":${ns(first - r.arrivedMs)},"eval_count":${r.reportedTokens},` +
        `"eval_duration":${ns(lastSent - first)}`;
    },
    end: () => EOF,
    endAfterError: false,
    errorEvent: () => `{"error":"simulated engine failure"`,
    emptyEvent: () => `${head()}${out("", "")},"done":false`,
    hugeEvent: () => `${head()}${out("x".repeat(1 << 20), "")},"done":false`,
    badEvent: () =>
      encoder.encode(`${head()}${chat ? `"message":{"content":"x"` : `"response":"x`}\n`),
    utf8Event: () => encoder.encode(`${head()}${out(" caf\u00e9 \u20ac", "")},"done":false}\n`),
  };
}

function ollamaWhole(
  chat: boolean,
  model: string,
  body: Json,
  r: WireResponse & { readonly text: string },
): string {
  const max = (body.options as Json | undefined)?.num_predict;
  const json: Json = { model, created_at: new Date().toISOString() };
  if (chat) json.message = { role: "assistant", content: r.text };
  else json.response = r.text;
  Object.assign(json, {
    done: true,
    done_reason: r.tokens === max ? "length" : "stop",
    prompt_eval_count: r.promptTokens,
    eval_count: r.reportedTokens,
  });
  return JSON.stringify(json);
}

/** The Ollama wire for `model`: `/api/chat` (`chat`) or `/api/generate`. */
export function ollamaWire(chat: boolean, model: string): SimWire {
  return {
    httpError: ollamaError,
    validate(body) {
      if (body.model !== model) return ollamaError(404, `model '${String(body.model)}' not found`);
      if (chat && !Array.isArray(body.messages)) return ollamaError(400, "messages are required");
      if (!chat && typeof body.prompt !== "string") return ollamaError(400, "prompt is required");
      return undefined;
    },
    streams: (body) => body.stream !== false,
    outputLength,
    stream: (body, r) => ollamaStream(chat, model, body, r),
    streamHeaders: { "content-type": "application/x-ndjson" },
    wholeContentType: "application/json; charset=utf-8",
    whole: (body, r) => ollamaWhole(chat, model, body, r),
  };
}
