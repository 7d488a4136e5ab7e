/**
 * The OpenAI (legacy) completions API (`POST /v1/completions`): one prompt
 * in, SSE `text_completion` events with `choices[].text` out, ended by
 * `data: [DONE]`; a whole response has the same shape as an event.
 *
 * @module
 */

import type { ApiAdapter, EventSink } from "./adapter.ts";
import { sseFraming } from "./sse.ts";
import {
  isObj,
  jsonEvents,
  OPENAI_COMMON,
  readError,
  readUsage,
  specPrompt,
  withBody,
} from "./_openai.ts";

function readChunk(event: unknown, sink: EventSink): void {
  if (!isObj(event)) return;
  if (readError(event, sink)) return;
  const choices = event.choices;
  if (Array.isArray(choices)) {
    for (const choice of choices) {
      if (!isObj(choice)) continue;
      if (typeof choice.text === "string" && choice.text !== "") sink.content(choice.text);
      if (typeof choice.finish_reason === "string") sink.finish(choice.finish_reason);
    }
  }
  if (event.usage) readUsage(event.usage, sink);
}

/** The OpenAI (legacy) completions API. */
export const openaiCompletions: ApiAdapter = {
  ...OPENAI_COMMON,
  help: "OpenAI completions (/v1/completions), one prompt",
  path: "/v1/completions",
  input: "prompt",
  framing: sseFraming,
  buildBody(spec, options) {
    return withBody({
      model: options.model,
      prompt: specPrompt(spec),
      max_tokens: spec.maxTokens ?? options.maxTokens,
    }, options);
  },
  readEvent: jsonEvents(readChunk),
  readResponse: readChunk,
};
