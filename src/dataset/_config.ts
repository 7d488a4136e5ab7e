/**
 * Config fields every dataset source shares (AISBench names), and those of
 * the record-file sources (JSONL, CSV).
 *
 * @module
 */

import { z } from "zod";

/** A positive integer. */
export const positiveInt = z.number().int().positive();

/** Fields of every dataset config. */
export const COMMON_FIELDS = {
  abbr: z.string().min(1).optional(),
  /** Records to take (the first N, or a random N with shuffle); generated sources make this many. */
  request_count: positiveInt.optional(),
  shuffle: z.boolean().default(false),
  seed: z.number().int().default(0),
};

/** Which record fields hold the prompt, the messages and max_tokens (JSONL, CSV). */
export const RECORD_FIELDS = {
  prompt_field: z.string().min(1).default("prompt"),
  messages_field: z.string().min(1).default("messages"),
  max_tokens_field: z.string().min(1).default("max_tokens"),
};

/** `string`: text prompts; `tokenid`: token-id prompts (completions API). */
export const DATA_TYPE = z.enum(["string", "tokenid"]).default("string");
