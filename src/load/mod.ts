/**
 * Load shapes, by key: `concurrency` (closed loop), `rate` (open loop on an
 * absolute schedule), `ramp` and `step` (a rate that moves), `pressure`
 * (clients added over time, held until the time is up) and `replay` (a
 * timestamped trace as it happened). A shape says only when each request
 * goes; stop rules (count, duration, Ctrl-C) are separate. Each shape is one
 * module implementing {@link LoadShape}; adding one is that module plus one
 * line in {@link LOAD_SHAPES}.
 *
 * @module
 */

import type { StopRule } from "./clock.ts";
import { concurrencyShape } from "./concurrency.ts";
import { pressureShape } from "./pressure.ts";
import { rampShape } from "./ramp.ts";
import { rateShape } from "./rate.ts";
import { replayShape } from "./replay.ts";
import { sessionsShape } from "./sessions.ts";
import { stepShape } from "./step.ts";
import type { LoadShape, ReplayWindow, ShapeFlag, ShapeRun } from "./shape.ts";

export type { Clock, LoadPart, Send, Shard, StopRule, TurnHistory } from "./clock.ts";
export { partShare, realClock, shardOfPart, WHOLE, wholeLoad } from "./clock.ts";
export type { ConcurrencyProfile } from "./concurrency.ts";
export type { PressureProfile } from "./pressure.ts";
export { RAMP_CURVES, rampOffsets, type RampProfile } from "./ramp.ts";
export { type Arrival, arrivalOffsets, ARRIVALS, type RateProfile } from "./rate.ts";
export type { ReplayProfile } from "./replay.ts";
export type { SessionsProfile, ThinkTime } from "./sessions.ts";
export type {
  LoadShape,
  ReplayWindow,
  ShapeContext,
  ShapeFlag,
  ShapePoint,
  ShapeRun,
  ShapeSelector,
} from "./shape.ts";

/** Every load shape, by kind. */
export const LOAD_SHAPES = {
  concurrency: concurrencyShape,
  rate: rateShape,
  ramp: rampShape,
  pressure: pressureShape,
  step: stepShape,
  replay: replayShape,
  sessions: sessionsShape,
} as const;

/** A load shape's key. */
export type LoadKind = keyof typeof LOAD_SHAPES;

type ProfileOf<S> = S extends LoadShape<infer _C, infer P> ? P : never;

/** Any load profile. */
export type LoadProfile = ProfileOf<typeof LOAD_SHAPES[LoadKind]>;

/** A shape with its own config and profile types erased (what the registry hands out). */
export type AnyLoadShape = LoadShape<{ readonly kind: string }, LoadProfile>;

/** The shape registered under `kind`, or undefined. */
export function loadShape(kind: string): AnyLoadShape | undefined {
  return Object.hasOwn(LOAD_SHAPES, kind)
    // Each entry's config and profile match its key; erasing them is safe.
    ? LOAD_SHAPES[kind as LoadKind] as unknown as AnyLoadShape
    : undefined;
}

function shapes(): AnyLoadShape[] {
  return Object.keys(LOAD_SHAPES).map((kind) => loadShape(kind)!);
}

/** Every value of `--ramp`: the curves and steps of the shapes it selects. */
export const RAMP_CHOICES: readonly string[] = shapes().flatMap((s) =>
  s.selector.flag === "ramp" ? s.selector.values ?? [] : []
);

/** The flags shapes add to the command line, in registry order. */
export function shapeFlags(): ShapeFlag[] {
  return shapes().flatMap((s) => s.ownFlags ?? []);
}

function shapeOf(profile: LoadProfile): AnyLoadShape {
  return loadShape(profile.kind)!;
}

/** Runs sends under a profile until the stop rule holds; resolves when all sent have ended. */
export function runShape(profile: LoadProfile, rule: StopRule, run: ShapeRun): Promise<void> {
  return shapeOf(profile).run(profile, rule, run);
}

/** The most requests a profile lets be in flight (Infinity when uncapped). */
export function maxInFlight(profile: LoadProfile): number {
  return shapeOf(profile).maxInFlight(profile);
}

/** True when the profile's shape is a closed loop (see LoadShape.closedLoop); false for unknown kinds. */
export function isClosedLoop(profile: LoadProfile): boolean {
  return loadShape(profile.kind)?.closedLoop === true;
}

/** The target rate of an open-loop profile (req/s), for achieved-vs-target reports. */
export function targetRate(profile: LoadProfile): number | undefined {
  // Profiles read back from result files may be of a kind this build does not know.
  return loadShape(profile.kind)?.targetRate?.(profile);
}

/** A short label for tables and file names: `c8`, `r2.5`, `rinf`, `ramp1-10`, `p64`. */
export function loadLabel(profile: LoadProfile): string {
  return shapeOf(profile).label(profile);
}

/** A human description: `concurrency 8`, `rate 2 req/s (poisson), cap 16`. */
export function describeLoad(profile: LoadProfile): string {
  return shapeOf(profile).describe(profile);
}

/** True when a profile runs the dataset's conversations (each turn once, in order). */
export function runsConversations(profile: LoadProfile): boolean {
  return shapeOf(profile).runsConversations === true;
}

/** True when a profile sends each prepared spec once (a replay, or conversations): no cycling. */
export function sendsDatasetOnce(profile: LoadProfile): boolean {
  return replayWindowOf(profile) !== undefined || runsConversations(profile);
}

/** The part of the trace a replaying profile sends; undefined for a profile that does not replay. */
export function replayWindowOf(profile: LoadProfile): ReplayWindow | undefined {
  return shapeOf(profile).replayWindow?.(profile);
}

/** Requests a generated dataset makes by default for a profile: 4 per lane, at least 8. */
export function defaultRequests(profile: LoadProfile): number {
  return Math.max(8, shapeOf(profile).defaultRequests?.(profile) ?? 4);
}
