/**
 * Flags shared by `run` and `report`: how results are summarized, goodput
 * objectives and CI gates.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { type Gate, parseFailOn } from "../metrics/gates.ts";
import { type Objective, parseSlo } from "../metrics/goodput.ts";
import { DEFAULT_STATS, parseStats } from "../metrics/stats.ts";
import type { FlagSpec, FlagValues } from "./args.ts";
import type { ReportSettings, TaskReport } from "../report/task_report.ts";
import { findConfig } from "../config/registry.ts";
import { loadConfig } from "../config/load.ts";

/** The shared flags. */
export const REPORT_FLAGS = [
  {
    name: "summarizer",
    type: "string",
    value: "NAME",
    help:
      "Summarizer config by name or path: default_perf counts every request; stable_stage only those in the steady window.",
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
    name: "token-count",
    type: "string",
    choices: ["server", "tokenizer"],
    help:
      "Which token counts drive the metrics: the server's usage, or the tokenizer's (model config tokenizer). Both are kept, and disagreements reported.",
    defaultText: "server (when it reports usage)",
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
  {
    name: "junit",
    type: "string",
    value: "FILE",
    help:
      "Also write the --fail-on conditions as JUnit XML to FILE: a test case per condition and task.",
  },
] as const satisfies readonly FlagSpec[];

/** The shared flags' values, typed. */
export type ReportFlagValues = FlagValues<typeof REPORT_FLAGS>;

/** Opt-in reporters asked for by flag (`--junit FILE`), by reporter key; a file whose folder is missing is a problem. */
export function outputFlagValues(
  values: ReportFlagValues,
  problems: string[],
): { outputs?: Record<string, string> } {
  const file = values.junit;
  if (file === undefined) return {};
  const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) || "/" : ".";
  try {
    if (Deno.statSync(folder).isDirectory) return { outputs: { junit: file } };
  } catch {
    // reported below
  }
  problems.push(`--junit: cannot write "${file}": folder "${folder}" does not exist`);
  return {};
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

/** `--slo` and `--fail-on`, parsed; problems are appended. */
export function gateFlagValues(
  values: ReportFlagValues,
  problems: string[],
): { slo?: Objective[]; failOn?: Gate[] } {
  const out: { slo?: Objective[]; failOn?: Gate[] } = {};
  if (values.slo !== undefined) {
    const text = values.slo;
    const slo = collect(problems, () => parseSlo(text));
    if (slo) out.slo = slo;
  }
  const failOn = values["fail-on"];
  if (failOn !== undefined) {
    const gates = collect(problems, () => parseFailOn(failOn));
    if (gates) out.failOn = gates;
  }
  return out;
}

/**
 * The shared flags given, as settings that replace a run's own (`report`):
 * only what was given. A `--summarizer` config (by name or path, looked up in
 * `configDir` first) brings its summarizer, and its `stats_list` and
 * `percentiles` unless the flags set them. Problems are appended.
 */
export function reportOverridesFromFlags(
  values: ReportFlagValues,
  options: { problems: string[]; configDir?: string },
): Partial<ReportSettings> {
  const { problems } = options;
  const out: Partial<ReportSettings> = {};
  const ref = values.summarizer;
  if (ref !== undefined) {
    const found = collect(problems, () => {
      const src = findConfig("summarizers", ref, options.configDir);
      return { src, cfg: loadConfig("summarizers", src.text, src.source) };
    });
    if (found) {
      out.summarizer = found.cfg.summarizer ?? "default_perf";
      if (values.stats === undefined && found.cfg.stats_list) {
        const stats = collect(
          problems,
          () => parseStats(found.cfg.stats_list!, `${found.src.source}: stats_list`),
        );
        if (stats) out.stats = stats;
      }
      if (found.cfg.percentiles) out.percentiles = true;
    }
  }
  if (values.stats !== undefined) {
    const names = values.stats;
    const stats = collect(problems, () => parseStats(names, "--stats"));
    if (stats) out.stats = stats;
  }
  if (values.percentiles === true) out.percentiles = true;
  if (values["token-count"] !== undefined) out.tokenCount = values["token-count"];
  return { ...out, ...gateFlagValues(values, problems), ...outputFlagValues(values, problems) };
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
