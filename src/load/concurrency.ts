/**
 * The concurrency profile (AISBench `batch_size`): at most C requests in
 * flight; the next one goes as soon as one finishes. A closed loop: a request
 * is scheduled the moment its slot frees, so its send lag is the client's own
 * delay. `load: {kind: concurrency, concurrency: 8}` or a sweep `[1, 4, 16]`.
 *
 * @module
 */

import { z } from "zod";
import { stopped, type StopRule } from "./clock.ts";
import { listOf, oneOrMany, positiveInt } from "./_fields.ts";
import type { LoadShape, ShapeRun } from "./shape.ts";

/** Settings of a closed-loop run. */
export interface ConcurrencyProfile {
  readonly kind: "concurrency";
  /** Requests in flight at most. */
  readonly concurrency: number;
}

const schema = z.strictObject({
  kind: z.literal("concurrency"),
  /** Requests in flight; a list runs one task each. Absent → the model config's batch_size. */
  concurrency: oneOrMany(positiveInt).optional(),
});

/** Lanes, each starting after its own delay, for {@link runLanes}. */
export interface LaneOptions extends ShapeRun {
  /** When lane k starts, in ms after t0. */
  delay(lane: number): number;
}

/**
 * Runs closed-loop lanes: the shard's lanes among `lanes`, lane k starting at
 * `t0 + delay(k)`, each sending back to back (indices claimed from the shard)
 * until the stop rule holds. Resolves when every started send has ended.
 */
export async function runLanes(lanes: number, rule: StopRule, options: LaneOptions): Promise<void> {
  const { send, clock, shard } = options;
  const t0 = shard.t0;
  const origin = performance.timeOrigin;
  async function lane(k: number): Promise<void> {
    const start = t0 + options.delay(k);
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

/** The closed-loop shape. */
export const concurrencyShape: LoadShape<z.infer<typeof schema>, ConcurrencyProfile> = {
  kind: "concurrency",
  description:
    "closed loop: at most `concurrency` requests in flight, the next sent as one ends (a list sweeps)",
  schema,
  flags: { concurrency: "concurrency" },
  sweeps: ["concurrency"],
  selector: { flag: "concurrency", rank: 1 },
  closedLoop: true,
  points(config, context) {
    return listOf(config.concurrency ?? context.batchSize).map((concurrency) => ({
      profile: { kind: "concurrency", concurrency },
    }));
  },
  maxInFlight: (p) => p.concurrency,
  label: (p) => `c${p.concurrency}`,
  describe: (p) => `concurrency ${p.concurrency}`,
  defaultRequests: (p) => 4 * p.concurrency,
  run: (p, rule, run) => runLanes(p.concurrency, rule, { ...run, delay: () => 0 }),
};
