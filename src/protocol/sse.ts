/**
 * Server-sent events: bytes in, `data` payloads out, each tagged with the
 * arrival stamp of the network read that completed it. Framing (split reads,
 * several events per read, CRLF, comments, multi-line `data:`) is handled by
 * `eventsource-parser`'s `feed()`; UTF-8 split across reads by a streaming
 * `TextDecoder`.
 *
 * @module
 */

import { createParser, type EventSourceParser } from "eventsource-parser";

/** Receives each complete event's `data` and the stamp of the read that completed it. */
export type SseDataHandler = (data: string, stampMs: number) => void;

/** Incremental SSE decoder: push each network read with its arrival stamp. */
export class SseDecoder {
  #decoder = new TextDecoder();
  #parser: EventSourceParser;
  #stamp = 0;

  /** @param onData called once per complete event, synchronously inside {@link push} */
  constructor(onData: SseDataHandler) {
    this.#parser = createParser({ onEvent: (event) => onData(event.data, this.#stamp) });
  }

  /** Feeds one read. `stampMs` must be taken on arrival, before this call. */
  push(bytes: Uint8Array, stampMs: number): void {
    this.#stamp = stampMs;
    this.#parser.feed(this.#decoder.decode(bytes, { stream: true }));
  }

  /**
   * Ends the stream. An event left without its terminating blank line is
   * discarded, as the SSE specification requires.
   */
  end(stampMs: number): void {
    this.#stamp = stampMs;
    const rest = this.#decoder.decode();
    if (rest) this.#parser.feed(rest);
    this.#parser.reset();
  }
}
