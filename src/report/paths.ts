/**
 * The output layout (DESIGN.md): one never-overwritten run folder per run,
 * `performances/<abbr>/<name>.*` per task. Names that came from configs are
 * sanitized so nothing is written outside the run folder.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";

import { safeName } from "../safe_name.ts";

export { safeName };

/** A run folder's name for a time: `YYYYMMDD_HHMMSS`, local time. */
export function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${
    p(date.getMinutes())
  }${p(date.getSeconds())}`;
}

/** Creates `<workDir>/<YYYYMMDD_HHMMSS>` (with `_N` appended if taken) and returns it. */
export function createRunDir(workDir: string, now = new Date()): { dir: string; stamp: string } {
  const base = stamp(now);
  try {
    Deno.mkdirSync(workDir, { recursive: true });
  } catch (error) {
    throw new RuntimeError(
      `Cannot create the work folder "${workDir}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  for (let i = 0; i < 1000; i++) {
    const name = i === 0 ? base : `${base}_${i}`;
    const dir = `${workDir}/${name}`;
    try {
      Deno.mkdirSync(dir);
      return { dir, stamp: name };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new RuntimeError(
          `Cannot create the run folder "${dir}": ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  }
  throw new RuntimeError(
    `Cannot create a run folder under "${workDir}": too many runs this second`,
  );
}

/** Paths of one task's files. */
export interface TaskPaths {
  dir: string;
  csv: string;
  json: string;
  requestsCsv: string;
  trace: string;
  plot: string;
  log: string;
  /** The server's Prometheus samples, appended as scraped (`--server-metrics`). */
  serverMetrics: string;
}

/** The suffix of trace files. */
export const TRACE_SUFFIX = "_details.jsonl";

/** The suffix of server-metrics samples files. */
export const SERVER_METRICS_SUFFIX = "_server_metrics.jsonl";

/**
 * The files of task `stem`, in `dir`, its log in `logDir`. The run's records
 * (the trace, the server's samples) are the task's own; what a report writes
 * is suffixed when a suffix is given.
 */
function filesOf(dir: string, logDir: string, stem: string, suffix?: string): TaskPaths {
  const out = suffixed(stem, suffix);
  return {
    dir,
    csv: `${dir}/${out}.csv`,
    json: `${dir}/${out}.json`,
    requestsCsv: `${dir}/${out}_requests.csv`,
    trace: `${dir}/${stem}${TRACE_SUFFIX}`,
    plot: `${dir}/${out}_plot.html`,
    log: `${logDir}/${out}.log`,
    serverMetrics: `${dir}/${stem}${SERVER_METRICS_SUFFIX}`,
  };
}

/** A file stem with a report's suffix: `synthetic@stable` (`@` is in no safe name's place). */
export function suffixed(stem: string, suffix: string | undefined): string {
  return suffix === undefined ? stem : `${stem}@${suffix}`;
}

/**
 * The paths of a task whose trace is at `tracePath` (a run being
 * recomputed); with a suffix, its files are a set beside the originals
 * (`synthetic@stable.json`, …), reading the same trace and server samples.
 */
export function taskPathsOfTrace(runDir: string, tracePath: string, suffix?: string): TaskPaths {
  const parts = tracePath.split("/");
  const stem = parts[parts.length - 1]!.slice(0, -TRACE_SUFFIX.length);
  const logDir = `${runDir}/logs/performance/${parts[parts.length - 2]!}`;
  Deno.mkdirSync(logDir, { recursive: true });
  return filesOf(parts.slice(0, -1).join("/"), logDir, stem, suffix);
}

/** A run-level file: `<runDir>/summary.json`, or `summary@<suffix>.json` for a suffixed report. */
export function runFilePath(
  runDir: string,
  file: { name: string; suffix?: string | undefined },
): string {
  const dot = file.name.lastIndexOf(".");
  return `${runDir}/${suffixed(file.name.slice(0, dot), file.suffix)}${file.name.slice(dot)}`;
}

/** Lays out (and creates the folder of) one task's files; its log folder is made when the log is written. */
export function taskPaths(
  runDir: string,
  task: { modelAbbr: string; name: string },
): TaskPaths {
  const abbr = safeName(task.modelAbbr);
  const stem = safeName(task.name);
  const dir = `${runDir}/performances/${abbr}`;
  const logDir = `${runDir}/logs/performance/${abbr}`;
  Deno.mkdirSync(dir, { recursive: true });
  return filesOf(dir, logDir, stem);
}
