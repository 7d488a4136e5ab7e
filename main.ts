/**
 * servebench's entry point: parses the command, dispatches, maps errors to
 * exit codes. Nothing else happens here.
 *
 * @module
 */

import { isServebenchWorker } from "./src/worker_entry.ts";
import { allFailedLines, RUN_HELP, runCommand } from "./src/cli/run.ts";
import { REPORT_HELP, reportCommand, type ReportResult } from "./src/cli/report.ts";
import { breachLines } from "./src/cli/_report_flags.ts";
import { SIM_HELP, simCommand } from "./src/cli/sim.ts";
import { LIST_HELP, listCommand } from "./src/cli/list.ts";
import { MERGE_HELP, mergeCommand } from "./src/cli/merge.ts";
import { COMPARE_HELP, compareCommand } from "./src/cli/compare.ts";
import { MAIN_HELP } from "./src/cli/help.ts";
import { BUILD, versionText } from "./src/build_info.ts";
import { ExitCode, InterruptedError, UsageError } from "./src/errors.ts";
import { redactText, secretsOf } from "./src/redact.ts";
import type { Dialect } from "./src/cli/_compat_flags.ts";

const COMMANDS = [
  "run",
  "perf",
  "serving_perf_eval",
  "sim",
  "report",
  "merge",
  "compare",
  "list",
  "help",
  "version",
];

/** Other tools' commands that are `run` with their flags: EvalScope's `perf`, LLM-Eval's `serving_perf_eval`. */
const DIALECTS: Readonly<Record<string, Dialect>> = {
  perf: "evalscope",
  serving_perf_eval: "llm-eval",
};

/** Prints the `--fail-on` conditions that held; returns the exit code. */
function gateExit(lines: string[]): number {
  for (const line of lines) console.error(`servebench: ${line}`);
  return lines.length ? ExitCode.gate : ExitCode.ok;
}

/** Prints an error (with `--debug`, its cause chain), every line redacted: causes quote URLs raw. */
function printError(error: unknown, debug: boolean, secrets: readonly string[]): void {
  const say = (text: string) => console.error(redactText(text, secrets));
  if (error instanceof UsageError) {
    for (const p of error.problems) say(`servebench: ${p}`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  say(`servebench: ${message}`);
  if (debug) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      say(cause.stack ?? String(cause));
      cause = cause.cause;
      if (cause !== undefined) say("Caused by:");
    }
  }
}

async function main(args: string[]): Promise<number> {
  const debug = args.includes("--debug");
  const first = args[0];
  const print = (t: string) => console.log(t);
  try {
    if (first === undefined || first === "help" || first === "--help" || first === "-h") {
      const sub = first === "help" ? args[1] : undefined;
      const helps: Record<string, string> = {
        run: RUN_HELP,
        perf: RUN_HELP,
        serving_perf_eval: RUN_HELP,
        sim: SIM_HELP,
        report: REPORT_HELP,
        merge: MERGE_HELP,
        compare: COMPARE_HELP,
        list: LIST_HELP,
      };
      print((sub && helps[sub]) || MAIN_HELP);
      return ExitCode.ok;
    }
    if (first === "version" || first === "--version") {
      print(versionText(BUILD, Deno.version.deno));
      return ExitCode.ok;
    }
    if (!first.startsWith("-") && !COMMANDS.includes(first)) {
      throw new UsageError(`Unknown command "${first}": expected one of ${COMMANDS.join(", ")}`);
    }
    // Flags alone mean "run" (AISBench's command line, --mode perf_viz included).
    const command = first.startsWith("-") ? "run" : first;
    const rest = first.startsWith("-") ? args : args.slice(1);
    if (command === "list") {
      listCommand(rest, print);
      return ExitCode.ok;
    }
    if (command === "report") {
      const result = await reportCommand(rest, print);
      return result ? gateExit(breachLines(result.reports)) : ExitCode.ok;
    }
    if (command === "merge") {
      const result = await mergeCommand(rest, print);
      return result ? gateExit(breachLines(result.reports)) : ExitCode.ok;
    }
    if (command === "compare") {
      const compared = compareCommand(rest, { print, env: (name) => Deno.env.get(name) });
      for (const line of compared?.regressions ?? []) console.error(`servebench: ${line}`);
      return compared?.regressions.length ? ExitCode.regression : ExitCode.ok;
    }
    if (command === "sim") {
      const sim = await simCommand(rest, print);
      if (!sim) return ExitCode.ok;
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        Deno.addSignalListener("SIGINT", stop);
        Deno.addSignalListener("SIGTERM", stop);
      });
      await sim.shutdown();
      return ExitCode.ok;
    }
    // First signal: stop sending, in-flight requests get the grace; second: cut them off now;
    // third: quit without writing anything more.
    const controller = new AbortController();
    const cancel = new AbortController();
    let stops = 0;
    const onSignal = () => {
      stops++;
      if (stops === 1) {
        console.error(
          "\nservebench: stopping — no new requests; those in flight get the grace period (--grace) to finish, then results are written (Ctrl-C again to cut them off now)",
        );
        controller.abort();
      } else if (stops === 2) {
        console.error(
          "servebench: cutting off the requests in flight (recorded as cancelled), writing results (Ctrl-C again to quit without them)",
        );
        cancel.abort();
      } else {
        Deno.exit(ExitCode.interrupted);
      }
    };
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    const encoder = new TextEncoder();
    const dialect = DIALECTS[command];
    let recomputed: ReportResult | undefined;
    const result = await runCommand(rest, {
      print,
      recomputed: (r) => recomputed = r,
      ...(dialect ? { dialect } : {}),
      env: (name) => Deno.env.get(name),
      signal: controller.signal,
      cancel: cancel.signal,
      progress: {
        write: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
        tty: Deno.stdout.isTerminal(),
      },
    });
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    if (recomputed) return gateExit(breachLines(recomputed.reports));
    if (result?.interrupted || controller.signal.aborted) {
      const cancelled = result?.tasks.reduce((n, t) => n + t.report.cancelled, 0) ?? 0;
      console.error(
        `servebench: interrupted: ${cancelled} request${
          cancelled === 1 ? " was" : "s were"
        } cut off in flight (recorded as cancelled)${
          result ? `; results in ${result.runDir}` : ""
        }`,
      );
      return ExitCode.interrupted;
    }
    if (!result) return ExitCode.ok;
    const gate = gateExit(breachLines(result.tasks.map((t) => t.report)));
    const allFailed = allFailedLines(result);
    for (const line of allFailed) console.error(`servebench: ${line}`);
    return allFailed.length ? ExitCode.allFailed : gate;
  } catch (error) {
    printError(error, debug, secretsOf(args, Deno.env.toObject()));
    if (error instanceof InterruptedError) return ExitCode.interrupted;
    return error instanceof UsageError ? ExitCode.usage : ExitCode.runtime;
  }
}

// A worker started on a bundle runs this module as its main module too: it serves, never runs.
if (import.meta.main && !isServebenchWorker()) {
  Deno.exit(await main(Deno.args));
}
