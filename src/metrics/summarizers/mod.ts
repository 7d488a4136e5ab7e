/**
 * The summarizers, registered by key: one module each.
 *
 * @module
 */

import { UsageError } from "../../errors.ts";
import { defaultPerf } from "./default_perf.ts";
import { stableStage } from "./stable_stage.ts";
import type { Summarizer } from "./_summarizer.ts";

export type { Counted, Summarizer } from "./_summarizer.ts";

/** Every summarizer, by key. */
export const SUMMARIZER_KINDS = {
  default_perf: defaultPerf,
  stable_stage: stableStage,
} as const satisfies Record<string, Summarizer>;

/** A summarizer's key. */
export type SummarizerName = keyof typeof SUMMARIZER_KINDS;

/** The summarizer keys, for config schemas. */
export const SUMMARIZERS = Object.keys(SUMMARIZER_KINDS) as [SummarizerName, ...SummarizerName[]];

/** The summarizer of a key; a key not registered names the ones that are. */
export function summarizerOf(key: string): Summarizer {
  if (Object.hasOwn(SUMMARIZER_KINDS, key)) return SUMMARIZER_KINDS[key as SummarizerName];
  throw new UsageError(`Unknown summarizer "${key}": expected one of ${SUMMARIZERS.join(", ")}`);
}
