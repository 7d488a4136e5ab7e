/**
 * The OpenAI embeddings API (`POST /v1/embeddings`; openai/openai-node
 * src/resources/embeddings.ts): never streamed; one JSON answer
 * `{"object":"list","data":[{"object":"embedding","index","embedding"}],
 * "model","usage":{"prompt_tokens","total_tokens"}}`.
 *
 * A spec becomes one request holding a batch of inputs: each chat message's
 * text is one input (a multi-turn conversation embeds each turn), a prompt is
 * one input (text, or its token ids). `--extra-args '{"input": …}'` replaces
 * the batch. Its metrics are latency and input tokens per second: no stream
 * events, so TTFT, ITL and TPOT are absent; output tokens are 0.
 *
 * @module
 */

import type { ApiAdapter } from "./adapter.ts";
import { isObj, OPENAI_COMMON, readError } from "./_openai.ts";
import { sseFraming } from "./sse.ts";

/** The OpenAI embeddings API. */
export const openaiEmbeddings: ApiAdapter = {
  ...OPENAI_COMMON,
  help: "OpenAI embeddings (/v1/embeddings), a batch of inputs per request, not streamed",
  path: "/v1/embeddings",
  input: "prompt",
  streaming: false,
  // No body is an event stream: every answer is read whole.
  framing: { ...sseFraming, accepts: () => false },
  buildBody(spec, options) {
    const input = spec.messages
      ? spec.messages.map((m) => typeof m.content === "string" ? m.content : "")
      : [spec.prompt ?? ""];
    return Object.assign({ model: options.model, input }, options.extraBody);
  },
  readEvent(_data, _name, sink) {
    sink.bad("embeddings are not streamed");
  },
  readResponse(body, sink) {
    if (!isObj(body)) return;
    if (readError(body, sink)) return;
    if (!Array.isArray(body.data) || body.data.length === 0) {
      sink.bad("no embeddings in the response");
      return;
    }
    const usage = body.usage;
    if (isObj(usage) && typeof usage.prompt_tokens === "number") {
      // Embeddings generate nothing: 0 output tokens, as vLLM reports `completion_tokens`.
      sink.usage({ promptTokens: usage.prompt_tokens, completionTokens: 0 });
    }
    sink.finish("embedded");
  },
};
