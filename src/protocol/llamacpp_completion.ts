/**
 * llama.cpp server's native completion API (`POST /completion`):
 * `{"prompt","n_predict","stream":true}` in, SSE `data: ` events out —
 * `{"content","stop":false,…}` per token, the last with `"stop":true`,
 * `stop_type`, `tokens_predicted` (output), `tokens_evaluated` (prompt) and
 * `timings` (server-side ms: `prompt_ms`, `predicted_ms`, per-token means).
 * No `[DONE]`: the stream ends at EOF after the `stop` event. An error after
 * the stream began is `data: {"error":{code,message,type}}`; releases before
 * September 2025 wrote it as an `error: {…}` field line instead, which SSE
 * does not define — it reaches {@link ApiAdapter.readField}.
 *
 * Followed: ggml-org/llama.cpp tools/server/server-task.cpp
 * (`server_task_result_cmpl_partial` / `_final` `to_json_non_oaicompat`,
 * `params_from_json_cmpl`), tools/server/server-context.cpp
 * (`handle_completions_impl`: no `[DONE]` for the native route),
 * tools/server/server-common.cpp (`format_oai_sse`, `format_error_response`),
 * and tools/server/utils.hpp (`server_sent_event`, the old `error:` line; PR
 * ggml-org/llama.cpp#16109 moved it into `data:`).
 *
 * @module
 */

import { type ApiAdapter, endOfStreamRule, type EventSink } from "./adapter.ts";
import { isObj, OPENAI_COMMON, specPrompt } from "./_openai.ts";
import { msFields } from "./_native.ts";
import { parseEvent } from "./adapter.ts";
import { sseFraming } from "./sse.ts";

function readError(err: unknown, sink: EventSink): void {
  if (isObj(err)) {
    const code = typeof err.code === "number" ? err.code : undefined;
    sink.error(typeof err.message === "string" ? err.message : JSON.stringify(err), code);
  } else sink.error(typeof err === "string" ? err : JSON.stringify(err), undefined);
}

function readChunk(event: unknown, sink: EventSink): void {
  if (!isObj(event)) return;
  if (event.error !== undefined) {
    readError(event.error, sink);
    return;
  }
  const content = event.content;
  if (typeof content === "string" && content !== "") sink.content(content);
  if (event.stop !== true) return;
  if (typeof event.stop_type === "string") sink.finish(event.stop_type);
  const usage: { promptTokens?: number; completionTokens?: number } = {};
  if (typeof event.tokens_evaluated === "number") usage.promptTokens = event.tokens_evaluated;
  if (typeof event.tokens_predicted === "number") usage.completionTokens = event.tokens_predicted;
  sink.usage(usage);
  if (isObj(event.timings)) {
    const timings = msFields(event.timings);
    if (timings) sink.serverTimings(timings);
  }
  sink.end();
}

/** llama.cpp's native completion API. */
export const llamacppCompletion: ApiAdapter = {
  help: "llama.cpp native completion (/completion), one prompt; server timings",
  path: "/completion",
  input: "prompt",
  // With --api-key, llama-server reads Authorization (Bearer) first (server-http.cpp).
  auth: "bearer",
  models: OPENAI_COMMON.models,
  framing: sseFraming,
  buildBody(spec, options) {
    const body: Record<string, unknown> = {
      prompt: specPrompt(spec),
      n_predict: spec.maxTokens ?? options.maxTokens,
    };
    if (options.stream) body.stream = true;
    return Object.assign(body, options.extraBody);
  },
  readEvent(data, _name, sink) {
    readChunk(parseEvent(data, sink), sink);
  },
  readResponse: readChunk,
  readField(field, value, sink) {
    if (field !== "error") return;
    let err: unknown = value;
    try {
      err = JSON.parse(value);
    } catch {
      // not JSON: the line's text is the message
    }
    readError(err, sink);
  },
  endOfStream: endOfStreamRule({ terminal: `the "stop": true event`, eofAfterFinish: false }),
};
