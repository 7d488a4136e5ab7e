/**
 * SGLang's native wire format on `POST /generate`: SSE `data: ` events
 * (with a space) `{"text","output_ids","meta_info"}` whose `text` is the
 * whole output so far (cumulative), `meta_info.finish_reason` null until the
 * last (`{"type":"length","length":N}` or `{"type":"stop","matched":…}`),
 * `prompt_tokens`, `completion_tokens`, `e2e_latency` (s) on the last, then
 * `data: [DONE]`; errors `{"error":{"message"}}` with status 400 before a
 * stream, or as an event followed by `[DONE]` within one; and
 * `GET /get_model_info`. Every event carries the send stamp in an extra
 * top-level `sim_sent_ms` field.
 *
 * Followed: sgl-project/sglang python/sglang/srt/entrypoints/http_server.py
 * (`generate_request`, `stream_results`, `_create_error_response`,
 * `get_model_info`), python/sglang/srt/managers/tokenizer_manager.py
 * (`_handle_batch_output`: meta_info keys in this order, `e2e_latency` set on
 * the finishing output; read at commit 001067ff) and python/sglang/srt/managers/schedule_batch.py
 * (`FINISH_LENGTH`, `FINISH_MATCHED_TOKEN` `to_json`).
 *
 * @module
 */

import type { Json, SimWire, WireResponse, WireStream } from "./wire.ts";

const encoder = new TextEncoder();
const DONE = encoder.encode("data: [DONE]\n\n");

/** SGLang's error body: `{"error": {"message": …}}`. */
export function sglangError(status: number, message: string): Response {
  return Response.json({ error: { message } }, { status });
}

/** The `GET /get_model_info` answer for `model`. */
export function sglangModelInfo(model: string): Response {
  return Response.json({
    model_path: model,
    tokenizer_path: model,
    is_generation: true,
    preferred_sampling_params: null,
    weight_version: "default",
  });
}

function maxNew(body: Json): number | undefined {
  const p = body.sampling_params as Json | undefined;
  return typeof p?.max_new_tokens === "number" ? p.max_new_tokens : undefined;
}

const countWords = (text: string) => text.split(" ").length - 1;

function sglangStream(body: Json, r: WireResponse): WireStream {
  const created = performance.now();
  let text = "";
  let n = 0;
  const id = `sim${r.id}`;
  const event = (finish: string, extra: string) =>
    `{"text":${
      JSON.stringify(text)
    },"output_ids":[],"meta_info":{"id":"${id}","finish_reason":${finish},"prompt_tokens":${r.promptTokens},"weight_version":"default","num_retractions":0,"reasoning_tokens":0,"completion_tokens":${n},"cached_tokens":0${extra}}`;
  const length = r.tokens === maxNew(body);
  return {
    frame: (payload, sentMs) => encoder.encode(`data: ${payload},"sim_sent_ms":${sentMs}}\n\n`),
    opening: () => undefined,
    token(t, _reasoning, last) {
      text += t;
      n += countWords(t);
      if (!last) return event("null", "");
      n = r.reportedTokens;
      const finish = length ? `{"type":"length","length":${n}}` : `{"type":"stop","matched":2}`;
      return event(finish, `,"e2e_latency":${(performance.now() - created) / 1000}`);
    },
    usage: () => undefined,
    end: () => DONE,
    errorEvent: () => `{"error":{"message":"simulated engine failure"}`,
    emptyEvent: () => event("null", ""),
    hugeEvent: () => {
      text += "x".repeat(1 << 20);
      return event("null", "");
    },
    badEvent: () => encoder.encode(`data: {"text":"x","meta_info"\n\n`),
    utf8Event: () => {
      text += " caf\u00e9 \u20ac";
      return encoder.encode(`data: ${event("null", "")}}\n\n`);
    },
  };
}

/** SGLang's `/generate` wire. */
export function sglangWire(): SimWire {
  return {
    httpError: sglangError,
    validate(body) {
      if (body.text === undefined && body.input_ids === undefined) {
        return sglangError(400, "Either text or input_ids should be provided.");
      }
      return undefined;
    },
    outputLength(body, defaultTokens) {
      const max = maxNew(body);
      return Math.max(
        0,
        Math.floor(max === undefined ? defaultTokens : Math.min(defaultTokens, max)),
      );
    },
    countBody: (body) => ({ prompt: body.text ?? body.input_ids }),
    stream: sglangStream,
    streamHeaders: { "content-type": "text/event-stream; charset=utf-8" },
    whole(body, r) {
      const finish = r.tokens === maxNew(body)
        ? { type: "length", length: r.reportedTokens }
        : { type: "stop", matched: 2 };
      return JSON.stringify({
        text: r.text,
        output_ids: [],
        meta_info: {
          id: `sim${r.id}`,
          finish_reason: finish,
          prompt_tokens: r.promptTokens,
          weight_version: "default",
          num_retractions: 0,
          reasoning_tokens: 0,
          completion_tokens: r.reportedTokens,
          cached_tokens: 0,
        },
      });
    },
  };
}
