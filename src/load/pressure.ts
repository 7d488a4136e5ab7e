/**
 * The pressure profile (AISBench's stress mode, `--pressure --pressure-time S`):
 * clients are added at `rampRate` per second up to `clients`; each loops over
 * the dataset, one request after another, until the time is up; then the
 * in-flight requests drain. Holds a service at full concurrency for as long
 * as asked. `load: {kind: pressure, time_s: 600, clients: 64, ramp_rate: 4}`.
 *
 * @module
 */

import { z } from "zod";
import { positiveInt, rateNumber, rateValue } from "./_fields.ts";
import { runLanes } from "./concurrency.ts";
import type { LoadShape } from "./shape.ts";

/** Settings of a pressure run. */
export interface PressureProfile {
  readonly kind: "pressure";
  /** Clients (requests in flight) at full pressure. */
  readonly clients: number;
  /** Clients added per second; Infinity (or ≤ 0) → all at once. */
  readonly rampRate: number;
}

const schema = z.strictObject({
  kind: z.literal("pressure"),
  time_s: z.number().min(1).max(86400, "expected 1 to 86400 seconds").optional(),
  /** Absent → the model config's batch_size. */
  clients: positiveInt.optional(),
  /** Absent → the model config's request_rate (below 0.1: all at once). */
  ramp_rate: rateValue.optional(),
}).superRefine((c, ctx) => {
  if (c.time_s === undefined) {
    ctx.addIssue({ code: "custom", path: [], message: "needs {time_s} SECONDS (1 to 86400)" });
  }
});

/** The pressure shape; the pressure time bounds the task (not `--duration`). */
export const pressureShape: LoadShape<z.infer<typeof schema>, PressureProfile> = {
  kind: "pressure",
  description:
    "AISBench stress mode: `clients` added at `ramp_rate`/s, each looping until `time_s` is up",
  schema,
  flags: { time_s: "pressure-time", clients: "concurrency", ramp_rate: "request-rate" },
  selector: { flag: "pressure", rank: 4 },
  closedLoop: true,
  ownsDuration: true,
  points(config, context) {
    const rampRate = config.ramp_rate !== undefined
      ? rateNumber(config.ramp_rate)
      : context.requestRate >= 0.1
      ? context.requestRate
      : Infinity;
    return [{
      profile: { kind: "pressure", clients: config.clients ?? context.batchSize, rampRate },
      ...(config.time_s !== undefined ? { durationS: config.time_s } : {}),
    }];
  },
  maxInFlight: (p) => p.clients,
  label: (p) => `p${p.clients}`,
  describe: (p) => `pressure: ${p.clients} clients added at ${p.rampRate}/s`,
  run(p, rule, run) {
    const step = p.rampRate > 0 && Number.isFinite(p.rampRate) ? 1000 / p.rampRate : 0;
    return runLanes(p.clients, rule, { ...run, delay: (k) => k * step });
  },
};
