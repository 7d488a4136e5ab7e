/**
 * A task's load, from either side: the load flags or a model config's
 * `load:` block. Both become the same block (`{kind, …fields}`), parsed by the
 * chosen shape's own schema, so a field means the same in YAML and on the
 * command line and every problem names the flag or the file and field. A
 * load flag the chosen shape does not read is an error, never dropped.
 *
 * @module
 */

import type { z } from "zod";
import {
  type AnyLoadShape,
  LOAD_SHAPES,
  type LoadProfile,
  loadShape,
  type ShapeContext,
  type ShapePoint,
} from "../load/mod.ts";
import { issueText } from "./load.ts";

/** A load flag's value as the flag parser gave it (lists hold numbers or strings). */
export type LoadFlagValue = string | number | boolean | readonly (string | number)[];

/** The load flags given, by flag name without `--` (every shape's fields and selectors). */
export type LoadFlags = Readonly<Partial<Record<string, LoadFlagValue>>>;

/** A block parsed by its shape: ready to expand into load points. */
export interface LoadBlock {
  readonly shape: AnyLoadShape;
  readonly config: { readonly kind: string };
}

const SHAPES: readonly AnyLoadShape[] = Object.keys(LOAD_SHAPES).map((k) => loadShape(k)!);

/** Every flag name some shape reads, as a field or as its selector. */
export const LOAD_FLAG_NAMES: ReadonlySet<string> = new Set(
  SHAPES.flatMap((s) => [s.selector.flag, ...Object.values(s.flags)]),
);

const SELECTOR_FLAGS: ReadonlySet<string> = new Set(SHAPES.map((s) => s.selector.flag));

function selectorText(shape: AnyLoadShape): string {
  const values = shape.selector.values;
  return `--${shape.selector.flag}${values ? ` ${values.join("|")}` : ""}`;
}

function selects(shape: AnyLoadShape, flags: LoadFlags): boolean {
  const v = flags[shape.selector.flag];
  if (v === undefined || v === false) return false;
  return !shape.selector.values || shape.selector.values.includes(String(v));
}

/** `{from}` in a shape's message → the flag or field it names. */
function named(text: string, name: (field: string) => string): string {
  return text.replace(/\{(\w+)\}/g, (_, field: string) => name(field));
}

function parseBlock(
  shape: AnyLoadShape,
  raw: Record<string, unknown>,
  where: (path: readonly PropertyKey[]) => string,
  name: (field: string) => string,
): LoadBlock | string[] {
  const result = (shape.schema as z.ZodType<{ readonly kind: string }>).safeParse(raw, {
    reportInput: true,
  });
  if (result.success) return { shape, config: result.data };
  return result.error.issues.flatMap((issue) =>
    issueText({ ...issue, path: [] }).split("\n").map((line) =>
      `${where(issue.path)}: ${named(line, name)}`
    )
  );
}

function numeric(item: string | number): string | number {
  if (typeof item === "number") return item;
  const n = Number(item);
  return item.trim() !== "" && !Number.isNaN(n) ? n : item;
}

/**
 * The load the flags describe: the selected shape's block, undefined when no
 * shape is selected, or the problems (a flag the shape does not read, a list
 * for a one-value field, the shape's own checks).
 */
export function loadFromFlags(flags: LoadFlags): LoadBlock | undefined | string[] {
  const given = Object.keys(flags).filter((f) => LOAD_FLAG_NAMES.has(f) && flags[f] !== undefined);
  const chosen = SHAPES.filter((s) => selects(s, flags))
    .sort((a, b) => b.selector.rank - a.selector.rank)[0];
  const owners = (flag: string) =>
    SHAPES.filter((s) => s.selector.flag !== flag && Object.values(s.flags).includes(flag))
      .map(selectorText).join(" or ");
  if (!chosen) {
    const lonely = given.filter((f) => flags[f] !== false);
    return lonely.length ? lonely.map((f) => `--${f}: needs ${owners(f)}`) : undefined;
  }
  const problems: string[] = [];
  const raw: Record<string, unknown> = { kind: chosen.kind };
  const chosenText = `--${chosen.selector.flag}${
    chosen.selector.values ? ` ${String(flags[chosen.selector.flag])}` : ""
  }`;
  for (const [field, flag] of Object.entries(chosen.flags)) {
    const value = flags[flag];
    if (value === undefined) continue;
    if (!Array.isArray(value)) raw[field] = typeof value === "string" ? numeric(value) : value;
    else if (chosen.sweeps?.includes(field)) raw[field] = value.map(numeric);
    else if (value.length === 1) raw[field] = numeric(value[0]!);
    else problems.push(`--${flag}: give one value with ${chosenText}, not a list`);
  }
  if (problems.length) return problems;
  const flagOf = (field: string) => `--${chosen.flags[field] ?? chosen.selector.flag}`;
  const block = parseBlock(
    chosen,
    raw,
    (path) => path.length ? flagOf(String(path[0])) : `--${chosen.selector.flag}`,
    flagOf,
  );
  if (Array.isArray(block)) return block;
  const read = new Set([chosen.selector.flag, ...Object.values(chosen.flags)]);
  const unread = given.filter((f) => !read.has(f) && flags[f] !== false);
  if (unread.length) {
    return unread.map((f) =>
      `--${f}: not used with ${chosenText}${
        owners(f) && !SELECTOR_FLAGS.has(f) ? ` (it needs ${owners(f)})` : ""
      }`
    );
  }
  return block;
}

/** A `load:` block of a config file, parsed by its kind's shape; problems name the file and field. */
export function loadFromConfig(raw: Record<string, unknown>, source: string): LoadBlock | string[] {
  const kind = raw.kind;
  const shape = typeof kind === "string" ? loadShape(kind) : undefined;
  if (!shape) {
    return [
      `${source}: load.kind: ${
        kind === undefined ? "missing" : `unknown load shape ${JSON.stringify(kind)}`
      }: expected one of ${Object.keys(LOAD_SHAPES).join(", ")}`,
    ];
  }
  const pathText = (path: readonly PropertyKey[]) =>
    path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`).join("");
  return parseBlock(
    shape,
    raw,
    (path) => `${source}: load${pathText(path)}`,
    (field) => field,
  );
}

/** The load points of a parsed block, with the model's and run's defaults. */
export function loadPoints(block: LoadBlock, context: ShapeContext): ShapePoint<LoadProfile>[] {
  return block.shape.points(block.config, context);
}
