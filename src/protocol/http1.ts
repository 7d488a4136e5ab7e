/**
 * HTTP/1.1 on bytes, for the `raw` transport (transport_raw.ts): the request
 * writer and an incremental response parser. Framing follows RFC 9112: the
 * status line and header fields (§4–5), a body delimited by `content-length`,
 * by `transfer-encoding: chunked` (§7.1: a hex size, optional `;extensions`,
 * CRLF, the data, CRLF; a zero-size last chunk, then trailer fields and an
 * empty line), or by the connection's close (§6.3, item 8); interim 1xx
 * responses (100 Continue, 103 Early Hints) are skipped (RFC 9110 §15.2), and
 * a connection closed before the body's end is an error (RFC 9112 §8).
 *
 * The parser never copies body bytes: it hands out subarrays of the read it
 * was fed, each with that read's arrival stamp.
 *
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A malformed or cut-off response. */
export class HttpParseError extends Error {
  /** @param message what was wrong, in a sentence without a final period */
  constructor(message: string) {
    super(message);
    this.name = "HttpParseError";
  }
}

/**
 * The bytes of a request's head up to (not including) its `content-length`
 * line: request line, `host`, then `headers` as given. Build it once per
 * target and reuse it for every send.
 */
export function requestHeadPrefix(
  method: string,
  url: URL,
  headers: Readonly<Record<string, string>>,
): string {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new TypeError(`Header "${name}" holds a line break`);
    }
    const lower = name.toLowerCase();
    // The writer owns framing: these come from the body it sends.
    if (lower === "host" || lower === "content-length" || lower === "transfer-encoding") continue;
    head += `${name}: ${value}\r\n`;
  }
  return head;
}

