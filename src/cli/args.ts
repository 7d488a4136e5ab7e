/**
 * A small, strict flag parser driven by a table of flag specs, which also
 * renders `--help`. It takes `--flag value`, `--flag=value`, lists as
 * `--flag 1 2 3` or `--flag 1,2,3`, repeatable flags, and `--no-<flag>` for
 * booleans. Unknown flags and bad values are UsageErrors naming the flag.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The value types a flag can take. */
export type FlagType = "string" | "number" | "integer" | "boolean" | "list";

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
  /** For `integer`/`number`: the smallest allowed value. */
  readonly min?: number;
  /** Allowed values. */
  readonly choices?: readonly string[];
}

/** Parsed values by flag name. */
export type FlagValues = Record<
  string,
  string | number | boolean | string[] | number[] | undefined
>;

function checkNumber(spec: FlagSpec, raw: string, integer: boolean): number {
  const n = Number(raw);
  const kind = integer ? "an integer" : "a number";
  if (raw.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${spec.name}: expected ${kind}, got "${raw}"`);
  }
  if (spec.min !== undefined && n < spec.min) {
    throw new UsageError(`--${spec.name}: expected ${kind} >= ${spec.min}, got "${raw}"`);
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

/**
 * Parses `argv` against `specs`. `command` names the command in messages.
 * Returns the values and the positional arguments.
 */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  command: string,
): { values: FlagValues; positionals: string[]; help: boolean } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: FlagValues = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
        throw new UsageError(`Unknown flag "${arg}" for "${command}" (see ${command} --help)`);
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    if (!spec && name.startsWith("no-") && byName.get(name.slice(3))?.type === "boolean") {
      spec = byName.get(name.slice(3))!;
      if (inline !== undefined) {
        throw new UsageError(`--${name}: takes no value, got "${inline}"`);
      }
      values[spec.name] = false;
      continue;
    }
    if (!spec) {
      throw new UsageError(`Unknown flag "--${name}" for "${command}" (see ${command} --help)`);
    }
    name = spec.name;
    if (spec.type === "boolean") {
      if (inline === undefined) values[name] = true;
      else if (inline === "true" || inline === "false") values[name] = inline === "true";
      else throw new UsageError(`--${name}: expected true or false, got "${inline}"`);
      continue;
    }
    if (spec.type === "list") {
      const items: string[] = [];
      if (inline !== undefined) items.push(inline);
      else {
        while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) items.push(argv[++i]!);
      }
      const parts = items.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s);
      if (parts.length === 0) throw new UsageError(`--${name}: expected one or more values`);
      const prev = values[name];
      values[name] = [...(Array.isArray(prev) ? (prev as string[]) : []), ...parts];
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name}: expected a value`);
      inline = argv[++i]!;
    }
    const value = spec.type === "integer"
      ? checkNumber(spec, inline, true)
      : spec.type === "number"
      ? checkNumber(spec, inline, false)
      : checkChoice(spec, inline);
    if (spec.repeatable) {
      const prev = values[name];
      values[name] = [...(Array.isArray(prev) ? (prev as string[]) : []), String(value)];
    } else {
      values[name] = value;
    }
  }
  return { values, positionals, help };
}

/** Parses a list flag's items as integers (>= min), naming the flag on error. */
export function integerList(name: string, items: readonly string[], min = 1): number[] {
  return items.map((raw) => checkNumber({ name, type: "integer", help: "", min }, raw, true));
}

/** Renders the flag table for `--help`. */
export function renderFlagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const placeholder = s.type === "boolean"
      ? ""
      : ` ${s.value ?? (s.type === "list" ? "V [V …]" : s.type.toUpperCase())}`;
    return `  --${s.name}${placeholder}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => {
    let text = s.help;
    if (s.choices) text += ` One of: ${s.choices.join(", ")}.`;
    if (s.defaultText) text += ` Default: ${s.defaultText}.`;
    if (s.repeatable) text += " Repeatable.";
    return left[i]!.padEnd(width) + text;
  }).join("\n");
}
