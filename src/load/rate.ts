/**
 * The rate profile: arrivals at R requests/s with `constant`, `poisson` or
 * `gamma` inter-arrival times (gamma shape = burstiness: 1 is Poisson, below
 * 1 burstier, as vLLM), and an optional cap on requests in flight.
 *
 * When the number of requests N is known, random schedules are conditioned on
 * it: the N−1 gaps are rescaled so the run's realized rate is exactly R (for
 * Poisson, the arrival times of a Poisson process conditioned on N arrivals).
 * Bursts keep their shape; the achieved rate then measures the client, not the
 * dice.
 *
 * @module
 */

import { Random } from "../random.ts";
import { type Clock, realClock, type Send, type Shard, type StopRule, wholeLoad } from "./clock.ts";
import { runSchedule } from "./_open_loop.ts";

/** Inter-arrival distributions. */
export const ARRIVALS = ["constant", "poisson", "gamma"] as const;
/** One of {@link ARRIVALS}. */
export type Arrival = typeof ARRIVALS[number];

/** Settings of an open-loop run. */
export interface RateProfile {
  readonly kind: "rate";
  /** Requests per second; `Infinity` sends everything at once (still under the cap). */
  readonly rate: number;
  readonly arrival: Arrival;
  /** Gamma shape for `gamma` (1 = Poisson). */
  readonly burstiness: number;
  readonly seed: number;
  /** Requests in flight at most; absent → unbounded. */
  readonly maxConcurrency?: number;
}

function gap(profile: RateProfile, random: Random, meanMs: number): number {
  return profile.arrival === "poisson"
    ? random.exponential(meanMs)
    : profile.arrival === "gamma"
    ? random.gamma(profile.burstiness, meanMs / profile.burstiness)
    : meanMs;
}

/**
 * Yields the offsets (ms from t0) of successive arrivals. Deterministic for a
 * seed; mean inter-arrival 1000 / rate. With a finite `count`, exactly that
 * many offsets, conditioned on the realized rate being exact.
 */
export function* arrivalOffsets(profile: RateProfile, count = Infinity): Generator<number> {
  if (!Number.isFinite(profile.rate)) {
    for (let i = 0; i < count; i++) yield 0;
    return;
  }
  const meanMs = 1000 / profile.rate;
  const random = new Random(profile.seed);
  if (profile.arrival === "constant") {
    for (let i = 0; i < count; i++) yield i * meanMs;
    return;
  }
  if (Number.isFinite(count) && count > 1 && count <= 10_000_000) {
    const gaps = new Float64Array(count - 1);
    let sum = 0;
    for (let i = 0; i < gaps.length; i++) sum += gaps[i] = gap(profile, random, meanMs);
    const scale = (meanMs * gaps.length) / sum;
    let t = 0;
    yield 0;
    for (let i = 0; i < gaps.length; i++) yield t += gaps[i]! * scale;
    return;
  }
  let t = 0;
  for (let i = 0; i < count; i++) {
    yield t;
    t += gap(profile, random, meanMs);
  }
}

/** Runs the rate profile under a stop rule. */
export function runRate(
  profile: RateProfile,
  rule: StopRule,
  send: Send,
  clock: Clock = realClock,
  shard: Shard = wholeLoad(clock),
): Promise<void> {
  return runSchedule(
    arrivalOffsets(profile, rule.total),
    profile.maxConcurrency ?? Infinity,
    rule,
    send,
    clock,
    shard,
  );
}
