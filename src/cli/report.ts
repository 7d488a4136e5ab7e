/**
 * `servebench report --reuse <run>` (AISBench: `--mode perf_viz --reuse
 * <timestamp>`): regenerates every task's tables, CSV and JSON and the run
 * summary from the raw traces alone — by default with the settings the run
 * was made with (kept in each trace's header); with other settings, into a
 * suffixed set of files beside the originals, never over them. Never
 * contacts a server. Works on the traces of a killed run.
 *
 * @module
 */

import { errorMessage, RuntimeError, UsageError } from "../errors.ts";
import { DEFAULT_STATS, parseStats } from "../metrics/stats.ts";
import { readTraceHeader, type TraceHeader } from "../record/trace.ts";
import { runFilePath, safeName, stamp, taskPathsOfTrace, TRACE_SUFFIX } from "../report/paths.ts";
import { sameSettings, settingsOfTrace, traceSettings } from "../report/settings.ts";
import { type ReportSettings, reportTrace, type TaskReport } from "../report/task_report.ts";
import { chooseReporters, reportRun } from "../bench/run_benchmark.ts";
import { type FlagSpec, parseFlags, renderFlagHelp } from "./args.ts";
import { REPORT_FLAGS, reportOverridesFromFlags } from "./_report_flags.ts";
import { fileExists } from "../fs.ts";

const RUNS_OWN = "the run's own, kept in its traces";

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
    name: "config-dir",
    type: "string",
    value: "DIR",
    help:
      "Folder searched for a --summarizer config by name before the built-ins (DIR/summarizers/x.yaml, DIR/x.yaml), as with run.",
  },
  {
    name: "suffix",
    type: "string",
    value: "NAME",
    help:
      "Name the set of files a report with other settings than the run's writes beside the originals (performances/<model>/<task>@NAME.*, summary@NAME.*); given with the run's own settings, writes such a set too.",
    defaultText: "the time of the report, YYYYMMDD_HHMMSS",
  },
  {
    name: "mode",
    type: "string",
    choices: ["perf_viz"],
    help:
      "AISBench's spelling: '--mode perf_viz --reuse <timestamp>' is 'report --reuse <timestamp>'.",
  },
  ...REPORT_FLAGS.map((f) =>
    f.name === "summarizer" || f.name === "stats" || f.name === "token-count"
      ? { ...f, defaultText: RUNS_OWN }
      : f
  ),
  { name: "debug", type: "boolean", help: "Print error causes." },
] as const satisfies readonly FlagSpec[];

/** `servebench report --help`. */
export const REPORT_HELP = `Usage: servebench report --reuse <run folder | timestamp> [flags]

Recomputes every task's tables, CSV and JSON, and the run summary, from the raw
traces (performances/*/*${TRACE_SUFFIX}) alone — never contacting a server —
with the settings the run was made with (summarizer, statistics, percentiles,
token counts, SLOs and gates, kept in each trace). Works on a run that was
killed (the trace holds every request that completed).

Given other settings (--summarizer, --stats, --slo, --fail-on, …), each
replaces the run's own, and the report is written beside the originals as a
suffixed set of files (<task>@<suffix>.json, summary@<suffix>.json, …), never
over them. So is a run from an older build, whose traces keep no settings.

Flags:
${renderFlagHelp(REPORT_COMMAND_FLAGS)}
`;

/** What `report` produced. */
export interface ReportResult {
  runDir: string;
  reports: TaskReport[];
  /** The suffix of the files written, when they were written beside the originals. */
  suffix?: string;
}

/** How {@link recomputeRun} recomputes. */
export interface RecomputeOptions {
  /** Settings asked for; each replaces the run's own. Absent or empty: the run's own. */
  settings?: Partial<ReportSettings>;
  /** The suffix of a set of files beside the originals; default a timestamp when one is needed. */
  suffix?: string;
  print?: (text: string) => void;
  /** The clock of the default suffix; default `new Date()`. */
  now?: () => Date;
  /** AISBench's log lines (`--mode perf_viz`): each task's heading and where its files are. */
  logLine?: (message: string) => string;
}

/** The settings of a trace from an older build, which kept none: the defaults of `run`. */
const DEFAULT_SETTINGS: ReportSettings = {
  summarizer: "default_perf",
  stats: parseStats(DEFAULT_STATS),
};

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

