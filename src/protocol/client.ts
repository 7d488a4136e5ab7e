/**
 * The streaming HTTP client: one request in, one RequestRecord out. Body bytes
 * come from a transport (`fetch` or `node`, see transport.ts) that stamps every
 * read on arrival before any parsing; every event in a read carries that
 * stamp. The API adapter frames the body into events, reads each into the
 * request's state and judges how the stream ended; the client knows no wire
 * format. Failures never throw: they become records with a category.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";
import { redactText } from "../redact.ts";
import type { ErrorCategory, RequestError, RequestRecord } from "../record/record.ts";
import type { ApiAdapter, EventSink, FrameDecoder, StreamOutcome } from "./adapter.ts";
import type { Usage } from "./openai.ts";
import type { Transport, TransportResponse } from "./transport.ts";

/** Where and how to send. Secrets live only here, in memory. */
export interface HttpTarget {
  /** The full endpoint URL (base URL + adapter path). */
  readonly url: string;
  /** Request headers, the key in its API's auth header when one is set. */
  readonly headers: Readonly<Record<string, string>>;
  readonly adapter: ApiAdapter;
  readonly stream: boolean;
  /** Whole-request timeout; absent → none. */
  readonly timeoutMs?: number;
  /** The connection pool to send through. */
  readonly transport: Transport;
  /** Keep the output text on the record (for tokenizer counting). */
  readonly keepText?: boolean;
  /** Every body is sent once: the transport keeps nothing of it (TransportRequest.once). */
  readonly onceBodies?: boolean;
  /**
   * Called with every parsed event and its arrival stamp (`performance.now()`):
   * for benchmarks of the client's own accuracy against the simulator's
   * `sim_sent_ms`. Leave unset in runs.
   */
  readonly probe?: (event: unknown, stampMs: number) => void;
}

/** Identity and schedule of one send, and what may cut it off. */
export interface SendMeta {
  readonly index: number;
  /** Absolute ms when the profile wanted it sent. */
  readonly scheduledMs: number;
  readonly warmup?: boolean;
  /** Input tokens known by construction (synthetic sources). */
  readonly inputTokens?: number;
  /** Aborts the send (the stop's cancel); its reason decides `timeout` vs `cancelled`. */
  readonly signal?: AbortSignal;
}

const ERROR_BODY_LIMIT = 4096;

/** Mutable per-request state the adapter writes into. Kept off the hot path's allocations. */
class StreamState implements EventSink, StreamOutcome {
  chunkRel: number[] = [];
  firstContentRel: number | undefined;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  cachedTokens: number | undefined;
  errorMessage: string | undefined;
  errorCode: number | undefined;
  finishReason: string | undefined;
  badEvent: string | undefined;
  ended = false;
  streamed = false;
  outputSeen = false;
  hadOutput = false;
  hadContent = false;
  text: string[] | undefined;
  timings: Record<string, number> | undefined;
  /** The stamp of the event being read, for the probe. */
  stamp = 0;
  readonly probe: HttpTarget["probe"];

