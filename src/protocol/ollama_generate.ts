/**
 * Ollama's native generate API (`POST /api/generate`; ollama/ollama
 * api/types.go `GenerateRequest` / `GenerateResponse`, server/routes.go
 * `GenerateHandler`): one prompt in, NDJSON chunks with `response` (and
 * `thinking`, read as reasoning) out, ended by the chunk with `"done": true`.
 * Chat messages are flattened into the prompt; token ids are joined as text
 * (the API takes no ids).
 *
 * @module
 */

import type { ApiAdapter } from "./adapter.ts";
import { OLLAMA_COMMON, ollamaBody, ollamaEvents, readOllama } from "./_ollama.ts";
import { specPrompt } from "./_openai.ts";

/** Ollama's native generate API. */
export const ollamaGenerate: ApiAdapter = {
  ...OLLAMA_COMMON,
  help: "Ollama generate (/api/generate), one prompt, NDJSON",
  path: "/api/generate",
  input: "prompt",
  buildBody(spec, options) {
    const prompt = specPrompt(spec);
    const body = {
      model: options.model,
      prompt: typeof prompt === "string" ? prompt : prompt.join(" "),
    };
    return ollamaBody(body, options, spec.maxTokens ?? options.maxTokens);
  },
  readEvent: ollamaEvents(false),
  readResponse: (body, sink) => readOllama(body, sink, false),
};
