/**
 * What an API adapter is: everything one API's protocol decides — path and
 * body, auth header, model discovery, framing of a streamed body, what an
 * event carries, and what ends a stream well or badly. The client core
 * (transport, stamps, record) calls these and knows none of it. Adapters
 * never touch clocks: the client stamps reads before an adapter sees them.
 *
 * Each adapter is one module beside this one, registered by key in mod.ts.
 *
 * @module
 */

import type { RequestError } from "../record/record.ts";
import type { RequestSpec, Usage } from "./openai.ts";

/** What one streamed event (or a whole response) carried, written into by an adapter. */
export interface EventSink {
  /** Output text (content) arrived; empty strings are not reported. */
  content(text: string): void;
  /** Reasoning text arrived (`reasoning_content` / `reasoning`). */
  reasoning(text: string): void;
  /**
   * Usage counts arrived. Fields merge into what the stream said before, the
   * latest value of each winning, so an API that reports input and output
   * counts in different events gives each when it has it.
   */
  usage(usage: Partial<Usage>): void;
  /** An error object inside the stream. */
  error(message: string, code: number | undefined): void;
  /** A choice finished. */
  finish(reason: string): void;
  /** The stream's own end marker or terminal event: later events are ignored. */
  end(): void;
  /** An event the adapter could not read (e.g. invalid JSON); the first one is kept. */
  bad(message: string): void;
  /** An event was parsed; hands it to the client's probe, if one is set. */
  parsed(event: unknown): void;
  /**
   * Server-side timings the protocol reports (llama.cpp `timings`, TGI's
   * `x-*-time` headers, SGLang's `meta_info`), in ms by name; merged, the
   * latest value of each name winning. Kept on the record beside the client's.
   */
  serverTimings(timings: Readonly<Record<string, number>>): void;
}

/**
 * Called by a frame decoder for a field line the framing does not know (SSE:
 * anything but `data`, `event`, `id`, `retry`), e.g. old llama.cpp's
 * `error: {…}`. Rare by nature: normal streams never call it.
 */
export type FieldHandler = (field: string, value: string, stampMs: number) => void;

/** Called by a frame decoder once per complete event, synchronously inside `push`/`end`. */
export type FrameHandler = (data: string, stampMs: number, name: string | undefined) => void;

/** Splits one response body into events; one instance per response. */
export interface FrameDecoder {
  /** Feeds one network read. `stampMs` was taken on its arrival, before this call. */
  push(bytes: Uint8Array, stampMs: number): void;
  /** The body ended (EOF) at `stampMs`. */
  end(stampMs: number): void;
}

/** How a streamed body is cut into events: SSE, NDJSON, … */
export interface Framing {
  /** True when a response of this `content-type` is framed this way (else it is read whole). */
  accepts(contentType: string): boolean;
  /**
   * A decoder for one response, calling `onEvent` with each event's data and
   * name, and `onField` (when given) with each unknown field line.
   */
  decoder(onEvent: FrameHandler, onField?: FieldHandler): FrameDecoder;
}

/** What a stream said about its own end, as the client saw it (read by {@link ApiAdapter.endOfStream}). */
export interface StreamOutcome {
  /** The end marker or terminal event arrived (a whole, non-streamed body counts as ended). */
  readonly ended: boolean;
  /** The first finish reason seen. */
  readonly finishReason: string | undefined;
  /** The first error the stream carried. */
  readonly errorMessage: string | undefined;
  readonly errorCode: number | undefined;
  /** The first event that could not be read. */
  readonly badEvent: string | undefined;
  /** The body was read as a stream of events (false: read whole). */
  readonly streamed: boolean;
  /** Some event (or the whole body) carried output: content or reasoning. */
  readonly outputSeen: boolean;
  /** The server's count of generated tokens, when its usage said so. */
  readonly completionTokens: number | undefined;
}

/** Body-building options that come from the model config. */
export interface BodyOptions {
  readonly model: string;
  readonly stream: boolean;
  readonly maxTokens: number;
  /** Merged into the body last (`generation_kwargs`, `--extra-args`). */
  readonly extraBody: Readonly<Record<string, unknown>>;
}

/** How the API key is sent: `Authorization: Bearer …`, `x-api-key: …`, or not at all. */
export type AuthStyle = "bearer" | "x-api-key" | "none";

/** How an API lists its models. */
export interface ModelDiscovery {
  /** Path under the server's root (the base URL without any `/v1…`), e.g. `/v1/models`. */
  readonly path: string;
  /** The model ids in a `GET` answer's parsed body (empty when it lists none). */
  read(body: unknown): string[];
}

