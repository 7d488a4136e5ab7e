/**
 * The `raw` transport: HTTP/1.1 written and parsed by us (http1.ts) over
 * `Deno.connect` / `Deno.connectTls` sockets, with a pool of kept-alive
 * connections per origin. It exists for fidelity near the machine's limit
 * (issue #16, docs/performance.md): no fetch body-stream machinery between
 * the socket and the stamp, and two guarantees the other transports cannot
 * give.
 *
 * - **The send stamp is the write.** `Deno.Conn.write` is polled eagerly: the
 *   bytes are with the kernel when the call returns (measured: a peer
 *   received them while the caller was still busy in the same task). The
 *   stamp taken right after that call is reported through
 *   `TransportRequest.onSent`.
 * - **Stamp first, parse later.** Every connection has one read always
 *   pending. A finished read only stamps its bytes and queues them; parsing
 *   (HTTP framing, then the client's SSE and JSON work) drains the queue in a
 *   microtask queued behind every read continuation already due. Reads that
 *   complete together (a server's decode step writes one event to hundreds
 *   of streams at once) are resolved by Deno in one batch, so all of them are
 *   stamped before any of them is parsed: the last event of a burst is not
 *   stamped late by the parsing of the others.
 *
 * A request is sent once: an abort or timeout closes its connection, and a
 * failure on a reused connection is reported, never retried here.
 *
 * @module
 */

import {
  HttpParseError,
  requestBytes,
  requestHeadPrefix,
  type ResponseHandler,
  ResponseParser,
} from "./http1.ts";
import type {
  TlsOptions,
  Transport,
  TransportRequest,
  TransportResponse,
} from "./_transport_types.ts";

/** How the raw transport schedules parsing (the benchmark compares both). */
export type RawParsing = "deferred" | "inline";

/** Options of the raw transport. */
export interface RawTransportOptions extends TlsOptions {
  /**
   * `deferred` (default): stamp every ready read, parse afterwards (see the
   * module doc). `inline`: parse each read as soon as it is stamped — only
   * for measuring what deferring gains (`deno task bench fidelity`).
   */
  readonly parsing?: RawParsing;
}

const READ_BYTES = 64 * 1024;
const enc = new TextEncoder();

/** Reads stamped but not yet parsed, over every connection of this thread. */
class ReadQueue {
  #conns: RawConnection[] = [];
  #reads: Array<Uint8Array | null> = [];
  #stamps: number[] = [];
  #errors: unknown[] = [];
  #scheduled = false;
  #drain = () => this.drain();

  push(conn: RawConnection, bytes: Uint8Array | null, stamp: number, error?: unknown): void {
    this.#conns.push(conn);
    this.#reads.push(bytes);
    this.#stamps.push(stamp);
    this.#errors.push(error);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }

  drain(): void {
    this.#scheduled = false;
    const conns = this.#conns;
    const reads = this.#reads;
    const stamps = this.#stamps;
    const errors = this.#errors;
    this.#conns = [];
    this.#reads = [];
    this.#stamps = [];
    this.#errors = [];
    for (let k = 0; k < conns.length; k++) conns[k]!.consume(reads[k]!, stamps[k]!, errors[k]);
  }
}

const queue = new ReadQueue();

/** The URL-dependent part of a request, computed once per URL. */
interface Target {
  readonly url: URL;
  readonly key: string;
  readonly hostname: string;
  readonly port: number;
  readonly secure: boolean;
  /** Request head prefixes by method, for the last headers object seen. */
  heads: Map<string, string>;
  headers: Readonly<Record<string, string>> | undefined;
}

/** The raw HTTP/1.1 transport (see the module doc). */
export class RawTransport implements Transport {
  /** Always `raw`. */
  readonly kind = "raw";
  #caCerts: string[] | undefined;
  #inline: boolean;
  #targets = new Map<string, Target>();
  #idle = new Map<string, RawConnection[]>();
  #all = new Set<RawConnection>();
  /** Whole request bytes by body bytes: a body sent again reuses them (see {@link request}). */
  #wire = new WeakMap<Uint8Array, { prefix: string; bytes: Uint8Array }>();
  #closed = false;

