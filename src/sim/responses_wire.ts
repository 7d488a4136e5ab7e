/**
 * The OpenAI Responses wire format as vLLM writes it
 * (vllm/entrypoints/openai/responses/api_router.py `_convert_stream_to_sse_events`:
 * `event: <type>` and `data: <json>` per event, no `[DONE]`; event shapes from
 * openai/openai-node src/resources/responses/responses.ts): every event has
 * `type` and a `sequence_number` counting from 0 — `response.created`,
 * `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, `response.reasoning_text.delta` (a reasoning
 * item) or `response.output_text.delta` (a message item), their `.done`
 * events, then `response.completed` (or `response.incomplete` with
 * `max_output_tokens` when the cap was reached) with `usage`, then EOF. A
 * mid-stream failure is an `error` event and EOF. Every event carries the
 * simulator's send stamp in an extra `sim_sent_ms` field.
 *
 * @module
 */

import type { Json, SimWire, WireResponse, WireStream } from "./wire.ts";
import { validateOpenaiBody } from "./openai_wire.ts";

const encoder = new TextEncoder();
const EOF = new Uint8Array(0);
const q = JSON.stringify;

function outputLength(body: Json, defaultTokens: number): number {
  const max = typeof body.max_output_tokens === "number" ? body.max_output_tokens : defaultTokens;
  return Math.max(0, Math.floor(Math.min(defaultTokens, max)));
}

interface Item {
  readonly id: string;
  readonly reasoning: boolean;
  text: string;
}

function responsesStream(model: string, body: Json, r: WireResponse): WireStream {
  let seq = 0;
  const created = Math.floor(Date.now() / 1000);
  const id = `resp_sim${r.id}`;
  const ev = (type: string, rest: string) =>
    `event: ${type}\ndata: {"type":"${type}","sequence_number":${seq++}${rest ? `,${rest}` : ""}`;
  const whole = (type: string, rest: string) => `${ev(type, rest)}}\n\n`;
  const items: Item[] = [];
  const response = (status: string, extra: string) =>
    `"response":{"id":"${id}","object":"response","created_at":${created},"status":"${status}","model":${
      q(model)
    },"output":[${items.map(itemJson).join(",")}],"max_output_tokens":${
      q(body.max_output_tokens ?? null)
    }${extra}}`;
  const itemJson = (it: Item) =>
    it.reasoning
      ? `{"id":"${it.id}","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":${
        q(it.text)
      }}],"status":"completed"}`
      : `{"id":"${it.id}","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":${
        q(it.text)
      },"annotations":[],"logprobs":[]}]}`;
  const at = (it: Item) => `"item_id":"${it.id}","output_index":${items.indexOf(it)}`;
  const open = (reasoning: boolean) => {
    const it: Item = {
      id: `${reasoning ? "rs" : "msg"}_sim${r.id}_${items.length}`,
      reasoning,
      text: "",
    };
    items.push(it);
    const item = reasoning
      ? `{"id":"${it.id}","type":"reasoning","summary":[],"status":"in_progress"}`
      : `{"id":"${it.id}","type":"message","status":"in_progress","role":"assistant","content":[]}`;
    const part = reasoning
      ? `{"type":"reasoning_text","text":""}`
      : `{"type":"output_text","text":"","annotations":[],"logprobs":[]}`;
    return whole(
      "response.output_item.added",
      `"output_index":${items.length - 1},"item":${item}`,
    ) +
      whole("response.content_part.added", `${at(it)},"content_index":0,"part":${part}`);
  };
  const close = (it: Item) => {
    const kind = it.reasoning ? "reasoning_text" : "output_text";
    const part = it.reasoning
      ? `{"type":"reasoning_text","text":${q(it.text)}}`
      : `{"type":"output_text","text":${q(it.text)},"annotations":[],"logprobs":[]}`;
    return whole(`response.${kind}.done`, `${at(it)},"content_index":0,"text":${q(it.text)}`) +
      whole("response.content_part.done", `${at(it)},"content_index":0,"part":${part}`) +
      whole(
        "response.output_item.done",
        `"output_index":${items.indexOf(it)},"item":${itemJson(it)}`,
      );
  };
  const delta = (it: Item, t: string) =>
    ev(
      it.reasoning ? "response.reasoning_text.delta" : "response.output_text.delta",
      `${at(it)},"content_index":0,"delta":${q(t)}${it.reasoning ? "" : `,"logprobs":[]`}`,
    );
  const outputDelta = (t: string) =>
    `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${seq++},"item_id":"msg_sim${r.id}","output_index":0,"content_index":0,"delta":${
      q(t)
    },"logprobs":[]`;
  return {
    frame: (payload, sentMs) => encoder.encode(`${payload},"sim_sent_ms":${sentMs}}\n\n`),
    opening: () =>
      whole("response.created", response("in_progress", `,"usage":null`)) +
      ev("response.in_progress", response("in_progress", `,"usage":null`)),
    token(t, reasoning) {
      let pre = "";
      let it = items[items.length - 1];
      if (it === undefined || it.reasoning !== reasoning) {
        if (it) pre = close(it);
        pre += open(reasoning);
        it = items[items.length - 1]!;
      }
      it.text += t;
      return pre + delta(it, t);
    },
    usage() {
      const last = items[items.length - 1];
      const capped = r.tokens === body.max_output_tokens;
      // The simulator's tokens are words that each begin with a space.
      let reasoning = 0;
      for (const it of items) if (it.reasoning) reasoning += it.text.split(" ").length - 1;
      const usage =
        `,"usage":{"input_tokens":${r.promptTokens},"input_tokens_details":{"cached_tokens":0},"output_tokens":${r.reportedTokens},"output_tokens_details":{"reasoning_tokens":${reasoning}},"total_tokens":${
          r.promptTokens + r.reportedTokens
        }}`;
      const done = last ? close(last) : "";
      return done + (capped
        ? ev(
          "response.incomplete",
          response("incomplete", `${usage},"incomplete_details":{"reason":"max_output_tokens"}`),
        )
        : ev("response.completed", response("completed", `${usage},"incomplete_details":null`)));
    },
    end: () => EOF,
    endAfterError: false,
    errorEvent: () =>
      ev("error", `"code":"server_error","message":"simulated engine failure","param":null`),
    emptyEvent: () => outputDelta(""),
    hugeEvent: () => outputDelta("x".repeat(1 << 20)),
    badEvent: () => encoder.encode(`${outputDelta("x").slice(0, -1)}\n\n`),
    utf8Event: () => encoder.encode(`${outputDelta(" caf\u00e9 \u20ac")}}\n\n`),
  };
}

/** The OpenAI Responses wire for `model`. */
export function responsesWire(model: string): SimWire {
  return {
    validate: (body) => validateOpenaiBody(body, { model, field: "input" }),
    outputLength,
    stream: (body, r) => responsesStream(model, body, r),
    streamHeaders: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    },
    whole: (body, r) => {
      const capped = r.tokens === body.max_output_tokens;
      return JSON.stringify({
        id: `resp_sim${r.id}`,
        object: "response",
        created_at: Math.floor(Date.now() / 1000),
        status: capped ? "incomplete" : "completed",
        model,
        output: [{
          id: `msg_sim${r.id}_0`,
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: r.text, annotations: [], logprobs: [] }],
        }],
        incomplete_details: capped ? { reason: "max_output_tokens" } : null,
        usage: {
          input_tokens: r.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: r.reportedTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: r.promptTokens + r.reportedTokens,
        },
      });
    },
  };
}
