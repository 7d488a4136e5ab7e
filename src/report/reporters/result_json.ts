/**
 * `<task>.json`: the result contract (see ../result_json.ts).
 *
 * @module
 */

import type { TaskReporter } from "../reporter.ts";

/** Writes the result JSON of a summarized task. */
export const resultJsonReporter: TaskReporter = {
  key: "result_json",
  scope: "task",
  path: (view) => (view.json ? view.paths.json : undefined),
  write(view, out) {
    out.write(JSON.stringify(view.json, null, 2) + "\n");
  },
};
