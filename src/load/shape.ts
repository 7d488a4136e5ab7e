/**
 * The interface every load shape implements. A shape is one module holding
 * its `load:` block schema (zod, AISBench-style snake_case fields, its own
 * defaults and cross-field checks), how the load flags map onto that block,
 * its labels, its cap on requests in flight, and its run loop. Shapes
 * register by key in `load/mod.ts`; nothing else switches over kinds.
 *
 * @module
 */

import type { z } from "zod";
import type { Clock, Send, Shard, StopRule } from "./clock.ts";

/** A flag a shape adds to `servebench run` (a number), read into one of its fields. */
export interface ShapeFlag {
  /** Without `--`. */
  readonly name: string;
  /** One sentence for `--help`. */
  readonly help: string;
  /** Placeholder in `--help`. */
  readonly value?: string;
  /** The smallest allowed value. */
  readonly min?: number;
}

/** What a shape's load points may default from: the model config and the run. */
export interface ShapeContext {
  /** The model config's `batch_size` (AISBench), the default cap or client count. */
  readonly batchSize: number;
  /** The model config's `request_rate` (AISBench); below 0.1 means "all at once". */
  readonly requestRate: number;
  /** The run's seed (`--seed`), for random arrival times. */
  readonly seed: number;
}

/**
 * How flags select a shape: `flag` given (with one of `values`, when set).
 * When several shapes are selected the highest `rank` wins and the others'
 * flags become its settings (`--pressure` reads `--request-rate` as its ramp
 * rate), or errors when it reads them not.
 */
export interface ShapeSelector {
  readonly flag: string;
  readonly values?: readonly string[];
  readonly rank: number;
}

/** One load point a config expands to, with the time bound the shape itself sets. */
export interface ShapePoint<P> {
  readonly profile: P;
  /** Seconds the shape bounds the task to (pressure time); absent → the run's `--duration`. */
  readonly durationS?: number;
}

/** The part of a trace a replay sends, in ms after the trace's first record: [fromMs, toMs). */
export interface ReplayWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** How a shape is run: the sends, the clock and this worker's share. */
export interface ShapeRun {
  readonly send: Send;
  readonly clock: Clock;
  readonly shard: Shard;
  /**
   * The dataset's arrival offsets (ms from the first request), when every
   * prepared spec carries one; a replay shape schedules by them.
   */
  readonly arrivals?: readonly number[];
  /**
   * The dataset's conversations, for a shape that {@link LoadShape.runsConversations}:
   * each the indices of its specs in turn order (a spec without a session is
   * a conversation of its own), in the order they first appear.
   */
  readonly conversations?: ReadonlyArray<readonly number[]>;
}

/**
 * One load shape. `C` is its parsed `load:` block (with `kind`), `P` the
 * profile one load point runs (with `kind`; written verbatim into results).
 */
export interface LoadShape<
  C extends { readonly kind: string },
  P extends { readonly kind: string },
> {
  /** The key in `load: {kind: …}` and in profiles. */
  readonly kind: P["kind"];
  /** One line for `--help` and the README: what the shape does. */
  readonly description: string;
  /** The `load:` block: strict (unknown keys are errors), defaults and cross-field checks included. */
  readonly schema: z.ZodType<C, unknown>;
  /**
   * The flags this shape reads, by block field (`max_concurrency: "concurrency"`).
   * A load flag given that neither the chosen shape's fields nor its selector
   * read is an error, never dropped.
   */
  readonly flags: Readonly<Record<string, string>>;
  /** Flags this shape adds to the command line (the others are shared: `--concurrency`, `--ramp-from`, …). */
  readonly ownFlags?: readonly ShapeFlag[];
  /** Fields that take a list (a sweep); a list flag given several values for any other is an error. */
  readonly sweeps?: readonly string[];
  /** The flag (and its values, if not every value) that selects this shape from the command line. */
  readonly selector: ShapeSelector;
  /**
   * True for a closed loop (each next request sent as one ends): a send has
   * no due time of its own, so lateness is worded as "started late after a
   * stream came free", not "after its due time".
   */
  readonly closedLoop?: boolean;
  /** True when the shape's points carry their own time bound, so `--duration` is an error with it. */
  readonly ownsDuration?: boolean;
  /** The load points of a parsed block (several for a sweep). */
  points(config: C, context: ShapeContext): ShapePoint<P>[];
  /** Requests in flight at most (Infinity when uncapped). */
  maxInFlight(profile: P): number;
  /** A short label for file names: `c8`, `r2.5`, `ramp1-10`. */
  label(profile: P): string;
  /** A human description: `concurrency 8`, `rate 2 req/s (poisson), cap 16`. */
  describe(profile: P): string;
  /** The target rate for achieved-vs-target reports (req/s), when the shape has one. */
  targetRate?(profile: P): number | undefined;
  /** Requests a generated dataset makes by default at this point (before `max(8, …)`). */
  defaultRequests?(profile: P): number;
  /**
   * Present on a shape that replays the dataset's arrival times: the part of
   * the trace it sends. Every spec must then carry an arrival offset, the
   * records in the window are prepared (not a count), and each is sent once.
   */
  replayWindow?(profile: P): ReplayWindow;
  /**
   * True on a shape that runs the dataset's conversations (`ShapeRun.conversations`):
   * as with a replay, every prepared spec is sent once and the count need not be given.
   */
  readonly runsConversations?: true;
  /** Runs sends until the stop rule holds; resolves when all sent have ended. */
  run(profile: P, rule: StopRule, run: ShapeRun): Promise<void>;
}

/** `, cap N` when a cap is set, for descriptions. */
export function capText(cap: number | undefined): string {
  return cap !== undefined ? `, cap ${cap}` : "";
}
