/**
 * The ramp profile: the arrival rate moves from `from` to `to` req/s over the
 * run, linearly or exponentially; the i-th arrival is when the integral of
 * the rate reaches i (a deterministic schedule). The run's length is the
 * duration when given, else what the request count needs.
 *
 * @module
 */

import { type Clock, realClock, type Send, type Shard, type StopRule, wholeLoad } from "./clock.ts";
import { runSchedule } from "./_open_loop.ts";

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

/** The ramp's length in ms: the duration, else the time `count` arrivals need. */
export function rampLengthMs(profile: RampProfile, count: number, durationMs?: number): number {
  if (durationMs !== undefined) return durationMs;
  const { from: a, to: b } = profile;
  // Arrivals over [0, T]: linear T(a+b)/2; exponential T(b−a)/ln(b/a).
  const perSecond = profile.curve === "linear" || a === b ? (a + b) / 2 : (b - a) / Math.log(b / a);
  return (Math.max(1, count) / perSecond) * 1000;
}

/** Yields the arrival offsets (ms) of a ramp of length `lengthMs`, at most `count` of them. */
export function* rampOffsets(
  profile: RampProfile,
  lengthMs: number,
  count = Infinity,
): Generator<number> {
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

/** Runs the ramp under a stop rule. */
export function runRamp(
  profile: RampProfile,
  rule: StopRule,
  send: Send,
  clock: Clock = realClock,
  shard: Shard = wholeLoad(clock),
): Promise<void> {
  const length = rampLengthMs(profile, rule.total, rule.durationMs);
  return runSchedule(
    rampOffsets(profile, length, rule.total),
    profile.maxConcurrency ?? Infinity,
    rule,
    send,
    clock,
    shard,
  );
}
