/**
 * What a dataset source produces: one request to send, as the source saw it.
 * Types live with the stage that produces them; protocol adapters turn a spec
 * into a body, and the load side may read its arrival offset (trace replay)
 * and its session identity (multi-turn conversations).
 *
 * @module
 */

/** A chat message as the OpenAI chat API takes it (content may hold image parts). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ReadonlyArray<Record<string, unknown>>;
}

/** Which conversation a spec belongs to, and its place in it. */
export interface SpecSession {
  /** Conversation id, unique within the dataset. */
  readonly id: string;
  /** Turn number in the conversation, from 0. */
  readonly turn: number;
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
  /**
   * When this request arrived in the source (a timestamped trace), in ms after
   * the source's first request; absent → the load shape alone says when.
   */
  readonly arrivalOffsetMs?: number;
  /** The conversation and turn this request belongs to, when the source has sessions. */
  readonly session?: SpecSession;
  /**
   * A priming request (a prefix-cache scenario's shared prefix): sent and
   * completed before the load starts, recorded as warm-up, out of the metrics.
   */
  readonly priming?: boolean;
}
