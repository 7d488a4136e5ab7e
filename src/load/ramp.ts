/**
 * The ramp profile: the arrival rate moves from `from` to `to` req/s over the
 * run, linearly or exponentially; the i-th arrival is when the integral of
 * the rate reaches i (a deterministic schedule). The run's length is the
 * duration when given, else what the request count needs.
 * `load: {kind: ramp, curve: linear, from: 1, to: 10, max_concurrency: 32}`.
 *
 * @module
 */

import { z } from "zod";
import { positiveInt } from "./_fields.ts";
import { runSchedule } from "./_open_loop.ts";
import { capText, type LoadShape } from "./shape.ts";

/** Ramp curves. */
export const RAMP_CURVES = ["linear", "exponential"] as const;

/** Settings of a ramp. */
export interface RampProfile {
  readonly kind: "ramp";
  readonly curve: typeof RAMP_CURVES[number];
  /** Rate at the start, req/s (> 0). */
  readonly from: number;
  /** Rate at the end, req/s (> 0). */
  readonly to: number;
  readonly maxConcurrency?: number;
}

const rate = z.number().min(0.001);
const schema = z.strictObject({
  kind: z.literal("ramp"),
  curve: z.enum(RAMP_CURVES).default("linear"),
  from: rate.optional(),
  to: rate.optional(),
  max_concurrency: positiveInt.optional(),
}).superRefine((c, ctx) => {
  if (c.from === undefined || c.to === undefined) {
    ctx.addIssue({ code: "custom", path: [], message: "needs {from} and {to} (req/s)" });
  }
});

/** The ramp's length in ms: `options.durationMs`, else the time `count` arrivals need. */
export function rampLengthMs(
  profile: RampProfile,
  count: number,
  options: { durationMs?: number } = {},
): number {
  if (options.durationMs !== undefined) return options.durationMs;
  const { from: a, to: b } = profile;
  // Arrivals over [0, T]: linear T(a+b)/2; exponential T(b−a)/ln(b/a).
  const perSecond = profile.curve === "linear" || a === b ? (a + b) / 2 : (b - a) / Math.log(b / a);
  return (Math.max(1, count) / perSecond) * 1000;
}

/** Yields the arrival offsets (ms) of a ramp of length `lengthMs`, at most `options.count` of them. */
export function* rampOffsets(
  profile: RampProfile,
  lengthMs: number,
  options: { count?: number } = {},
): Generator<number> {
  const count = options.count ?? Infinity;
  const a = profile.from;
  const b = profile.to;
  const T = lengthMs / 1000;
  for (let i = 0; i < count; i++) {
    let t: number;
    if (profile.curve === "linear" || a === b) {
      // ∫0^t (a + (b−a)s/T) ds = i  →  (b−a)/(2T) t² + a t − i = 0
      const k = (b - a) / (2 * T);
      t = k === 0 ? i / a : (-a + Math.sqrt(a * a + 4 * k * i)) / (2 * k);
    } else {
      // ∫0^t a·g^(s/T) ds = a T (g^(t/T) − 1) / ln g = i, g = b/a
      const lg = Math.log(b / a);
      const x = 1 + (i * lg) / (a * T);
      if (x <= 0) return;
      t = (T / lg) * Math.log(x);
    }
    if (!Number.isFinite(t) || t > T + 1e-9) return;
    yield t * 1000;
  }
}

/** The ramp shape. */
export const rampShape: LoadShape<z.infer<typeof schema>, RampProfile> = {
  kind: "ramp",
  description:
    "open loop: the arrival rate moves from `from` to `to` req/s over the run, linearly or exponentially",
  schema,
  flags: { curve: "ramp", from: "ramp-from", to: "ramp-to", max_concurrency: "concurrency" },
  selector: { flag: "ramp", values: RAMP_CURVES, rank: 3 },
  points(config) {
    return [{
      profile: {
        kind: "ramp",
        curve: config.curve,
        // The schema's check guarantees both.
        from: config.from!,
        to: config.to!,
        ...(config.max_concurrency !== undefined ? { maxConcurrency: config.max_concurrency } : {}),
      },
    }];
  },
  maxInFlight: (p) => p.maxConcurrency ?? Infinity,
  label: (p) => `ramp${p.from}-${p.to}`,
  describe: (p) => `${p.curve} ramp ${p.from}→${p.to} req/s${capText(p.maxConcurrency)}`,
  run(p, rule, run) {
    const length = rampLengthMs(
      p,
      rule.total,
      rule.durationMs !== undefined ? { durationMs: rule.durationMs } : {},
    );
    return runSchedule(rampOffsets(p, length, { count: rule.total }), rule, {
      ...run,
      cap: p.maxConcurrency ?? Infinity,
    });
  },
};
