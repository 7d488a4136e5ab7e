/**
 * What the OpenAI-compatible adapters share: SSE framing ending with
 * `data: [DONE]`, JSON events, error objects, usage, Bearer auth and the
 * `/v1/models` list. Private to the OpenAI adapters.
 *
 * @module
 */

import {
  type ApiAdapter,
  type BodyOptions,
  endOfStreamRule,
  type EventSink,
  parseEvent,
} from "./adapter.ts";
import type { ChatMessage, RequestSpec } from "./openai.ts";

type Obj = Record<string, unknown>;

/** True for a non-null object. */
export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null;
}

/**
 * Reads an OpenAI `usage` block (both counts, or nothing), with the cached
 * prompt tokens when it carries them (`prompt_tokens_details.cached_tokens`:
 * vllm/entrypoints/openai/protocol.py `UsageInfo`, and OpenAI's own API).
 */
export function readUsage(value: unknown, sink: EventSink): void {
  if (!isObj(value)) return;
  const p = value.prompt_tokens;
  const c = value.completion_tokens;
  if (typeof p === "number" && typeof c === "number") {
    const details = value.prompt_tokens_details;
    const cached = isObj(details) ? details.cached_tokens : undefined;
    sink.usage(
      typeof cached === "number"
        ? { promptTokens: p, completionTokens: c, cachedTokens: cached }
        : { promptTokens: p, completionTokens: c },
    );
  }
}

/** Reads `{"error": {...}}` (OpenAI) and `{"object": "error", ...}` (older vLLM). */
export function readError(obj: Obj, sink: EventSink): boolean {
  const err = obj.error;
  if (isObj(err)) {
    const code = typeof err.code === "number" ? err.code : undefined;
    sink.error(typeof err.message === "string" ? err.message : JSON.stringify(err), code);
    return true;
  }
  if (typeof err === "string") {
    sink.error(err, undefined);
    return true;
  }
  if (obj.object === "error") {
    const code = typeof obj.code === "number" ? obj.code : undefined;
    sink.error(typeof obj.message === "string" ? obj.message : JSON.stringify(obj), code);
    return true;
  }
  return false;
}

/**
 * Reads an SSE field line SSE does not define: old llama.cpp wrote a stream's
 * error as `error: {"code","message","type"}` on its OpenAI routes, then
 * `data: [DONE]` (ggml-org/llama.cpp tools/server/utils.hpp
 * `server_sent_event`, before PR ggml-org/llama.cpp#16109). Other fields are
 * ignored, as SSE requires.
 */
export function readErrorField(field: string, value: string, sink: EventSink): void {
  if (field !== "error") return;
  let parsed: unknown = value;
  try {
    parsed = JSON.parse(value);
  } catch {
    // not JSON: the line's text is the message
  }
  if (!isObj(parsed)) {
    sink.error(typeof parsed === "string" ? parsed : value, undefined);
    return;
  }
  // `{"code","message","type"}` bare, or wrapped as `{"error": {…}}`.
  if (!readError(parsed, sink)) readError({ error: parsed }, sink);
}

/**
 * The per-event step both APIs share, around an API's reader of a parsed
 * event: `[DONE]` ends the stream, anything else must be JSON, handed to `read`.
 */
export function jsonEvents(
  read: (event: unknown, sink: EventSink) => void,
): ApiAdapter["readEvent"] {
  return (data, _name, sink) => {
    if (data === "[DONE]") {
      sink.end();
      return;
    }
    const event = parseEvent(data, sink);
    if (event !== undefined) read(event, sink);
  };
}

/** Adds the streaming fields (usage included in the stream) and the extra body. */
export function withBody(base: Obj, options: BodyOptions): Obj {
  if (options.stream) {
    base.stream = true;
    base.stream_options = { include_usage: true };
  }
  return Object.assign(base, options.extraBody);
}

/** A spec's chat messages; a prompt becomes one user message. */
export function specMessages(spec: RequestSpec): readonly ChatMessage[] {
  if (spec.messages) return spec.messages;
  const prompt = spec.prompt;
  if (prompt === undefined) return [];
  return [{ role: "user", content: typeof prompt === "string" ? prompt : prompt.join(" ") }];
}

/** A spec's prompt; chat messages' text parts are joined by newlines. */
export function specPrompt(spec: RequestSpec): string | readonly number[] {
  if (spec.prompt !== undefined) return spec.prompt;
  return (spec.messages ?? []).map((m) => typeof m.content === "string" ? m.content : "").join(
    "\n",
  );
}

/**
 * A usage object in `{input_tokens, output_tokens}` form, as OpenAI's
 * Responses and Anthropic's Messages write it, into the sink.
 */
export function readInputOutputUsage(usage: unknown, sink: EventSink): void {
  if (!isObj(usage)) return;
  const u: { promptTokens?: number; completionTokens?: number } = {};
  if (typeof usage.input_tokens === "number") u.promptTokens = usage.input_tokens;
  if (typeof usage.output_tokens === "number") u.completionTokens = usage.output_tokens;
  sink.usage(u);
}

/** The parts every OpenAI-compatible adapter has alike. */
export const OPENAI_COMMON = {
  auth: "bearer",
  // GET /v1/models answers {"object": "list", "data": [{"id": …}, …]}.
  models: {
    path: "/v1/models",
    read(body: unknown): string[] {
      const data = isObj(body) && Array.isArray(body.data) ? body.data : [];
      return data.map((m: unknown) => isObj(m) ? m.id : undefined).filter((
        id,
      ): id is string => typeof id === "string");
    },
  },
  readField: readErrorField,
  // TGI ≤ 2.1 ends its OpenAI streams at EOF after the finish chunk, without [DONE] (commit
  // d789de32, first in v2.2.0, added it): EOF after a finish reason ends well; EOF before one is
  // truncation.
  endOfStream: endOfStreamRule({ terminal: "[DONE]", eofAfterFinish: true }),
} as const satisfies Partial<ApiAdapter>;
