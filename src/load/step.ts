/**
 * The step profile: an open-loop rate that climbs in steps — `from` req/s
 * held `hold_s` seconds, then `from + step`, … up to `to`, which is held until
 * the stop rule (request count or `--duration`). Within a step arrivals are
 * evenly spaced; every due time is absolute (t0 + offset), as in the other
 * ramps. `--ramp step --ramp-from 1 --ramp-to 8 --ramp-step 1 --ramp-hold 30`,
 * or `load: {kind: step, from: 1, to: 8, step: 1, hold_s: 30}`.
 *
 * @module
 */

import { z } from "zod";
import { positiveInt } from "./_fields.ts";
import { runSchedule } from "./_open_loop.ts";
import { capText, type LoadShape } from "./shape.ts";

/** Settings of a step ramp. */
export interface StepProfile {
  readonly kind: "step";
  /** Rate of the first step, req/s. */
  readonly from: number;
  /** Rate of the last step (held until the run stops), req/s. */
  readonly to: number;
  /** How much the rate moves per step, req/s (toward `to`). */
  readonly step: number;
  /** How long each step but the last is held, seconds. */
  readonly holdS: number;
  readonly maxConcurrency?: number;
}

const rate = z.number().min(0.001);
const schema = z.strictObject({
  kind: z.literal("step"),
  from: rate.optional(),
  to: rate.optional(),
  step: z.number().positive().optional(),
  hold_s: z.number().positive().optional(),
  max_concurrency: positiveInt.optional(),
}).superRefine((c, ctx) => {
  const missing = (["from", "to", "step", "hold_s"] as const).filter((k) => c[k] === undefined);
  if (missing.length) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `needs ${missing.map((k) => `{${k}}`).join(", ")}`,
    });
  }
});

/** The rates of the steps, from `from` toward `to` by `step`; the last is `to`. */
export function stepLevels(profile: StepProfile): number[] {
  const dir = profile.to >= profile.from ? 1 : -1;
  const levels: number[] = [];
  for (let k = 0;; k++) {
    const r = profile.from + dir * k * profile.step;
    if (dir * (r - profile.to) >= -1e-9) break;
    levels.push(r);
  }
  levels.push(profile.to);
  return levels;
}

/** Yields the arrival offsets (ms) of a step ramp; the last step never ends (the stop rule ends it). */
export function* stepOffsets(profile: StepProfile): Generator<number> {
  const levels = stepLevels(profile);
  const holdMs = profile.holdS * 1000;
  for (let k = 0; k < levels.length; k++) {
    const start = k * holdMs;
    const gapMs = 1000 / levels[k]!;
    const last = k === levels.length - 1;
    for (let j = 0;; j++) {
      const t = start + j * gapMs;
      if (!last && t >= start + holdMs - 1e-9) break;
      yield t;
    }
  }
}

/** The step shape. */
export const stepShape: LoadShape<z.infer<typeof schema>, StepProfile> = {
  kind: "step",
  description:
    "open loop: the rate climbs from `from` to `to` req/s by `step`, each step held `hold_s` seconds",
  schema,
  flags: {
    from: "ramp-from",
    to: "ramp-to",
    step: "ramp-step",
    hold_s: "ramp-hold",
    max_concurrency: "concurrency",
  },
  ownFlags: [
    {
      name: "ramp-step",
      value: "R",
      min: 0.001,
      help: "With --ramp step: how much the rate moves per step, req/s.",
    },
    {
      name: "ramp-hold",
      value: "SECONDS",
      min: 0.001,
      help: "With --ramp step: how long each step is held (the last until the run stops).",
    },
  ],
  selector: { flag: "ramp", values: ["step"], rank: 3 },
  points(config) {
    return [{
      profile: {
        kind: "step",
        // The schema's check guarantees all four.
        from: config.from!,
        to: config.to!,
        step: config.step!,
        holdS: config.hold_s!,
        ...(config.max_concurrency !== undefined ? { maxConcurrency: config.max_concurrency } : {}),
      },
    }];
  },
  maxInFlight: (p) => p.maxConcurrency ?? Infinity,
  label: (p) => `step${p.from}-${p.to}`,
  describe: (p) =>
    `step ramp ${p.from}→${p.to} req/s by ${p.step} every ${p.holdS} s${capText(p.maxConcurrency)}`,
  run: (p, rule, run) =>
    runSchedule(stepOffsets(p), rule, { ...run, cap: p.maxConcurrency ?? Infinity }),
};
