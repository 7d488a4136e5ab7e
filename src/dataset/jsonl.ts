/**
 * Custom JSONL files: one JSON object per line with a `prompt` (string or
 * token ids) or `messages` (chat messages) field, and an optional
 * `max_tokens`. Field names are configurable. Streamed line by line.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, RECORD_FIELDS } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import type { ChatMessage, RequestSpec } from "./spec.ts";
import { badLine, emptyFile, jsonLine, readLines } from "./_lines.ts";

/** Field names of a custom file. */
export interface FieldNames {
  prompt: string;
  messages: string;
  maxTokens: string;
}

/** The default field names. */
export const DEFAULT_FIELDS: FieldNames = {
  prompt: "prompt",
  messages: "messages",
  maxTokens: "max_tokens",
};

const ROLES = new Set(["system", "user", "assistant"]);

/** Turns one record (a parsed line or CSV row) into a spec; `fail` names the culprit. */
export function recordSpec(
  record: Record<string, unknown>,
  fields: FieldNames,
  fail: (what: string) => Error,
): RequestSpec {
  let spec: { prompt?: string | number[]; messages?: ChatMessage[]; maxTokens?: number };
  const prompt = record[fields.prompt];
  const messages = record[fields.messages];
  if (typeof prompt === "string") spec = { prompt };
  else if (Array.isArray(prompt) && prompt.every((x) => Number.isInteger(x))) {
    spec = { prompt: prompt as number[] };
  } else if (Array.isArray(messages)) {
    for (const m of messages) {
      if (
        !m || typeof m !== "object" || !ROLES.has((m as ChatMessage).role) ||
        (m as ChatMessage).content === undefined
      ) {
        throw fail(
          `has a "${fields.messages}" entry without a valid role (system, user, assistant) and content`,
        );
      }
    }
    spec = { messages: messages as ChatMessage[] };
  } else {
    throw fail(
      `has no "${fields.prompt}" (string or token ids) or "${fields.messages}" (list) field`,
    );
  }
  const max = record[fields.maxTokens];
  if (max !== undefined && max !== null && max !== "") {
    const n = typeof max === "string" ? Number(max) : max;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      throw fail(`has "${fields.maxTokens}" ${JSON.stringify(max)}, expected a positive integer`);
    }
    spec.maxTokens = n;
  }
  return spec;
}

/**
 * Yields the specs of a JSONL file; blank lines are skipped. A file that is
 * one JSON list of records (EvalScope's `longalpaca` files) is read as a whole.
 */
export async function* jsonlSpecs(
  path: string,
  fields: FieldNames = DEFAULT_FIELDS,
): AsyncGenerator<RequestSpec> {
  let any = false;
  for await (const { line, n } of readLines(path)) {
    if (!line.trim()) continue;
    if (!any && line.trimStart().startsWith("[")) {
      yield* jsonListSpecs(path, fields);
      return;
    }
    any = true;
    yield recordSpec(jsonLine(path, line, n), fields, (what) => badLine(path, n, what));
  }
  if (!any) throw emptyFile(path);
}

/** A record-file config's field names as the source takes them. */
export function fieldNames(
  c: { prompt_field: string; messages_field: string; max_tokens_field: string },
): FieldNames {
  return { prompt: c.prompt_field, messages: c.messages_field, maxTokens: c.max_tokens_field };
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  ...RECORD_FIELDS,
  type: z.literal("jsonl"),
  path: z.string().min(1),
});

async function* jsonListSpecs(path: string, fields: FieldNames): AsyncGenerator<RequestSpec> {
  let list: unknown;
  try {
    list = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw badLine(path, 1, `starts a JSON list that does not parse (${(error as Error).message})`);
  }
  if (!Array.isArray(list)) throw badLine(path, 1, "is not a JSON list of records");
  if (list.length === 0) throw emptyFile(path);
  for (const [i, item] of list.entries()) {
    const fail = (what: string) => badLine(path, 1, `(record ${i + 1}) ${what}`);
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw fail("is not a JSON object");
    }
    yield recordSpec(item, fields, fail);
  }
}

/** The JSONL source. */
export const jsonlKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "jsonl"; path: string; fields: FieldNames }
> = {
  type: "jsonl",
  description: "one JSON record per line: a prompt, or chat messages, and max_tokens",
  schema,
  readsFile: true,
  extensions: ["jsonl"],
  fromPath: (path) => ({ type: "jsonl", path, fields: DEFAULT_FIELDS }),
  toSource: (cfg, o) => ({ type: "jsonl", path: o.path ?? cfg.path, fields: fieldNames(cfg) }),
  specs: (source) => jsonlSpecs(source.path, source.fields),
};
