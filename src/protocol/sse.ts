/**
 * Server-sent events: bytes in, events (`data` and `event:` name) out, each
 * tagged with the arrival stamp of the network read that completed it.
 * Framing (split reads, several events per read, CRLF, comments, multi-line
 * `data:`) is handled by `eventsource-parser`'s `feed()`; UTF-8 split across
 * reads by a streaming `TextDecoder`.
 *
 * @module
 */

import { createParser, type EventSourceParser, type ParseError } from "eventsource-parser";
import type { FieldHandler, FrameDecoder, FrameHandler, Framing } from "./adapter.ts";

/** Incremental SSE decoder: push each network read with its arrival stamp. */
export class SseDecoder implements FrameDecoder {
  #decoder = new TextDecoder();
  #parser: EventSourceParser;
  #stamp = 0;
  /** With an `onField` hook: text after the last line break, held until its line is whole. */
  #rest: string | undefined;

  /**
   * @param onEvent called once per complete event with its `data`, the stamp
   * of the read that completed it and its `event:` name (undefined when the
   * event has none), synchronously inside {@link push}
   * @param onField called with each line of a field SSE does not define
   * (`error: {…}` of old llama.cpp); without it such lines are dropped. The
   * parser reports them through its error hook, so normal events pay nothing.
   * The parser drops an unknown line cut across reads, so with this hook the
   * decoder hands it whole lines only (one scan per read, for these APIs only).
   */
  constructor(onEvent: FrameHandler, onField?: FieldHandler) {
    this.#parser = createParser({
      onEvent: (event) => onEvent(event.data, this.#stamp, event.event),
      ...(onField
        ? {
          onError: (error: ParseError) => {
            if (error.type === "unknown-field" && error.field !== undefined) {
              onField(error.field, error.value ?? "", this.#stamp);
            }
          },
        }
        : {}),
    });
    if (onField) this.#rest = "";
  }

  /** Feeds one read. `stampMs` must be taken on arrival, before this call. */
  push(bytes: Uint8Array, stampMs: number): void {
    this.#stamp = stampMs;
    const text = this.#decoder.decode(bytes, { stream: true });
    // Without the hook, or when the read ends a line with nothing held (servers write whole
    // events, so nearly every read): straight to the parser, one check.
    if (
      this.#rest === undefined || (this.#rest === "" && text.charCodeAt(text.length - 1) === 10)
    ) {
      this.#parser.feed(text);
      return;
    }
    const all = this.#rest + text;
    const cut = Math.max(all.lastIndexOf("\n"), all.lastIndexOf("\r")) + 1;
    this.#rest = all.slice(cut);
    if (cut > 0) this.#parser.feed(all.slice(0, cut));
  }

  /**
   * Ends the stream. An event left without its terminating blank line is
   * discarded, as the SSE specification requires.
   */
  end(stampMs: number): void {
    this.#stamp = stampMs;
    const rest = (this.#rest ?? "") + this.#decoder.decode();
    if (rest) this.#parser.feed(rest);
    this.#parser.reset();
  }
}

/** SSE framing: `text/event-stream` bodies, decoded by {@link SseDecoder}. */
export const sseFraming: Framing = {
  accepts: (contentType) => contentType.includes("text/event-stream"),
  decoder: (onEvent, onField) => new SseDecoder(onEvent, onField),
};
