/**
 * llama.cpp server's native wire format on `POST /completion`: SSE
 * `data: ` events (with a space) `{"index","content","tokens","stop":false,
 * "id_slot","tokens_predicted","tokens_evaluated"}`, a final `"stop":true`
 * event with `stop_type`, the counts and `timings` (ms), no `[DONE]` (EOF
 * ends it); errors `{"error":{"code","message","type"}}`, as the status of a
 * refused request or as a `data:` event mid-stream; and `GET /props`. The
 * timings are the simulator's own: admission to first token (`prompt_ms`)
 * and first to last token (`predicted_ms`). Every event carries the send
 * stamp in an extra `sim_sent_ms` field.
 *
 * Followed: ggml-org/llama.cpp tools/server/server-task.cpp
 * (`to_json_non_oaicompat` of the partial and final results, `result_timings`),
 * tools/server/server-context.cpp (`handle_completions_impl`, `get_props`) and
 * tools/server/server-common.cpp (`format_oai_sse`, `format_error_response`).
 *
 * @module
 */

import type { Json, SimWire, WireResponse, WireStream } from "./wire.ts";
import { LLAMACPP_ERROR } from "./openai_wire.ts";

const encoder = new TextEncoder();
const EOF = new Uint8Array(0);

/** A llama.cpp error body; the status is its `code`. */
export function llamacppError(code: number, message: string, type: string): Response {
  return Response.json({ error: { code, message, type } }, { status: code });
}

// The `type` llama.cpp writes with each status (tools/server/server-common.cpp
// `format_error_response`: one error_type per status).
const LLAMACPP_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  500: "server_error",
  501: "not_supported_error",
  503: "unavailable_error",
};

/** A llama.cpp error with `status`, its `type` as llama.cpp names it. */
function llamacppHttpError(status: number, message: string): Response {
  return llamacppError(status, message, LLAMACPP_ERROR_TYPES[status] ?? "server_error");
}

/** The `GET /props` answer for `model` (the keys a client reads). */
export function llamacppProps(model: string): Response {
  return Response.json({
    default_generation_settings: { params: { n_predict: -1 }, n_ctx: 4096 },
    total_slots: 1,
    model_alias: model,
    model_path: `/models/${model}.gguf`,
    modalities: { vision: false, audio: false },
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: false,
    chat_template: "",
    bos_token: "<s>",
    eos_token: "</s>",
    build_info: "b0-servebench-sim",
    is_sleeping: false,
  });
}

function limit(body: Json): number | undefined {
  for (const k of ["n_predict", "max_completion_tokens", "max_tokens"]) {
    const v = body[k];
    if (typeof v === "number" && v >= 0) return v;
  }
  return undefined;
}

const countWords = (text: string) => text.split(" ").length - 1;

function llamaStream(body: Json, r: WireResponse): WireStream {
  const created = performance.now();
  let first: number | undefined;
  let predicted = 0;
  const part = (content: string) =>
    `{"index":0,"content":${
      JSON.stringify(content)
    },"tokens":[],"stop":false,"id_slot":0,"tokens_predicted":${predicted},"tokens_evaluated":${r.promptTokens}`;
  return {
    frame: (payload, sentMs) => encoder.encode(`data: ${payload},"sim_sent_ms":${sentMs}}\n\n`),
    opening: () => undefined,
    token(text) {
      first ??= performance.now();
      predicted += countWords(text);
      return part(text);
    },
    usage() {
      const now = performance.now();
      const promptMs = (first ?? now) - created;
      const predictedMs = now - (first ?? now);
      const n = r.reportedTokens;
      const stopType = r.tokens === limit(body) ? "limit" : "eos";
      return `{"index":0,"content":"","tokens":[],"id_slot":0,"stop":true,"model":"sim","tokens_predicted":${n},"tokens_evaluated":${r.promptTokens},"generation_settings":{},"prompt":"","has_new_line":false,"truncated":false,"stop_type":"${stopType}","stopping_word":"","tokens_cached":${
        r.promptTokens + n
      },"timings":{"cache_n":0,"prompt_n":${r.promptTokens},"prompt_ms":${promptMs},"prompt_per_token_ms":${
        r.promptTokens ? promptMs / r.promptTokens : 0
      },"prompt_per_second":${
        promptMs ? (1000 * r.promptTokens) / promptMs : 0
      },"predicted_n":${n},"predicted_ms":${predictedMs},"predicted_per_token_ms":${
        n ? predictedMs / n : 0
      },"predicted_per_second":${predictedMs ? (1000 * n) / predictedMs : 0}}`;
    },
    end: () => EOF,
    errorEvent: () =>
      `{"error":{"code":500,"message":"simulated engine failure","type":"server_error"}`,
    // Before ggml-org/llama.cpp#16109 (tools/server/utils.hpp `server_sent_event`): an
    // `error:` field line, then EOF.
    errorLine: () => encoder.encode(`error: ${LLAMACPP_ERROR}\n\n`),
    emptyEvent: () => part(""),
    hugeEvent: () => part("x".repeat(1 << 20)),
    badEvent: () => encoder.encode(`data: {"index":0,"content":"x"\n\n`),
    utf8Event: () => encoder.encode(`data: ${part(" caf\u00e9 \u20ac")}}\n\n`),
  };
}

/** llama.cpp's `/completion` wire. */
export function llamacppWire(): SimWire {
  return {
    httpError: llamacppHttpError,
    validate(body) {
      if (body.prompt === undefined) {
        return llamacppError(400, `"prompt" must be provided`, "invalid_request_error");
      }
      return undefined;
    },
    outputLength(body, defaultTokens) {
      const max = limit(body);
      return Math.max(
        0,
        Math.floor(max === undefined ? defaultTokens : Math.min(defaultTokens, max)),
      );
    },
    stream: llamaStream,
    streamHeaders: { "content-type": "text/event-stream" },
    whole(body, r) {
      const s = llamaStream(body, r);
      // The final event, with the whole text as its content.
      return s.usage()!.replace(`"content":""`, `"content":${JSON.stringify(r.text)}`) + "}";
    },
  };
}
