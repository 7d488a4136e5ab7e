/**
 * Streaming helpers shared by file sources: lines with their numbers, read
 * without loading the file whole, and the error that names file and line.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** Opens a dataset file, or throws a UsageError naming it (and where to put it when given). */
export async function openDataset(path: string, hint?: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(
        `Cannot read dataset "${path}": no such file${hint ? ` (${hint})` : ""}`,
      );
    }
    throw new UsageError(`Cannot read dataset "${path}": ${(error as Error).message}`);
  }
}

/** Yields each line (without its line break) and its 1-based number. */
export async function* readLines(
  path: string,
  hint?: string,
): AsyncGenerator<{ line: string; n: number }> {
  const file = await openDataset(path, hint);
  const decoder = new TextDecoder();
  let rest = "";
  let n = 0;
  for await (const chunk of file.readable) {
    rest += decoder.decode(chunk, { stream: true });
    let from = 0;
    let nl: number;
    while ((nl = rest.indexOf("\n", from)) !== -1) {
      const end = nl > from && rest.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { line: rest.slice(from, end), n: ++n };
      from = nl + 1;
    }
    rest = rest.slice(from);
  }
  rest += decoder.decode();
  if (rest) yield { line: rest.replace(/\r$/, ""), n: ++n };
}

/** A bad record: `Cannot read dataset "x.jsonl": line 12 is not valid JSON`. */
export function badLine(path: string, n: number, what: string): UsageError {
  return new UsageError(`Cannot read dataset "${path}": line ${n} ${what}`);
}

/** Parses one JSONL line into an object, or throws naming file and line. */
export function jsonLine(path: string, line: string, n: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw badLine(path, n, "is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badLine(path, n, "is not a JSON object");
  }
  return value as Record<string, unknown>;
}

/** The error of a dataset file with no records. */
export function emptyFile(path: string): UsageError {
  return new UsageError(`Cannot read dataset "${path}": the file has no records`);
}
