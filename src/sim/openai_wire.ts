/**
 * The OpenAI wire format as vLLM writes it (vllm/entrypoints/openai/serving_chat.py
 * and serving_completion.py): SSE `data:` events of `chat.completion.chunk` /
 * `text_completion` objects, a role event first in chat, a usage chunk with
 * empty `choices` when `stream_options.include_usage` is set, `data: [DONE]`
 * last, and OpenAI-shaped error bodies. Every event carries the simulator's
 * send stamp in an extra `sim_sent_ms` field.
 *
 * @module
 */

import type { ChatMessage } from "../protocol/openai.ts";
import type { TextTokenizer } from "../tokenizer/tokenizer.ts";
import type { Json, SimWire, WireResponse, WireStream } from "./wire.ts";

const encoder = new TextEncoder();
const DONE = encoder.encode("data: [DONE]\n\n");

/** The error object old llama.cpp wrote in its `error:` field line (format_error_response). */
export const LLAMACPP_ERROR =
  `{"code":500,"message":"simulated engine failure","type":"server_error"}`;

/** An OpenAI-shaped error response: `{"error": {message, type, param, code}}`. */
export function errorResponse(
  status: number,
  message: string,
  options: { readonly type: string },
): Response {
  const type = options.type;
  const body = JSON.stringify({ error: { message, type, param: null, code: status } });
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

// The error `type` vLLM writes for each status (the `err_type` its handlers pass to
// `create_error_response`, vllm/entrypoints/openai/serving_engine.py).
const OPENAI_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "BadRequestError",
  401: "AuthenticationError",
  404: "NotFoundError",
  429: "RateLimitError",
  500: "InternalServerError",
  503: "ServiceUnavailableError",
};

/** An OpenAI-shaped error with `status`, its `type` named as vLLM names it. */
export function openaiHttpError(status: number, message: string): Response {
  return errorResponse(status, message, {
    type: OPENAI_ERROR_TYPES[status] ?? "InternalServerError",
  });
}

/** The `GET /v1/models` answer listing the one served model. */
export function modelsResponse(model: string): Response {
  return Response.json({
    object: "list",
    data: [{
      id: model,
      object: "model",
      created: Math.floor(Date.now() / 1000),
      owned_by: "servebench-sim",
      root: model,
      parent: null,
    }],
  });
}

/**
 * The prompt of any API's body in the chat / completions shape: Anthropic's
 * top-level `system` joins the messages; the Responses API's `input` is a
 * prompt (text) or messages; an embeddings `input` batch is a list of prompts.
 */
function promptsOf(body: Json): Json[] {
  const input = body.input;
  let messages = Array.isArray(body.messages) ? body.messages as Json[] : undefined;
  if (
    !messages && Array.isArray(input) && typeof input[0] === "object" && !Array.isArray(input[0])
  ) {
    messages = input as Json[];
  }
  if (messages) {
    const system = typeof body.system === "string"
      ? [{ role: "system", content: body.system }]
      : [];
    return [{ messages: [...system, ...messages] }];
  }
  if (body.prompt !== undefined) return [body];
  if (Array.isArray(input) && input.length > 0 && typeof input[0] !== "number") {
    return input.map((prompt) => ({ prompt }));
  }
  return input === undefined ? [body] : [{ prompt: input }];
}

/** Counts prompt tokens the way the simulator does: one per whitespace-separated word, or per id. */
export function simPromptTokens(body: Json): number {
  return promptsOf(body).reduce((n, b) => n + countPrompt(b), 0);
}

