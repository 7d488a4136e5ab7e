/**
 * What the timestamped trace sources share: arrival offsets from the first
 * record (timestamps must not decrease), CSV records by header name, checked
 * numbers that name file, line and column, and prompts of an exact length.
 *
 * @module
 */

import { z } from "zod";
import { UsageError } from "../errors.ts";
import { Random } from "../random.ts";
import { badLine } from "./_lines.ts";
import { csvRows } from "./csv.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import type { RequestSpec } from "./spec.ts";

/** Turns a trace's timestamps (ms) into offsets from its first record; a decrease is an error. */
export class ArrivalClock {
  readonly #path: string;
  #first: number | undefined;
  #last = -Infinity;

  /** @param path the file, for messages */
  constructor(path: string) {
    this.#path = path;
  }

  /** The offset (ms) of a record stamped `ms`, read from `line`. */
  offset(ms: number, line: number): number {
    if (ms < this.#last) {
      throw badLine(
        this.#path,
        line,
        `has a timestamp before the previous record's: a trace must be in arrival order`,
      );
    }
    this.#last = ms;
    this.#first ??= ms;
    return ms - this.#first;
  }
}

/** A non-negative integer field's value (numbers, or decimal strings in CSV), or an error naming it. */
export function countField(
  value: unknown,
  what: { name: string; min: number; fail: (what: string) => Error },
): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < what.min) {
    throw what.fail(
      `has "${what.name}" ${JSON.stringify(value ?? null)}, expected an integer ≥ ${what.min}`,
    );
  }
  return n;
}

/** A finite number field's value (numbers, or decimal strings in CSV), or an error naming it. */
export function numberField(
  value: unknown,
  what: { name: string; fail: (what: string) => Error },
): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw what.fail(
      `has "${what.name}" ${JSON.stringify(value ?? null)}, expected a number ≥ 0`,
    );
  }
  return n;
}

/**
 * Yields each CSV data row as a record by header name, with its line; the
 * header must hold every `required` column, and each row as many fields.
 */
export async function* csvRecords(
  path: string,
  required: readonly string[],
): AsyncGenerator<{ record: Record<string, string>; line: number }> {
  let header: string[] | undefined;
  for await (const row of csvRows(path)) {
    if (!header) {
      header = row.fields.map((h) => h.trim());
      const missing = required.filter((c) => !header!.includes(c));
      if (missing.length) {
        throw new UsageError(
          `Cannot read dataset "${path}": the header has no ${
            missing.map((c) => `"${c}"`).join(", ")
          } column (found: ${header.join(", ")})`,
        );
      }
      continue;
    }
    if (row.fields.length !== header.length) {
      throw badLine(
        path,
        row.line,
        `has ${row.fields.length} fields, the header ${header.length}`,
      );
    }
    const record: Record<string, string> = {};
    header.forEach((h, i) => (record[h] = row.fields[i]!));
    yield { record, line: row.line };
  }
}

/** How length-only records become prompts: text under the tokenizer, or token ids. */
export const DATA_TYPE_FIELD = z.enum(["string", "tokenid"]).default("string");

/** A spec of exactly `input` prompt tokens and `output` max_tokens, arriving at `arrivalOffsetMs`. */
export function lengthSpec(
  builder: PromptBuilder,
  lengths: { input: number; output: number; arrivalOffsetMs: number },
  options: { dataType: "string" | "tokenid"; random: Random },
): RequestSpec {
  const { input, output, arrivalOffsetMs } = lengths;
  const tail = { maxTokens: output, expectedOutputTokens: output, arrivalOffsetMs };
  if (options.dataType === "tokenid") {
    return { prompt: builder.buildIds(input, options.random), expectedInputTokens: input, ...tail };
  }
  const p = builder.build(input, options.random);
  return { prompt: p.text, expectedInputTokens: p.tokens, ...tail };
}

/** The random source of record `line` of a trace under `seed`: the same prompt for the same seed. */
export function lineRandom(seed: number, line: number): Random {
  return new Random(Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ line);
}
