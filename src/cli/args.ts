/**
 * A small, strict flag parser driven by a table of flag specs, which also
 * renders `--help`. It takes `--flag value`, `--flag=value`, lists as
 * `--flag 1 2 3` or `--flag 1,2,3`, repeatable flags, and `--no-<flag>` for
 * booleans and for flags whose value is optional (`--flag [V]`). A table declared `as const satisfies readonly FlagSpec[]` gives
 * typed values ({@link FlagValues}): no casts where they are used. Unknown
 * flags suggest the nearest name; an alias given with its main flag (or
 * with another alias of it) is an error; bad values are UsageErrors naming
 * the flag.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The value types a flag can take (`integers`: a list of integers >= min). */
export type FlagType = "string" | "number" | "integer" | "boolean" | "list" | "integers";

/** One flag: its name (without `--`), type and help text. */
export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  /** One sentence for `--help`. */
  readonly help: string;
  /** Placeholder in `--help`, e.g. `URL`. */
  readonly value?: string;
  /** Shown as the default in `--help`. */
  readonly defaultText?: string;
  /** May be given several times (values are collected). */
  readonly repeatable?: boolean;
  /** For numbers and integers: the smallest allowed value. */
  readonly min?: number;
  /** Allowed values. */
  readonly choices?: readonly string[];
  /** Another tool's name for the flag `aliasOf`: its value is stored under that name. */
  readonly aliasOf?: string;
  /**
   * For strings: the value may be left out (`--flag` alone is `true`; the
   * next argument is its value unless it starts with `-`), and `--no-<flag>`
   * gives `false`.
   */
  readonly optionalValue?: true;
  /** A one-letter spelling (`m` for `-m`), as the tool the flag comes from takes it. */
  readonly short?: string;
}

/** The value type one spec produces. */
export type FlagValueOf<S extends FlagSpec> = S["type"] extends "boolean" ? boolean
  : S extends { readonly optionalValue: true } ? string | boolean
  : S["type"] extends "number" | "integer" ? number
  : S["type"] extends "integers" ? number[]
  : S["type"] extends "list" ? string[]
  : S extends { readonly repeatable: true } ? string[]
  : S extends { readonly choices: readonly (infer C)[] } ? C
  : string;

/** Parsed values by flag name, typed by the spec table (aliases are stored under their main name). */
export type FlagValues<S extends readonly FlagSpec[]> = {
  [K in S[number] as K extends { readonly aliasOf: string } ? never : K["name"]]?: FlagValueOf<K>;
};

/** What {@link parseFlags} returns. */
export interface ParsedFlags<S extends readonly FlagSpec[]> {
  values: FlagValues<S>;
  /** Values of the `extra` specs (flags contributed by registered kinds), by name. */
  extra: Record<string, string | number | boolean | string[] | number[]>;
  positionals: string[];
  help: boolean;
}