function countPrompt(body: Json): number {
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

/**
 * Counts a body's prompt tokens: with a tokenizer as a real server does (chat
 * messages through its chat template), else by {@link simPromptTokens}.
 */
export function promptCounter(tokenizer: TextTokenizer | undefined): (body: Json) => number {
  if (!tokenizer) return simPromptTokens;
  const count = (body: Json) => {
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
  return (body) => promptsOf(body).reduce((n, b) => n + count(b), 0);
}

/** A word's id when the simulator counts by words: a 31-bit hash of its text. */
function wordId(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  return h >>> 1;
}

/**
 * A body's prompt tokens as ids, for the prefix cache: with a tokenizer as a
 * real server has them (chat messages through its chat template), else one id
 * per whitespace-separated word (so its length is {@link simPromptTokens}).
 */
export function promptIdReader(tokenizer: TextTokenizer | undefined): (body: Json) => number[] {
  const words = (s: string, out: number[]) => {
    for (const w of s.split(/\s+/)) if (w) out.push(wordId(w));
  };
  const ids = (body: Json): number[] => {
    if (Array.isArray(body.prompt)) return body.prompt as number[];
    if (Array.isArray(body.messages)) {
      const messages = body.messages as ChatMessage[];
      const templated = tokenizer?.chatPrompt(messages);
      if (templated !== undefined) return tokenizer!.encode(templated);
      const out: number[] = [];
      for (const m of body.messages as Json[]) {
        const c = m?.content;
        const texts = typeof c === "string"
          ? [c]
          : Array.isArray(c)
          ? (c as Json[]).flatMap((p) => typeof p?.text === "string" ? [p.text] : [])
          : [];
        for (const t of texts) {
          if (tokenizer) out.push(...tokenizer.encode(t));
          else words(t, out);
        }
      }
      return out;
    }
    const text = typeof body.prompt === "string" ? body.prompt : "";
    if (tokenizer) return tokenizer.encode(text);
    const out: number[] = [];
    words(text, out);
    return out;
  };
  return (body) => promptsOf(body).flatMap(ids);
}

/** `max_tokens` (or `max_completion_tokens`), `ignore_eos` and `min_tokens` as vLLM applies them. */
function outputLength(body: Json, defaultTokens: number): number {
  const max = typeof body.max_tokens === "number"
    ? body.max_tokens
    : typeof body.max_completion_tokens === "number"
    ? body.max_completion_tokens
    : undefined;
  let n = defaultTokens;
  if (max !== undefined) n = body.ignore_eos === true ? max : Math.min(n, max);
  if (typeof body.min_tokens === "number") n = Math.max(n, body.min_tokens);
  if (max !== undefined) n = Math.min(n, max);
  return Math.max(0, Math.floor(n));
}

/**
 * The usage's `prompt_tokens_details` when the prefix cache is on, as vLLM
 * writes it with `--enable-prompt-tokens-details`
 * (vllm/entrypoints/openai/protocol.py `UsageInfo.prompt_tokens_details`, a
 * `PromptTokenUsageInfo` with `cached_tokens`).
 */
function cachedDetails(r: WireResponse): string {
  return r.cachedTokens !== undefined
    ? `,"prompt_tokens_details":{"cached_tokens":${r.cachedTokens}}`
    : "";
}

function openaiStream(chat: boolean, model: string, body: Json, r: WireResponse): WireStream {
  const id = `${chat ? "chatcmpl" : "cmpl"}-sim${r.id}`;
  const created = Math.floor(Date.now() / 1000);
  const head = `{"id":"${id}","object":"${
    chat ? "chat.completion.chunk" : "text_completion"
  }","created":${created},"model":${JSON.stringify(model)},"choices":[`;
  const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
  const finishOf = (last: boolean) =>
    last ? (r.tokens === (body.max_tokens ?? -1) ? `"length"` : `"stop"`) : "null";
  return {
    frame: (payload, sentMs) => encoder.encode(`data: ${payload},"sim_sent_ms":${sentMs}}\n\n`),
    opening: () =>
      chat
        ? `${head}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]`
        : undefined,
    token(text, reasoning, last) {
      if (chat) {
        const delta = reasoning
          ? `{"reasoning_content":${JSON.stringify(text)}}`
          : `{"content":${JSON.stringify(text)}}`;
        return `${head}{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${
          finishOf(last)
        }}]`;
      }
      return `${head}{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":${
        finishOf(last)
      },"stop_reason":null}]`;
    },
    usage: () =>
      includeUsage
        ? `${head}],"usage":{"prompt_tokens":${r.promptTokens},"total_tokens":${
          r.promptTokens + r.reportedTokens
        },"completion_tokens":${r.reportedTokens}${cachedDetails(r)}}`
        : undefined,
    end: () => DONE,
    errorEvent: () =>
      `{"error":{"message":"simulated engine failure","type":"InternalServerError","param":null,"code":500}`,
    // Old llama.cpp on its OpenAI routes: the error as an `error:` field line, then `[DONE]`
    // (ggml-org/llama.cpp tools/server/utils.hpp `server_sent_event(sink, "error", …)`, before
    // PR ggml-org/llama.cpp#16109).
    errorLine: () => encoder.encode(`error: ${LLAMACPP_ERROR}\n\n`),
    emptyEvent: () => `${head}]`,
    hugeEvent: () =>
      `${head}{"index":0,"delta":{"content":${
        JSON.stringify("x".repeat(1 << 20))
      }},"logprobs":null,"finish_reason":null}]`,
    badEvent: () => encoder.encode(`data: ${head}{"index":0,"delta":{"content":"x"\n\n`),
    utf8Event: () =>
      encoder.encode(
        `data: ${head}{"index":0,"delta":{"content":" caf\u00e9 \u20ac"},"logprobs":null,"finish_reason":null}]}\n\n`,
      ),
  };
}

function openaiWhole(
  chat: boolean,
  model: string,
  body: Json,
  r: WireResponse & { readonly text: string },
): string {
  const usage = {
    prompt_tokens: r.promptTokens,
    total_tokens: r.promptTokens + r.reportedTokens,
    completion_tokens: r.reportedTokens,
    ...(r.cachedTokens !== undefined
      ? { prompt_tokens_details: { cached_tokens: r.cachedTokens } }
      : {}),
  };
  const finishReason = r.tokens === body.max_tokens ? "length" : "stop";
  const created = Math.floor(Date.now() / 1000);
  const json = chat
    ? {
      id: `chatcmpl-sim${r.id}`,
      object: "chat.completion",
      created,
      model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: r.text },
        logprobs: null,
        finish_reason: finishReason,
      }],
      usage,
    }
    : {
      id: `cmpl-sim${r.id}`,
      object: "text_completion",
      created,
      model,
      choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: finishReason }],
      usage,
    };
  return JSON.stringify(json);
}

/**
 * vLLM's answer to an OpenAI-shaped body that names another model (404) or
 * lacks its input `field` (400; `messages` must be a list); undefined when the
 * body is acceptable. Shared by the chat, completions, Responses and
 * embeddings wires.
 */
export function validateOpenaiBody(
  body: Json,
  expected: { model: string; field: "messages" | "prompt" | "input" },
): Response | undefined {
  if (body.model !== undefined && body.model !== expected.model) {
    return errorResponse(404, `The model \`${String(body.model)}\` does not exist.`, {
      type: "NotFoundError",
    });
  }
  const value = body[expected.field];
  if (expected.field === "messages" ? !Array.isArray(value) : value === undefined) {
    return errorResponse(400, `Field required: ${expected.field}`, { type: "BadRequestError" });
  }
  return undefined;
}

/** The OpenAI wire for `model`: chat completions (`chat`) or completions. */
export function openaiWire(chat: boolean, model: string): SimWire {
  return {
    validate: (body) => validateOpenaiBody(body, { model, field: chat ? "messages" : "prompt" }),
    outputLength,
    stream: (body, r) => openaiStream(chat, model, body, r),
    streamHeaders: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    },
    whole: (body, r) => openaiWhole(chat, model, body, r),
  };
}