/** The whole request: `prefix` (from {@link requestHeadPrefix}), the body's length and the body. */
export function requestBytes(prefix: string, body: Uint8Array | undefined): Uint8Array {
  const head = enc.encode(`${prefix}content-length: ${body?.length ?? 0}\r\n\r\n`);
  if (!body || body.length === 0) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** What the parser reports; called synchronously inside {@link ResponseParser.push}. */
export interface ResponseHandler {
  /** The final (non-1xx) head; header names lower-case, repeated fields joined with ", ". */
  onHead(status: number, headers: Map<string, string>): void;
  /** A piece of the body (a subarray of the read that carried it) and that read's stamp. */
  onBody(bytes: Uint8Array, stamp: number): void;
  /** The body is complete; `reusable` when the connection may carry another request. */
  onEnd(stamp: number, reusable: boolean): void;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

const CR = 13;
const LF = 10;
/** Longest head (or chunk-size / trailer line run) accepted before the response is refused. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * An incremental parser of one connection's responses, fed each read with
 * its arrival stamp. After {@link ResponseHandler.end}, call {@link reset}
 * before the next request's response.
 */
export class ResponseParser {
  #handler: ResponseHandler;
  #state = State.Head;
  /** Bytes of a head, chunk-size line or trailer line that spans reads. */
  #pending: Uint8Array | undefined;
  #remaining = 0;
  #reusable = true;
  /** The stamp of the read being parsed. */
  #stamp = 0;

  /** @param handler receives the head, the body pieces and the end */
  constructor(handler: ResponseHandler) {
    this.#handler = handler;
  }

  /** True once the response's body has ended. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** True while no byte of the current response has arrived. */
  get idle(): boolean {
    return this.#state === State.Head && this.#pending === undefined;
  }

  /** Readies the parser for the next response on the same connection. */
  reset(handler: ResponseHandler): void {
    this.#handler = handler;
    this.#state = State.Head;
    this.#pending = undefined;
    this.#remaining = 0;
    this.#reusable = true;
  }

  /**
   * Feeds one read. Throws {@link HttpParseError} on malformed framing and
   * on bytes after the response's end (this client never pipelines).
   */
  push(bytes: Uint8Array, stamp: number): void {
    this.#stamp = stamp;
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      switch (this.#state) {
        case State.Head: {
          const end = this.#lineRun(bytes, i, true);
          if (end < 0) return;
          i = end;
          break;
        }
        case State.Length: {
          const take = Math.min(this.#remaining, n - i);
          this.#remaining -= take;
          this.#handler.onBody(bytes.subarray(i, i + take), stamp);
          i += take;
          if (this.#remaining === 0) this.#finish(stamp);
          break;
        }
        case State.ChunkSize:
        case State.ChunkDataEnd:
        case State.Trailers: {
          const end = this.#lineRun(bytes, i, false);
          if (end < 0) return;
          i = end;
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#remaining, n - i);
          this.#remaining -= take;
          this.#handler.onBody(bytes.subarray(i, i + take), stamp);
          i += take;
          if (this.#remaining === 0) this.#state = State.ChunkDataEnd;
          break;
        }
        case State.UntilClose:
          this.#handler.onBody(bytes.subarray(i), stamp);
          return;
        case State.Done:
          throw new HttpParseError("the server sent bytes after the response's end");
      }
    }
  }

  /**
   * The connection has closed (`stamp` taken when its end was read). Ends a
   * body delimited by the close; throws {@link HttpParseError} when the
   * response was cut off.
   */
  close(stamp: number): void {
    if (this.#state === State.UntilClose) {
      this.#reusable = false;
      this.#finish(stamp);
      return;
    }
    if (this.#state === State.Done) return;
    throw new HttpParseError(
      this.#state === State.Head
        ? "the connection closed before the response head"
        : "the connection closed before the response ended",
    );
  }

  #finish(stamp: number): void {
    this.#state = State.Done;
    this.#handler.onEnd(stamp, this.#reusable);
  }

  /**
   * Reads lines from `bytes[from..]` (joined with what an earlier read left
   * over) for the head (`head`: up to its empty line) or one framing line of
   * a chunked body. Returns the offset after what it consumed, or −1 when it
   * needs the next read (the rest is kept).
   */
  #lineRun(bytes: Uint8Array, from: number, head: boolean): number {
    let buf = bytes;
    let start = from;
    const pending = this.#pending;
    if (pending) {
      buf = new Uint8Array(pending.length + bytes.length - from);
      buf.set(pending);
      buf.set(bytes.subarray(from), pending.length);
      start = 0;
    }
    const consumedBefore = pending ? pending.length : 0;
    let end: number;
    if (head) {
      end = headEnd(buf, start);
    } else {
      const lf = buf.indexOf(LF, start);
      end = lf < 0 ? -1 : lf + 1;
    }
    if (end < 0) {
      if (buf.length - start > MAX_HEAD_BYTES) {
        throw new HttpParseError(`a response ${head ? "head" : "line"} over 64 KiB`);
      }
      this.#pending = buf.slice(start);
      return -1;
    }
    this.#pending = undefined;
    if (head) this.#readHead(buf, start, end);
    else this.#readLine(buf, start, end);
    // Offset in the caller's `bytes`: what was consumed here, minus what had been pending.
    return pending ? from + (end - consumedBefore) : end;
  }

  #readHead(buf: Uint8Array, start: number, end: number): void {
    const text = dec.decode(buf.subarray(start, end));
    const lines = text.split(/\r?\n/);
    const statusLine = lines[0] ?? "";
    const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(statusLine);
    if (!m) throw new HttpParseError(`not an HTTP/1.x status line: "${statusLine.slice(0, 80)}"`);
    const status = Number(m[2]);
    // 1xx: an interim response; the final one follows on the same connection.
    if (status >= 100 && status < 200) {
      if (status === 101) throw new HttpParseError("the server switched protocols (101)");
      return;
    }
    const headers = new Map<string, string>();
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      if (line === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new HttpParseError(`a malformed header line: "${line.slice(0, 80)}"`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const seen = headers.get(name);
      headers.set(name, seen === undefined ? value : `${seen}, ${value}`);
    }
    const connection = headers.get("connection")?.toLowerCase() ?? "";
    this.#reusable = m[1] === "1"
      ? !/\bclose\b/.test(connection)
      : /\bkeep-alive\b/.test(connection);
    this.#handler.onHead(status, headers);
    const te = headers.get("transfer-encoding")?.toLowerCase();
    const cl = headers.get("content-length");
    if (status === 204 || status === 304) {
      this.#finish(this.#stamp);
    } else if (te !== undefined) {
      if (!/(?:^|,)\s*chunked\s*$/.test(te)) {
        // Another coding last: the body runs to the close (RFC 9112 §6.3, item 4).
        this.#reusable = false;
        this.#state = State.UntilClose;
      } else this.#state = State.ChunkSize;
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new HttpParseError(`a malformed content-length: "${cl}"`);
      this.#remaining = Number(cl);
      this.#state = State.Length;
      if (this.#remaining === 0) this.#finish(this.#stamp);
    } else {
      this.#reusable = false;
      this.#state = State.UntilClose;
    }
  }

  /** One framing line of a chunked body (without the data). */
  #readLine(buf: Uint8Array, start: number, end: number): void {
    let stop = end - 1; // the LF
    if (stop > start && buf[stop - 1] === CR) stop--;
    if (this.#state === State.ChunkDataEnd) {
      if (stop !== start) throw new HttpParseError("a chunk's data ran past its size");
      this.#state = State.ChunkSize;
      return;
    }
    if (this.#state === State.Trailers) {
      // Trailer fields are read past (none of our protocols uses them); an empty line ends them.
      if (stop === start) this.#finish(this.#stamp);
      return;
    }
    let size = 0;
    let k = start;
    for (; k < stop; k++) {
      const d = hexDigit(buf[k]!);
      if (d < 0) break;
      size = size * 16 + d;
    }
    if (k === start || (k < stop && buf[k] !== 0x3b && buf[k] !== 0x20 && buf[k] !== 0x09)) {
      throw new HttpParseError(
        `a malformed chunk size line: "${dec.decode(buf.subarray(start, stop)).slice(0, 80)}"`,
      );
    }
    // Anything after the size (`;name=value` extensions) is ignored, as RFC 9112 §7.1.1 allows.
    if (size === 0) this.#state = State.Trailers;
    else {
      this.#remaining = size;
      this.#state = State.ChunkData;
    }
  }
}

/** The offset after a head's empty line (CRLF CRLF or LF LF) in `buf[from..]`, or −1. */
function headEnd(buf: Uint8Array, from: number): number {
  let k = buf.indexOf(LF, from);
  while (k >= 0) {
    const next = buf[k + 1];
    if (next === LF) return k + 2;
    if (next === CR && buf[k + 2] === LF) return k + 3;
    if (next === undefined || (next === CR && k + 2 >= buf.length)) return -1;
    k = buf.indexOf(LF, k + 1);
  }
  return -1;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