  /** @param options TLS (`insecure` is refused: the node transport has it) and the parsing mode */
  constructor(options: RawTransportOptions = {}) {
    if (options.insecure) throw new Error("--insecure needs the node transport");
    if (options.caCert !== undefined) this.#caCerts = [options.caCert];
    this.#inline = options.parsing === "inline";
  }

  /**
   * Sends a request on an idle kept-alive connection to the URL's origin, or
   * a new one. A body given as a `Uint8Array` is framed once: sending the
   * same array again (the send loop keeps one per spec) reuses the request's
   * whole bytes, so nothing is encoded or copied per send. Calls
   * `init.onSent` with the stamp taken when the bytes have been written.
   */
  async request(url: string, init: TransportRequest): Promise<TransportResponse> {
    const { signal } = init;
    if (signal.aborted) throw signal.reason;
    if (this.#closed) throw new Error("the transport is closed");
    const target = this.#target(url, init.headers);
    const bytes = this.#bytes(target, init);
    const conn = this.#take(target.key) ?? await this.#connect(target, signal);
    if (signal.aborted) {
      // Aborted while the connection opened: it stays in the pool, nothing was sent.
      this.release(conn);
      throw signal.reason;
    }
    const exchange = new Exchange(conn, signal);
    conn.begin(exchange);
    try {
      let off = 0;
      for (;;) {
        const written = conn.conn.write(off === 0 ? bytes : bytes.subarray(off));
        // The write op runs eagerly: the bytes are with the kernel when the call returns.
        const stamp = performance.now();
        off += await written;
        if (off >= bytes.length) {
          init.onSent?.(stamp);
          break;
        }
      }
    } catch (error) {
      exchange.fail(signal.aborted ? signal.reason : error);
    }
    return exchange.head;
  }

  /** Closes every connection of the pool, idle or busy. */
  close(): void {
    this.#closed = true;
    for (const c of this.#all) c.destroy(new Error("the transport is closed"));
    this.#all.clear();
    this.#idle.clear();
  }

  /** A connection's response ended and it may carry another request. */
  release(conn: RawConnection): void {
    if (this.#closed || conn.closed) return;
    let list = this.#idle.get(conn.key);
    if (!list) this.#idle.set(conn.key, list = []);
    list.push(conn);
  }

  /** A connection closed: forget it. */
  forget(conn: RawConnection): void {
    this.#all.delete(conn);
    const list = this.#idle.get(conn.key);
    const i = list ? list.indexOf(conn) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  #take(key: string): RawConnection | undefined {
    const list = this.#idle.get(key);
    for (let c = list?.pop(); c; c = list!.pop()) if (!c.closed) return c;
    return undefined;
  }

  #target(url: string, headers: Readonly<Record<string, string>>): Target {
    let t = this.#targets.get(url);
    if (!t) {
      const u = new URL(url);
      if (u.protocol !== "http:" && u.protocol !== "https:") {
        throw new TypeError(`Expected an http:// or https:// URL, got "${url}"`);
      }
      const secure = u.protocol === "https:";
      t = {
        url: u,
        key: `${u.protocol}//${u.host}`,
        hostname: u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port ? Number(u.port) : secure ? 443 : 80,
        secure,
        heads: new Map(),
        headers: undefined,
      };
      this.#targets.set(url, t);
    }
    if (t.headers !== headers) {
      t.headers = headers;
      t.heads.clear();
    }
    return t;
  }

  #bytes(t: Target, init: TransportRequest): Uint8Array {
    let prefix = t.heads.get(init.method);
    if (prefix === undefined) {
      prefix = requestHeadPrefix(init.method, t.url, init.headers);
      t.heads.set(init.method, prefix);
    }
    const body = init.body;
    if (body === undefined || typeof body === "string") {
      return requestBytes(prefix, body === undefined ? undefined : enc.encode(body));
    }
    if (init.once) return requestBytes(prefix, body);
    const seen = this.#wire.get(body);
    if (seen && seen.prefix === prefix) return seen.bytes;
    const bytes = requestBytes(prefix, body);
    this.#wire.set(body, { prefix, bytes });
    return bytes;
  }

  async #connect(t: Target, signal: AbortSignal): Promise<RawConnection> {
    const opening = t.secure
      ? Deno.connectTls({
        hostname: t.hostname,
        port: t.port,
        alpnProtocols: ["http/1.1"],
        ...(this.#caCerts ? { caCerts: this.#caCerts } : {}),
      })
      : Deno.connect({ hostname: t.hostname, port: t.port });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    let conn: Deno.Conn;
    try {
      conn = await Promise.race([
        opening.then(async (c) => {
          // TLS: finish the handshake now, so a certificate error is a connect error.
          if ("handshake" in c) await (c as Deno.TlsConn).handshake();
          return c as Deno.Conn;
        }),
        aborted,
      ]);
    } catch (error) {
      // An abort won the race: close the connection if it opens after all.
      opening.then((c) => c.close(), () => {});
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort!);
    }
    if (this.#closed) {
      conn.close();
      throw new Error("the transport is closed");
    }
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const raw = new RawConnection(this, conn, t.key, this.#inline);
    this.#all.add(raw);
    return raw;
  }
}

/** One socket: its read loop, its parser, the exchange it serves. */
class RawConnection {
  readonly conn: Deno.Conn;
  readonly key: string;
  closed = false;
  #pool: RawTransport;
  #parser: ResponseParser | undefined;
  #exchange: Exchange | undefined;
  #inline: boolean;

