/**
 * The pressure profile (AISBench's stress mode, `--pressure --pressure-time S`):
 * clients are added at `rampRate` per second up to `clients`; each loops over
 * the dataset, one request after another, until the time is up; then the
 * in-flight requests drain. Holds a service at full concurrency for as long
 * as asked.
 *
 * @module
 */

import { type Clock, realClock, type Send, type Shard, type StopRule, wholeLoad } from "./clock.ts";
import { runLanes } from "./concurrency.ts";

/** Settings of a pressure run. */
export interface PressureProfile {
  readonly kind: "pressure";
  /** Clients (requests in flight) at full pressure. */
  readonly clients: number;
  /** Clients added per second; Infinity (or ≤ 0) → all at once. */
  readonly rampRate: number;
}

/** Runs the pressure profile; `rule.durationMs` is the pressure time. */
export function runPressure(
  profile: PressureProfile,
  rule: StopRule,
  send: Send,
  clock: Clock = realClock,
  shard: Shard = wholeLoad(clock),
): Promise<void> {
  const step = profile.rampRate > 0 && Number.isFinite(profile.rampRate)
    ? 1000 / profile.rampRate
    : 0;
  return runLanes(profile.clients, (k) => k * step, rule, send, clock, shard);
}
