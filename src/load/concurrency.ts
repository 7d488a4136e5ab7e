/**
 * The concurrency profile (AISBench `batch_size`): at most C requests in
 * flight; the next one goes as soon as one finishes. A closed loop: a request
 * is scheduled the moment its slot frees, so its send lag is the client's own
 * delay.
 *
 * @module
 */

import {
  type Clock,
  realClock,
  type Send,
  type Shard,
  stopped,
  type StopRule,
  wholeLoad,
} from "./clock.ts";

/** Settings of a closed-loop run. */
export interface ConcurrencyProfile {
  readonly kind: "concurrency";
  /** Requests in flight at most. */
  readonly concurrency: number;
}

/**
 * Runs closed-loop lanes: the shard's lanes among `lanes`, lane k starting at
 * `t0 + delay(k)`, each sending back to back (indices claimed from the shard)
 * until the stop rule holds. Resolves when every started send has ended.
 */
export async function runLanes(
  lanes: number,
  delay: (lane: number) => number,
  rule: StopRule,
  send: Send,
  clock: Clock,
  shard: Shard,
): Promise<void> {
  const t0 = shard.t0;
  const origin = performance.timeOrigin;
  async function lane(k: number): Promise<void> {
    const start = t0 + delay(k);
    if (start > clock.now()) await clock.sleepUntil(start, rule.signal);
    for (;;) {
      const now = clock.now();
      // Time and signal first, so a stopping lane claims no index: every claimed index is sent.
      if (stopped(rule, 0, now, t0)) return;
      const index = shard.claim();
      if (stopped(rule, index, now, t0)) return;
      await send(index, origin + now);
    }
  }
  const mine: Promise<void>[] = [];
  for (let k = shard.worker; k < Math.min(lanes, rule.total); k += shard.workers) {
    mine.push(lane(k));
  }
  await Promise.all(mine);
}

/** Runs the concurrency profile under a stop rule. */
export function runClosedLoop(
  profile: ConcurrencyProfile,
  rule: StopRule,
  send: Send,
  clock: Clock = realClock,
  shard: Shard = wholeLoad(clock),
): Promise<void> {
  return runLanes(profile.concurrency, () => 0, rule, send, clock, shard);
}
