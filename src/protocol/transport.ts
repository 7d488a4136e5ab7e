/**
 * Transports: how bytes travel. Three implementations behind one small
 * interface, so the client's timing and classification logic is written once:
 *
 * - `fetch` — Web `fetch`, the body read with a BYOB reader into one reused
 *   buffer; TLS through an optional `Deno.HttpClient` (a private CA).
 * - `node` — `node:http` / `node:https` with a keep-alive agent: HTTP/1.1
 *   only, the same client CPU per stream event as fetch on paced streams (see
 *   docs/performance.md), and the only way to skip certificate checks
 *   in-process (`--insecure`).
 * - `raw` — our own HTTP/1.1 over `Deno.connect` / `Deno.connectTls`
 *   (transport_raw.ts): the send stamp taken when the request's bytes have
 *   been written, every ready read stamped before any is parsed.
 *
 * Every body read is stamped with `performance.now()` on arrival, before any
 * parsing.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import { Buffer } from "node:buffer";
import { RawTransport } from "./transport_raw.ts";

export {
  type TlsOptions,
  type Transport,
  type TransportKind,
  type TransportRequest,
  type TransportResponse,
  TRANSPORTS,
} from "./_transport_types.ts";
import type {
  TlsOptions,
  Transport,
  TransportKind,
  TransportRequest,
  TransportResponse,
} from "./_transport_types.ts";

/**
 * The transport of a run unless `--transport` says otherwise: `raw`, which
 * won `deno task bench fidelity` against fetch and node (TTFT error, ITL
 * p99, CPU per event; docs/performance.md). `fetch` stays for HTTP/2 and
 * proxies, `node` for `--insecure`.
 */
export const DEFAULT_TRANSPORT: TransportKind = "raw";

/** Creates a transport. `insecure` requires the node transport. */
export function createTransport(kind: TransportKind, options: TlsOptions = {}): Transport {
  if (kind === "raw") return new RawTransport(options);
  return kind === "node" ? new NodeTransport(options) : new FetchTransport(options);
}

const BUFFER_BYTES = 16 * 1024;

class FetchTransport implements Transport {
  readonly kind = "fetch";
  #client: Deno.HttpClient | undefined;

  constructor(options: TlsOptions) {
    if (options.insecure) throw new Error("--insecure needs the node transport");
    if (options.caCert !== undefined) {
      this.#client = Deno.createHttpClient({ caCerts: [options.caCert] });
    }
  }

  async request(url: string, init: TransportRequest): Promise<TransportResponse> {
    const response = await fetch(url, {
      method: init.method,
      headers: init.headers,
      signal: init.signal,
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(this.#client ? { client: this.#client } : {}),
    });
    return {
      status: response.status,
      header: (name) => response.headers.get(name) ?? undefined,
      text: () => response.text(),
      stream: (onBytes, signal) => readByob(response, onBytes, signal),
    };
  }

  close(): void {
    this.#client?.close();
  }
}

/** The fetch hot loop: read into one reused buffer, stamp, hand over. */
async function readByob(
  response: Response,
  onBytes: (bytes: Uint8Array, stamp: number) => void,
  signal: AbortSignal,
): Promise<number> {
  if (!response.body) return performance.now();
  const reader = response.body.getReader({ mode: "byob" });
  const onAbort = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    let buffer = new ArrayBuffer(BUFFER_BYTES);
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      const stamp = performance.now();
      if (done) {
        if (signal.aborted) throw signal.reason;
        return stamp;
      }
      onBytes(value, stamp);
      buffer = value.buffer as ArrayBuffer;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

class NodeTransport implements Transport {
  readonly kind = "node";
  #http = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  #https: https.Agent;

  constructor(options: TlsOptions) {
    this.#https = new https.Agent({
      keepAlive: true,
      maxSockets: Infinity,
      rejectUnauthorized: !options.insecure,
      // Only the given CA (the system roots would need --allow-sys).
      ...(options.caCert !== undefined ? { ca: [options.caCert] } : {}),
    });
  }

  request(url: string, init: TransportRequest): Promise<TransportResponse> {
    const { signal } = init;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const target = new URL(url);
      const secure = target.protocol === "https:";
      const headers: Record<string, string | number> = { ...init.headers };
      let payload: Uint8Array | undefined;
      if (init.body !== undefined) {
        payload = typeof init.body === "string" ? Buffer.from(init.body) : init.body;
        headers["content-length"] = payload.length;
      }
      const req = (secure ? https : http).request(target, {
        method: init.method,
        headers,
        agent: secure ? this.#https : this.#http,
      });
      // Until the head arrives an abort destroys the request; then reading the body watches it.
      const onAbort = () => cancelRequest(req, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      let responded = false;
      req.on("error", (error: Error) => {
        signal.removeEventListener("abort", onAbort);
        if (!responded) reject(signal.aborted ? signal.reason : error);
      });
      req.on("response", (res: http.IncomingMessage) => {
        responded = true;
        signal.removeEventListener("abort", onAbort);
        resolve(nodeResponse(req, res, signal));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/**
 * Destroys a request for good. Deno 2.9's node:http re-sends a destroyed
 * request that went out on a reused keep-alive socket (denoland/deno#36786):
 * its retry applies only to reused sockets, so the flag is cleared first, and
 * a timed-out POST is never sent twice.
 */
function cancelRequest(req: http.ClientRequest, reason: unknown): void {
  (req as { reusedSocket: boolean }).reusedSocket = false;
  req.destroy(reason instanceof Error ? reason : new Error(String(reason)));
}

function nodeResponse(
  req: http.ClientRequest,
  res: http.IncomingMessage,
  requestSignal: AbortSignal,
): TransportResponse {
  /** Reads the body, stamping each chunk; settles on end, error, close or abort. */
  const consume = (
    onBytes: (bytes: Uint8Array, stamp: number) => void,
    signal: AbortSignal,
  ): Promise<number> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: unknown, stamp = 0) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        if (error === undefined) resolve(stamp);
        else reject(error);
      };
      const onAbort = () => {
        settle(signal.reason);
        cancelRequest(req, signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      res.on("data", (chunk: Uint8Array) => onBytes(chunk, performance.now()));
      res.on("end", () => settle(undefined, performance.now()));
      res.on("error", (error: Error) => settle(signal.aborted ? signal.reason : error));
      res.on("close", () => {
        if (!res.complete) settle(new Error("the connection closed before the response ended"));
      });
    });
  return {
    status: res.statusCode ?? 0,
    header(name) {
      const v = res.headers[name];
      return Array.isArray(v) ? v.join(", ") : v;
    },
    async text() {
      const parts: Uint8Array[] = [];
      await consume((bytes) => parts.push(bytes), requestSignal);
      return Buffer.concat(parts).toString("utf8");
    },
    stream: consume,
  };
}
