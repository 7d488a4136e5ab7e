/**
 * `<task>.csv`: the Performance Parameters table as AISBench writes it.
 *
 * @module
 */

import type { TaskReporter } from "../reporter.ts";
import { performanceCsv } from "../table.ts";

/** Writes the table of a summarized task. */
export const performanceCsvReporter: TaskReporter = {
  key: "performance_csv",
  scope: "task",
  path: (view) => (view.summary ? view.paths.csv : undefined),
  write(view, out) {
    out.write(performanceCsv(view.summary!, view.settings.stats));
  },
};
