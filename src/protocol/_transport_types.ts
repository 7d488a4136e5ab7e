/**
 * The transport interface and names, apart from transport.ts so each
 * implementation module can import them without importing the factory that
 * imports it (no import cycle). Import them from transport.ts.
 *
 * @module
 */

/** The transport names. */
export const TRANSPORTS = ["fetch", "node", "raw"] as const;
/** One of {@link TRANSPORTS}. */
export type TransportKind = typeof TRANSPORTS[number];

/** TLS settings of a transport. */
export interface TlsOptions {
  /** PEM of a private CA: trusted besides the system's roots (fetch), or instead of them (node). */
  readonly caCert?: string;
  /** Skip certificate verification (node transport only). */
  readonly insecure?: boolean;
}

/** One request's response: the head now, the body on demand. */
export interface TransportResponse {
  readonly status: number;
  /** A response header (lower-case name), or undefined. */
  header(name: string): string | undefined;
  /** The whole body as text. */
  text(): Promise<string>;
  /**
   * Streams the body: `onBytes` gets each read, stamped on arrival. Resolves
   * with the stamp of the end of the stream; rejects when the connection
   * breaks or `signal` aborts.
   */
  stream(onBytes: (bytes: Uint8Array, stamp: number) => void, signal: AbortSignal): Promise<number>;
}

/** A request to send. */
export interface TransportRequest {
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The body. Give the same `Uint8Array` for every send of the same spec:
   * the raw transport then frames the request once and reuses its bytes.
   */
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /**
   * The body will not be sent again: the raw transport frames it without
   * keeping the framed bytes for a next send (they would stay until a full GC).
   */
  readonly once?: boolean;
  readonly signal: AbortSignal;
  /**
   * Called with the `performance.now()` stamp at which the request's bytes
   * were written to the socket, when the transport knows it (raw); fetch and
   * node never call it (their write happens somewhere inside their stack).
   */
  readonly onSent?: (stamp: number) => void;
}

/** Sends HTTP requests over a pool of kept-alive connections. */
export interface Transport {
  readonly kind: TransportKind;
  /** Resolves when the response head arrives; rejects when no response comes. */
  request(url: string, init: TransportRequest): Promise<TransportResponse>;
  /** Closes the pool's connections. */
  close(): void;
}