/** One API's whole protocol. */
export interface ApiAdapter {
  /** One line for `--api` help. */
  readonly help: string;
  /** Path under the base URL, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Whether prompts go out as chat messages or as one prompt (token counting follows it). */
  readonly input: "messages" | "prompt";
  readonly auth: AuthStyle;
  /**
   * Headers the API itself requires on every request, discovery included
   * (Anthropic's `anthropic-version`); the task's own headers override them.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** False for an API that cannot stream (embeddings): a streaming task is then refused. */
  readonly streaming?: boolean;
  /** Absent when the API cannot list its models (the model name must then be given). */
  readonly models?: ModelDiscovery;
  /** How a streamed response body is cut into events. */
  readonly framing: Framing;
  /** Builds the JSON body for a spec. */
  buildBody(spec: RequestSpec, options: BodyOptions): Record<string, unknown>;
  /**
   * Reads one framed event (`name` is SSE's `event:` field, when the framing
   * has names) into the sink. Runs once per event: keep it tiny.
   */
  readEvent(data: string, name: string | undefined, sink: EventSink): void;
  /**
   * A fresh event reader for one response, for APIs whose events only make
   * sense against the earlier ones (SGLang's cumulative `text`); when present,
   * the client reads a stream's events with it instead of {@link readEvent}.
   */
  reader?(): ApiAdapter["readEvent"];
  /** Reads a whole non-streaming response (parsed JSON) into the sink. */
  readResponse(body: unknown, sink: EventSink): void;
  /**
   * Reads a successful response's headers (e.g. TGI's `x-compute-time`) into
   * the sink, before its body; absent when the API puts nothing there.
   */
  readHeaders?(header: (name: string) => string | undefined, sink: EventSink): void;
  /**
   * Reads a field line the framing does not know (see {@link FieldHandler});
   * absent when the API has none, and the framing then drops such lines.
   */
  readField?(field: string, value: string, sink: EventSink): void;
  /** Judges how a stream (or whole response) ended: the failure, or undefined for success. */
  endOfStream(outcome: StreamOutcome): RequestError | undefined;
}

/** An adapter's end-of-stream rules, declared (see {@link endOfStreamRule}). */
export interface EndOfStreamRules {
  /** The end marker or terminal event, as named in a truncation message: `[DONE]`. */
  readonly terminal: string;
  /**
   * EOF after a finish reason also ends well, for servers that send no end
   * marker (TGI ≤ 2.1's and old llama.cpp's OpenAI routes).
   */
  readonly eofAfterFinish: boolean;
}

/**
 * The usual end-of-stream judgement from declared rules, first match wins:
 * - an error in the stream (an error object, error event or error field
 *   line) is `stream_error`, with its code as status;
 * - an unreadable event is `bad_event`;
 * - a stream that ended neither by its terminal nor (when allowed) by EOF
 *   after a finish reason is `truncated`;
 * - a stream that ended by its terminal with no output and no finish reason
 *   is `empty_stream`;
 * - an answer in which no output was recognised while the server's usage
 *   says it generated tokens is `bad_event`, hinting at the wrong API;
 * - anything else is a success.
 */
export function endOfStreamRule(rules: EndOfStreamRules): ApiAdapter["endOfStream"] {
  const truncated = `stream ended without ${rules.terminal}`;
  const empty = `stream ended by ${rules.terminal} with no output and no finish reason`;
  return (o) => {
    if (o.errorMessage !== undefined) {
      const failure: RequestError = { category: "stream_error", message: o.errorMessage };
      if (o.errorCode !== undefined) failure.status = o.errorCode;
      return failure;
    }
    if (o.badEvent !== undefined) return { category: "bad_event", message: o.badEvent };
    if (!o.ended && !(rules.eofAfterFinish && o.finishReason !== undefined)) {
      return { category: "truncated", message: truncated };
    }
    if (o.outputSeen) return undefined;
    if (o.completionTokens !== undefined && o.completionTokens > 0) {
      return {
        category: "bad_event",
        message: `no output was recognised in the ${
          o.streamed ? "events" : "response"
        }, but the server's usage says ${o.completionTokens} tokens were generated (is --api right?)`,
      };
    }
    if (o.streamed && o.finishReason === undefined) {
      return { category: "empty_stream", message: empty };
    }
    return undefined;
  };
}

/** The header carrying `key` in an auth style; undefined for `none`. */
export function authHeader(style: AuthStyle, key: string): [string, string] | undefined {
  switch (style) {
    case "bearer":
      return ["authorization", `Bearer ${key}`];
    case "x-api-key":
      return ["x-api-key", key];
    case "none":
      return undefined;
  }
}

/**
 * The usual first step of `readEvent`: parses one event's JSON and hands it
 * to the sink's probe; undefined (and `bad`) when it is not JSON.
 */
export function parseEvent(data: string, sink: EventSink): unknown {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    sink.bad(`invalid JSON in event: ${data.slice(0, 80)}`);
    return undefined;
  }
  sink.parsed(event);
  return event;
}
