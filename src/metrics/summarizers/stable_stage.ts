/**
 * The `stable_stage` summarizer (AISBench `stable_stage`): only the requests
 * that start inside the stable window, where the client held the configured
 * maximum in flight (see ../stable.ts). The window's length is the duration,
 * and the concurrency is capped at the max.
 *
 * @module
 */

import { inWindow, stableWindow } from "../stable.ts";
import type { Summarizer } from "./_summarizer.ts";

/** Counts the requests of the stable window; throws NoStableWindowError when there is none. */
export const stableStage: Summarizer = {
  key: "stable_stage",
  help: "counts only the requests of the steady window at the max concurrency",
  countsEveryMeasured: false,
  select(measured, maxConcurrency) {
    const window = stableWindow(measured, maxConcurrency);
    return { counted: inWindow(measured, window).map((i) => measured[i]!), window };
  },
};
