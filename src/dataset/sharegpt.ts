/**
 * The ShareGPT source: a JSON array of conversations
 * (`{"conversations": [{"from": "human", "value": …}, {"from": "gpt", …}]}`),
 * streamed element by element without loading the file whole. The first human
 * turn is the prompt; the first gpt turn's token length is the output target
 * when `use_output_len` is set (as vLLM does). With `turns: all`, every human
 * turn is a request of its conversation (a session: the element's line is its
 * id), its messages the conversation so far (the dataset's replies as the
 * assistant turns, which the `sessions` load shape may replace with the
 * server's), its output target the gpt turn after it.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import { UsageError } from "../errors.ts";
import type { ChatMessage, RequestSpec } from "./spec.ts";
import type { TextTokenizer } from "../tokenizer/tokenizer.ts";
import { openDataset } from "./_lines.ts";

/** Yields the text of each top-level element of a JSON array file, with its 1-based line. */
export async function* jsonArrayElements(
  path: string,
): AsyncGenerator<{ text: string; line: number }> {
  const file = await openDataset(path);
  const decoder = new TextDecoder();
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let line = 1;
  let elementLine = 1;
  let buf = "";
  let collecting = false;
  for await (const chunk of file.readable) {
    const text = decoder.decode(chunk, { stream: true });
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) inString = false;
        continue;
      }
      if (c === 34) {
        inString = true;
        if (depth === 1 && !collecting) {
          collecting = true;
          elementLine = line;
          from = i;
        }
      } else if (c === 91 || c === 123) {
        if (!started) {
          if (c !== 91) {
            throw new UsageError(
              `Cannot read dataset "${path}": line ${line}: expected a JSON array`,
            );
          }
          started = true;
          depth = 1;
          continue;
        }
        if (depth === 1 && !collecting) {
          collecting = true;
          elementLine = line;
          from = i;
        }
        depth++;
      } else if (c === 93 || c === 125) {
        depth--;
        if (depth === 1 && collecting) {
          buf += text.slice(from, i + 1);
          yield { text: buf, line: elementLine };
          buf = "";
          collecting = false;
        } else if (depth === 0) {
          return;
        }
      } else if (!started && c > 32) {
        throw new UsageError(`Cannot read dataset "${path}": line ${line}: expected a JSON array`);
      }
    }
    if (collecting) buf += text.slice(from);
  }
  if (!started) throw new UsageError(`Cannot read dataset "${path}": the file is empty`);
  if (depth !== 0) {
    throw new UsageError(
      `Cannot read dataset "${path}": the JSON array is not closed (truncated file?)`,
    );
  }
}

const ROLE: Record<string, ChatMessage["role"]> = {
  human: "user",
  user: "user",
  gpt: "assistant",
  chatgpt: "assistant",
  system: "system",
};

/** Every human turn of one conversation as a spec of session `id`, with the turns before it. */
function* allTurns(
  turns: ReadonlyArray<{ from?: string; value?: string }>,
  id: string,
  options: { useOutputLen: boolean; tokenizer?: TextTokenizer },
): Generator<RequestSpec> {
  const history: ChatMessage[] = [];
  let turn = 0;
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i]!;
    const role = ROLE[t?.from ?? ""];
    if (!role || typeof t.value !== "string") continue;
    if (role !== "user") {
      history.push({ role, content: t.value });
      continue;
    }
    const next = turns[i + 1];
    const reply = next && ROLE[next.from ?? ""] === "assistant" && typeof next.value === "string"
      ? next.value
      : undefined;
    if (options.useOutputLen && reply === undefined) break;
    const spec: {
      messages: ChatMessage[];
      session: { id: string; turn: number };
      maxTokens?: number;
      expectedOutputTokens?: number;
    } = {
      messages: [...history, { role: "user", content: t.value }],
      session: { id, turn: turn++ },
    };
    if (options.useOutputLen && options.tokenizer) {
      const out = Math.max(1, options.tokenizer.encode(reply!).length);
      spec.maxTokens = out;
      spec.expectedOutputTokens = out;
    }
    yield spec;
    history.push({ role: "user", content: t.value });
  }
}

/** Yields ShareGPT specs (conversations without a human turn, or without a gpt answer when needed, are skipped). */
export async function* sharegptSpecs(
  path: string,
  options: { useOutputLen: boolean; allTurns?: boolean; tokenizer?: TextTokenizer },
): AsyncGenerator<RequestSpec> {
  for await (const { text, line } of jsonArrayElements(path)) {
    let item: { conversations?: Array<{ from?: string; value?: string }> };
    try {
      item = JSON.parse(text);
    } catch {
      throw new UsageError(
        `Cannot read dataset "${path}": the element at line ${line} is not valid JSON`,
      );
    }
    const turns = Array.isArray(item?.conversations) ? item.conversations : undefined;
    if (!turns) {
      throw new UsageError(
        `Cannot read dataset "${path}": the element at line ${line} has no "conversations" list`,
      );
    }
    if (options.allTurns) {
      yield* allTurns(turns, `${line}`, options);
      continue;
    }
    const human = turns.find((t) => t?.from === "human" && typeof t.value === "string");
    const gptIndex = turns.findIndex((t) => t?.from === "gpt" && typeof t.value === "string");
    if (!human?.value || (options.useOutputLen && gptIndex < 0)) continue;
    const spec: { messages: ChatMessage[]; maxTokens?: number; expectedOutputTokens?: number } = {
      messages: [{ role: "user", content: human.value }],
    };
    if (options.useOutputLen && options.tokenizer) {
      const out = Math.max(1, options.tokenizer.encode(turns[gptIndex]!.value!).length);
      spec.maxTokens = out;
      spec.expectedOutputTokens = out;
    }
    yield spec;
  }
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("sharegpt"),
  path: z.string().min(1),
  use_output_len: z.boolean().default(true),
  /** `first`: the first human turn alone; `all`: every human turn, a session per conversation. */
  turns: z.enum(["first", "all"]).default("first"),
});

/** The ShareGPT source. */
export const sharegptKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "sharegpt"; path: string; useOutputLen: boolean; allTurns?: boolean }
> = {
  type: "sharegpt",
  description: "a ShareGPT JSON file: the first human turn, the gpt answer's length as max_tokens",
  schema,
  readsFile: true,
  extensions: ["json"],
  fromPath: (path) => ({ type: "sharegpt", path, useOutputLen: true }),
  toSource: (cfg, o) => ({
    type: "sharegpt",
    path: o.path ?? cfg.path,
    useOutputLen: cfg.use_output_len,
    ...(cfg.turns === "all" ? { allTurns: true } : {}),
  }),
  needsTokenizer: (source) => source.useOutputLen,
  specs: (source, ctx) =>
    sharegptSpecs(source.path, {
      useOutputLen: source.useOutputLen,
      ...(source.allTurns ? { allTurns: true } : {}),
      ...(ctx.tokenizer ? { tokenizer: ctx.tokenizer } : {}),
    }),
};
