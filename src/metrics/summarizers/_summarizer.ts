/**
 * What a summarizer is: which of a task's measured requests its summary counts.
 *
 * @module
 */

import type { RequestFacts } from "../../record/record.ts";
import type { StableWindow } from "../stable.ts";

/** The requests a summarizer counts, and the window they were taken from, if any. */
export interface Counted {
  counted: RequestFacts[];
  /** When present, the duration is the window's length and concurrency is capped at the max. */
  window?: StableWindow;
}

/** One summarizer kind, registered by key in ./mod.ts. */
export interface Summarizer {
  /** Its name in configs and `--summarizer`. */
  readonly key: string;
  /** One line for help and docs. */
  readonly help: string;
  /** True when it counts every measured request (one pass over a trace folds its chunk gaps). */
  readonly countsEveryMeasured: boolean;
  /** Picks the counted requests from the measured ones (warm-up already left out). */
  select(measured: RequestFacts[], maxConcurrency: number): Counted;
}
