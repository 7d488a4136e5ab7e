/**
 * The built-in OpenAI-compatible simulator: the ground truth for tests and
 * demos. It speaks vLLM's wire format (SSE `data:` events, a usage chunk when
 * `stream_options.include_usage` is set, `data: [DONE]` last, OpenAI-shaped
 * error bodies), times every token on an absolute schedule, models a decode
 * capacity (at most `maxBatch` requests decode at once; the rest queue), and
 * stamps each event with its own send time in an extra `sim_sent_ms` field.
 *
 * @module
 */

import { Random } from "../random.ts";
import { DeadlineScheduler } from "./scheduler.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import type { ChatMessage } from "../protocol/openai.ts";

/** Simulator settings. Times in ms. */
export interface SimOptions {
  /** Interface to bind; default `127.0.0.1`. */
  hostname?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
  /** The served model id; default `sim-model`. */
  model?: string;
  /** Time to first token after admission; default 50. */
  ttftMs?: number;
  /** Extra TTFT per input token (prefill cost); default 0. */
  prefillMsPerToken?: number;
  /** Gap between tokens; default 10. */
  itlMs?: number;
  /** Uniform jitter (±) applied to TTFT and each gap; default 0. */
  jitterMs?: number;
  /** Output length when the request does not force one; default 128. */
  outputTokens?: number;
  /** Tokens carried by each content event; default 1. */
  tokensPerChunk?: number;
  /** Leading output tokens streamed as `reasoning_content`; default 0. */
  reasoningTokens?: number;
  /** Requests decoding at once; the rest wait in a queue. Default unlimited. */
  maxBatch?: number;
  /** Seed of the jitter and the generated text; default 0. */
  seed?: number;
  /** Multiply reported `completion_tokens` by this (tests of usage cross-checks); default 1. */
  usageScale?: number;
  /**
   * Count prompt tokens with this tokenizer (built-in name or folder; chat
   * prompts through its chat template), as a real server does. Without it, one
   * token per whitespace-separated word.
   */
  tokenizer?: string;
  /** Faults to inject (per-request probabilities or a fixed script). */
  faults?: FaultPlan;
  /** Serve HTTPS with this certificate chain and key (PEM text). */
  tls?: { cert: string; key: string };
}

/** The faults the simulator can inject. */
export const FAULT_KINDS = [
  "reset",
  "http_400",
  "http_401",
  "http_404",
  "http_429",
  "http_500",
  "http_503",
  "html_error",
  "error_event",
  "no_done",
  "bad_json",
  "stall_headers",
  "stall_stream",
  "huge_event",
  "empty_choices",
  "split_utf8",
] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = typeof FAULT_KINDS[number];

/**
 * Which requests get which fault. Requests are numbered from 0 in arrival
 * order (completions requests only). A script entry wins over the rates; with
 * rates, each request draws at most one fault (seeded).
 *
 * - `reset`: the connection is dropped after `afterTokens` tokens;
 * - `http_…`: that status with an OpenAI-shaped error body (429 and 503 with `Retry-After`);
 * - `html_error`: a proxy's 502 HTML page;
 * - `error_event`: an `{"error": …}` event after `afterTokens` tokens, then `[DONE]`;
 * - `no_done`: the stream ends without `[DONE]`;
 * - `bad_json`: an event that is not valid JSON after `afterTokens` tokens;
 * - `stall_headers`: no response at all; `stall_stream`: silence after `afterTokens` tokens;
 * - `huge_event`: one 1 MiB content event; `empty_choices`: a `choices: []` event before each token;
 * - `split_utf8`: a token whose multi-byte character is split across two network writes.
 * The last three are not failures: a correct client handles them.
 */
export interface FaultPlan {
  rates?: Partial<Record<FaultKind, number>>;
  script?: Record<number, FaultKind>;
  seed?: number;
  /** `Retry-After` of 429/503, seconds; default 1. */
  retryAfterS?: number;
  /** Tokens sent before a mid-stream fault; default 2. */
  afterTokens?: number;
  /** Message of injected error bodies and error events, instead of the built-in ones. */
  message?: string;
}

/** Counters the simulator keeps; `peakHeld` is the most requests open at once. */
export interface SimStats {
  requests: number;
  completed: number;
  cancelled: number;
  held: number;
  peakHeld: number;
  active: number;
  peakActive: number;
  queued: number;
}

