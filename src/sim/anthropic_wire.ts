/**
 * Anthropic's Messages wire format (anthropics/anthropic-sdk-typescript
 * src/resources/messages/messages.ts for the event and block types,
 * src/resources/shared.ts for `ErrorResponse`, src/resources/models.ts for the
 * model page; the streaming guide at platform.claude.com for the order):
 * SSE events with `event:` names matching the data's `type` — `message_start`,
 * `content_block_start`, `ping`, `content_block_delta` (`thinking_delta`s,
 * one `signature_delta` and `content_block_stop` closing a thinking block,
 * then a text block of `text_delta`s), `content_block_stop`, `message_delta`
 * (stop_reason, output_tokens), `message_stop`, then EOF. A mid-stream
 * failure is an `error` event and EOF. Every event but `message_stop` carries
 * the simulator's send stamp in an extra `sim_sent_ms` field.
 *
 * @module
 */

import type { Json, SimWire, WireResponse, WireStream } from "./wire.ts";

const encoder = new TextEncoder();
const STOP = encoder.encode(`event: message_stop\ndata: {"type":"message_stop"}\n\n`);

/** An Anthropic error answer: `{"type":"error","error":{type, message}}` with `status`. */
export function anthropicError(status: number, type: string, message: string): Response {
  const body = JSON.stringify({ type: "error", error: { type, message } });
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

// The error `type` Anthropic's API writes with each status (docs.anthropic.com/en/api/errors;
// the anthropic-sdk-typescript src/core/error.ts classes map the same statuses).
const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

/** An Anthropic error with `status`, its `type` as the API names it. */
function anthropicHttpError(status: number, message: string): Response {
  return anthropicError(status, ANTHROPIC_ERROR_TYPES[status] ?? "api_error", message);
}

/** The `GET /v1/models` answer in Anthropic's shape (a page of one model). */
export function anthropicModels(model: string): Response {
  return Response.json({
    data: [{
      type: "model",
      id: model,
      display_name: model,
      created_at: "2026-01-01T00:00:00Z",
    }],
    has_more: false,
    first_id: model,
    last_id: model,
  });
}

/** An event's opening bytes; the frame closes the last one (so `data` lacks its final `}`). */
const ev = (type: string, rest: string) =>
  `event: ${type}\ndata: {"type":"${type}"${rest ? `,${rest}` : ""}`;
/** A whole event, for payloads holding several. */
const whole = (type: string, rest: string) => `${ev(type, rest)}}\n\n`;

function outputLength(body: Json, defaultTokens: number): number {
  const max = typeof body.max_tokens === "number" ? body.max_tokens : defaultTokens;
  return Math.max(0, Math.floor(Math.min(defaultTokens, max)));
}

function anthropicStream(model: string, body: Json, r: WireResponse): WireStream {
  let index = 0;
  let thinking: boolean | undefined;
  const block = (think: boolean) =>
    whole(
      "content_block_start",
      `"index":${index},"content_block":${
        think ? `{"type":"thinking","thinking":"","signature":""}` : `{"type":"text","text":""}`
      }`,
    );
  const delta = (d: string) => ev("content_block_delta", `"index":${index},"delta":${d}`);
  const text = (t: string) => delta(`{"type":"text_delta","text":${JSON.stringify(t)}}`);
  return {
    frame: (payload, sentMs) => encoder.encode(`${payload},"sim_sent_ms":${sentMs}}\n\n`),
    opening: () =>
      ev(
        "message_start",
        `"message":{"id":"msg_sim${r.id}","type":"message","role":"assistant","model":${
          JSON.stringify(model)
        },"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":${r.promptTokens},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}`,
      ),
    token(t, reasoning) {
      let pre = "";
      if (thinking === undefined) pre = block(reasoning) + whole("ping", "");
      else if (thinking && !reasoning) {
        pre = whole(
          "content_block_delta",
          `"index":${index},"delta":{"type":"signature_delta","signature":"c2lt"}`,
        ) + whole("content_block_stop", `"index":${index}`);
        index++;
        pre += block(false);
      }
      thinking = reasoning;
      return pre +
        (reasoning ? delta(`{"type":"thinking_delta","thinking":${JSON.stringify(t)}}`) : text(t));
    },
    usage: () =>
      (thinking === undefined ? "" : whole("content_block_stop", `"index":${index}`)) +
      ev(
        "message_delta",
        `"delta":{"stop_reason":"${
          r.tokens === body.max_tokens ? "max_tokens" : "end_turn"
        }","stop_sequence":null},"usage":{"output_tokens":${r.reportedTokens}}`,
      ),
    end: () => STOP,
    endAfterError: false,
    errorEvent: () => ev("error", `"error":{"type":"overloaded_error","message":"Overloaded"}`),
    emptyEvent: () => ev("ping", ""),
    hugeEvent: () => text("x".repeat(1 << 20)),
    badEvent: () => encoder.encode(`${text("x")}\n\n`),
    utf8Event: () => encoder.encode(`${text(" caf\u00e9 \u20ac")}}\n\n`),
  };
}

/** The Anthropic Messages wire for `model`. */
export function anthropicWire(model: string): SimWire {
  return {
    httpError: anthropicHttpError,
    validate(body) {
      if (body.model !== model) {
        return anthropicError(404, "not_found_error", `model: ${String(body.model)}`);
      }
      if (typeof body.max_tokens !== "number") {
        return anthropicError(400, "invalid_request_error", "max_tokens: Field required");
      }
      if (!Array.isArray(body.messages)) {
        return anthropicError(400, "invalid_request_error", "messages: Field required");
      }
      return undefined;
    },
    outputLength,
    stream: (body, r) => anthropicStream(model, body, r),
    streamHeaders: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    },
    whole: (body, r) =>
      JSON.stringify({
        id: `msg_sim${r.id}`,
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text: r.text }],
        stop_reason: r.tokens === body.max_tokens ? "max_tokens" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: r.promptTokens, output_tokens: r.reportedTokens },
      }),
  };
}
