/**
 * What Ollama's two native APIs share (ollama/ollama api/types.go
 * `GenerateResponse` / `ChatResponse` and `Metrics`, server/routes.go
 * `streamResponse`): NDJSON chunks with `"done": false` until one with
 * `"done": true`, `done_reason`, `prompt_eval_count`, `eval_count` and the
 * server's durations in integer nanoseconds; errors as `{"error": "…"}` (an
 * HTTP status before the first chunk, one more line after it); no auth; models
 * listed by `GET /api/tags`. Private to the Ollama adapters.
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
import { ndjsonFraming } from "./ndjson.ts";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null;
}

// The Metrics durations, ns on the wire, kept in ms under these names.
const DURATIONS = [
  ["total_duration", "total_ms"],
  ["load_duration", "load_ms"],
  ["prompt_eval_duration", "prompt_eval_ms"],
  ["eval_duration", "eval_ms"],
] as const;

/**
 * Reads one Ollama chunk (or whole answer): output from `message.content` /
 * `message.thinking` when `chat`, else from `response` / `thinking`; usage,
 * finish reason and the server's durations (as ms) from the `done` chunk.
 */
export function readOllama(event: unknown, sink: EventSink, chat: boolean): void {
  if (!isObj(event)) return;
  if (event.error !== undefined) {
    const status = typeof event.status === "number" ? event.status : undefined;
    sink.error(typeof event.error === "string" ? event.error : JSON.stringify(event.error), status);
    return;
  }
  const out = chat ? event.message : event;
  if (isObj(out)) {
    if (typeof out.thinking === "string" && out.thinking !== "") sink.reasoning(out.thinking);
    const content = chat ? out.content : out.response;
    if (typeof content === "string" && content !== "") sink.content(content);
  }
  if (event.done !== true) return;
  if (typeof event.done_reason === "string") sink.finish(event.done_reason);
  // `prompt_eval_count` is omitted when 0 (omitempty): then only the output count is known.
  const usage: { promptTokens?: number; completionTokens?: number } = {};
  if (typeof event.prompt_eval_count === "number") usage.promptTokens = event.prompt_eval_count;
  usage.completionTokens = typeof event.eval_count === "number" ? event.eval_count : 0;
  sink.usage(usage);
  let timings: Record<string, number> | undefined;
  for (const [wire, name] of DURATIONS) {
    const ns = event[wire];
    if (typeof ns === "number") (timings ??= {})[name] = ns / 1e6;
  }
  if (timings) sink.serverTimings(timings);
  sink.end();
}

/** The per-event step: each line must be JSON, read by {@link readOllama}. */
export function ollamaEvents(chat: boolean): ApiAdapter["readEvent"] {
  return (data, _name, sink) => {
    const event = parseEvent(data, sink);
    if (event !== undefined) readOllama(event, sink, chat);
  };
}

/**
 * The request fields both APIs share: `stream` always explicit (Ollama streams
 * unless told `false`), the output cap as `options.num_predict`, and the extra
 * body merged last (its `options` merged into ours, not replacing them).
 */
export function ollamaBody(base: Obj, options: BodyOptions, maxTokens: number): Obj {
  base.stream = options.stream;
  const { options: extraOptions, ...extra } = options.extraBody;
  base.options = { num_predict: maxTokens, ...(isObj(extraOptions) ? extraOptions : {}) };
  return Object.assign(base, extra);
}

/** The parts both Ollama adapters have alike. */
export const OLLAMA_COMMON = {
  auth: "none",
  framing: ndjsonFraming,
  // GET /api/tags answers {"models": [{"name": "llama3.2:latest", "model": …}, …]}.
  models: {
    path: "/api/tags",
    read(body: unknown): string[] {
      const list = isObj(body) && Array.isArray(body.models) ? body.models : [];
      return list.map((m: unknown) => isObj(m) ? m.name ?? m.model : undefined).filter((
        id,
      ): id is string => typeof id === "string");
    },
  },
  // The chunk with "done": true ends the stream; EOF before it is truncation.
  endOfStream: endOfStreamRule({ terminal: `"done": true`, eofAfterFinish: false }),
} as const satisfies Partial<ApiAdapter>;
