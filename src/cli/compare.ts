/**
 * `servebench compare A B [C …]`: the headline metrics of runs side by side,
 * matched by model, dataset and load point, each against the first run (the
 * baseline) with a noise band from the repetitions (`run --repeat N`). On the
 * console; as Markdown appended to `$GITHUB_STEP_SUMMARY` when it is set;
 * with `--out DIR`, as `compare.md` and `compare.html` there.
 *
 * @module
 */

import { errorMessage, RuntimeError, UsageError } from "../errors.ts";
import { compareRuns, type Comparison, HEADLINE_METRICS } from "../compare/compare.ts";
import { metricsIn } from "../metrics/metric_table.ts";
import { readRunInputs } from "../compare/inputs.ts";
import { parseFailOnRegression } from "../compare/regression.ts";
import {
  regressionLines,
  renderCompareHtml,
  renderCompareMarkdown,
  renderCompareText,
} from "../compare/render.ts";
import { fileSink, type Sink } from "../report/reporter.ts";
import { type FlagSpec, parseFlags, renderFlagHelp } from "./args.ts";
import { EXIT_CODES_HELP } from "./help.ts";

/** Every flag of `servebench compare`. */
export const COMPARE_FLAGS = [
  {
    name: "fail-on-regression",
    type: "string",
    value: "CONDS",
    help:
      "Exit 5 when a change against the baseline passes a condition and is beyond the noise band, e.g. 'ttft.p99>+10%,output_throughput<-5%,e2el.mean>+20ms' (names as --fail-on).",
  },
  {
    name: "out",
    type: "string",
    value: "DIR",
    help: "Also write compare.md and compare.html (self-contained) to DIR (created if missing).",
  },
  {
    name: "step-summary",
    type: "boolean",
    help:
      "Append the Markdown to the file $GITHUB_STEP_SUMMARY names, when it is set; --no-step-summary does not.",
    defaultText: "true",
  },
  { name: "debug", type: "boolean", help: "Print error causes." },
] as const satisfies readonly FlagSpec[];

/** The headline metrics in words: `TTFT, … (mean, P50, P99); Failed Requests, …`. */
const HEADLINE_TEXT = (() => {
  const perRequest = metricsIn("summary").map((m) => m.label).join(", ");
  const common = HEADLINE_METRICS.filter((m) => !m.id.includes(".")).map((m) => m.label);
  return `${perRequest} (mean, P50, P99); ${common.join(", ")}`;
})();

/** `servebench compare --help`. */
export const COMPARE_HELP = `Usage: servebench compare <baseline> <run> [<run> …] [flags]

Compares runs: each argument is a run folder, a task's result JSON, or a run's
summary.json. Tasks are matched by model, dataset and load point; the
repetitions of a task (run --repeat N) give each value as mean ± a t-based 95%
confidence interval, and each change against the baseline (the first run) a
noise band: the 95% confidence interval of the difference (Welch).
Headline metrics (from the metric table): ${HEADLINE_TEXT}.

Flags:
${renderFlagHelp(COMPARE_FLAGS)}

Examples:
  servebench compare outputs/default/20260101_120000 outputs/default/20260102_120000
  servebench compare base/ pr/ --fail-on-regression 'ttft.p99>+10%,output_throughput<-5%' --out cmp/

${EXIT_CODES_HELP}`;

/** What `compare` needs from its caller. */
export interface CompareIo {
  print: (text: string) => void;
  env: (name: string) => string | undefined;
  /** Where `--out` files are written; default files. */
  sink?: Sink;
}

/** What `compare` produced. */
export interface CompareResult {
  comparison: Comparison;
  /** One line per `--fail-on-regression` condition that held (exit 5 when any). */
  regressions: string[];
  /** Files written, by kind (`markdown`, `html`, `stepSummary`). */
  written: Record<string, string>;
}

function writeFile(sink: Sink, path: string, text: string): void {
  try {
    const out = sink.open(path);
    try {
      out.write(text);
    } finally {
      out.close();
    }
  } catch (error) {
    throw new RuntimeError(`Cannot write "${path}": ${errorMessage(error)}`, { cause: error });
  }
}

/** Runs `servebench compare`; returns undefined when only help was shown. */
export function compareCommand(
  argv: readonly string[],
  io: CompareIo,
): CompareResult | undefined {
  const { values, positionals, help } = parseFlags(argv, COMPARE_FLAGS, {
    command: "servebench compare",
  });
  if (help) {
    io.print(COMPARE_HELP);
    return undefined;
  }
  const problems: string[] = [];
  if (positionals.length < 2) {
    problems.push(
      `servebench compare: expected at least two runs (the baseline first), got ${positionals.length}`,
    );
  }
  let gates: ReturnType<typeof parseFailOnRegression> = [];
  const conds = values["fail-on-regression"];
  if (conds !== undefined) {
    try {
      gates = parseFailOnRegression(conds);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new UsageError(problems);
  const runs = readRunInputs(positionals);
  const comparison = compareRuns(runs, { regressions: gates });
  io.print(renderCompareText(comparison));
  const regressions = regressionLines(comparison.regressions);
  const written: Record<string, string> = {};
  const markdown = renderCompareMarkdown(comparison);
  const sink = io.sink ?? fileSink;
  if (values.out !== undefined) {
    const dir = values.out.replace(/\/+$/, "") || "/";
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new RuntimeError(`--out: cannot create "${dir}": ${errorMessage(error)}`, {
        cause: error,
      });
    }
    written.markdown = `${dir}/compare.md`;
    written.html = `${dir}/compare.html`;
    writeFile(sink, written.markdown, markdown);
    writeFile(sink, written.html, renderCompareHtml(comparison));
  }
  const summary = values["step-summary"] !== false ? io.env("GITHUB_STEP_SUMMARY") : undefined;
  if (summary) {
    try {
      Deno.writeTextFileSync(summary, markdown, { append: true });
    } catch (error) {
      throw new RuntimeError(
        `Cannot append to $GITHUB_STEP_SUMMARY "${summary}": ${errorMessage(error)}`,
        { cause: error },
      );
    }
    written.stepSummary = summary;
  }
  for (const [kind, path] of Object.entries(written)) io.print(`${kind}: ${path}`);
  return { comparison, regressions, written };
}
