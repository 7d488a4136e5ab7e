/**
 * The run summary at the run folder's root: `summary.json`, `summary.csv`
 * and `summary.html` (suffixed for a report with other settings than the
 * run's: `summary@x.json`), one row per summarized task.
 *
 * @module
 */

import { summaryPage } from "../summary_page.ts";
import { runFilePath } from "../paths.ts";
import type { RunReporter, RunView } from "../reporter.ts";
import { summaryCsvText, summaryJsonText } from "../summary.ts";

const jsons = (view: RunView) => view.tasks.flatMap((t) => (t.json ? [t.json] : []));

/** `summary.json`. */
export const summaryJsonReporter: RunReporter = {
  key: "summary_json",
  scope: "run",
  path: (view) => runFilePath(view.runDir, { name: "summary.json", suffix: view.suffix }),
  write: (view, out) => out.write(summaryJsonText(jsons(view))),
};

/** `summary.csv`. */
export const summaryCsvReporter: RunReporter = {
  key: "summary_csv",
  scope: "run",
  path: (view) => runFilePath(view.runDir, { name: "summary.csv", suffix: view.suffix }),
  write: (view, out) => out.write(summaryCsvText(jsons(view))),
};

/** `summary.html`. */
export const summaryHtmlReporter: RunReporter = {
  key: "summary_html",
  scope: "run",
  path: (view) => runFilePath(view.runDir, { name: "summary.html", suffix: view.suffix }),
  write: (view, out) =>
    out.write(
      summaryPage(
        view.tasks.flatMap((
          t,
        ) => (t.json ? [{ json: t.json, ...(t.summary ? { summary: t.summary } : {}) }] : [])),
      ),
    ),
};