function checkNumber(name: string, raw: string, options: { integer: boolean; min?: number }) {
  const n = Number(raw);
  const kind = options.integer ? "an integer" : "a number";
  if (raw.trim() === "" || !Number.isFinite(n) || (options.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name}: expected ${kind}, got "${raw}"`);
  }
  if (options.min !== undefined && n < options.min) {
    throw new UsageError(`--${name}: expected ${kind} >= ${options.min}, got "${raw}"`);
  }
  return n;
}

function checkChoice(spec: FlagSpec, raw: string): string {
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(
      `--${spec.name}: expected one of ${spec.choices.join(", ")}, got "${raw}"`,
    );
  }
  return raw;
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The flag name nearest to `name` when it is close enough to be a typo (distance ≤ 1/3 its length). */
export function nearestFlag(name: string, specs: readonly FlagSpec[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of specs) {
    const d = editDistance(name, spec.name);
    if (d < bestDistance) [best, bestDistance] = [spec.name, d];
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

function unknownFlag(arg: string, specs: readonly FlagSpec[], command: string): UsageError {
  const near = arg.startsWith("--") ? nearestFlag(arg.slice(2), specs) : undefined;
  return new UsageError(
    `Unknown flag "${arg}" for "${command}"${
      near ? `: did you mean --${near}?` : ""
    } (see ${command} --help)`,
  );
}

/** `--x` or `-x` (not a negative number such as `-1` or `-.5`): where a list's values end. */
function isFlag(arg: string): boolean {
  return arg.startsWith("--") || /^-[^\d.]/.test(arg);
}

/** Items of a list flag: space- or comma-separated, at least one. */
function listItems(
  name: string,
  first: string | undefined,
  argv: readonly string[],
  at: { i: number },
) {
  const items: string[] = [];
  if (first !== undefined) items.push(first);
  else {while (at.i + 1 < argv.length && !isFlag(argv[at.i + 1]!)) {
      items.push(argv[++at.i]!);
    }}
  const parts = items.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s);
  if (parts.length === 0) throw new UsageError(`--${name}: expected one or more values`);
  return parts;
}

function readValue(
  spec: FlagSpec,
  inline: string | undefined,
  argv: readonly string[],
  at: { i: number },
): unknown {
  const name = spec.name;
  if (spec.type === "boolean") {
    if (inline === undefined) return true;
    if (inline === "true" || inline === "false") return inline === "true";
    throw new UsageError(`--${name}: expected true or false, got "${inline}"`);
  }
  if (spec.type === "list") return listItems(name, inline, argv, at);
  if (spec.type === "integers") {
    return listItems(name, inline, argv, at).map((raw) =>
      checkNumber(name, raw, { integer: true, min: spec.min ?? 1 })
    );
  }
  if (inline === undefined && spec.optionalValue) {
    const next = argv[at.i + 1];
    if (next === undefined || next.startsWith("-")) return true;
  }
  if (inline === undefined) {
    if (at.i + 1 >= argv.length) throw new UsageError(`--${name}: expected a value`);
    inline = argv[++at.i]!;
  }
  if (spec.type === "integer" || spec.type === "number") {
    return checkNumber(name, inline, {
      integer: spec.type === "integer",
      ...(spec.min !== undefined ? { min: spec.min } : {}),
    });
  }
  return checkChoice(spec, inline);
}

/**
 * Parses `argv` against `specs`. `command` names the command in messages.
 * Returns the typed values and the positional arguments.
 */
export function parseFlags<const S extends readonly FlagSpec[]>(
  argv: readonly string[],
  table: S,
  options: { command: string; extra?: readonly FlagSpec[] },
): ParsedFlags<S> {
  const command = options.command;
  const extraNames = new Set((options.extra ?? []).map((s) => s.name));
  const specs = [...table, ...(options.extra ?? [])];
  const byName = new Map<string, FlagSpec>(specs.map((s) => [s.name, s]));
  const values: Record<string, unknown> = {};
  /** Which flag (as typed: an alias or the main name) gave each main name's value. */
  const givenAs = new Map<string, string>();
  const positionals: string[] = [];
  let help = false;
  const at = { i: 0 };
  for (; at.i < argv.length; at.i++) {
    const arg = argv[at.i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(at.i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    const short = /^-([A-Za-z])(?:=(.*))?$/.exec(arg);
    const shortSpec = short ? specs.find((s) => s.short === short[1]) : undefined;
    if (!arg.startsWith("--") && !shortSpec) {
      if (isFlag(arg)) throw unknownFlag(arg, specs, command);
      positionals.push(arg);
      continue;
    }
    const eq = shortSpec ? -1 : arg.indexOf("=");
    const name = shortSpec ? shortSpec.name : eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    let value: unknown;
    const negated = name.startsWith("no-") ? byName.get(name.slice(3)) : undefined;
    if (!spec && (negated?.type === "boolean" || negated?.optionalValue)) {
      spec = byName.get(name.slice(3))!;
      if (inline !== undefined) throw new UsageError(`--${name}: takes no value, got "${inline}"`);
      value = false;
    } else if (!spec) {
      throw unknownFlag(`--${name}`, specs, command);
    } else value = readValue(spec, shortSpec ? short?.[2] : inline, argv, at);
    const key = spec.aliasOf ?? spec.name;
    const earlier = givenAs.get(key);
    if (earlier !== undefined && earlier !== spec.name) {
      // Name the alias first: `--parallel: give either --parallel or --concurrency`.
      const [a, b] = spec.aliasOf !== undefined && byName.get(earlier)?.aliasOf === undefined
        ? [spec.name, earlier]
        : [earlier, spec.name];
      throw new UsageError(`--${a}: give either --${a} or --${b}, not both`);
    }
    givenAs.set(key, spec.name);
    const prev = values[key];
    if (spec.type === "list" || spec.type === "integers" || spec.repeatable) {
      const items = Array.isArray(value) ? value : [value];
      values[key] = [...(Array.isArray(prev) ? prev : []), ...items];
    } else values[key] = value;
  }
  const extra: ParsedFlags<S>["extra"] = {};
  for (const name of extraNames) {
    const v = values[name];
    if (v !== undefined) extra[name] = v as ParsedFlags<S>["extra"][string];
    delete values[name];
  }
  // The one place values meet their types: each was checked against its spec above.
  return { values: values as FlagValues<S>, extra, positionals, help };
}

/** Renders the flag table for `--help`. */
export function renderFlagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const placeholder = s.type === "boolean"
      ? ""
      : s.optionalValue
      ? ` [${s.value ?? "V"}]`
      : ` ${
        s.value ?? (s.type === "list" || s.type === "integers" ? "V [V …]" : s.type.toUpperCase())
      }`;
    return `  --${s.name}${placeholder}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => {
    let text = s.help;
    if (s.choices) text += ` One of: ${s.choices.join(", ")}.`;
    if (s.defaultText) text += ` Default: ${s.defaultText}.`;
    if (s.repeatable) text += " Repeatable.";
    if (s.short) text += ` Also -${s.short}.`;
    return left[i]!.padEnd(width) + text;
  }).join("\n");
}