  constructor(pool: RawTransport, conn: Deno.Conn, key: string, inline: boolean) {
    this.#pool = pool;
    this.conn = conn;
    this.key = key;
    this.#inline = inline;
    this.#readLoop();
  }

  /** Starts an exchange: the next bytes read are its response. */
  begin(exchange: Exchange): void {
    this.#exchange = exchange;
    if (this.#parser) this.#parser.reset(exchange);
    else this.#parser = new ResponseParser(exchange);
  }

  /** The response ended: back to the pool, or closed when it may not be reused. */
  ended(reusable: boolean): void {
    this.#exchange = undefined;
    if (reusable) this.#pool.release(this);
    else this.destroy(undefined);
  }

  /** Closes the socket; a live exchange fails with `reason`. */
  destroy(reason: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.#pool.forget(this);
    const ex = this.#exchange;
    this.#exchange = undefined;
    try {
      this.conn.close();
    } catch {
      // already closed by the peer's end
    }
    if (ex && reason !== undefined) ex.fail(reason);
  }

  /**
   * The hot loop: read into one buffer, stamp, copy the bytes out (a few
   * hundred per event) and queue them; parsing happens in {@link consume}.
   */
  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BYTES);
    for (;;) {
      let n: number | null;
      try {
        n = await this.conn.read(buffer);
      } catch (error) {
        this.#arrive(null, performance.now(), error);
        return;
      }
      const stamp = performance.now();
      if (n === null) {
        this.#arrive(null, stamp, undefined);
        return;
      }
      this.#arrive(buffer.slice(0, n), stamp, undefined);
      if (this.closed) return;
    }
  }

  #arrive(bytes: Uint8Array | null, stamp: number, error: unknown): void {
    if (this.#inline) this.consume(bytes, stamp, error);
    else queue.push(this, bytes, stamp, error);
  }

