/**
 * Ollama's native chat API (`POST /api/chat`; ollama/ollama api/types.go
 * `ChatRequest` / `ChatResponse`, server/routes.go `ChatHandler`): chat
 * messages in, NDJSON chunks with `message.content` (and `message.thinking`,
 * read as reasoning) out, ended by the chunk with `"done": true`.
 *
 * @module
 */

import type { ApiAdapter } from "./adapter.ts";
import { OLLAMA_COMMON, ollamaBody, ollamaEvents, readOllama } from "./_ollama.ts";
import { specMessages } from "./_openai.ts";

/** Ollama's native chat API. */
export const ollamaChat: ApiAdapter = {
  ...OLLAMA_COMMON,
  help: "Ollama chat (/api/chat), chat messages, NDJSON",
  path: "/api/chat",
  input: "messages",
  buildBody(spec, options) {
    const body = { model: options.model, messages: specMessages(spec) };
    return ollamaBody(body, options, spec.maxTokens ?? options.maxTokens);
  },
  readEvent: ollamaEvents(true),
  readResponse: (body, sink) => readOllama(body, sink, true),
};
