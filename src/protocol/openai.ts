/**
 * The request and usage types every adapter shares: what a dataset asks to
 * send (RequestSpec, chat messages or a prompt — defined in dataset/spec.ts,
 * the stage that produces them, and re-exported here) and the token counts a
 * server reports. The adapters themselves are one module each, registered in
 * mod.ts.
 *
 * @module
 */

export type { ChatMessage, RequestSpec } from "../dataset/spec.ts";

/** Token counts reported by the server. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens the server's prefix cache held (`prompt_tokens_details.cached_tokens`), when reported. */
  cachedTokens?: number;
}