/** The trace files of a run folder (`performances/<abbr>/<name>_details.jsonl`); throws when there are none. */
export function findTraces(runDir: string): string[] {
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

/** One task to recompute: its trace, the settings it ran with (if kept) and those to use. */
interface TaskPlan {
  path: string;
  header: TraceHeader;
  own?: ReportSettings;
  settings: ReportSettings;
}

/** The settings that differ from the run's own, as `summarizer stable_stage (ran with default_perf)`. */
function differences(task: TaskPlan): string[] {
  if (!task.own) return ["the run's settings are unknown (a trace from an older build)"];
  const ran = traceSettings(task.own) as unknown as Record<string, unknown>;
  const now = traceSettings(task.settings) as unknown as Record<string, unknown>;
  const show = (
    v: unknown,
  ) => (v === undefined ? "none" : Array.isArray(v) ? v.join(",") : String(v));
  return [...new Set([...Object.keys(ran), ...Object.keys(now)])]
    .filter((k) => JSON.stringify(ran[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k} ${show(now[k])} (ran with ${show(ran[k])})`);
}

/**
 * The suffix for a set of files beside the originals: the one asked for (a
 * UsageError when its set exists already), else the first free timestamp.
 */
function chooseSuffix(runDir: string, tasks: readonly TaskPlan[], options: RecomputeOptions) {
  const taken = (suffix: string) =>
    fileExists(runFilePath(runDir, { name: "summary.json", suffix })) ||
    tasks.some((t) => fileExists(taskPathsOfTrace(runDir, t.path, suffix).json));
  if (options.suffix !== undefined) {
    if (safeName(options.suffix) !== options.suffix || options.suffix === "") {
      throw new UsageError(
        `--suffix: "${options.suffix}" is not a file name part (letters, digits, . _ - @)`,
      );
    }
    if (taken(options.suffix)) {
      throw new UsageError(
        `--suffix: files suffixed "@${options.suffix}" exist already in "${runDir}"; choose another`,
      );
    }
    return options.suffix;
  }
  const base = stamp(options.now?.() ?? new Date());
  for (let i = 0;; i++) {
    const suffix = i === 0 ? base : `${base}_${i}`;
    if (!taken(suffix)) return suffix;
  }
}

/**
 * Recomputes the reports of a run folder from its traces: each task with the
 * settings it ran with, each of `options.settings` replacing its own. When
 * any task's settings then differ from its own (or its own are unknown),
 * every file is written as a suffixed set beside the originals.
 */
export async function recomputeRun(
  runDir: string,
  options: RecomputeOptions = {},
): Promise<ReportResult> {
  const print = options.print ?? (() => {});
  const asked = options.settings ?? {};
  const tasks: TaskPlan[] = [];
  for (const path of findTraces(runDir)) {
    const header = await readTraceHeader(path);
    const own = header.settings ? settingsOfTrace(header.settings, path) : undefined;
    tasks.push({
      path,
      header,
      settings: { ...(own ?? DEFAULT_SETTINGS), ...asked },
      ...(own ? { own } : {}),
    });
  }
  // The run's task order: traces are created as tasks start.
  tasks.sort((a, b) => a.header.anchor_ms - b.header.anchor_ms || a.path.localeCompare(b.path));
  const changed = tasks.filter((t) => !t.own || !sameSettings(t.settings, t.own));
  const suffix = changed.length || options.suffix !== undefined
    ? chooseSuffix(runDir, tasks, options)
    : undefined;
  const reports: TaskReport[] = [];
  const reporters = chooseReporters(tasks[0]!.settings);
  for (const t of tasks) {
    // One task at a time, streamed: memory holds one task's per-request facts, never its chunks.
    const paths = taskPathsOfTrace(runDir, t.path, suffix);
    const report = await reportTrace(t.path, {
      settings: t.settings,
      paths,
      reporters: reporters.task,
    });
    const id = report.identity;
    print(`\n${id.model_abbr} × ${id.output_name} — ${report.requests} requests from ${t.path}`);
    if (options.logLine) {
      print(options.logLine(`Performance Results of task: ${id.model_abbr}/${id.output_name}:`));
    }
    print(report.text);
    reports.push(report);
  }
  const written = reportRun(
    { runDir, settings: tasks[0]!.settings, tasks: reports, ...(suffix ? { suffix } : {}) },
    { reporters: reporters.run },
  );
  const how = suffix === undefined
    ? "with the run's own settings"
    : changed.length
    ? `with other settings than the run's — ${
      differences(changed[0]!).join("; ")
    } — into files suffixed "@${suffix}" beside the originals`
    : `into files suffixed "@${suffix}"`;
  print(
    `\nRecomputed ${reports.length} task(s) in ${runDir} ${how}\n  summary: ${written.summary_json}`,
  );
  if (options.logLine) {
    for (const dir of new Set(tasks.map((t) => t.path.slice(0, t.path.lastIndexOf("/"))))) {
      print(options.logLine(`Performance Result files locate in ${dir}.`));
    }
  }
  return { runDir, reports, ...(suffix ? { suffix } : {}) };
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
  if (values["work-dir"]?.trim() === "") {
    problems.push(
      "--work-dir: expected a folder, got an empty value (the default is outputs/default)",
    );
  }
  const configDir = values["config-dir"];
  if (configDir !== undefined && !isDirectory(configDir)) {
    problems.push(`--config-dir: no folder "${configDir}"`);
  }
  const settings = reportOverridesFromFlags(values, {
    problems,
    ...(configDir !== undefined ? { configDir } : {}),
  });
  if (problems.length || values.reuse === undefined) throw new UsageError(problems);
  const runDir = findRunDir(values.reuse, values["work-dir"] ?? "outputs/default");
  return await recomputeRun(runDir, {
    settings,
    print,
    ...(values.suffix !== undefined ? { suffix: values.suffix } : {}),
  });
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
