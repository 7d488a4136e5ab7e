/**
 * The prompt source: one fixed prompt, repeated (`--prompt TEXT`, or
 * `type: prompt` with an optional `max_tokens`).
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, positiveInt } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import type { RequestSpec } from "./spec.ts";

/** The prompt source as a task carries it. */
export interface PromptSource {
  type: "prompt";
  prompt: string;
  maxTokens?: number;
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("prompt"),
  prompt: z.string().min(1),
  max_tokens: positiveInt.optional(),
});

/** The prompt source. */
export const promptKind: DatasetKind<z.infer<typeof schema>, PromptSource> = {
  type: "prompt",
  description: "one fixed prompt, repeated",
  schema,
  readsFile: false,
  toSource: (cfg) => ({
    type: "prompt",
    prompt: cfg.prompt,
    ...(cfg.max_tokens !== undefined ? { maxTokens: cfg.max_tokens } : {}),
  }),
  specs(source, ctx): RequestSpec[] {
    const spec: RequestSpec = {
      prompt: source.prompt,
      ...(source.maxTokens !== undefined ? { maxTokens: source.maxTokens } : {}),
    };
    return Array.from({ length: ctx.count }, () => spec);
  },
};
