/**
 * Hugging Face TGI's native whole-response API (`POST /generate`): the same
 * body as `/generate_stream`, one JSON answer `{"generated_text","details"}`
 * (`details.generated_tokens`, `finish_reason`). The server's own timings and
 * counts come as headers: `x-compute-time` (s), `x-total-time`,
 * `x-validation-time`, `x-queue-time`, `x-inference-time`,
 * `x-time-per-token` (ms), `x-prompt-tokens`, `x-generated-tokens`.
 *
 * Followed: huggingface/text-generation-inference router/src/server.rs
 * (`generate_internal`, the headers it sets) and router/src/lib.rs
 * (`GenerateResponse`, `Details`, `ErrorResponse`).
 *
 * @module
 */

import { type ApiAdapter, endOfStreamRule } from "./adapter.ts";
import { isObj } from "./_openai.ts";
import { sseFraming } from "./sse.ts";
import { readTgiDetails, readTgiError, tgiBody, tgiModels } from "./tgi_generate_stream.ts";

/** TGI's timing headers: header name, timing name, factor to ms. */
const TIMING_HEADERS: ReadonlyArray<readonly [string, string, number]> = [
  ["x-compute-time", "compute_ms", 1000],
  ["x-total-time", "total_ms", 1],
  ["x-validation-time", "validation_ms", 1],
  ["x-queue-time", "queue_ms", 1],
  ["x-inference-time", "inference_ms", 1],
  ["x-time-per-token", "time_per_token_ms", 1],
];

/** TGI's native whole-response API. */
export const tgiGenerate: ApiAdapter = {
  help: "TGI native whole response (/generate), one prompt; server timings from x-* headers",
  path: "/generate",
  input: "prompt",
  auth: "bearer",
  models: tgiModels,
  // Never streams: a body is read whole.
  framing: { accepts: () => false, decoder: sseFraming.decoder },
  buildBody: tgiBody,
  readEvent() {},
  readResponse(body, sink) {
    if (!isObj(body)) return;
    if (readTgiError(body, sink)) return;
    if (typeof body.generated_text === "string" && body.generated_text !== "") {
      sink.content(body.generated_text);
    }
    readTgiDetails(body.details, sink);
  },
  readHeaders(header, sink) {
    let timings: Record<string, number> | undefined;
    for (const [name, key, factor] of TIMING_HEADERS) {
      const v = Number(header(name) ?? NaN);
      if (Number.isFinite(v)) (timings ??= {})[key] = v * factor;
    }
    if (timings) sink.serverTimings(timings);
    const prompt = Number(header("x-prompt-tokens") ?? NaN);
    const generated = Number(header("x-generated-tokens") ?? NaN);
    const usage: { promptTokens?: number; completionTokens?: number } = {};
    if (Number.isInteger(prompt)) usage.promptTokens = prompt;
    if (Number.isInteger(generated)) usage.completionTokens = generated;
    sink.usage(usage);
  },
  endOfStream: endOfStreamRule({ terminal: "a response body", eofAfterFinish: false }),
};