/** A running simulator. */
export interface SimServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<
    Required<Omit<SimOptions, "hostname" | "port" | "tokenizer" | "faults" | "tls">>
  >;
  /** A copy of the counters. */
  stats(): SimStats;
  /** Zeroes the counters (not the open requests). */
  resetStats(): void;
  /** Stops listening and ends open streams. */
  shutdown(): Promise<void>;
}

const WORDS = [
  " the",
  " of",
  " and",
  " to",
  " a",
  " in",
  " is",
  " that",
  " for",
  " it",
  " as",
  " with",
  " was",
  " on",
  " be",
  " at",
  " by",
  " this",
  " from",
  " or",
];

type Json = Record<string, unknown>;

/** Counts prompt tokens the way the simulator does: one per whitespace-separated word, or per id. */
export function simPromptTokens(body: Json): number {
  const countText = (s: string) => {
    let n = 0;
    for (const w of s.split(/\s+/)) if (w) n++;
    return n;
  };
  if (Array.isArray(body.messages)) {
    let n = 0;
    for (const m of body.messages as Json[]) {
      const c = m?.content;
      if (typeof c === "string") n += countText(c);
      else if (Array.isArray(c)) {
        for (const part of c as Json[]) {
          if (typeof part?.text === "string") n += countText(part.text);
        }
      }
    }
    return n;
  }
  const p = body.prompt;
  if (typeof p === "string") return countText(p);
  if (Array.isArray(p)) return p.length;
  return 0;
}

