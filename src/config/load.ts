/**
 * Parsing and validating config text. Every problem is reported at once, each
 * naming the file, the field path and what was expected:
 * `configs/models/x.yaml: generation_kwargs.temperature: expected a number, got "hot"`.
 *
 * @module
 */

import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { UsageError } from "../errors.ts";
import { CONFIG_KINDS, type ConfigKind } from "./schema.ts";

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "a list" : "an object";
}

const ARTICLE: Record<string, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "an object (mapping)",
  array: "a list",
  int: "an integer",
  record: "an object (mapping)",
};

function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  return out;
}

/** Turns one zod issue into a message (without the file prefix): `path: what was expected, got …`. */
export function issueText(issue: z.core.$ZodIssue): string {
  const where = pathText(issue.path);
  const at = where ? `${where}: ` : "";
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) {
        return `${at}missing (expected ${ARTICLE[issue.expected] ?? issue.expected})`;
      }
      return `${at}expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${show(input)}`;
    case "unrecognized_keys":
      return issue.keys.map((k) => `${where ? where + "." : ""}${k}: unknown key`).join("\n");
    case "invalid_value":
      return `${at}expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${
        show(input)
      }`;
    case "too_small":
      return `${at}expected ${
        issue.origin === "array" ? "at least" : issue.inclusive ? ">=" : ">"
      } ${String(issue.minimum)}${issue.origin === "array" ? " item(s)" : ""}, got ${show(input)}`;
    case "too_big":
      return `${at}expected ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}, got ${
        show(input)
      }`;
    case "invalid_union": {
      if (!issue.message.startsWith("Invalid input")) {
        return `${at}${issue.message}, got ${show(input)}`;
      }
      const disc = (issue as { note?: string }).note;
      return `${at}${disc ? disc.toLowerCase() : "does not match any allowed form"}${
        input !== undefined ? `, got ${show(input)}` : ""
      }`;
    }
    case "custom":
      return `${at}${issue.message}`;
    default:
      return `${at}${issue.message.replace(/^Invalid input: /, "")}${
        input !== undefined ? `, got ${show(input)}` : ""
      }`;
  }
}

/** Parses YAML or JSON text; a syntax error names the file, line and column. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    // JSON files get YAML's strict JSON schema: what plain YAML would read as null is an error there.
    return parseYaml(text, source.endsWith(".json") ? { schema: "json" } : {});
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const pos = error.linePos?.[0];
      const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
      const first = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw new UsageError(`${where}: invalid YAML/JSON: ${first}`);
    }
    throw new UsageError(`${source}: cannot parse: ${(error as Error).message}`);
  }
}

/** Parses and validates a config; throws a UsageError with every problem. */
export function loadConfig<K extends ConfigKind>(
  kind: K,
  text: string,
  source: string,
): z.infer<typeof CONFIG_KINDS[K]> {
  const value = parseConfigText(text, source);
  const result = CONFIG_KINDS[kind].safeParse(value ?? {}, { reportInput: true });
  if (!result.success) {
    throw new UsageError(
      result.error.issues.flatMap((i) =>
        issueText(i).split("\n").map((line) => `${source}: ${line}`)
      ),
    );
  }
  return result.data as z.infer<typeof CONFIG_KINDS[K]>;
}
