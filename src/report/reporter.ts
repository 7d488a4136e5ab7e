/**
 * Reporters: functions from a task's or a run's summary to bytes, written
 * through an injected {@link Sink}. No reporter opens a file: the sink does
 * (files for a run, memory for tests). Reporters register by key in
 * ./reporters/mod.ts; the run chooses which ones run (bench/run_benchmark.ts).
 *
 * @module
 */

import type { TaskIdentity } from "../config/plan.ts";
import type { GateCheck } from "../metrics/gates.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import type { RequestFacts } from "../record/record.ts";
import type { TaskPaths } from "./paths.ts";
import type { ReportSettings, TaskResultJson } from "./result_json.ts";
import type { ServerSummary } from "../server_metrics/mod.ts";

/** Where a reporter's bytes go: text, written in order, in as many calls as it likes. */
export interface Writer {
  write(text: string): void;
}

/** Opens one output for a reporter; the caller closes it when the reporter returns. */
export interface Sink {
  open(path: string): Writer & { close(): void };
}

/** What a task reporter is given. */
export interface TaskView {
  identity: TaskIdentity;
  /** Every request's facts, warm-up included, by index. */
  facts: readonly RequestFacts[];
  /** The task's time origin (ms): times in outputs are relative to it. */
  anchorMs: number;
  settings: ReportSettings;
  paths: TaskPaths;
  /** Absent when the summarizer found nothing to summarize (`error` says why). */
  summary?: TaskSummary;
  json?: TaskResultJson;
  error?: string;
  warnings: readonly string[];
  /** The server's metrics over the task window, when they were scraped. */
  server?: ServerSummary;
}

/** What a task's report holds for the run's reporters. */
export interface TaskOutcomeView {
  identity: TaskIdentity;
  json?: TaskResultJson;
  /** The summary, with its samples (the run page's ECDFs); absent as in `json`. */
  summary?: TaskSummary;
  /** Every `--fail-on` condition checked against the task (none without a summary). */
  checks: readonly GateCheck[];
  error?: string;
}

/** What a run reporter is given. */
export interface RunView {
  runDir: string;
  settings: ReportSettings;
  tasks: readonly TaskOutcomeView[];
  /** A report with other settings than the run's: its run files carry this suffix (`summary@x.json`). */
  suffix?: string;
}

/** A reporter of one task's files. */
export interface TaskReporter {
  readonly key: string;
  readonly scope: "task";
  /** Runs only when asked for, by key, in `ReportSettings.outputs`. */
  readonly optIn?: true;
  /** Which file it writes; undefined: not wanted for these settings. */
  path(view: TaskView): string | undefined;
  write(view: TaskView, out: Writer): void;
}

/** A reporter of the whole run. */
export interface RunReporter {
  readonly key: string;
  readonly scope: "run";
  /** Runs only when asked for, by key, in `ReportSettings.outputs`. */
  readonly optIn?: true;
  /** Which file it writes; undefined: not wanted for these settings. */
  path(view: RunView): string | undefined;
  write(view: RunView, out: Writer): void;
}

/** Either kind of reporter. */
export type Reporter = TaskReporter | RunReporter;

/** The path an opt-in reporter was asked to write (`ReportSettings.outputs`), if any. */
export function optInPath(settings: ReportSettings, key: string): string | undefined {
  return settings.outputs?.[key];
}

/** Writes to files: each output is created (or truncated) and written as text arrives, in blocks. */
export const fileSink: Sink = {
  open(path) {
    const file = Deno.openSync(path, { write: true, create: true, truncate: true });
    const encoder = new TextEncoder();
    return {
      write(text) {
        const bytes = encoder.encode(text);
        for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
      },
      close: () => file.close(),
    };
  },
};

/** A sink that keeps every output in memory, by path (tests). */
export function memorySink(): Sink & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    files,
    open(path) {
      files.set(path, "");
      return {
        write: (text) => void files.set(path, files.get(path)! + text),
        close: () => {},
      };
    },
  };
}

/** Runs reporters over a view, each writing its file through the sink. */
export function runReporters<V>(
  reporters: ReadonlyArray<
    { path(view: V): string | undefined; write(view: V, out: Writer): void }
  >,
  options: { view: V; sink: Sink },
): void {
  const { view, sink } = options;
  for (const r of reporters) {
    const path = r.path(view);
    if (path === undefined) continue;
    const out = sink.open(path);
    try {
      r.write(view, out);
    } finally {
      out.close();
    }
  }
}
