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

export type { ApiAdapter } from "./adapter.ts";

const ADAPTERS = {
  "openai-chat": openaiChat,
  "openai-completions": openaiCompletions,
  "ollama-chat": ollamaChat,
  "ollama-generate": ollamaGenerate,
  "anthropic-messages": anthropicMessages,
  "openai-responses": openaiResponses,
  "openai-embeddings": openaiEmbeddings,
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
