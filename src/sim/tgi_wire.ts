/**
 * TGI's native wire format as text-generation-inference writes it: SSE on
 * `/generate_stream` with `data:` and no space (axum's `Event::json_data`),
 * one event per token, the last carrying `generated_text` and `details`, no
 * `[DONE]` (the body ends at EOF); a whole `{"generated_text","details"}` on
 * `/generate` with the `x-*` timing and count headers; errors as
 * `{"error","error_type"}` (422 `validation` before a stream, an event within
 * it); and `GET /info`. Every event carries the simulator's send stamp in an
 * extra `sim_sent_ms` field.
 *
 * Followed: huggingface/text-generation-inference router/src/lib.rs
 * (`StreamResponse`, `Token`, `StreamDetails`, `GenerateResponse`, `Info`,
 * `ErrorResponse`), router/src/server.rs (`generate_internal` headers,
 * `generate_stream_internal`, `From<InferError>` statuses), and tokio-rs/axum
 * axum/src/response/sse.rs (`json_data`, keep-alive `:\n\n`).
 *
 * @module
 */

import type { Json, SimWire, WireResponse, WireStream } from "./wire.ts";

const encoder = new TextEncoder();
const EOF = new Uint8Array(0);

/** A TGI error body: `{"error": "…", "error_type": "…"}`. */
export function tgiError(status: number, message: string, type: string): Response {
  return Response.json({ error: message, error_type: type }, { status });
}

// The `error_type` TGI writes with each status (router/src/server.rs `From<InferError>`:
// 424 generation, 429 overloaded, 422 validation, 500 incomplete_generation).
const TGI_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "validation",
  422: "validation",
  424: "generation",
  429: "overloaded",
  500: "incomplete_generation",
  503: "overloaded",
};

/** A TGI error with `status`, its `error_type` as TGI names that status's error. */
function tgiHttpError(status: number, message: string): Response {
  return tgiError(status, message, TGI_ERROR_TYPES[status] ?? "generation");
}

/** The `GET /info` answer for `model`. */
export function tgiInfo(model: string): Response {
  return Response.json({
    model_id: model,
    model_sha: null,
    model_pipeline_tag: "text-generation",
    max_concurrent_requests: 128,
    max_best_of: 2,
    max_stop_sequences: 4,
    max_input_tokens: 4095,
    max_total_tokens: 4096,
    validation_workers: 2,
    max_client_batch_size: 4,
    router: "text-generation-router",
    version: "3.3.4",
    sha: null,
    docker_label: null,
  });
}

function maxNewTokens(body: Json): number | undefined {
  const p = body.parameters as Json | undefined;
  return typeof p?.max_new_tokens === "number" ? p.max_new_tokens : undefined;
}

function outputLength(body: Json, defaultTokens: number): number {
  const max = maxNewTokens(body);
  return Math.max(0, Math.floor(max === undefined ? defaultTokens : Math.min(defaultTokens, max)));
}

function validate(body: Json): Response | undefined {
  if (typeof body.inputs !== "string") {
    // axum's Json extractor rejects a body without `inputs` in plain text.
    return new Response(
      "Failed to deserialize the JSON body into the target type: missing field `inputs`",
      { status: 422, headers: { "content-type": "text/plain; charset=utf-8" } },
    );
  }
  const max = maxNewTokens(body);
  if (max !== undefined && max <= 0) {
    return tgiError(
      422,
      "Input validation error: `max_new_tokens` must be strictly positive",
      "validation",
    );
  }
  return undefined;
}

const finishOf = (body: Json, r: WireResponse) =>
  r.tokens === maxNewTokens(body) ? "length" : "eos_token";

function details(body: Json, r: WireResponse): string {
  const finish = finishOf(body, r);
  // An end-of-sequence token counts as generated.
  const generated = r.reportedTokens + (finish === "eos_token" ? 1 : 0);
  return `{"finish_reason":"${finish}","generated_tokens":${generated},"seed":null,"input_length":${r.promptTokens}}`;
}

function tgiStream(body: Json, r: WireResponse): WireStream {
  let index = 0;
  let text = "";
  const tokenEvent = (t: string, special: boolean, end: string) =>
    `{"index":${++index},"token":{"id":${index},"text":${
      JSON.stringify(t)
    },"logprob":-0.1,"special":${special}},${end}`;
  const open = `"generated_text":null,"details":null`;
  const eos = finishOf(body, r) === "eos_token";
  return {
    frame: (payload, sentMs) => encoder.encode(`data:${payload},"sim_sent_ms":${sentMs}}\n\n`),
    opening: () => undefined,
    token(t, _reasoning, last) {
      text += t;
      // Stopped by length, the last real token is the final event; stopped by
      // EOS, the final event is the special EOS token (usage()).
      if (!last || eos) return tokenEvent(t, false, open);
      return tokenEvent(
        t,
        false,
        `"generated_text":${JSON.stringify(text)},"details":${details(body, r)}`,
      );
    },
    usage: () =>
      eos
        ? tokenEvent(
          "</s>",
          true,
          `"generated_text":${JSON.stringify(text)},"details":${details(body, r)}`,
        )
        : undefined,
    end: () => EOF,
    errorEvent: () =>
      `{"error":"Request failed during generation: simulated engine failure","error_type":"generation"`,
    emptyEvent: () => tokenEvent("", true, open),
    hugeEvent: () => tokenEvent("x".repeat(1 << 20), false, open),
    badEvent: () => encoder.encode(`data:{"index":${++index},"token":{"id"\n\n`),
    utf8Event: () => encoder.encode(`data:${tokenEvent(" caf\u00e9 \u20ac", false, open)}}\n\n`),
  };
}

const STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-compute-type": "gpu+optimized",
  "x-accel-buffering": "no",
};

/** TGI's wire: `/generate_stream` (`stream`) or `/generate`. */
export function tgiWire(stream: boolean): SimWire {
  return {
    httpError: tgiHttpError,
    validate,
    outputLength,
    streams: () => stream,
    countBody: (body) => ({ prompt: body.inputs }),
    stream: tgiStream,
    streamHeaders: STREAM_HEADERS,
    whole: (body, r) =>
      `{"generated_text":${JSON.stringify(r.text)},"details":{"finish_reason":"${
        finishOf(body, r)
      }","generated_tokens":${r.reportedTokens},"seed":null,"prefill":[],"tokens":[]}}`,
    wholeHeaders(r) {
      const perToken = r.tokens > 0 ? r.inferenceMs / r.tokens : 0;
      return {
        "x-compute-type": "gpu+optimized",
        "x-compute-time": String((r.queueMs + r.inferenceMs) / 1000),
        "x-compute-characters": "0",
        "x-total-time": String(Math.round(r.queueMs + r.inferenceMs)),
        "x-validation-time": "0",
        "x-queue-time": String(Math.round(r.queueMs)),
        "x-inference-time": String(Math.round(r.inferenceMs)),
        "x-time-per-token": String(Math.round(perToken)),
        "x-prompt-tokens": String(r.promptTokens),
        "x-generated-tokens": String(r.reportedTokens),
      };
    },
  };
}
