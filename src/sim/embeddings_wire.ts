/**
 * The OpenAI embeddings wire format as vLLM writes it (openai/openai-node
 * src/resources/embeddings.ts for the shape; vLLM's
 * vllm/entrypoints/openai/serving_embedding.py adds `id`, `created` and
 * `usage.completion_tokens: 0`): never streamed; one JSON body
 * `{"id","object":"list","created","model","data":[{"object":"embedding",
 * "index","embedding":[…]}],"usage":{"prompt_tokens","total_tokens",
 * "completion_tokens":0}}`, one embedding per input, answered after TTFT (the
 * prefill) plus the prefill cost per prompt token; errors OpenAI-shaped.
 *
 * @module
 */

import type { SimWire } from "./wire.ts";
import { validateOpenaiBody } from "./openai_wire.ts";

/** The dimension of the simulator's embeddings. */
const DIMENSIONS = 8;

function inputCount(input: unknown): number {
  if (!Array.isArray(input) || input.length === 0) return 1;
  // A flat array of token ids is one input; an array of strings or of id arrays is a batch.
  return typeof input[0] === "number" ? 1 : input.length;
}

/** The embeddings wire for `model`. */
export function embeddingsWire(model: string): SimWire {
  return {
    validate: (body) => validateOpenaiBody(body, { model, field: "input" }),
    streams: () => false,
    outputLength: () => 0,
    stream() {
      throw new Error("embeddings are never streamed");
    },
    streamHeaders: {},
    whole: (body, r) =>
      JSON.stringify({
        id: `embd-sim${r.id}`,
        object: "list",
        created: Math.floor(Date.now() / 1000),
        model,
        data: Array.from({ length: inputCount(body.input) }, (_, index) => ({
          index,
          object: "embedding",
          embedding: Array.from({ length: DIMENSIONS }, (_, d) => ((index + d) % 7) / 7),
        })),
        usage: {
          prompt_tokens: r.promptTokens,
          total_tokens: r.promptTokens,
          completion_tokens: 0,
        },
      }),
  };
}
