/**
 * `<task>_requests.csv`: one row per request (see ../requests_csv.ts).
 *
 * @module
 */

import type { TaskReporter } from "../reporter.ts";
import { writeRequestsCsv } from "../requests_csv.ts";

/** Writes every request's row, with or without a summary. */
export const requestsCsvReporter: TaskReporter = {
  key: "requests_csv",
  scope: "task",
  path: (view) => view.paths.requestsCsv,
  write(view, out) {
    writeRequestsCsv(out, view.facts, {
      anchorMs: view.anchorMs,
      ...(view.settings.tokenCount ? { tokenCount: view.settings.tokenCount } : {}),
    });
  },
};
