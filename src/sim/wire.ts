/**
 * What a simulated protocol's wire format provides: one module per format
 * (openai_wire.ts, ollama_wire.ts, anthropic_wire.ts, responses_wire.ts,
 * embeddings_wire.ts, tgi_wire.ts, llamacpp_wire.ts, sglang_wire.ts), routed
 * by path in router.ts. The stream core
 * (stream.ts) paces tokens and injects faults; a wire only turns them into
 * bytes, so it never touches clocks or capacity.
 *
 * @module
 */

/** A parsed JSON request body. */
export type Json = Record<string, unknown>;

/** One streamed response's events, in this wire format. */
export interface WireStream {
  /** Bytes of one event carrying `payload`, stamped with its send time (`sim_sent_ms`). */
  frame(payload: string, sentMs: number): Uint8Array;
  /** An event sent before the first token (the chat role event), if the format has one. */
  opening(): string | undefined;
  /** An event carrying tokens `text`; `last` on the final one. */
  token(text: string, reasoning: boolean, last: boolean): string;
  /** The usage event, when the request asked for one. */
  usage(): string | undefined;
  /** The bytes that end a stream well (`data: [DONE]`; empty where EOF alone ends it). */
  end(): Uint8Array;
  /** False when the server writes nothing more after an in-stream error (default: {@link end}). */
  readonly endAfterError?: boolean;
  /** Fault events: an in-stream error, an event without output, a 1 MiB event. */
  errorEvent(): string;
  emptyEvent(): string;
  hugeEvent(): string;
  /**
   * Fault bytes: the error as an SSE field line of its own (`error: {…}`, as
   * llama.cpp wrote it before ggml-org/llama.cpp#16109), for wires that had one.
   */
  errorLine?(): Uint8Array;
  /** Fault bytes: an event that is not valid JSON. */
  badEvent(): Uint8Array;
  /** Fault bytes: a whole event holding multi-byte characters (the core splits it). */
  utf8Event(): Uint8Array;
}

/** One protocol's wire format (e.g. OpenAI chat completions). */
export interface SimWire {
  /**
   * An HTTP error answer with `status` in this protocol's error shape (what an
   * injected `http_…` fault answers); default OpenAI's ({@link openaiHttpError}).
   */
  httpError?(status: number, message: string): Response;
  /** An error answer in this format, or undefined when the body is acceptable. */
  validate(body: Json): Response | undefined;
  /** Whether a request is answered streaming; default: when its body says `"stream": true`. */
  streams?(body: Json): boolean;
  /** Output tokens a request asks for, given the simulator's default length. */
  outputLength(body: Json, defaultTokens: number): number;
  /** The events of one streamed response. */
  stream(body: Json, options: WireResponse): WireStream;
  /** The headers of a streamed response. */
  readonly streamHeaders: Readonly<Record<string, string>>;
  /** The `content-type` of a whole response; default `application/json`. */
  readonly wholeContentType?: string;
  /** A whole (non-streamed) response body holding `text`. */
  whole(body: Json, options: WireResponse & { readonly text: string }): string;
  /** The body as the prompt counter reads it (`prompt` / `messages`); absent: the body itself. */
  countBody?(body: Json): Json;
  /** Extra headers of a whole response (TGI's `x-*-time`), from its server-side times. */
  wholeHeaders?(options: WireResponse & WireTimes): Record<string, string>;
}

/** A whole response's server-side times, ms. */
export interface WireTimes {
  /** Waiting for a decode slot. */
  readonly queueMs: number;
  /** From admission to the last token. */
  readonly inferenceMs: number;
}

/** What a response is made of. */
export interface WireResponse {
  /** The response's number (its id is built from it). */
  readonly id: number;
  /** Output tokens. */
  readonly tokens: number;
  readonly promptTokens: number;
  /** Prompt tokens the prefix cache held; absent without a cache. */
  readonly cachedTokens?: number;
  /** The completion tokens reported (`usageScale` applied). */
  readonly reportedTokens: number;
  /** When the request arrived, on the send stamps' axis (`performance.timeOrigin` + now, ms). */
  readonly arrivedMs: number;
}
