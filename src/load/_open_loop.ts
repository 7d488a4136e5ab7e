/**
 * The open-loop driver shared by the rate and ramp profiles: the i-th send is
 * due at t0 + offset(i) — an absolute schedule, never a chain of sleeps —
 * under an optional cap on requests in flight. A send held back by the cap or
 * by a late client keeps its due time as `scheduled`, so lag is measured, not
 * hidden.
 *
 * @module
 */

import { capShare, stopped, type StopRule } from "./clock.ts";
import type { ShapeRun } from "./shape.ts";

/** Runs the shard's sends at `t0 + offsets[i]` under its share of `cap` and the stop rule. */
export async function runSchedule(
  offsets: Iterator<number>,
  rule: StopRule,
  options: ShapeRun & { cap: number },
): Promise<void> {
  const { send, clock, shard } = options;
  const origin = performance.timeOrigin;
  const t0 = shard.t0;
  const cap = capShare(options.cap, shard);
  const inFlight = new Set<Promise<unknown>>();
  for (let index = 0;; index++) {
    const step = offsets.next();
    if (step.done) break;
    if (index % shard.workers !== shard.worker) continue;
    const due = t0 + step.value;
    if (rule.durationMs !== undefined && step.value >= rule.durationMs) break;
    await clock.sleepUntil(due, rule.signal);
    while (inFlight.size >= cap && !rule.signal?.aborted) await Promise.race(inFlight);
    if (stopped(rule, index, Math.max(due, t0), t0)) break;
    const p: Promise<unknown> = send(index, origin + due).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}
