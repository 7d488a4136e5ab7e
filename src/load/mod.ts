/**
 * Load profiles, by key: `concurrency` (closed loop) and `rate` (open loop on
 * an absolute schedule). A profile says only when each request goes.
 *
 * @module
 */

import { type ConcurrencyProfile, runClosedLoop, type Send } from "./concurrency.ts";
import { type RateProfile, runOpenLoop } from "./rate.ts";

export type { ConcurrencyProfile, Send } from "./concurrency.ts";
export { type Arrival, arrivalOffsets, ARRIVALS, type RateProfile } from "./rate.ts";

/** Any load profile. */
export type LoadProfile = ConcurrencyProfile | RateProfile;

/** Runs `total` sends under a profile. */
export function runLoad(
  profile: LoadProfile,
  total: number,
  send: Send,
  signal?: AbortSignal,
): Promise<void> {
  return profile.kind === "concurrency"
    ? runClosedLoop(profile, total, send, signal)
    : runOpenLoop(profile, total, send, signal);
}

/** The most requests a profile lets be in flight (Infinity when uncapped). */
export function maxInFlight(profile: LoadProfile): number {
  return profile.kind === "concurrency"
    ? profile.concurrency
    : (profile.maxConcurrency ?? Infinity);
}

/** A short label for tables and file names: `c8`, `r2.5`, `rinf`. */
export function loadLabel(profile: LoadProfile): string {
  return profile.kind === "concurrency"
    ? `c${profile.concurrency}`
    : `r${profile.rate}`.replace("Infinity", "inf");
}
