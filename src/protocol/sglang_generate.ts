/**
 * SGLang's native generate API (`POST /generate`):
 * `{"text","sampling_params":{"max_new_tokens"},"stream":true}` in, SSE
 * `data: ` events out, each `{"text","output_ids","meta_info"}` where `text`
 * is CUMULATIVE (the whole output so far): the new output of an event is what
 * it adds to the previous one. `meta_info` has `prompt_tokens`,
 * `completion_tokens`, `finish_reason` (null, then an object like
 * `{"type":"length","length":N}`) and, where the server has them, timings in
 * seconds (`e2e_latency`, `queue_time`). `data: [DONE]` ends the stream; an
 * error is `data: {"error":{"message"}}` (still followed by `[DONE]`).
 *
 * Followed: sgl-project/sglang python/sglang/srt/entrypoints/http_server.py
 * (`generate_request`, `stream_results`, `_create_error_response`),
 * python/sglang/srt/managers/tokenizer_manager.py (`_handle_batch_output`:
 * cumulative text unless the server runs with incremental streaming output,
 * `meta_info`, `e2e_latency` on the finishing output; read at commit
 * 001067ff) and python/sglang/srt/managers/schedule_batch.py
 * (`BaseFinishReason.to_json`).
 *
 * @module
 */

import { type ApiAdapter, endOfStreamRule, type EventSink } from "./adapter.ts";
import { isObj, OPENAI_COMMON, specPrompt } from "./_openai.ts";
import { parseEvent } from "./adapter.ts";
import { sseFraming } from "./sse.ts";

/** `meta_info` timings in seconds, and their names in ms. */
const TIMINGS: ReadonlyArray<readonly [string, string]> = [
  ["e2e_latency", "e2e_ms"],
  ["queue_time", "queue_ms"],
];

function readMeta(meta: unknown, sink: EventSink): void {
  if (!isObj(meta)) return;
  const finish = meta.finish_reason;
  if (!isObj(finish)) return;
  // Counts and timings are read once, from the finishing event.
  if (finish.type === "abort") {
    sink.error(typeof finish.message === "string" ? finish.message : "request aborted", undefined);
    return;
  }
  sink.finish(typeof finish.type === "string" ? finish.type : JSON.stringify(finish));
  const usage: { promptTokens?: number; completionTokens?: number } = {};
  if (typeof meta.prompt_tokens === "number") usage.promptTokens = meta.prompt_tokens;
  if (typeof meta.completion_tokens === "number") usage.completionTokens = meta.completion_tokens;
  sink.usage(usage);
  let timings: Record<string, number> | undefined;
  for (const [field, name] of TIMINGS) {
    const v = meta[field];
    if (typeof v === "number" && Number.isFinite(v)) (timings ??= {})[name] = v * 1000;
  }
  if (timings) sink.serverTimings(timings);
}

function readError(event: Record<string, unknown>, sink: EventSink): boolean {
  const err = event.error;
  if (err === undefined) return false;
  const message = isObj(err) && typeof err.message === "string" ? err.message : JSON.stringify(err);
  sink.error(message, isObj(err) && typeof err.code === "number" ? err.code : undefined);
  return true;
}

/** A reader for one response: it remembers how much text the events have carried. */
function cumulativeReader(): ApiAdapter["readEvent"] {
  let seen = 0;
  return (data, _name, sink) => {
    if (data === "[DONE]") {
      sink.end();
      return;
    }
    const event = parseEvent(data, sink);
    if (!isObj(event)) return;
    if (readError(event, sink)) return;
    const text = event.text;
    if (typeof text === "string" && text.length > seen) {
      sink.content(text.slice(seen));
      seen = text.length;
    }
    readMeta(event.meta_info, sink);
  };
}

/** SGLang's native generate API. */
export const sglangGenerate: ApiAdapter = {
  help: "SGLang native generate (/generate), one prompt; cumulative text",
  path: "/generate",
  input: "prompt",
  // With --api-key, SGLang expects a Bearer token (its own warm-up sends one).
  auth: "bearer",
  models: OPENAI_COMMON.models,
  framing: sseFraming,
  buildBody(spec, options) {
    const prompt = specPrompt(spec);
    const body: Record<string, unknown> = typeof prompt === "string"
      ? { text: prompt }
      : { input_ids: prompt };
    body.sampling_params = { max_new_tokens: spec.maxTokens ?? options.maxTokens };
    if (options.stream) body.stream = true;
    return Object.assign(body, options.extraBody);
  },
  // Reads an event without history: right for the first event, and for a
  // server started with incremental output (each text a delta).
  readEvent(data, name, sink) {
    cumulativeReader()(data, name, sink);
  },
  reader: cumulativeReader,
  readResponse(body, sink) {
    if (!isObj(body)) return;
    if (readError(body, sink)) return;
    if (typeof body.text === "string" && body.text !== "") sink.content(body.text);
    readMeta(body.meta_info, sink);
  },
  endOfStream: endOfStreamRule({ terminal: "[DONE]", eofAfterFinish: false }),
};
