/**
 * `servebench report --reuse <run>` (AISBench: `--mode perf_viz --reuse
 * <timestamp>`): regenerates every task's tables, CSV and JSON and the run
 * summary from the raw traces alone, optionally with another summarizer,
 * statistics, SLOs or gates. Never contacts a server. Works on the traces of
 * a killed run.
 *
 * @module
 */

import { errorMessage, RuntimeError, UsageError } from "../errors.ts";
import { readTraceHeader } from "../record/trace.ts";
import { taskPathsOfTrace, TRACE_SUFFIX } from "../report/paths.ts";
import { type ReportSettings, reportTrace, type TaskReport } from "../report/task_report.ts";
import { chooseReporters, reportRun } from "../bench/run_benchmark.ts";
import { type FlagSpec, parseFlags, renderFlagHelp } from "./args.ts";
import { REPORT_FLAGS, reportSettingsFromFlags } from "./_report_flags.ts";

/** Every flag of `servebench report`. */
export const REPORT_COMMAND_FLAGS = [
  {
    name: "reuse",
    type: "string",
    value: "RUN",
    help: "The run to recompute: its folder, or its timestamp (YYYYMMDD_HHMMSS) under --work-dir.",
  },
  {
    name: "work-dir",
    type: "string",
    value: "DIR",
    help: "Root of the run folders.",
    defaultText: "outputs/default",
  },
  {
    name: "mode",
    type: "string",
    choices: ["perf_viz"],
    help:
      "AISBench's spelling: '--mode perf_viz --reuse <timestamp>' is 'report --reuse <timestamp>'.",
  },
  ...REPORT_FLAGS,
  { name: "debug", type: "boolean", help: "Print error causes." },
] as const satisfies readonly FlagSpec[];

/** `servebench report --help`. */
export const REPORT_HELP = `Usage: servebench report --reuse <run folder | timestamp> [flags]

Recomputes every task's tables, CSV and JSON, and the run summary, from the raw
traces (performances/*/*${TRACE_SUFFIX}) alone — never contacting a server.
Use it with another --summarizer, --stats, --slo or --fail-on, or on a run that
was killed (the trace holds every request that completed).

Flags:
${renderFlagHelp(REPORT_COMMAND_FLAGS)}
`;

/** What `report` produced. */
export interface ReportResult {
  runDir: string;
  reports: TaskReport[];
}

/** The run folder `--reuse` names: a folder, or a timestamp under `workDir`. */
export function findRunDir(reuse: string, workDir: string): string {
  for (const candidate of [reuse, `${workDir}/${reuse}`]) {
    try {
      if (Deno.statSync(candidate).isDirectory) return candidate.replace(/\/+$/, "");
    } catch {
      // try the next
    }
  }
  throw new UsageError(`--reuse: no run folder "${reuse}" (nor "${workDir}/${reuse}")`);
}

function findTraces(runDir: string): string[] {
  const root = `${runDir}/performances`;
  const traces: string[] = [];
  try {
    for (const model of Deno.readDirSync(root)) {
      if (!model.isDirectory) continue;
      for (const f of Deno.readDirSync(`${root}/${model.name}`)) {
        if (f.isFile && f.name.endsWith(TRACE_SUFFIX)) {
          traces.push(`${root}/${model.name}/${f.name}`);
        }
      }
    }
  } catch (error) {
    throw new RuntimeError(`Cannot read "${root}": ${errorMessage(error)}`, { cause: error });
  }
  if (!traces.length) throw new RuntimeError(`No traces (*${TRACE_SUFFIX}) under "${root}"`);
  return traces;
}

/**
 * Recomputes the reports of a run folder from its traces. `options.logLine`
 * adds AISBench's log lines (`--mode perf_viz`): each task's heading and
 * where its files are.
 */
export async function recomputeRun(
  runDir: string,
  settings: ReportSettings,
  print: (text: string) => void,
  options: { logLine?: (message: string) => string } = {},
): Promise<ReportResult> {
  const traces = [];
  for (const path of findTraces(runDir)) traces.push({ path, header: await readTraceHeader(path) });
  // The run's task order: traces are created as tasks start.
  traces.sort((a, b) => a.header.anchor_ms - b.header.anchor_ms || a.path.localeCompare(b.path));
  const reports: TaskReport[] = [];
  const reporters = chooseReporters(settings);
  for (const t of traces) {
    // One task at a time, streamed: memory holds one task's per-request facts, never its chunks.
    const paths = taskPathsOfTrace(runDir, t.path);
    const report = await reportTrace(t.path, { settings, paths, reporters: reporters.task });
    const id = report.identity;
    print(`\n${id.model_abbr} × ${id.output_name} — ${report.requests} requests from ${t.path}`);
    if (options.logLine) {
      print(options.logLine(`Performance Results of task: ${id.model_abbr}/${id.output_name}:`));
    }
    print(report.text);
    reports.push(report);
  }
  const written = reportRun({ runDir, settings, tasks: reports }, { reporters: reporters.run });
  print(`\nRecomputed ${reports.length} task(s) in ${runDir}\n  summary: ${written.summary_json}`);
  if (options.logLine) {
    for (const dir of new Set(traces.map((t) => t.path.slice(0, t.path.lastIndexOf("/"))))) {
      print(options.logLine(`Performance Result files locate in ${dir}.`));
    }
  }
  return { runDir, reports };
}

/** Runs `servebench report`; returns undefined when only help was shown. */
export async function reportCommand(
  argv: readonly string[],
  print: (text: string) => void,
): Promise<ReportResult | undefined> {
  const { values, positionals, help } = parseFlags(argv, REPORT_COMMAND_FLAGS, {
    command: "servebench report",
  });
  if (help) {
    print(REPORT_HELP);
    return undefined;
  }
  const problems: string[] = [];
  if (positionals.length) {
    problems.push(
      `Unexpected argument "${
        positionals[0]
      }" for "servebench report" (see servebench report --help)`,
    );
  }
  if (values.reuse === undefined) {
    problems.push("--reuse: expected the run folder or timestamp to recompute");
  }
  const settings = reportSettingsFromFlags(values, problems);
  if (problems.length || values.reuse === undefined) throw new UsageError(problems);
  const runDir = findRunDir(values.reuse, values["work-dir"] ?? "outputs/default");
  return await recomputeRun(runDir, settings, print);
}
