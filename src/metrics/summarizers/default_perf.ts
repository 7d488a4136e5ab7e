/**
 * The `default_perf` summarizer: every measured request (warm-up aside) counts.
 *
 * @module
 */

import type { Summarizer } from "./_summarizer.ts";

/** Counts every measured request; one pass over the trace folds their chunk gaps. */
export const defaultPerf: Summarizer = {
  key: "default_perf",
  help: "counts every request (warm-up aside)",
  countsEveryMeasured: true,
  select: (measured) => ({ counted: measured }),
};
