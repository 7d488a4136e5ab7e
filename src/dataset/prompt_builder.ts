/**
 * Prompts of an exact token length under a tokenizer. Text is built from
 * "word tokens" — vocabulary entries that decode to a space and a short
 * lowercase word and re-encode to themselves — so a concatenation re-encodes
 * to the same count; every prompt is re-encoded to check, and adjusted at the
 * token level when needed. With a chat template, the length counted is the
 * templated prompt's.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";
import type { ChatMessage } from "./spec.ts";
import type { Random } from "../random.ts";
import type { TextTokenizer } from "../tokenizer/tokenizer.ts";

/** What was built: the text (or ids), and its exact token count. */
export interface BuiltPrompt {
  text: string;
  ids: number[];
  /** Tokens as counted (templated prompt for chat). */
  tokens: number;
}

/** Builds exact-length prompts for one tokenizer. */
export class PromptBuilder {
  readonly tokenizer: TextTokenizer;
  readonly #words: number[];
  readonly #chatOverhead: number | undefined;

  /** Scans the vocabulary for word tokens. Throws when the tokenizer has too few. */
  constructor(tokenizer: TextTokenizer, options: { chat: boolean; scan?: number }) {
    this.tokenizer = tokenizer;
    const words: number[] = [];
    const limit = options.scan ?? 60_000;
    for (let id = 0; id < limit && words.length < 2000; id++) {
      let text: string;
      try {
        text = tokenizer.decode([id]);
      } catch {
        continue;
      }
      if (!/^ [a-z]{3,9}$/.test(text)) continue;
      const back = tokenizer.encode(text);
      if (back.length === 1 && back[0] === id) words.push(id);
    }
    if (words.length < 50) {
      throw new RuntimeError(
        `Tokenizer "${tokenizer.name}" has too few plain word tokens (${words.length}) to build exact-length prompts`,
      );
    }
    this.#words = words;
    if (options.chat) {
      const empty = tokenizer.chatPrompt([{ role: "user", content: "" }]);
      this.#chatOverhead = empty === undefined ? undefined : tokenizer.encode(empty).length;
    }
  }

  /** Token count of a prompt as the server would count it. */
  count(text: string): number {
    if (this.#chatOverhead !== undefined) {
      return this.tokenizer.encode(this.tokenizer.chatPrompt([{ role: "user", content: text }])!)
        .length;
    }
    return this.tokenizer.encode(text).length;
  }

  /** Random word-token ids. */
  randomIds(n: number, random: Random): number[] {
    const ids = new Array<number>(n);
    for (let i = 0; i < n; i++) ids[i] = this.#words[random.int(0, this.#words.length - 1)]!;
    return ids;
  }

  /**
   * A prompt of exactly `tokens` tokens (counted on the templated prompt for
   * chat), optionally starting with `prefix` ids. Lengths shorter than the
   * chat template's own overhead give the overhead alone.
   */
  build(tokens: number, random: Random, prefix: readonly number[] = []): BuiltPrompt {
    const overhead = this.#chatOverhead ?? 0;
    let body = Math.max(0, tokens - overhead - prefix.length);
    let ids = [...prefix, ...this.randomIds(body, random)];
    for (let attempt = 0; attempt < 8; attempt++) {
      const text = ids.length ? this.tokenizer.decode(ids) : "";
      const got = this.count(text);
      if (got === tokens || (got <= overhead && tokens <= overhead)) {
        return { text, ids: this.tokenizer.encode(text), tokens: got };
      }
      body = Math.max(0, body + (tokens - got));
      ids = [...prefix, ...ids.slice(prefix.length, prefix.length + body)];
      while (ids.length < prefix.length + body) ids.push(...this.randomIds(1, random));
    }
    throw new RuntimeError(
      `Cannot build a prompt of exactly ${tokens} tokens under "${this.tokenizer.name}"`,
    );
  }

  /** Exactly `tokens` token ids (for `tokenid` prompts sent to /v1/completions). */
  buildIds(tokens: number, random: Random, prefix: readonly number[] = []): number[] {
    return [...prefix, ...this.randomIds(Math.max(0, tokens - prefix.length), random)];
  }

  /** The chat messages of a text prompt. */
  static messages(text: string): ChatMessage[] {
    return [{ role: "user", content: text }];
  }
}
