/**
 * The OpenAI chat completions API (`POST /v1/chat/completions`): chat
 * messages in, SSE `chat.completion.chunk` events with `choices[].delta` out,
 * ended by `data: [DONE]`.
 *
 * @module
 */

import type { ApiAdapter } from "./adapter.ts";
import { sseFraming } from "./sse.ts";
import {
  isObj,
  jsonEvents,
  OPENAI_COMMON,
  readError,
  readUsage,
  specMessages,
  withBody,
} from "./_openai.ts";
import type { EventSink } from "./adapter.ts";

function readChunk(event: unknown, sink: EventSink): void {
  if (!isObj(event)) return;
  if (readError(event, sink)) return;
  const choices = event.choices;
  if (Array.isArray(choices)) {
    for (const choice of choices) {
      if (!isObj(choice)) continue;
      const delta = choice.delta;
      if (isObj(delta)) {
        const reasoning = delta.reasoning_content ?? delta.reasoning;
        if (typeof reasoning === "string" && reasoning !== "") sink.reasoning(reasoning);
        const content = delta.content;
        if (typeof content === "string" && content !== "") sink.content(content);
      }
      if (typeof choice.finish_reason === "string") sink.finish(choice.finish_reason);
    }
  }
  if (event.usage) readUsage(event.usage, sink);
}

/** The OpenAI chat completions API. */
export const openaiChat: ApiAdapter = {
  ...OPENAI_COMMON,
  help: "OpenAI chat completions (/v1/chat/completions), chat messages",
  path: "/v1/chat/completions",
  input: "messages",
  framing: sseFraming,
  buildBody(spec, options) {
    return withBody({
      model: options.model,
      messages: specMessages(spec),
      max_tokens: spec.maxTokens ?? options.maxTokens,
    }, options);
  },
  readEvent: jsonEvents(readChunk),
  readResponse(body, sink) {
    if (!isObj(body)) return;
    if (readError(body, sink)) return;
    const choices = body.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        if (!isObj(choice) || !isObj(choice.message)) continue;
        const m = choice.message;
        const reasoning = m.reasoning_content ?? m.reasoning;
        if (typeof reasoning === "string" && reasoning !== "") sink.reasoning(reasoning);
        if (typeof m.content === "string" && m.content !== "") sink.content(m.content);
        if (typeof choice.finish_reason === "string") sink.finish(choice.finish_reason);
      }
    }
    readUsage(body.usage, sink);
  },
};
