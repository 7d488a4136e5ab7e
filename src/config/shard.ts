/**
 * Distributed runs: which part of the load this process sends (`--shard i/N`,
 * or `--shards N` with the index from `JOB_COMPLETION_INDEX`, as a Kubernetes
 * Indexed Job sets it), the wall-clock instant every part starts at
 * (`--start-at`), and the plan's fingerprint, which tells `merge` which run
 * folders belong together.
 *
 * @module
 */

import { type LoadPart, maxInFlight } from "../load/mod.ts";
import { type Plan, redactPlan } from "./plan.ts";

/** The environment variable a Kubernetes Indexed Job sets to each pod's index. */
export const INDEX_VARIABLE = "JOB_COMPLETION_INDEX";

/** The most shards a run may be split into. */
export const MAX_SHARDS = 10_000;

/** How far ahead `--start-at` may be (24 h). */
const MAX_AHEAD_MS = 86_400_000;

/** The shard flags as given. */
export interface ShardFlags {
  /** `--shard i/N`. */
  shard?: string;
  /** `--shards N`. */
  shards?: number;
  /** `--start-at TIME`. */
  startAt?: string;
}

/** Reads `i/N` (0 ≤ i < N); pushes a problem naming the flag when it is not that. */
function parsePart(text: string, problems: string[]): LoadPart | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > MAX_SHARDS || index >= count) {
    problems.push(
      `--shard: expected INDEX/COUNT with 0 ≤ INDEX < COUNT ≤ ${MAX_SHARDS} (e.g. 0/3), got "${text}"`,
    );
    return undefined;
  }
  return { index, count };
}

/** Where shard flags are read against: the environment, and the list problems go to. */
export interface FlagContext {
  readonly env: (name: string) => string | undefined;
  readonly problems: string[];
}

/**
 * The load part of `--shard` or `--shards` (undefined when neither is given);
 * every problem is pushed to `context.problems`.
 */
