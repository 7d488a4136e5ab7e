/**
 * Hugging Face TGI's native streaming API (`POST /generate_stream`): a prompt
 * as `inputs` with `parameters.max_new_tokens` in, SSE out — one event per
 * token `{"index","token":{"id","text","logprob","special"},"generated_text":null,"details":null}`,
 * the last with the whole `generated_text` and `details` (`finish_reason`,
 * `generated_tokens`, `input_length`; sent because the body asks
 * `details: true`). No `[DONE]`: the stream ends at EOF after that last event;
 * EOF before it is truncation. An error is an event `{"error","error_type"}`.
 * A special token's text (`</s>`) is not output.
 *
 * Followed: huggingface/text-generation-inference router/src/lib.rs
 * (`GenerateRequest`, `StreamResponse`, `Token`, `StreamDetails`,
 * `ErrorResponse`) and router/src/server.rs (`generate_stream_internal`:
 * axum `Event::json_data` writes `data:` with no space).
 *
 * @module
 */

import { type ApiAdapter, endOfStreamRule, type EventSink } from "./adapter.ts";
import { isObj, specPrompt } from "./_openai.ts";
import { parseEvent } from "./adapter.ts";
import { sseFraming } from "./sse.ts";

/** Reads TGI's `{"error": "…", "error_type": "…"}`; true when it was one. */
export function readTgiError(event: Record<string, unknown>, sink: EventSink): boolean {
  if (typeof event.error !== "string") return false;
  const type = typeof event.error_type === "string" ? ` (${event.error_type})` : "";
  sink.error(event.error + type, undefined);
  return true;
}

/** Reads TGI's `details` (finish reason, generated tokens, input length). */
export function readTgiDetails(details: unknown, sink: EventSink): void {
  if (!isObj(details)) return;
  if (typeof details.finish_reason === "string") sink.finish(details.finish_reason);
  const usage: { promptTokens?: number; completionTokens?: number } = {};
  if (typeof details.generated_tokens === "number") {
    usage.completionTokens = details.generated_tokens;
  }
  if (typeof details.input_length === "number") usage.promptTokens = details.input_length;
  sink.usage(usage);
}

/** The body TGI's `/generate` and `/generate_stream` take. */
export const tgiBody: ApiAdapter["buildBody"] = (spec, options) => {
  const prompt = specPrompt(spec);
  return Object.assign({
    inputs: typeof prompt === "string" ? prompt : prompt.join(" "),
    parameters: { max_new_tokens: spec.maxTokens ?? options.maxTokens, details: true },
  }, options.extraBody);
};

/** TGI's `GET /info` names the one served model in `model_id`. */
export const tgiModels = {
  path: "/info",
  read: (body: unknown): string[] =>
    isObj(body) && typeof body.model_id === "string" ? [body.model_id] : [],
};

function readEvent(data: string, _name: string | undefined, sink: EventSink): void {
  const event = parseEvent(data, sink);
  if (!isObj(event)) return;
  if (readTgiError(event, sink)) return;
  const token = event.token;
  if (isObj(token) && token.special !== true) {
    const text = token.text;
    if (typeof text === "string" && text !== "") sink.content(text);
  }
  if (event.details) readTgiDetails(event.details, sink);
  if (typeof event.generated_text === "string") sink.end();
}

/** TGI's native streaming API. */
export const tgiGenerateStream: ApiAdapter = {
  help: "TGI native streaming (/generate_stream), one prompt; always streams",
  path: "/generate_stream",
  input: "prompt",
  // TGI checks no key itself; hosted endpoints in front of it take a Bearer token.
  auth: "bearer",
  models: tgiModels,
  framing: sseFraming,
  buildBody: tgiBody,
  readEvent,
  readResponse(body, sink) {
    // /generate_stream always streams; a JSON body here is an error object.
    if (isObj(body)) readTgiError(body, sink);
  },
  endOfStream: endOfStreamRule({
    terminal: "the final event (generated_text)",
    eofAfterFinish: false,
  }),
};
