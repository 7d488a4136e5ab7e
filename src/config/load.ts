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
import { aisbenchModels, aisbenchSummarizer, aisbenchSynthetic } from "./aisbench.ts";

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

/** Validates a parsed config value; throws a UsageError with every problem, each naming `source`. */
export function validateConfig<K extends ConfigKind>(
  kind: K,
  value: unknown,
  source: string,
): z.infer<typeof CONFIG_KINDS[K]> {
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

/** One config of a file, with the API key an AISBench model config carried (never written). */
export interface LoadedConfig<K extends ConfigKind> {
  cfg: z.infer<typeof CONFIG_KINDS[K]>;
  apiKey?: string;
}

/** What a config file holds: one config (YAML, JSON), or one per entry of AISBench's `models = [...]`. */
export interface LoadedConfigs<K extends ConfigKind> {
  configs: LoadedConfig<K>[];
  /** One line per accepted field that has no effect (`file:line: field: …`). */
  notes: string[];
}

/** An AISBench `.py` config (read, never run) as the plain values servebench's schemas validate. */
function pyValues(
  kind: ConfigKind,
  text: string,
  source: string,
  abbr: string | undefined,
): { values: Array<{ value: unknown; apiKey?: string }>; notes: string[] } {
  if (kind === "models") {
    const m = aisbenchModels(text, source);
    return {
      values: m.models.map((x) => ({
        value: x.config,
        ...(x.apiKey !== undefined ? { apiKey: x.apiKey } : {}),
      })),
      notes: m.notes,
    };
  }
  if (kind === "summarizers") {
    const s = aisbenchSummarizer(text, source);
    return { values: [{ value: s.config }], notes: s.notes };
  }
  if (!/^\s*synthetic_config\s*=/m.test(text)) {
    throw new UsageError(
      `${source}: AISBench dataset task files are not read (they build Python reader objects); name the task instead (gsm8k_gen_4_shot_cot_str, synthetic_gen, …: see servebench list), or give synthetic_config.py or a servebench dataset config`,
    );
  }
  const d = aisbenchSynthetic(text, source, abbr !== undefined ? { abbr } : {});
  return { values: [{ value: d.config }], notes: d.notes };
}

/**
 * Parses and validates every config a file holds: YAML and JSON hold one;
 * an AISBench `.py` model config one per `models` entry. Throws a UsageError
 * with every problem.
 */
export function loadConfigs<K extends ConfigKind>(
  kind: K,
  text: string,
  options: { source: string; abbr?: string; overrides?: Record<string, unknown> },
): LoadedConfigs<K> {
  const { source } = options;
  const raw = source.endsWith(".py")
    ? pyValues(kind, text, source, options.abbr)
    : { values: [{ value: parseConfigText(text, source) }], notes: [] };
  const problems: string[] = [];
  const configs: LoadedConfig<K>[] = [];
  for (const { value, apiKey } of raw.values) {
    const merged = options.overrides && value && typeof value === "object"
      ? { ...value, ...options.overrides }
      : value;
    try {
      const cfg = validateConfig(kind, merged, source);
      configs.push(apiKey !== undefined ? { cfg, apiKey } : { cfg });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new UsageError(problems);
  return { configs, notes: raw.notes };
}

/** Parses and validates a config (the first of an AISBench model list); throws a UsageError with every problem. */
export function loadConfig<K extends ConfigKind>(
  kind: K,
  text: string,
  source: string,
): z.infer<typeof CONFIG_KINDS[K]> {
  return loadConfigs(kind, text, { source }).configs[0]!.cfg;
}
