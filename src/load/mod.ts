/**
 * Load profiles, by key: `concurrency` (closed loop), `rate` (open loop on an
 * absolute schedule), `ramp` (a rate that moves) and `pressure` (clients added
 * over time, held until the time is up). A profile says only when each
 * request goes; stop rules (count, duration, Ctrl-C) are separate.
 *
 * @module
 */

import { type Clock, realClock, type Send, type Shard, type StopRule, wholeLoad } from "./clock.ts";
import { type ConcurrencyProfile, runClosedLoop } from "./concurrency.ts";
import { type PressureProfile, runPressure } from "./pressure.ts";
import { type RampProfile, runRamp } from "./ramp.ts";
import { type RateProfile, runRate } from "./rate.ts";

export type { Clock, Send, Shard, StopRule } from "./clock.ts";
export { realClock, wholeLoad } from "./clock.ts";
export type { ConcurrencyProfile } from "./concurrency.ts";
export type { PressureProfile } from "./pressure.ts";
export { RAMP_CURVES, rampOffsets, type RampProfile } from "./ramp.ts";
export { type Arrival, arrivalOffsets, ARRIVALS, type RateProfile } from "./rate.ts";

/** Any load profile. */
export type LoadProfile = ConcurrencyProfile | RateProfile | RampProfile | PressureProfile;

/**
 * Runs sends under a profile until the stop rule holds; resolves when all
 * sent have ended. With a shard, only that worker's share of the load.
 */
export function runLoad(
  profile: LoadProfile,
  rule: StopRule,
  send: Send,
  clock: Clock = realClock,
  shard: Shard = wholeLoad(clock),
): Promise<void> {
  switch (profile.kind) {
    case "concurrency":
      return runClosedLoop(profile, rule, send, clock, shard);
    case "rate":
      return runRate(profile, rule, send, clock, shard);
    case "ramp":
      return runRamp(profile, rule, send, clock, shard);
    case "pressure":
      return runPressure(profile, rule, send, clock, shard);
  }
}

/** The most requests a profile lets be in flight (Infinity when uncapped). */
export function maxInFlight(profile: LoadProfile): number {
  switch (profile.kind) {
    case "concurrency":
      return profile.concurrency;
    case "pressure":
      return profile.clients;
    default:
      return profile.maxConcurrency ?? Infinity;
  }
}

/** The target rate of an open-loop profile (req/s), for achieved-vs-target reports. */
export function targetRate(profile: LoadProfile): number | undefined {
  return profile.kind === "rate" && Number.isFinite(profile.rate) ? profile.rate : undefined;
}

/** A short label for tables and file names: `c8`, `r2.5`, `rinf`, `ramp1-10`, `p64`. */
export function loadLabel(profile: LoadProfile): string {
  switch (profile.kind) {
    case "concurrency":
      return `c${profile.concurrency}`;
    case "rate":
      return `r${profile.rate}`.replace("Infinity", "inf");
    case "ramp":
      return `ramp${profile.from}-${profile.to}`;
    case "pressure":
      return `p${profile.clients}`;
  }
}

/** A human description: `concurrency 8`, `rate 2 req/s (poisson), cap 16`. */
export function describeLoad(profile: LoadProfile): string {
  const cap = (c?: number) => (c !== undefined ? `, cap ${c}` : "");
  switch (profile.kind) {
    case "concurrency":
      return `concurrency ${profile.concurrency}`;
    case "rate":
      return `rate ${profile.rate} req/s (${profile.arrival})${cap(profile.maxConcurrency)}`;
    case "ramp":
      return `${profile.curve} ramp ${profile.from}→${profile.to} req/s${
        cap(profile.maxConcurrency)
      }`;
    case "pressure":
      return `pressure: ${profile.clients} clients added at ${profile.rampRate}/s`;
  }
}
