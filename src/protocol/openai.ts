/**
 * Adapters for the OpenAI-compatible APIs: how a request body is built and how
 * a streamed event or a whole response is read. Adapters never touch clocks;
 * the client stamps reads before an adapter sees them.
 *
 * @module
 */

/** APIs servebench can drive. */
export const API_KINDS = ["openai-chat", "openai-completions"] as const;
/** One of {@link API_KINDS}. */
export type ApiKind = typeof API_KINDS[number];

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

/** What one streamed event carried, written into by {@link ProtocolAdapter.readEvent}. */
export interface EventSink {
  /** Output text (content) arrived; empty strings are not reported. */
  content(text: string): void;
  /** Reasoning text arrived (`reasoning_content` / `reasoning`). */
  reasoning(text: string): void;
  /** The server's usage block. */
  usage(usage: Usage): void;
  /** An error object inside the stream. */
  error(message: string, code: number | undefined): void;
  /** A choice finished. */
  finish(reason: string): void;
}

/** Body-building options that come from the model config. */
export interface BodyOptions {
  readonly model: string;
  readonly stream: boolean;
  readonly maxTokens: number;
  /** Merged into the body last (`generation_kwargs`, `--extra-args`). */
  readonly extraBody: Readonly<Record<string, unknown>>;
}

/** Reads one API's wire format. */
export interface ProtocolAdapter {
  readonly api: ApiKind;
  /** Path under the base URL, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Builds the JSON body for a spec. */
  buildBody(spec: RequestSpec, options: BodyOptions): Record<string, unknown>;
  /** Reads one parsed stream event into the sink. */
  readEvent(event: unknown, sink: EventSink): void;
  /** Reads a whole non-streaming response into the sink. */
  readResponse(body: unknown, sink: EventSink): void;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null;
}

function readUsage(value: unknown, sink: EventSink): void {
  if (!isObj(value)) return;
  const p = value.prompt_tokens;
  const c = value.completion_tokens;
  if (typeof p === "number" && typeof c === "number") {
    sink.usage({ promptTokens: p, completionTokens: c });
  }
}

/** Reads `{"error": {...}}` (OpenAI) and `{"object": "error", ...}` (older vLLM). */
function readError(obj: Obj, sink: EventSink): boolean {
  const err = obj.error;
  if (isObj(err)) {
    const code = typeof err.code === "number" ? err.code : undefined;
    sink.error(typeof err.message === "string" ? err.message : JSON.stringify(err), code);
    return true;
  }
  if (typeof err === "string") {
    sink.error(err, undefined);
    return true;
  }
  if (obj.object === "error") {
    const code = typeof obj.code === "number" ? obj.code : undefined;
    sink.error(typeof obj.message === "string" ? obj.message : JSON.stringify(obj), code);
    return true;
  }
  return false;
}

function withBody(base: Obj, options: BodyOptions): Obj {
  if (options.stream) {
    base.stream = true;
    base.stream_options = { include_usage: true };
  }
  return Object.assign(base, options.extraBody);
}

function specMessages(spec: RequestSpec): readonly ChatMessage[] {
  if (spec.messages) return spec.messages;
  const prompt = spec.prompt;
  if (prompt === undefined) return [];
  return [{ role: "user", content: typeof prompt === "string" ? prompt : prompt.join(" ") }];
}

function specPrompt(spec: RequestSpec): string | readonly number[] {
  if (spec.prompt !== undefined) return spec.prompt;
  return (spec.messages ?? []).map((m) => typeof m.content === "string" ? m.content : "").join(
    "\n",
  );
}

/** The OpenAI chat completions API (`/v1/chat/completions`). */
export const openaiChat: ProtocolAdapter = {
  api: "openai-chat",
  path: "/v1/chat/completions",
  buildBody(spec, options) {
    return withBody({
      model: options.model,
      messages: specMessages(spec),
      max_tokens: spec.maxTokens ?? options.maxTokens,
    }, options);
  },
  readEvent(event, sink) {
    if (!isObj(event)) return;
    if (readError(event, sink)) return;
    const choices = event.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        if (!isObj(choice)) continue;
        const delta = choice.delta;
        if (isObj(delta)) {
          const reasoning = delta.reasoning_content ?? delta.reasoning;
          if (typeof reasoning === "string" && reasoning !== "") sink.reasoning(reasoning);
          const content = delta.content;
          if (typeof content === "string" && content !== "") sink.content(content);
        }
        if (typeof choice.finish_reason === "string") sink.finish(choice.finish_reason);
      }
    }
    if (event.usage) readUsage(event.usage, sink);
  },
  readResponse(body, sink) {
    if (!isObj(body)) return;
    if (readError(body, sink)) return;
    const choices = body.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        if (!isObj(choice) || !isObj(choice.message)) continue;
        const m = choice.message;
        const reasoning = m.reasoning_content ?? m.reasoning;
        if (typeof reasoning === "string" && reasoning !== "") sink.reasoning(reasoning);
        if (typeof m.content === "string" && m.content !== "") sink.content(m.content);
        if (typeof choice.finish_reason === "string") sink.finish(choice.finish_reason);
      }
    }
    readUsage(body.usage, sink);
  },
};

/** The OpenAI (legacy) completions API (`/v1/completions`). */
export const openaiCompletions: ProtocolAdapter = {
  api: "openai-completions",
  path: "/v1/completions",
  buildBody(spec, options) {
    return withBody({
      model: options.model,
      prompt: specPrompt(spec),
      max_tokens: spec.maxTokens ?? options.maxTokens,
    }, options);
  },
  readEvent(event, sink) {
    if (!isObj(event)) return;
    if (readError(event, sink)) return;
    const choices = event.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        if (!isObj(choice)) continue;
        if (typeof choice.text === "string" && choice.text !== "") sink.content(choice.text);
        if (typeof choice.finish_reason === "string") sink.finish(choice.finish_reason);
      }
    }
    if (event.usage) readUsage(event.usage, sink);
  },
  readResponse(body, sink) {
    openaiCompletions.readEvent(body, sink);
  },
};

/** Returns the adapter for an API kind. */
export function adapterFor(api: ApiKind): ProtocolAdapter {
  return api === "openai-chat" ? openaiChat : openaiCompletions;
}
