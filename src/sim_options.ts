/**
 * The simulator's settings as plain types: what a model config's `sim:` block
 * resolves to and `startSimulator` takes. A leaf, so config/ need not import
 * sim/ (docs/architecture.md, "Module rules").
 *
 * @module
 */

import type { FaultKind } from "./fault_kinds.ts";

/** The servers the simulator can play: each adds its native routes and discovery page. */
export const SIM_SERVERS = ["vllm", "tgi", "llamacpp", "sglang", "ollama"] as const;
/** One of {@link SIM_SERVERS}. */
export type SimServerKind = typeof SIM_SERVERS[number];

/**
 * Which requests get which fault. Requests are numbered from 0 in arrival
 * order (completions requests only). A script entry wins over the rates; with
 * rates, each request draws at most one fault (seeded).
 *
 * - `reset`: the connection is dropped after `afterTokens` tokens;
 * - `http_…`: that status with the route protocol's own error body (OpenAI's on the OpenAI
 *   routes, TGI's `{"error","error_type"}`, Anthropic's, …; 429 and 503 with `Retry-After`);
 * - `html_error`: a proxy's 502 HTML page;
 * - `error_event`: an `{"error": …}` event after `afterTokens` tokens, then `[DONE]`;
 * - `no_done`: the stream ends at EOF right after the finish event, with no usage event and no
 *   `[DONE]` (TGI ≤ 2.1's and old llama.cpp's OpenAI routes): a success for the OpenAI adapters;
 * - `bad_json`: an event that is not valid JSON after `afterTokens` tokens;
 * - `stall_headers`: no response at all; `stall_stream`: silence after `afterTokens` tokens;
 * - `huge_event`: one 1 MiB content event; `empty_choices`: a `choices: []` event before each token;
 * - `split_utf8`: a token whose multi-byte character is split across two network writes.
 * - `json_body`: a streaming request answered with the whole JSON body (a buffering proxy);
 * - `cut_stream`: the stream ends at EOF after `afterTokens` tokens, before any finish reason;
 * - `error_line`: after `afterTokens` tokens, the error as an `error: {…}` SSE field line (old
 *   llama.cpp), then the wire's end (`data: [DONE]` on the OpenAI routes); a wire without such a
 *   line writes its error event instead;
 * - `empty_stream`: the opening event (chat's role event), then the end marker: no output.
 * `huge_event`, `empty_choices` and `split_utf8` are not failures: a correct client handles them.
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
  /**
   * Slow discovery: every `GET` of a discovery page (`/v1/models`, `/api/tags`, the
   * server's own `/info`, `/props`, …) is answered only after this many ms (or at shutdown).
   */
  discoveryDelayMs?: number;
}

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
  /**
   * KV-cache size in tokens: `/metrics` reports the prompt and generated
   * tokens of the decoding requests over it as `vllm:kv_cache_usage_perc`;
   * default 65,536.
   */
  kvCacheTokens?: number;
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
  /**
   * Prefix cache capacity in blocks of {@link prefixBlockTokens} tokens
   * (vLLM's automatic prefix caching, LRU eviction); cached prompt tokens
   * skip their prefill cost and are reported as
   * `usage.prompt_tokens_details.cached_tokens`. Default 0: no cache.
   */
  prefixCacheBlocks?: number;
  /** Tokens per prefix-cache block; default 16 (vLLM's `--block-size`). */
  prefixBlockTokens?: number;
  /** Faults to inject (per-request probabilities or a fixed script). */
  faults?: FaultPlan;
  /**
   * The server to play: `tgi`, `llamacpp` or `sglang` add that server's
   * native routes and discovery page (`/generate_stream` + `/generate` +
   * `GET /info`; `/completion` + `GET /props`; `/generate` +
   * `GET /get_model_info`) beside the OpenAI ones; `ollama` its `GET
   * /api/version` and `/api/tags` (its chat and generate routes, like
   * Anthropic's, Responses and embeddings, every simulator serves); default
   * `vllm`.
   */
  server?: SimServerKind;
  /**
   * Keep each streamed response's send times (`SimServer.sendTimes()`), for
   * tests that bound the client against what the simulator really did. Grows
   * by one small record per request: not for long runs.
   */
  keepSendTimes?: boolean;
  /** Serve HTTPS with this certificate chain and key (PEM text). */
  tls?: { cert: string; key: string };
}