  /** Parses one stamped read (`null`: the connection's end, `error` when it broke). */
  consume(bytes: Uint8Array | null, stamp: number, error: unknown): void {
    const ex = this.#exchange;
    if (bytes === null) {
      if (this.closed) return;
      let reason: unknown = error;
      if (ex && reason === undefined) {
        try {
          this.#parser!.close(stamp);
        } catch (e) {
          reason = e;
        }
      }
      this.destroy(reason ?? new HttpParseError("the connection closed"));
      return;
    }
    if (!ex) {
      // Bytes with no request outstanding: the connection's state is unknown, so drop it.
      if (!this.closed) this.destroy(undefined);
      return;
    }
    try {
      this.#parser!.push(bytes, stamp);
    } catch (e) {
      this.destroy(e);
    }
  }
}

/** One request's response, as the client sees it and as the parser fills it. */
class Exchange implements ResponseHandler, TransportResponse {
  status = 0;
  readonly head: Promise<TransportResponse>;
  #headers = new Map<string, string>();
  #conn: RawConnection;
  #signal: AbortSignal;
  #resolveHead!: (r: TransportResponse) => void;
  #rejectHead!: (e: unknown) => void;
  #headDone = false;
  /** Body pieces that came before {@link stream} was called. */
  #early: Array<[Uint8Array, number]> | undefined = [];
  #onBytes: ((bytes: Uint8Array, stamp: number) => void) | undefined;
  #resolveEnd: ((stamp: number) => void) | undefined;
  #rejectEnd: ((e: unknown) => void) | undefined;
  #endStamp: number | undefined;
  #failure: { reason: unknown } | undefined;
  #onAbort = () => this.#conn.destroy(this.#signal.reason);

  constructor(conn: RawConnection, signal: AbortSignal) {
    this.#conn = conn;
    this.#signal = signal;
    this.head = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    // An abort at any point closes the connection: the request is never sent again.
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  header(name: string): string | undefined {
    return this.#headers.get(name);
  }

  async text(): Promise<string> {
    const parts: Uint8Array[] = [];
    await this.stream((bytes) => parts.push(bytes), this.#signal);
    const dec = new TextDecoder();
    let text = "";
    for (const p of parts) text += dec.decode(p, { stream: true });
    return text + dec.decode();
  }

  stream(
    onBytes: (bytes: Uint8Array, stamp: number) => void,
    signal: AbortSignal,
  ): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure.reason);
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const [bytes, stamp] of early) onBytes(bytes, stamp);
    if (this.#endStamp !== undefined) return Promise.resolve(this.#endStamp);
    if (signal.aborted) {
      this.#conn.destroy(signal.reason);
      return Promise.reject(signal.reason);
    }
    this.#onBytes = onBytes;
    const onAbort = () => this.#conn.destroy(signal.reason);
    if (signal !== this.#signal) signal.addEventListener("abort", onAbort, { once: true });
    return new Promise<number>((resolve, reject) => {
      this.#resolveEnd = resolve;
      this.#rejectEnd = reject;
    }).finally(() => signal.removeEventListener("abort", onAbort));
  }

  // ResponseHandler: called by the parser while the read queue drains.

  onHead(status: number, headers: Map<string, string>): void {
    this.status = status;
    this.#headers = headers;
    this.#headDone = true;
    this.#resolveHead(this);
  }

  onBody(bytes: Uint8Array, stamp: number): void {
    if (this.#onBytes) this.#onBytes(bytes, stamp);
    else this.#early?.push([bytes, stamp]);
  }

  onEnd(stamp: number, reusable: boolean): void {
    this.#endStamp = stamp;
    this.#signal.removeEventListener("abort", this.#onAbort);
    this.#conn.ended(reusable);
    this.#resolveEnd?.(stamp);
  }

  /** The exchange failed (connection broke, bad framing, abort). */
  fail(reason: unknown): void {
    if (this.#failure || this.#endStamp !== undefined) return;
    this.#failure = { reason };
    this.#signal.removeEventListener("abort", this.#onAbort);
    this.#conn.destroy(reason);
    if (!this.#headDone) this.#rejectHead(reason);
    this.#rejectEnd?.(reason);
  }
}
