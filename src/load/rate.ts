/**
 * The rate profile: arrivals at R requests/s with `constant`, `poisson` or
 * `gamma` inter-arrival times (gamma shape = burstiness: 1 is Poisson, below
 * 1 burstier, as vLLM), and an optional cap on requests in flight.
 * `load: {kind: rate, rate: [1, 2, inf], arrival: gamma, burstiness: 0.5, max_concurrency: 16}`.
 *
 * When the number of requests N is known, random schedules are conditioned on
 * it: the N−1 gaps are rescaled so the run's realized rate is exactly R (for
 * Poisson, the arrival times of a Poisson process conditioned on N arrivals).
 * Bursts keep their shape; the achieved rate then measures the client, not the
 * dice.
 *
 * @module
 */

import { z } from "zod";
import { Random } from "../random.ts";
import { listOf, oneOrMany, positiveInt, rateNumber, rateValue } from "./_fields.ts";
import { runSchedule } from "./_open_loop.ts";
import { capText, type LoadShape } from "./shape.ts";

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

const schema = z.strictObject({
  kind: z.literal("rate"),
  rate: oneOrMany(rateValue),
  arrival: z.enum(ARRIVALS).default("poisson"),
  burstiness: z.number().min(0.0001).optional(),
  max_concurrency: positiveInt.optional(),
}).superRefine((c, ctx) => {
  if (c.burstiness !== undefined && c.arrival !== "gamma") {
    ctx.addIssue({
      code: "custom",
      path: ["burstiness"],
      message: `applies to {arrival} gamma only (arrival is ${c.arrival})`,
    });
  }
});

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

/** The open-loop shape. */
export const rateShape: LoadShape<z.infer<typeof schema>, RateProfile> = {
  kind: "rate",
  description:
    "open loop: arrivals at `rate` req/s (constant, poisson or gamma gaps), optional cap (a list sweeps)",
  schema,
  flags: {
    rate: "request-rate",
    arrival: "arrival",
    burstiness: "burstiness",
    max_concurrency: "concurrency",
  },
  sweeps: ["rate"],
  selector: { flag: "request-rate", rank: 2 },
  points(config, context) {
    return listOf(config.rate).map((rate) => ({
      profile: {
        kind: "rate",
        rate: rateNumber(rate),
        arrival: config.arrival,
        burstiness: config.burstiness ?? 1,
        seed: context.seed,
        ...(config.max_concurrency !== undefined ? { maxConcurrency: config.max_concurrency } : {}),
      },
    }));
  },
  maxInFlight: (p) => p.maxConcurrency ?? Infinity,
  label: (p) => `r${p.rate}`.replace("Infinity", "inf"),
  describe: (p) => `rate ${p.rate} req/s (${p.arrival})${capText(p.maxConcurrency)}`,
  targetRate: (p) => Number.isFinite(p.rate) ? p.rate : undefined,
  run: (p, rule, run) =>
    runSchedule(arrivalOffsets(p, rule.total), rule, {
      ...run,
      cap: p.maxConcurrency ?? Infinity,
    }),
};
