/**
 * Newline-delimited JSON (`application/x-ndjson`, Ollama's streaming format:
 * ollama/ollama server/routes.go, `streamResponse`, writes each chunk as
 * `json.Marshal(val)` and `\n`): bytes in, one line per event out, each
 * tagged with the arrival stamp of the network read that completed it. Lines
 * may be split anywhere across reads, multi-byte characters included (a
 * streaming `TextDecoder` holds the partial bytes); blank lines and a
 * trailing `\r` are dropped; a last line without its `\n` is still an event
 * at EOF.
 *
 * @module
 */

import type { FrameDecoder, FrameHandler, Framing } from "./adapter.ts";

/** Incremental NDJSON decoder: push each network read with its arrival stamp. */
export class NdjsonDecoder implements FrameDecoder {
  #decoder = new TextDecoder();
  #rest = "";
  #onEvent: FrameHandler;

  /** @param onEvent called once per non-blank line, synchronously inside {@link push} / {@link end} */
  constructor(onEvent: FrameHandler) {
    this.#onEvent = onEvent;
  }

  /** Feeds one read. `stampMs` must be taken on arrival, before this call. */
  push(bytes: Uint8Array, stampMs: number): void {
    this.#lines(this.#decoder.decode(bytes, { stream: true }), stampMs);
  }

  /** Ends the stream: a last line left without `\n` is an event of its own. */
  end(stampMs: number): void {
    this.#lines(this.#decoder.decode() + "\n", stampMs);
  }

  #lines(text: string, stampMs: number): void {
    let from = 0;
    let nl = text.indexOf("\n");
    if (nl < 0) {
      this.#rest += text;
      return;
    }
    let buffered = this.#rest;
    this.#rest = "";
    while (nl >= 0) {
      let line = buffered + text.slice(from, nl);
      buffered = "";
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.trim() !== "") this.#onEvent(line, stampMs, undefined);
      from = nl + 1;
      nl = text.indexOf("\n", from);
    }
    this.#rest = text.slice(from);
  }
}

/** NDJSON framing: `application/x-ndjson` bodies, decoded by {@link NdjsonDecoder}. */
export const ndjsonFraming: Framing = {
  accepts: (contentType) => contentType.includes("application/x-ndjson"),
  decoder: (onEvent) => new NdjsonDecoder(onEvent),
};
