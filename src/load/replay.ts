/**
 * The replay profile: a timestamped trace sent as it happened. Each record
 * goes at its own arrival offset (ms after the trace's first record, from the
 * dataset: `RequestSpec.arrivalOffsetMs`), divided by `speed`, once — no
 * cycling; open loop, optionally capped. A window (`from_s`, `to_s`: seconds
 * into the trace) replays a part: the dataset keeps only the records in it
 * and the schedule starts at `from_s`. A send held back (by the cap or a late
 * client) keeps its due time as `scheduled`, so send lag and latency from the
 * scheduled time report what a real arrival would have seen.
 * `--replay --replay-speed 2 --replay-from 60 --replay-to 120`, or
 * `load: {kind: replay, speed: 2, from_s: 60, to_s: 120, max_concurrency: 64}`.
 *
 * @module
 */

import { z } from "zod";
import { positiveInt } from "./_fields.ts";
import { runSchedule } from "./_open_loop.ts";
import { capText, type LoadShape, type ReplayWindow } from "./shape.ts";

/** Settings of a replay. */
export interface ReplayProfile {
  readonly kind: "replay";
  /** Time compression: 2 sends the trace in half its time. */
  readonly speed: number;
  /** Start of the window, seconds into the trace. */
  readonly fromS: number;
  /** End of the window (exclusive), seconds into the trace; absent → the trace's end. */
  readonly toS?: number;
  readonly maxConcurrency?: number;
}

const schema = z.strictObject({
  kind: z.literal("replay"),
  speed: z.number().positive().default(1),
  from_s: z.number().min(0).default(0),
  to_s: z.number().positive().optional(),
  max_concurrency: positiveInt.optional(),
}).superRefine((c, ctx) => {
  if (c.to_s !== undefined && c.to_s <= c.from_s) {
    ctx.addIssue({
      code: "custom",
      path: ["to_s"],
      message: `must be after {from_s} (${c.from_s})`,
    });
  }
});

/** The window of a replay profile. */
export function replayWindow(profile: ReplayProfile): ReplayWindow {
  return { fromMs: profile.fromS * 1000, toMs: (profile.toS ?? Infinity) * 1000 };
}

/** Yields the due offsets (ms from t0) of the arrivals: from the window's start, compressed by `speed`. */
export function* replayOffsets(
  arrivals: readonly number[],
  profile: ReplayProfile,
): Generator<number> {
  const fromMs = profile.fromS * 1000;
  for (const a of arrivals) yield Math.max(0, a - fromMs) / profile.speed;
}

/** The replay shape. */
export const replayShape: LoadShape<z.infer<typeof schema>, ReplayProfile> = {
  kind: "replay",
  description:
    "open loop: each record of a timestamped trace at its own time (÷ `speed`), once, within [`from_s`, `to_s`)",
  schema,
  flags: {
    speed: "replay-speed",
    from_s: "replay-from",
    to_s: "replay-to",
    max_concurrency: "concurrency",
  },
  ownFlags: [
    {
      name: "replay-speed",
      value: "X",
      min: 0.000001,
      help: "With --replay: time compression (2 sends the trace in half its time; default 1).",
    },
    {
      name: "replay-from",
      value: "SECONDS",
      min: 0,
      help: "With --replay: start of the window, seconds into the trace (default 0).",
    },
    {
      name: "replay-to",
      value: "SECONDS",
      min: 0.000001,
      help: "With --replay: end of the window, seconds into the trace (default: its end).",
    },
  ],
  selector: { flag: "replay", rank: 5 },
  points(config) {
    return [{
      profile: {
        kind: "replay",
        speed: config.speed,
        fromS: config.from_s,
        ...(config.to_s !== undefined ? { toS: config.to_s } : {}),
        ...(config.max_concurrency !== undefined ? { maxConcurrency: config.max_concurrency } : {}),
      },
    }];
  },
  maxInFlight: (p) => p.maxConcurrency ?? Infinity,
  label: (p) => `replay${p.speed}`,
  describe: (p) =>
    `replay at ${p.speed}× of ${p.fromS}–${p.toS ?? "end"} s${capText(p.maxConcurrency)}`,
  replayWindow,
  run: (p, rule, run) =>
    runSchedule(replayOffsets(run.arrivals ?? [], p), rule, {
      ...run,
      cap: p.maxConcurrency ?? Infinity,
    }),
};
