/**
 * The reporters, registered by key: each turns a task's or a run's summary
 * into one file's bytes, written through a sink (see ../reporter.ts). A
 * reporter marked `optIn` runs only when asked for (`ReportSettings.outputs`).
 *
 * @module
 */

import type { Reporter } from "../reporter.ts";
import { performanceCsvReporter } from "./performance_csv.ts";
import { requestsCsvReporter } from "./requests_csv.ts";
import { resultJsonReporter } from "./result_json.ts";
import { summaryCsvReporter, summaryHtmlReporter, summaryJsonReporter } from "./summary_files.ts";
import { taskPageReporter } from "./task_page.ts";
import { junitReporter } from "./junit.ts";

/** Every reporter, by key. */
export const REPORTERS: Readonly<Record<string, Reporter>> = {
  requests_csv: requestsCsvReporter,
  performance_csv: performanceCsvReporter,
  result_json: resultJsonReporter,
  task_page: taskPageReporter,
  summary_html: summaryHtmlReporter,
  summary_json: summaryJsonReporter,
  summary_csv: summaryCsvReporter,
  junit: junitReporter,
};