  constructor(keepText: boolean, probe: HttpTarget["probe"]) {
    if (keepText) this.text = [];
    this.probe = probe;
  }
  content(text: string): void {
    this.hadOutput = true;
    this.hadContent = true;
    this.outputSeen = true;
    this.text?.push(text);
  }
  reasoning(text: string): void {
    this.hadOutput = true;
    this.outputSeen = true;
    // Reasoning tokens are output tokens: the tokenizer counts them, as the chunk count does.
    this.text?.push(text);
  }
  usage(usage: Partial<Usage>): void {
    if (usage.promptTokens !== undefined) this.promptTokens = usage.promptTokens;
    if (usage.completionTokens !== undefined) this.completionTokens = usage.completionTokens;
    if (usage.cachedTokens !== undefined) this.cachedTokens = usage.cachedTokens;
  }
  error(message: string, code: number | undefined): void {
    this.errorMessage ??= message;
    this.errorCode ??= code;
  }
  finish(reason: string): void {
    this.finishReason ??= reason;
  }
  end(): void {
    this.ended = true;
  }
  bad(message: string): void {
    this.badEvent ??= message;
  }
  parsed(event: unknown): void {
    if (this.probe) this.probe(event, this.stamp);
  }
  serverTimings(timings: Readonly<Record<string, number>>): void {
    this.timings = Object.assign(this.timings ?? {}, timings);
  }
  /** Both counts, once the server has given both. */
  usageSeen(): Usage | undefined {
    if (this.promptTokens === undefined || this.completionTokens === undefined) return undefined;
    const usage: Usage = {
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
    };
    if (this.cachedTokens !== undefined) usage.cachedTokens = this.cachedTokens;
    return usage;
  }
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Shortens a server's error body to a one-line message, preferring OpenAI's `error.message`. */
export function summarizeErrorBody(text: string): string {
  try {
    const body = JSON.parse(text);
    // OpenAI's {"error": {"message"}}; TGI's and Ollama's {"error": "…"}; others' message/detail.
    const msg = body?.error?.message ?? body?.error ?? body?.message ?? body?.detail;
    if (typeof msg === "string") return msg;
  } catch {
    // not JSON: fall through to the raw text
  }
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function classifyThrown(error: unknown, signal: AbortSignal, phase: "connect" | "read"): {
  category: ErrorCategory;
  message: string;
} {
  if (signal.aborted) {
    const reason = signal.reason;
    if (reason instanceof DOMException && reason.name === "TimeoutError") {
      return { category: "timeout", message: "timed out" };
    }
    return { category: "cancelled", message: "cancelled" };
  }
  // A transport's message may name the URL (a URL may carry a key, `?api-key=`), a server's may echo the key.
  const message = redactText(errorMessage(error));
  return { category: phase === "connect" ? "connect" : "stream_error", message };
}

/**
 * Sends one request and records it. Never throws: network, HTTP and stream
 * failures become a record with an `error`, keeping partial timings.
 */
export async function sendRequest(
  target: HttpTarget,
  body: string | Uint8Array<ArrayBuffer>,
  meta: SendMeta,
): Promise<RequestRecord> {
  const signal = meta.signal;
  const origin = performance.timeOrigin;
  // One controller per request, aborted by the caller's signal or the timeout, both undone in
  // finish(): AbortSignal.timeout() kept every send's timer (600 s by default) and signal alive
  // long after the request ended, and AbortSignal.any() tied a dependent signal to the task's
  // cancel signal — ~700 bytes per request retained (#23).
  const controller = new AbortController();
  const combined = controller.signal;
  const onAbort = () => controller.abort(signal!.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const timer = target.timeoutMs === undefined ? undefined : setTimeout(
    () => controller.abort(new DOMException("Signal timed out.", "TimeoutError")),
    target.timeoutMs,
  );
  const state = new StreamState(target.keepText ?? false, target.probe);
  let status: number | undefined;
  let failure: RequestError | undefined;

  // The record's start. Here: when the request is handed to the transport. A transport that
  // knows when its bytes were written (raw) moves it there through `onSent`, so TTFT and E2EL
  // count from the moment the server could begin and not from before the pool handed out a
  // connection; what comes before (pool wait, connect, writing) stays in the queueing delay
  // (start − scheduled), which therefore still shows a client that cannot send on time.
  let startRel = performance.now();
  try {
    let response: TransportResponse;
    try {
      response = await target.transport.request(target.url, {
        method: "POST",
        headers: target.headers,
        body,
        once: target.onceBodies === true,
        signal: combined,
        onSent: (stamp) => (startRel = stamp),
      });
    } catch (error) {
      const c = classifyThrown(error, combined, "connect");
      failure = c;
      return finish();
    }
    status = response.status;
    if (status < 200 || status > 299) {
      const text = await readLimited(response);
      const category: ErrorCategory = status >= 500 ? "http_5xx" : "http_4xx";
      failure = { category, status, message: redactText(summarizeErrorBody(text)) };
      const retryAfter = parseRetryAfter(response.header("retry-after"));
      if (retryAfter !== undefined) failure.retryAfterMs = retryAfter;
      return finish();
    }
    target.adapter.readHeaders?.((name) => response.header(name), state);
    const contentType = response.header("content-type") ?? "";
    if (target.stream && target.adapter.framing.accepts(contentType)) {
      state.streamed = true;
      const decoder = eventDecoder(target.adapter, state);
      const endStamp = await response.stream(
        (bytes, stamp) => decoder.push(bytes, stamp),
        combined,
      );
      decoder.end(endStamp);
    } else {
      const text = await response.text();
      if (!text) {
        failure = { category: "bad_response", status, message: "empty response body" };
        return finish();
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        failure = {
          category: "bad_response",
          status,
          message: `expected ${target.stream ? "an event stream" : "JSON"}, got "${contentType}": ${
            summarizeErrorBody(text)
          }`,
        };
        return finish();
      }
      target.adapter.readResponse(json, state);
      state.ended = true;
      if (target.stream && state.errorMessage === undefined) {
        // A whole body to a streaming request (a buffering proxy, or `"stream": false` in the
        // body): its arrival is no first token, so no TTFT, ITL or TPOT may come from it.
        failure = {
          category: "not_streamed",
          status,
          message: `streaming request answered without an event stream (content-type "${
            contentType || "none"
          }")`,
        };
      }
    }
  } catch (error) {
    failure = classifyThrown(error, combined, "read");
  }
  return finish();

  function finish(): RequestRecord {
    const endRel = performance.now();
    // Nothing of this request may outlive it (#23): the timer and the listener on `signal` go.
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    failure ??= target.adapter.endOfStream(state);
    const record: RequestRecord = {
      index: meta.index,
      scheduledMs: meta.scheduledMs,
      startMs: origin + startRel,
      endMs: origin + endRel,
      chunkMs: state.chunkRel.map((t) => origin + t),
      stream: target.stream,
      attempts: 1,
    };
    if (meta.warmup) record.warmup = true;
    if (state.firstContentRel !== undefined) record.firstContentMs = origin + state.firstContentRel;
    if (status !== undefined) record.status = status;
    if (failure) record.error = failure;
    const usage = state.usageSeen();
    if (usage) record.usage = usage;
    if (meta.inputTokens !== undefined) record.inputTokens = meta.inputTokens;
    if (state.text) record.outputText = state.text.join("");
    if (state.finishReason !== undefined) record.finishReason = state.finishReason;
    if (state.timings) record.serverTimings = state.timings;
    return record;
  }
}

async function readLimited(response: TransportResponse): Promise<string> {
  try {
    const text = await response.text();
    return text.slice(0, ERROR_BODY_LIMIT);
  } catch (error) {
    return `(error body unreadable: ${errorMessage(error)})`;
  }
}

/** The per-event work: the adapter reads the event; keep the stamp of output-carrying ones. */
function eventDecoder(adapter: ApiAdapter, state: StreamState): FrameDecoder {
  const readEvent = adapter.reader ? adapter.reader() : adapter.readEvent;
  const readField = adapter.readField;
  const onField = readField
    ? (field: string, value: string, stamp: number) => {
      if (state.ended) return;
      state.stamp = stamp;
      readField(field, value, state);
    }
    : undefined;
  return adapter.framing.decoder((data, stamp, name) => {
    if (state.ended) return;
    state.stamp = stamp;
    state.hadOutput = false;
    state.hadContent = false;
    readEvent(data, name, state);
    if (state.hadOutput) {
      state.chunkRel.push(stamp);
      if (state.hadContent && state.firstContentRel === undefined) state.firstContentRel = stamp;
    }
  }, onField);
}
