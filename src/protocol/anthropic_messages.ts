/**
 * Anthropic's Messages API (`POST /v1/messages`), as its SDK reads it
 * (anthropics/anthropic-sdk-typescript src/core/streaming.ts,
 * src/resources/messages/messages.ts, src/resources/shared.ts): the key in
 * `x-api-key`, `anthropic-version: 2023-06-01`; `max_tokens` required, a
 * system prompt as top-level `system`. SSE with named events —
 * `message_start` (usage.input_tokens), `content_block_start`,
 * `content_block_delta` (`text_delta` is content, `thinking_delta`
 * reasoning, `signature_delta` and tool deltas no output),
 * `content_block_stop`, `message_delta` (stop_reason, cumulative
 * usage.output_tokens), `message_stop` (the terminal event: no `[DONE]`),
 * `ping` and `error` (`{"type":"error","error":{"type","message"}}`).
 *
 * @module
 */

import { type ApiAdapter, endOfStreamRule, type EventSink, parseEvent } from "./adapter.ts";
import { isObj, OPENAI_COMMON, readInputOutputUsage, specMessages } from "./_openai.ts";
import { sseFraming } from "./sse.ts";

type Obj = Record<string, unknown>;

function readError(event: Obj, sink: EventSink): void {
  const err = event.error;
  if (isObj(err)) {
    const type = typeof err.type === "string" ? `${err.type}: ` : "";
    sink.error(`${type}${typeof err.message === "string" ? err.message : ""}`, undefined);
  } else sink.error(JSON.stringify(event).slice(0, 200), undefined);
}

function readEvent(data: string, name: string | undefined, sink: EventSink): void {
  const event = parseEvent(data, sink);
  if (!isObj(event)) return;
  switch (name ?? event.type) {
    case "content_block_delta": {
      const d = event.delta;
      if (!isObj(d)) return;
      if (d.type === "text_delta") {
        if (typeof d.text === "string" && d.text !== "") sink.content(d.text);
      } else if (d.type === "thinking_delta") {
        if (typeof d.thinking === "string" && d.thinking !== "") sink.reasoning(d.thinking);
      }
      return;
    }
    case "message_start":
      // The opening usage's output_tokens is a placeholder (1): only the input count is kept.
      if (isObj(event.message) && isObj(event.message.usage)) {
        const input = event.message.usage.input_tokens;
        if (typeof input === "number") sink.usage({ promptTokens: input });
      }
      return;
    case "message_delta":
      if (isObj(event.delta) && typeof event.delta.stop_reason === "string") {
        sink.finish(event.delta.stop_reason);
      }
      readInputOutputUsage(event.usage, sink);
      return;
    case "message_stop":
      sink.end();
      return;
    case "error":
      readError(event, sink);
      return;
  }
}

/** Anthropic's Messages API. */
export const anthropicMessages: ApiAdapter = {
  help: "Anthropic Messages (/v1/messages), chat messages, named SSE events",
  path: "/v1/messages",
  input: "messages",
  auth: "x-api-key",
  headers: { "anthropic-version": "2023-06-01" },
  // GET /v1/models answers a page {"data": [{"type": "model", "id": …}], "has_more", …}
  // (src/resources/models.ts, src/core/pagination.ts): the same path and `data[].id` as OpenAI's.
  models: OPENAI_COMMON.models,
  framing: sseFraming,
  buildBody(spec, options) {
    const all = specMessages(spec);
    const system = all.filter((m) => m.role === "system").map((m) =>
      typeof m.content === "string" ? m.content : ""
    );
    const body: Obj = {
      model: options.model,
      max_tokens: spec.maxTokens ?? options.maxTokens,
      messages: all.filter((m) => m.role !== "system"),
    };
    if (system.length) body.system = system.join("\n");
    if (options.stream) body.stream = true;
    return Object.assign(body, options.extraBody);
  },
  readEvent,
  readResponse(body, sink) {
    if (!isObj(body)) return;
    if (body.type === "error") {
      readError(body, sink);
      return;
    }
    if (Array.isArray(body.content)) {
      for (const block of body.content) {
        if (!isObj(block)) continue;
        if (block.type === "thinking" && typeof block.thinking === "string" && block.thinking) {
          sink.reasoning(block.thinking);
        }
        if (block.type === "text" && typeof block.text === "string" && block.text) {
          sink.content(block.text);
        }
      }
    }
    if (typeof body.stop_reason === "string") sink.finish(body.stop_reason);
    readInputOutputUsage(body.usage, sink);
  },
  endOfStream: endOfStreamRule({ terminal: "message_stop", eofAfterFinish: false }),
};
