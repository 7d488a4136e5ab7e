/**
 * The sessions profile: N users, each running one conversation at a time
 * (the dataset's `session` turns, in order), a think time between a reply and
 * the next turn, each turn once. With `history: server` (the default) a
 * turn's messages carry the server's actual replies to the earlier turns, so
 * the prompt grows as a real chat's does and a prefix cache sees the real
 * reuse; with `history: dataset` the dataset's own replies stand in. A turn
 * is scheduled when its think time ends, so a late send shows as send lag.
 * `--sessions 8 --think-time 2`, or
 * `load: {kind: sessions, users: 8, think_s: {method: exponential, mean: 2}, history: server}`.
 *
 * @module
 */

import { z } from "zod";
import { Random } from "../random.ts";
import { positiveInt } from "./_fields.ts";
import { capShare, stopped, type StopRule } from "./clock.ts";
import type { LoadShape, ShapeRun } from "./shape.ts";

/** Think time between a reply and the next turn, seconds. */
export type ThinkTime =
  | { readonly kind: "fixed"; readonly s: number }
  | { readonly kind: "uniform"; readonly min: number; readonly max: number }
  | { readonly kind: "exponential"; readonly mean: number };

/** Settings of a sessions run. */
export interface SessionsProfile {
  readonly kind: "sessions";
  /** Users, each running one conversation at a time. */
  readonly users: number;
  readonly think: ThinkTime;
  /** Whose replies make the history: the server's, or the dataset's. */
  readonly history: "server" | "dataset";
  readonly seed: number;
}

const seconds = z.number().min(0);
const thinkSchema = z.union([
  seconds,
  z.strictObject({ method: z.literal("uniform"), min: seconds, max: seconds }),
  z.strictObject({ method: z.literal("exponential"), mean: seconds }),
], { error: "expected seconds, {method: uniform, min, max} or {method: exponential, mean}" });

const schema = z.strictObject({
  kind: z.literal("sessions"),
  users: positiveInt.default(1),
  think_s: thinkSchema.default(0),
  history: z.enum(["server", "dataset"]).default("server"),
}).superRefine((c, ctx) => {
  const t = c.think_s;
  if (typeof t === "object" && t.method === "uniform" && t.min > t.max) {
    ctx.addIssue({
      code: "custom",
      path: ["think_s"],
      message: `min (${t.min}) exceeds max (${t.max})`,
    });
  }
});

function thinkOf(value: z.infer<typeof thinkSchema>): ThinkTime {
  if (typeof value === "number") return { kind: "fixed", s: value };
  return value.method === "uniform"
    ? { kind: "uniform", min: value.min, max: value.max }
    : { kind: "exponential", mean: value.mean };
}

/** One think time, ms. */
export function thinkMs(think: ThinkTime, random: Random): number {
  switch (think.kind) {
    case "fixed":
      return think.s * 1000;
    case "uniform":
      return (think.min + random.next() * (think.max - think.min)) * 1000;
    case "exponential":
      return random.exponential(think.mean * 1000);
  }
}

function thinkText(think: ThinkTime): string {
  switch (think.kind) {
    case "fixed":
      return `${think.s} s`;
    case "uniform":
      return `${think.min}–${think.max} s`;
    case "exponential":
      return `~${think.mean} s (exponential)`;
  }
}

/**
 * Runs the shard's conversations (those with `c % workers === worker`) on its
 * share of the users until they run out or the stop rule holds.
 */
export async function runConversations(
  profile: SessionsProfile,
  rule: StopRule,
  run: ShapeRun,
): Promise<void> {
  const { send, clock, shard } = run;
  const origin = performance.timeOrigin;
  const t0 = shard.t0;
  const mine = (run.conversations ?? []).filter((_, c) => c % shard.workers === shard.worker);
  const random = new Random(profile.seed ^ Math.imul(shard.worker + 1, 0x9e3779b1));
  let next = 0;
  async function user(): Promise<void> {
    for (let conv = mine[next++]; conv; conv = mine[next++]) {
      const replies: (string | undefined)[] = [];
      for (const [k, index] of conv.entries()) {
        const due = k === 0 ? clock.now() : clock.now() + thinkMs(profile.think, random);
        if (k > 0) await clock.sleepUntil(due, rule.signal);
        const now = clock.now();
        // Time and signal first, so a stopping user claims no send: every claimed one goes.
        if (stopped(rule, 0, now, t0) || stopped(rule, shard.claim(), now, t0)) return;
        const reply = await send(
          index,
          origin + due,
          profile.history === "server" ? { replies } : undefined,
        );
        replies.push(typeof reply === "string" ? reply : undefined);
      }
    }
  }
  const users = Math.min(capShare(profile.users, shard), mine.length);
  await Promise.all(Array.from({ length: users }, user));
}

/** The sessions shape. */
export const sessionsShape: LoadShape<z.infer<typeof schema>, SessionsProfile> = {
  kind: "sessions",
  description:
    "conversations: `users` users, one conversation each at a time, `think_s` between turns, history from the server's replies",
  schema,
  flags: { users: "sessions", think_s: "think-time", history: "session-history" },
  ownFlags: [
    {
      name: "think-time",
      value: "SECONDS",
      min: 0,
      help: "With --sessions: pause between a reply and the user's next turn (default 0).",
    },
  ],
  selector: { flag: "sessions", rank: 6 },
  runsConversations: true,
  points(config, context) {
    return [{
      profile: {
        kind: "sessions",
        users: config.users,
        think: thinkOf(config.think_s),
        history: config.history,
        seed: context.seed,
      },
    }];
  },
  maxInFlight: (p) => p.users,
  label: (p) => `sessions${p.users}`,
  describe: (p) =>
    `sessions: ${p.users} user${p.users > 1 ? "s" : ""}, think ${
      thinkText(p.think)
    }, history from the ${p.history}`,
  run: runConversations,
};
