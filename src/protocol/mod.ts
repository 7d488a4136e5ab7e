/**
 * The API adapters, registered by key: the keys are `--api`'s choices and
 * the `api:` values of a model config. Adding an API is one module holding
 * its {@link ApiAdapter} and one line here.
 *
 * @module
 */

import type { ApiAdapter } from "./adapter.ts";
import { openaiChat } from "./openai_chat.ts";
import { openaiCompletions } from "./openai_completions.ts";
import { ollamaChat } from "./ollama_chat.ts";
import { ollamaGenerate } from "./ollama_generate.ts";
import { anthropicMessages } from "./anthropic_messages.ts";
import { openaiResponses } from "./openai_responses.ts";
import { openaiEmbeddings } from "./openai_embeddings.ts";
import { tgiGenerateStream } from "./tgi_generate_stream.ts";
import { tgiGenerate } from "./tgi_generate.ts";
import { llamacppCompletion } from "./llamacpp_completion.ts";
import { sglangGenerate } from "./sglang_generate.ts";

export type { ApiAdapter } from "./adapter.ts";

const ADAPTERS = {
  "openai-chat": openaiChat,
  "openai-completions": openaiCompletions,
  "ollama-chat": ollamaChat,
  "ollama-generate": ollamaGenerate,
  "anthropic-messages": anthropicMessages,
  "openai-responses": openaiResponses,
  "openai-embeddings": openaiEmbeddings,
  "tgi-generate-stream": tgiGenerateStream,
  "tgi-generate": tgiGenerate,
  "llamacpp-completion": llamacppCompletion,
  "sglang-generate": sglangGenerate,
} as const satisfies Record<string, ApiAdapter>;

/** A registered API's key. */
export type ApiKind = keyof typeof ADAPTERS;

/** Every registered API's key, in registration order (for `--api` choices and config schemas). */
export const API_KINDS = Object.keys(ADAPTERS) as [ApiKind, ...ApiKind[]];

/** The adapter registered under `api`. */
export function adapterFor(api: ApiKind): ApiAdapter {
  return ADAPTERS[api];
}

/** One help line per API: `openai-chat  OpenAI chat completions …`. */
export function apiHelp(): string[] {
  const width = Math.max(...API_KINDS.map((k) => k.length));
  return API_KINDS.map((k) => `${k.padEnd(width)}  ${ADAPTERS[k].help}`);
}

/** True when `name` is a registered API's key. */
export function isApiKind(name: string): name is ApiKind {
  return Object.hasOwn(ADAPTERS, name);
}

/**
 * The APIs whose route a URL's path ends with (`http://h:p/generate_stream` →
 * `tgi-generate-stream`), from each adapter's `path`: none when the URL names
 * no known route, several when the route is shared (`/generate`: TGI and
 * SGLang), to be settled by probing the server. The longest route wins
 * (`/api/generate` is Ollama's, not `/generate`).
 */
export function apisForUrl(url: string): ApiKind[] {
  let path: string;
  try {
    path = new URL(url).pathname.replace(/\/+$/, "");
  } catch {
    return [];
  }
  const matches = API_KINDS.filter((k) =>
    path === ADAPTERS[k].path || path.endsWith(ADAPTERS[k].path)
  );
  const longest = Math.max(0, ...matches.map((k) => ADAPTERS[k].path.length));
  return matches.filter((k) => ADAPTERS[k].path.length === longest);
}