function errorResponse(status: number, message: string, type: string): Response {
  const body = JSON.stringify({ error: { message, type, param: null, code: status } });
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

const encoder = new TextEncoder();

/** Starts the simulator and resolves once it listens. */
export async function startSimulator(options: SimOptions = {}): Promise<SimServer> {
  const tokenizer = options.tokenizer ? await loadTokenizer(options.tokenizer) : undefined;
  const promptTokens = (body: Json): number => {
    if (!tokenizer) return simPromptTokens(body);
    if (Array.isArray(body.prompt)) return body.prompt.length;
    if (Array.isArray(body.messages)) {
      const messages = body.messages as ChatMessage[];
      const templated = tokenizer.chatPrompt(messages);
      if (templated !== undefined) return tokenizer.encode(templated).length;
      return messages.reduce(
        (n, m) => n + tokenizer.encode(typeof m.content === "string" ? m.content : "").length,
        0,
      );
    }
    return tokenizer.encode(String(body.prompt ?? "")).length;
  };
  const opts = {
    model: options.model ?? "sim-model",
    ttftMs: options.ttftMs ?? 50,
    prefillMsPerToken: options.prefillMsPerToken ?? 0,
    itlMs: options.itlMs ?? 10,
    jitterMs: options.jitterMs ?? 0,
    outputTokens: options.outputTokens ?? 128,
    tokensPerChunk: Math.max(1, options.tokensPerChunk ?? 1),
    reasoningTokens: options.reasoningTokens ?? 0,
    maxBatch: options.maxBatch ?? Infinity,
    seed: options.seed ?? 0,
    usageScale: options.usageScale ?? 1,
  };
  const random = new Random(opts.seed);
  const scheduler = new DeadlineScheduler();
  const stats: SimStats = {
    requests: 0,
    completed: 0,
    cancelled: 0,
    held: 0,
    peakHeld: 0,
    active: 0,
    peakActive: 0,
    queued: 0,
  };
  const waiting: Array<() => void> = [];
  const openStreams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let idCounter = 0;

  const jitter = () => opts.jitterMs === 0 ? 0 : (random.next() * 2 - 1) * opts.jitterMs;

  function hold(): void {
    stats.held++;
    if (stats.held > stats.peakHeld) stats.peakHeld = stats.held;
  }

  /**
   * Waits for a decode slot, then calls `begin` with the instant decoding starts:
   * `arrived` when a slot was free, else the moment one frees up.
   */
  function admit(arrived: number, begin: (at: number) => void): void {
    if (stats.active < opts.maxBatch) {
      stats.active++;
      if (stats.active > stats.peakActive) stats.peakActive = stats.active;
      begin(arrived);
    } else {
      stats.queued++;
      waiting.push(() => {
        stats.queued--;
        stats.active++;
        if (stats.active > stats.peakActive) stats.peakActive = stats.active;
        begin(performance.now());
      });
    }
  }

  function release(cancelled: boolean): void {
    stats.held--;
    stats.active--;
    if (cancelled) stats.cancelled++;
    else stats.completed++;
    const next = waiting.shift();
    if (next) next();
  }

  function outputLength(body: Json): number {
    const max = typeof body.max_tokens === "number"
      ? body.max_tokens
      : typeof body.max_completion_tokens === "number"
      ? body.max_completion_tokens
      : undefined;
    let n = opts.outputTokens;
    if (max !== undefined) n = body.ignore_eos === true ? max : Math.min(n, max);
    if (typeof body.min_tokens === "number") n = Math.max(n, body.min_tokens);
    if (max !== undefined) n = Math.min(n, max);
    return Math.max(0, Math.floor(n));
  }

  function tokenText(i: number): string {
    return WORDS[(i * 7 + opts.seed) % WORDS.length]!;
  }

  function stream(
    body: Json,
    chat: boolean,
    arrived: number,
    fault: FaultKind | undefined,
  ): Response {
    hold();
    const faultAt = options.faults?.afterTokens ?? 2;
    let faulted = false;
    const n = outputLength(body);
    const prompt = promptTokens(body);
    const reported = Math.round(n * opts.usageScale);
    const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
    const id = `${chat ? "chatcmpl" : "cmpl"}-sim${++idCounter}`;
    const created = Math.floor(Date.now() / 1000);
    const head = chat
      ? `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${
        JSON.stringify(opts.model)
      },"choices":[`
      : `{"id":"${id}","object":"text_completion","created":${created},"model":${
        JSON.stringify(opts.model)
      },"choices":[`;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let closed = false;
    let admitted = false;

    const send = (payload: string) => {
      const sent = performance.timeOrigin + performance.now();
      controller.enqueue(encoder.encode(`data: ${payload},"sim_sent_ms":${sent}}\n\n`));
    };
    const close = (done: boolean) => {
      if (done) controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
      closed = true;
      openStreams.delete(controller);
      release(false);
    };
    let resume: (from: number) => void = () => {};
    /** Injects a mid-stream fault; true when this step must not go on. */
    const inject = (from: number): boolean => {
      if (!fault || faulted) return false;
      if (fault === "empty_choices") {
        send(`${head}]`);
        return false;
      }
      if (from < Math.min(faultAt, Math.max(0, n - 1))) return false;
      faulted = true;
      switch (fault) {
        case "reset":
          closed = true;
          openStreams.delete(controller);
          // A plain string: Deno logs a body stream's error value, and a string has no stack.
          controller.error("servebench sim: injected fault: connection reset mid-stream");
          release(true);
          return true;
        case "error_event":
          send(
            `{"error":{"message":"simulated engine failure","type":"InternalServerError","param":null,"code":500}`,
          );
          close(true);
          return true;
        case "bad_json":
          controller.enqueue(encoder.encode(`data: ${head}{"index":0,"delta":{"content":"x"\n\n`));
          return false;
        case "stall_stream":
          stalled.add(controller);
          return true;
        case "huge_event":
          send(
            `${head}{"index":0,"delta":{"content":${
              JSON.stringify("x".repeat(1 << 20))
            }},"logprobs":null,"finish_reason":null}]`,
          );
          return false;
        case "split_utf8": {
          const bytes = encoder.encode(
            `data: ${head}{"index":0,"delta":{"content":" caf\u00e9 \u20ac"},"logprobs":null,"finish_reason":null}]}\n\n`,
          );
          const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte "€"
          controller.enqueue(bytes.subarray(0, cut));
          // The rest goes in a later write; the stream goes on after it.
          scheduler.at(performance.now() + 2, () => {
            if (closed) return;
            controller.enqueue(bytes.subarray(cut));
            resume(from);
          });
          return true;
        }
        default:
          return false;
      }
    };
    const finish = () => {
      if (closed) return;
      if (fault === "no_done") {
        close(false);
        return;
      }
      if (includeUsage) {
        send(
          `${head}],"usage":{"prompt_tokens":${prompt},"total_tokens":${
            prompt + reported
          },"completion_tokens":${reported}}`,
        );
      }
      close(true);
    };
    const emit = (from: number) => {
      if (closed) return;
      const to = Math.min(n, from + opts.tokensPerChunk);
      let text = "";
      for (let i = from; i < to; i++) text += tokenText(i);
      const last = to >= n;
      const finishReason = last ? (n === (body.max_tokens ?? -1) ? `"length"` : `"stop"`) : "null";
      const reasoning = from < opts.reasoningTokens;
      if (chat) {
        const delta = reasoning
          ? `{"reasoning_content":${JSON.stringify(text)}}`
          : `{"content":${JSON.stringify(text)}}`;
        send(
          `${head}{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finishReason}}]`,
        );
      } else {
        send(
          `${head}{"index":0,"text":${
            JSON.stringify(text)
          },"logprobs":null,"finish_reason":${finishReason},"stop_reason":null}]`,
        );
      }
      return to;
    };

    const begin = (admittedAt: number) => {
      admitted = true;
      if (closed) return;
      const first = admittedAt +
        Math.max(0, opts.ttftMs + prompt * opts.prefillMsPerToken + jitter());
      if (n === 0) {
        scheduler.at(first, finish);
        return;
      }
      let due = first;
      const step = (from: number) => {
        if (closed) return;
        if (from === 0 && chat) {
          send(
            `${head}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]`,
          );
        }
        if (inject(from)) return;
        const next = emit(from)!;
        if (next >= n) {
          finish();
          return;
        }
        const gap = Math.max(0, opts.itlMs * (next - from) + jitter());
        due += gap;
        // A little late (timer granularity) is caught up so the mean gap stays exact;
        // more than a whole gap late (a stalled event loop) continues at the normal
        // pace from now instead of bursting the missed tokens out at once.
        const now = performance.now();
        if (due < now) due = now + gap;
        scheduler.at(due, () => step(next));
      };
      resume = step;
      scheduler.at(first, () => step(0));
    };

    const readable = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        openStreams.add(c);
        admit(arrived, begin);
      },
      cancel() {
        if (closed) return;
        closed = true;
        openStreams.delete(controller);
        stalled.delete(controller);
        if (admitted) release(true);
        else stats.held--, stats.cancelled++;
      },
    });
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    });
  }

  function whole(body: Json, chat: boolean, arrived: number): Promise<Response> {
    hold();
    const n = outputLength(body);
    const prompt = promptTokens(body);
    const reported = Math.round(n * opts.usageScale);
    return new Promise((resolve) => {
      admit(arrived, (start) => {
        const total = Math.max(0, opts.ttftMs + prompt * opts.prefillMsPerToken + jitter()) +
          Math.max(0, n - 1) * opts.itlMs;
        scheduler.at(start + total, () => {
          let text = "";
          for (let i = 0; i < n; i++) text += tokenText(i);
          const usage = {
            prompt_tokens: prompt,
            total_tokens: prompt + reported,
            completion_tokens: reported,
          };
          const finishReason = n === body.max_tokens ? "length" : "stop";
          const created = Math.floor(Date.now() / 1000);
          const json = chat
            ? {
              id: `chatcmpl-sim${++idCounter}`,
              object: "chat.completion",
              created,
              model: opts.model,
              choices: [{
                index: 0,
                message: { role: "assistant", content: text },
                logprobs: null,
                finish_reason: finishReason,
              }],
              usage,
            }
            : {
              id: `cmpl-sim${++idCounter}`,
              object: "text_completion",
              created,
              model: opts.model,
              choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
              usage,
            };
          release(false);
          resolve(
            new Response(JSON.stringify(json), {
              headers: { "content-type": "application/json" },
            }),
          );
        });
      });
    });
  }

  const faultRandom = new Random(options.faults?.seed ?? 0);
  const faultRates = Object.entries(options.faults?.rates ?? {}) as Array<[FaultKind, number]>;
  let requestNumber = 0;
  const stalled = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const stalledHeaders = new Set<() => void>();

  function pickFault(n: number): FaultKind | undefined {
    const scripted = options.faults?.script?.[n];
    if (scripted) return scripted;
    if (!faultRates.length) return undefined;
    let u = faultRandom.next();
    for (const [kind, p] of faultRates) {
      if (u < p) return kind;
      u -= p;
    }
    return undefined;
  }

  /** The response of a fault that happens before any stream, if it is one. */
  async function earlyFault(fault: FaultKind): Promise<Response | undefined> {
    const retryAfter = String(options.faults?.retryAfterS ?? 1);
    const statuses: Partial<Record<FaultKind, [number, string, string]>> = {
      http_400: [400, "BadRequestError", "simulated bad request"],
      http_401: [401, "AuthenticationError", "simulated: invalid API key"],
      http_404: [404, "NotFoundError", "simulated: no such route"],
      http_429: [429, "RateLimitError", "simulated: too many requests"],
      http_500: [500, "InternalServerError", "simulated internal error"],
      http_503: [503, "ServiceUnavailableError", "simulated: overloaded"],
    };
    const status = statuses[fault];
    if (status) {
      const r = errorResponse(status[0], options.faults?.message ?? status[2], status[1]);
      if (fault === "http_429" || fault === "http_503") r.headers.set("retry-after", retryAfter);
      return r;
    }
    if (fault === "html_error") {
      return new Response(
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
        {
          status: 502,
          headers: { "content-type": "text/html" },
        },
      );
    }
    if (fault === "stall_headers") {
      await new Promise<void>((resolve) => stalledHeaders.add(resolve));
      return errorResponse(503, "simulator shut down", "ServiceUnavailableError");
    }
    return undefined;
  }

  async function handle(req: Request): Promise<Response> {
    const arrived = performance.now();
    const url = new URL(req.url);
    const path = url.pathname;
    if (req.method === "GET") {
      if (path === "/v1/models") {
        return Response.json({
          object: "list",
          data: [{
            id: opts.model,
            object: "model",
            created: Math.floor(Date.now() / 1000),
            owned_by: "servebench-sim",
            root: opts.model,
            parent: null,
          }],
        });
      }
      if (path === "/health") return new Response(null, { status: 200 });
      if (path === "/sim/stats") return Response.json(stats);
    }
    const chat = path === "/v1/chat/completions";
    if (req.method !== "POST" || (!chat && path !== "/v1/completions")) {
      return errorResponse(404, `Not Found: ${req.method} ${path}`, "NotFoundError");
    }
    let body: Json;
    try {
      const parsed = await req.json();
      if (typeof parsed !== "object" || parsed === null) throw new Error("not an object");
      body = parsed as Json;
    } catch {
      return errorResponse(400, "Request body is not a JSON object", "BadRequestError");
    }
    if (body.model !== undefined && body.model !== opts.model) {
      return errorResponse(
        404,
        `The model \`${String(body.model)}\` does not exist.`,
        "NotFoundError",
      );
    }
    if (chat && !Array.isArray(body.messages)) {
      return errorResponse(400, "Field required: messages", "BadRequestError");
    }
    if (!chat && body.prompt === undefined) {
      return errorResponse(400, "Field required: prompt", "BadRequestError");
    }
    stats.requests++;
    const fault = pickFault(requestNumber++);
    if (fault) {
      const early = await earlyFault(fault);
      if (early) return early;
    }
    return body.stream === true
      ? stream(body, chat, arrived, fault)
      : await whole(body, chat, arrived);
  }

  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: options.hostname ?? "127.0.0.1",
        port: options.port ?? 0,
        onListen: () => {},
        ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
      }, handle);
      const addr = server.addr;
      const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
      resolve({
        url: `${options.tls ? "https" : "http"}://${host}:${addr.port}`,
        port: addr.port,
        options: opts,
        stats: () => ({ ...stats }),
        resetStats() {
          stats.requests = stats.completed = stats.cancelled = 0;
          stats.peakHeld = stats.held;
          stats.peakActive = stats.active;
        },
        async shutdown() {
          scheduler.clear();
          for (const resolve of stalledHeaders) resolve();
          stalledHeaders.clear();
          for (const c of stalled) {
            try {
              c.close();
            } catch {
              // already closed by its reader
            }
          }
          stalled.clear();
          for (const c of openStreams) {
            try {
              c.close();
            } catch {
              // already closed by its reader
            }
          }
          openStreams.clear();
          await server.shutdown();
        },
      });
    } catch (error) {
      reject(error);
    }
  });
}
