/**
 * Flags shared by `run` and `report`: how results are summarized, goodput
 * objectives and CI gates.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { type Gate, parseFailOn } from "../metrics/gates.ts";
import { type Objective, parseSlo } from "../metrics/goodput.ts";
import { DEFAULT_STATS, parseStats, type StatSpec } from "../metrics/stats.ts";
import { type SummarizerName, SUMMARIZERS } from "../metrics/summarize.ts";
import type { FlagSpec, FlagValues } from "./args.ts";
import type { TaskReport } from "../report/task_report.ts";

/** The shared flags. */
export const REPORT_FLAGS: readonly FlagSpec[] = [
  {
    name: "summarizer",
    type: "string",
    choices: SUMMARIZERS,
    help: "default_perf counts every request; stable_stage only those in the steady window.",
    defaultText: "default_perf",
  },
  {
    name: "stats",
    type: "list",
    value: "S [S …]",
    help:
      "Statistics to report: Average, Min, Max, Median, Pxx (decimals allowed: P99.9). The table shows up to 8, the JSON all.",
    defaultText: DEFAULT_STATS.join(","),
  },
  {
    name: "percentiles",
    type: "boolean",
    help:
      "Add EvalScope's percentile table (10…99% of TTFT, ITL, TPOT, latency, tokens, tok/s) to the console and JSON.",
  },
  {
    name: "slo",
    type: "string",
    value: "SPEC",
    help:
      "Service-level objectives for goodput, e.g. 'ttft:500ms,tpot:50ms,e2el:10s' (metrics: ttft, ttfo, tpot, e2el).",
  },
  {
    name: "fail-on",
    type: "string",
    value: "CONDS",
    help:
      "Exit 3 after the run when any condition holds, e.g. 'ttft.p99>500ms,failed>0,output_throughput<1000'.",
  },
];

/** The shared settings, parsed; problems are appended to `problems`. */
export interface ReportFlagValues {
  stats: StatSpec[];
  summarizer: SummarizerName;
  slo?: Objective[];
  failOn?: Gate[];
  percentiles?: boolean;
}

function collect<T>(problems: string[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/** Reads the shared flags, appending every problem to `problems`. */
export function reportFlagValues(values: FlagValues, problems: string[]): ReportFlagValues {
  const stats = collect(
    problems,
    () => parseStats((values.stats as string[] | undefined) ?? DEFAULT_STATS),
  );
  const out: ReportFlagValues = {
    stats: stats ?? [],
    summarizer: (values.summarizer as SummarizerName | undefined) ?? "default_perf",
  };
  if (values.slo !== undefined) {
    const slo = collect(problems, () => parseSlo(values.slo as string));
    if (slo) out.slo = slo;
  }
  if (values["fail-on"] !== undefined) {
    const gates = collect(problems, () => parseFailOn(values["fail-on"] as string));
    if (gates) out.failOn = gates;
  }
  if (values.percentiles === true) out.percentiles = true;
  return out;
}

/** One line per `--fail-on` condition that held, naming the task and the observed value. */
export function breachLines(reports: ReadonlyArray<TaskReport>): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    for (const b of r.breaches) {
      const observed = b.observed === undefined
        ? "no data"
        : `observed ${Math.round(b.observed * 1000) / 1000}`;
      lines.push(
        `--fail-on: ${r.identity.model_abbr}/${r.identity.output_name}: "${b.gate.text}" holds (${observed})`,
      );
    }
  }
  return lines;
}