export function shardPart(flags: ShardFlags, context: FlagContext): LoadPart | undefined {
  const { env, problems } = context;
  if (flags.shard !== undefined && flags.shards !== undefined) {
    problems.push("--shard and --shards: give one (--shards takes the index from the environment)");
    return undefined;
  }
  if (flags.shard !== undefined) return parsePart(flags.shard, problems);
  if (flags.shards === undefined) return undefined;
  if (flags.shards > MAX_SHARDS) {
    problems.push(`--shards: expected at most ${MAX_SHARDS}, got ${flags.shards}`);
    return undefined;
  }
  const raw = env(INDEX_VARIABLE);
  if (raw === undefined) {
    problems.push(
      `--shards ${flags.shards}: needs the shard index in ${INDEX_VARIABLE} (a Kubernetes Indexed Job sets it), or give --shard INDEX/${flags.shards}`,
    );
    return undefined;
  }
  if (!/^\d+$/.test(raw.trim()) || Number(raw) >= flags.shards) {
    problems.push(
      `--shards ${flags.shards}: ${INDEX_VARIABLE} must be an integer from 0 to ${
        flags.shards - 1
      }, got "${raw}"`,
    );
    return undefined;
  }
  return { index: Number(raw), count: flags.shards };
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The wall-clock instant (epoch ms) of `--start-at`: an ISO 8601 date-time
 * with a zone (`2026-12-02T01:30:00Z`) or `+DURATION` from `nowMs` (`+30s`,
 * `+1.5m`, `+500ms`, `+2h`; a bare number is seconds). It must lie ahead, at
 * most 24 h; problems are pushed to `context.problems`.
 */
export function startAtMs(
  text: string,
  context: { readonly nowMs: number; readonly problems: string[] },
): number | undefined {
  const { nowMs, problems } = context;
  const rel = /^\+(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  let at: number;
  if (rel) {
    at = nowMs + Number(rel[1]) * UNIT_MS[rel[2] ?? "s"]!;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    at = Date.parse(text);
  } else {
    at = NaN;
  }
  if (Number.isNaN(at)) {
    problems.push(
      `--start-at: expected an ISO 8601 instant with a zone (2026-12-02T01:30:00Z) or +DURATION (+30s, +2m, +500ms), got "${text}"`,
    );
    return undefined;
  }
  if (at <= nowMs) {
    problems.push(
      `--start-at: "${text}" is ${((nowMs - at) / 1000).toFixed(1)} s in the past (now ${
        new Date(nowMs).toISOString()
      })`,
    );
    return undefined;
  }
  if (at - nowMs > MAX_AHEAD_MS) {
    problems.push(`--start-at: "${text}" is more than 24 h ahead`);
    return undefined;
  }
  return at;
}

/**
 * Checks that every task gives part `part` something to send: a share of
 * its cap on requests in flight and of its requests. Pushes a problem per
 * task that would leave the shard idle.
 */
export function partProblems(plan: Pick<Plan, "tasks" | "warmup">, part: LoadPart): string[] {
  const problems: string[] = [];
  for (const task of plan.tasks) {
    const cap = maxInFlight(task.load);
    const what =
      `--shard ${part.index}/${part.count}: task "${task.model.abbr}/${task.outputName}"`;
    if (cap < part.count) {
      problems.push(
        `${what} has a cap of ${cap} requests in flight, which ${part.count} shards cannot share (each needs one); use at most ${cap} shards`,
      );
    }
    // A shard counts its own conversations' turns, so a bound on all turns cannot be split.
    if (task.load.kind === "sessions" && task.load.numRequests !== undefined) {
      problems.push(
        `${what} runs conversations with --num-prompts ${task.load.numRequests}, which shards cannot split exactly (each shard sends whole conversations); bound the dataset instead (its sessions or request_count), or run unsharded`,
      );
    }
    const total = plan.warmup + (task.load.numRequests ?? Infinity);
    if (total < part.count) {
      problems.push(
        `${what} sends ${total} requests, fewer than the ${part.count} shards; use at most ${total} shards`,
      );
    }
  }
  return problems;
}

/** Objects with their keys sorted, recursively: one JSON text per value. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = canonical(v);
  }
  return out;
}

/**
 * What every shard of one run must agree on: the redacted plan without what
 * differs by design between shards (the work folder, the shard, the start
 * instant), keys sorted. JSON-clean (numbers like Infinity become strings).
 */
export function planFingerprint(plan: Plan): Record<string, unknown> {
  const { workDir: _w, shard: _s, startAt: _a, ...rest } = redactPlan(plan);
  return JSON.parse(
    JSON.stringify(
      canonical(rest),
      (_k, v) => typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    ),
  );
}

/** The SHA-256 (hex) of {@link planFingerprint}. */
export async function planHash(fingerprint: Record<string, unknown>): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(fingerprint));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The first field (a dotted path, `tasks[0].load.rate`) where two
 * fingerprints differ, with both values as JSON; undefined when equal.
 */
export function firstDifference(
  a: unknown,
  b: unknown,
): { field: string; a: string; b: string } | undefined {
  return differenceAt(a, b, "");
}

function differenceAt(
  a: unknown,
  b: unknown,
  path: string,
): { field: string; a: string; b: string } | undefined {
  const bothObjects = a !== null && b !== null && typeof a === "object" && typeof b === "object";
  if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? undefined : {
      field: path || "(the plan)",
      a: JSON.stringify(a) ?? "absent",
      b: JSON.stringify(b) ?? "absent",
    };
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Array.isArray(a)
    ? Array.from({ length: Math.max(a.length, (b as unknown[]).length) }, (_, i) => String(i))
    : [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  for (const key of keys) {
    const sub = Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const d = differenceAt(ra[key], rb[key], sub);
    if (d) return d;
  }
  return undefined;
}
