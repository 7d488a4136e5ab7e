/**
 * Custom CSV files (RFC 4180: quoted fields may hold commas, quotes and line
 * breaks): a header row, then one request per row, with a `prompt` column (or
 * `messages`, holding a JSON list) and an optional `max_tokens` column.
 * Streamed row by row.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, RECORD_FIELDS } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import { UsageError } from "../errors.ts";
import type { RequestSpec } from "./spec.ts";
import { emptyFile, openDataset } from "./_lines.ts";
import { DEFAULT_FIELDS, type FieldNames, fieldNames, recordSpec } from "./jsonl.ts";

/** Yields each CSV row's fields and the line it starts on. */
export async function* csvRows(path: string): AsyncGenerator<{ fields: string[]; line: number }> {
  const file = await openDataset(path);
  const decoder = new TextDecoder();
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  let rowLine = 1;
  let rowHasData = false;
  const endField = () => {
    fields.push(field);
    field = "";
    afterQuote = false;
  };
  const flushRow = function* () {
    endField();
    if (rowHasData || fields.length > 1 || fields[0] !== "") yield { fields, line: rowLine };
    fields = [];
    rowHasData = false;
  };
  let pendingCr = false;
  for await (const chunk of file.readable) {
    const text = decoder.decode(chunk, { stream: true });
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (ch === "\n") continue;
      }
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else if (i + 1 === text.length) {
            // A quote at the end of a chunk: decide with the next chunk.
            quoted = false;
            afterQuote = true;
          } else {
            quoted = false;
            afterQuote = true;
          }
        } else {
          if (ch === "\n") line++;
          field += ch;
        }
        continue;
      }
      if (afterQuote && ch === '"') {
        // The "" escape split across chunks.
        field += '"';
        quoted = true;
        afterQuote = false;
        continue;
      }
      if (ch === ",") {
        endField();
        rowHasData = true;
      } else if (ch === "\n" || ch === "\r") {
        yield* flushRow();
        line++;
        rowLine = line;
        if (ch === "\r") pendingCr = true;
      } else if (ch === '"' && field === "" && !afterQuote) {
        quoted = true;
        rowHasData = true;
      } else {
        if (afterQuote) {
          throw new UsageError(
            `Cannot read dataset "${path}": line ${line}: unexpected text after a closing quote`,
          );
        }
        field += ch;
        rowHasData = true;
      }
    }
  }
  if (quoted) {
    throw new UsageError(
      `Cannot read dataset "${path}": line ${rowLine}: a quoted field is not closed`,
    );
  }
  yield* flushRow();
}

/** Yields the specs of a CSV file. */
export async function* csvSpecs(
  path: string,
  fields: FieldNames = DEFAULT_FIELDS,
): AsyncGenerator<RequestSpec> {
  let header: string[] | undefined;
  let any = false;
  for await (const row of csvRows(path)) {
    if (!header) {
      header = row.fields.map((h) => h.trim());
      if (!header.includes(fields.prompt) && !header.includes(fields.messages)) {
        throw new UsageError(
          `Cannot read dataset "${path}": the header has no "${fields.prompt}" or "${fields.messages}" column (found: ${
            header.join(", ")
          })`,
        );
      }
      continue;
    }
    if (row.fields.length !== header.length) {
      throw new UsageError(
        `Cannot read dataset "${path}": line ${row.line} has ${row.fields.length} fields, the header ${header.length}`,
      );
    }
    const record: Record<string, unknown> = {};
    header.forEach((h, i) => (record[h] = row.fields[i]));
    if (typeof record[fields.messages] === "string" && record[fields.messages] !== "") {
      try {
        record[fields.messages] = JSON.parse(record[fields.messages] as string);
      } catch {
        throw new UsageError(
          `Cannot read dataset "${path}": line ${row.line}: "${fields.messages}" is not valid JSON`,
        );
      }
    }
    if (record[fields.prompt] === "") delete record[fields.prompt];
    any = true;
    yield recordSpec(
      record,
      fields,
      (what) => new UsageError(`Cannot read dataset "${path}": line ${row.line} ${what}`),
    );
  }
  if (!header) throw emptyFile(path);
  if (!any) throw emptyFile(path);
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  ...RECORD_FIELDS,
  type: z.literal("csv"),
  path: z.string().min(1),
});

/** The CSV source. */
export const csvKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "csv"; path: string; fields: FieldNames }
> = {
  type: "csv",
  description: "a CSV file with a header row: a prompt column (or messages as JSON), max_tokens",
  schema,
  readsFile: true,
  extensions: ["csv"],
  fromPath: (path) => ({ type: "csv", path, fields: DEFAULT_FIELDS }),
  toSource: (cfg, o) => ({ type: "csv", path: o.path ?? cfg.path, fields: fieldNames(cfg) }),
  specs: (source) => csvSpecs(source.path, source.fields),
};
