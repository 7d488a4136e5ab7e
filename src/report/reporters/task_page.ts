/**
 * `<task>_plot.html`: the task's self-contained page (see ../plots.ts).
 *
 * @module
 */

import { taskPage } from "../plots.ts";
import type { TaskReporter } from "../reporter.ts";

/** Writes the page, with the reason instead of the summary when there is none. */
export const taskPageReporter: TaskReporter = {
  key: "task_page",
  scope: "task",
  path: (view) => view.paths.plot,
  write(view, out) {
    const tokenCount = view.settings.tokenCount;
    out.write(taskPage(view.identity, { ...view, ...(tokenCount ? { tokenCount } : {}) }));
  },
};
