/**
 * The interface every dataset source implements. A source is one module
 * holding its config schema (zod, AISBench-style fields, defaults), the
 * translation of a parsed config into the source a task carries (with its
 * cross-field checks), and how it yields request specs. Sources register by
 * `type` in `dataset/mod.ts`; nothing else switches over types.
 *
 * @module
 */

import type { z } from "zod";
import type { TextTokenizer } from "../tokenizer/tokenizer.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import type { RequestSpec } from "./spec.ts";

/** What a source needs to yield its specs. */
export interface SpecContext {
  /** Specs wanted (generated sources make this many; files may yield more, which are cut). */
  readonly count: number;
  readonly seed: number;
  /** Builds exact-length prompts (chat-templated for the chat API); needs a tokenizer. */
  builder(): PromptBuilder;
  readonly tokenizer?: TextTokenizer;
}

/** Options of a config's translation into a source. */
export interface SourceOptions {
  /** `--dataset-path`: replaces the config's `path` (file sources only). */
  readonly path?: string;
}

/**
 * One dataset source. `C` is its parsed config (with `type`), `S` the source
 * a task carries (with `type`; written verbatim into the plan dump).
 */
export interface DatasetKind<
  C extends { readonly type: string },
  S extends { readonly type: string },
> {
  /** The key in `type:` of a dataset config. */
  readonly type: S["type"];
  /** One line for docs: what the source is. */
  readonly description: string;
  /** The dataset config: strict (unknown keys are errors), with the common fields and defaults. */
  readonly schema: z.ZodType<C, unknown>;
  /** True when the source reads a file (so `--dataset-path` applies, and `shuffle` samples it). */
  readonly readsFile: boolean;
  /** File extensions that pick this source for `--dataset-path FILE` alone. */
  readonly extensions?: readonly string[];
  /** The source `--dataset-path FILE` alone describes (for a source with {@link extensions}). */
  fromPath?(path: string): S;
  /** A parsed config as the source; problems without the file prefix (`input: min (9) exceeds max (3)`). */
  toSource(config: C, options: SourceOptions): S | string[];
  /** True when it builds prompts of exact lengths (and so needs a tokenizer). */
  needsTokenizer?(source: S): boolean;
  /** The specs, in order (at most `count` are taken). */
  specs(source: S, context: SpecContext): AsyncIterable<RequestSpec> | Iterable<RequestSpec>;
}
