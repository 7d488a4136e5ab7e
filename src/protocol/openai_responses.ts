/**
 * The OpenAI Responses API (`POST /v1/responses`; openai/openai-node
 * src/resources/responses/responses.ts for the event types, vLLM's
 * vllm/entrypoints/openai/responses/api_router.py for the framing): `input`
 * and `max_output_tokens` in; SSE events named by their `type`, each with a
 * `sequence_number`: `response.output_text.delta` is content,
 * `response.reasoning_text.delta` and `response.reasoning_summary_text.delta`
 * reasoning; the terminal event is `response.completed` (usage.input_tokens /
 * output_tokens), `response.incomplete` or `response.failed`; an `error`
 * event fails the stream. No `[DONE]` (a stray one is tolerated, as
 * openai-node does).
 *
 * `response.incomplete` for `max_output_tokens` is a success whose finish
 * reason is `max_output_tokens` (the output cap was reached, as chat's
 * `length`); for any other reason (`content_filter`) it fails, with the reason.
 *
 * @module
 */

import { type ApiAdapter, endOfStreamRule, type EventSink, parseEvent } from "./adapter.ts";
import {
  isObj,
  OPENAI_COMMON,
  readError as readOpenaiError,
  readInputOutputUsage,
  specMessages,
} from "./_openai.ts";
import { sseFraming } from "./sse.ts";

type Obj = Record<string, unknown>;

/** A terminal `response` object: usage, status and how it ended. */
function readTerminal(response: unknown, sink: EventSink): void {
  if (!isObj(response)) return;
  readInputOutputUsage(response.usage, sink);
  const status = response.status;
  if (status === "completed") sink.finish("completed");
  else if (status === "incomplete") {
    const details = response.incomplete_details;
    const reason = isObj(details) && typeof details.reason === "string" ? details.reason : "";
    if (reason === "max_output_tokens") sink.finish(reason);
    else sink.error(`response incomplete: ${reason || "no reason given"}`, undefined);
  } else if (status === "failed") {
    const err = response.error;
    const message = isObj(err)
      ? `${typeof err.code === "string" ? `${err.code}: ` : ""}${String(err.message ?? "")}`
      : "no error given";
    sink.error(`response failed: ${message}`, undefined);
  }
}

function readEvent(data: string, name: string | undefined, sink: EventSink): void {
  if (data === "[DONE]") {
    sink.end();
    return;
  }
  const event = parseEvent(data, sink);
  if (!isObj(event)) return;
  switch (name ?? event.type) {
    case "response.output_text.delta":
      if (typeof event.delta === "string" && event.delta !== "") sink.content(event.delta);
      return;
    case "response.reasoning_text.delta":
    case "response.reasoning_summary_text.delta":
      if (typeof event.delta === "string" && event.delta !== "") sink.reasoning(event.delta);
      return;
    case "response.completed":
    case "response.incomplete":
    case "response.failed":
      readTerminal(event.response, sink);
      sink.end();
      return;
    case "error": {
      const code = typeof event.code === "string" ? `${event.code}: ` : "";
      sink.error(`${code}${String(event.message ?? JSON.stringify(event))}`, undefined);
      return;
    }
  }
}

/** The OpenAI Responses API. */
export const openaiResponses: ApiAdapter = {
  ...OPENAI_COMMON,
  help: "OpenAI Responses (/v1/responses), chat messages as input, typed SSE events",
  path: "/v1/responses",
  input: "messages",
  framing: sseFraming,
  buildBody(spec, options) {
    const messages = specMessages(spec);
    const body: Obj = {
      model: options.model,
      // A lone user message goes as a plain string, as clients usually send it.
      input: messages.length === 1 && messages[0]!.role === "user" &&
          typeof messages[0]!.content === "string"
        ? messages[0]!.content
        : messages,
      max_output_tokens: spec.maxTokens ?? options.maxTokens,
    };
    if (options.stream) body.stream = true;
    return Object.assign(body, options.extraBody);
  },
  readEvent,
  readResponse(body, sink) {
    if (!isObj(body)) return;
    if (isObj(body.error) && body.object !== "response") {
      readOpenaiError(body, sink);
      return;
    }
    if (Array.isArray(body.output)) {
      for (const item of body.output) {
        if (!isObj(item)) continue;
        const parts = [
          ...(Array.isArray(item.content) ? item.content : []),
          ...(Array.isArray(item.summary) ? item.summary : []),
        ];
        for (const part of parts) {
          if (!isObj(part) || typeof part.text !== "string" || part.text === "") continue;
          if (part.type === "output_text") sink.content(part.text);
          else if (part.type === "reasoning_text" || part.type === "summary_text") {
            sink.reasoning(part.text);
          }
        }
      }
    }
    readTerminal(body, sink);
  },
  endOfStream: endOfStreamRule({ terminal: "response.completed", eofAfterFinish: false }),
};
