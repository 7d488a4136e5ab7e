/**
 * The request and usage types every adapter shares: what a dataset asks to
 * send ({@link RequestSpec}, chat messages or a prompt) and the token counts a
 * server reports. The adapters themselves are one module each, registered in
 * mod.ts.
 *
 * @module
 */

/** A chat message as the OpenAI chat API takes it (content may hold image parts). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ReadonlyArray<Record<string, unknown>>;
}

/** What to send, as a dataset source produced it. */
export interface RequestSpec {
  /** Chat messages (chat API); a prompt is wrapped as one user message if only it is given. */
  readonly messages?: readonly ChatMessage[];
  /** Text or token ids (completions API); chat messages are flattened if only they are given. */
  readonly prompt?: string | readonly number[];
  /** `max_tokens` for this request; absent → the model config's default. */
  readonly maxTokens?: number;
  /** Input length the source intended, in tokens, when known. */
  readonly expectedInputTokens?: number;
  /** Output length the source intended, in tokens, when known. */
  readonly expectedOutputTokens?: number;
}

/** Token counts reported by the server. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}
