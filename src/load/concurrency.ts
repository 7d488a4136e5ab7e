/**
 * The concurrency profile (AISBench `batch_size`): at most C requests in
 * flight; the next one goes as soon as one finishes. A closed loop: a request
 * is scheduled the moment its slot frees, so its send lag is the client's own
 * delay.
 *
 * @module
 */

import { type Clock, realClock, type Send, stopped, type StopRule } from "./clock.ts";

/** Settings of a closed-loop run. */
export interface ConcurrencyProfile {
  readonly kind: "concurrency";
  /** Requests in flight at most. */
  readonly concurrency: number;
}

/**
 * Runs closed-loop lanes: `lanes` of them, lane k starting at `startAt(k)`
 * (clock ms), each sending back to back until the stop rule holds. Resolves
 * when every started send has ended.
 */
export async function runLanes(
  lanes: number,
  startAt: (lane: number) => number,
  rule: StopRule,
  send: Send,
  clock: Clock,
): Promise<void> {
  let next = 0;
  const t0 = clock.now();
  const origin = performance.timeOrigin;
  async function lane(k: number): Promise<void> {
    const start = startAt(k);
    if (start > t0) await clock.sleepUntil(start, rule.signal);
    for (;;) {
      const now = clock.now();
      if (stopped(rule, next, now, t0)) return;
      const index = next++;
      await send(index, origin + now);
    }
  }
  await Promise.all(Array.from({ length: Math.min(lanes, rule.total) }, (_, k) => lane(k)));
}

/** Runs the concurrency profile under a stop rule. */
export function runClosedLoop(
  profile: ConcurrencyProfile,
  rule: StopRule,
  send: Send,
  clock: Clock = realClock,
): Promise<void> {
  const t0 = clock.now();
  return runLanes(profile.concurrency, () => t0, rule, send, clock);
}
