/**
 * servebench's entry point: parses the command, dispatches, maps errors to
 * exit codes. Nothing else happens here.
 *
 * @module
 */

import { isServebenchWorker } from "./src/worker_entry.ts";
import { allFailedLines, RUN_HELP, runCommand } from "./src/cli/run.ts";
import { REPORT_HELP, reportCommand } from "./src/cli/report.ts";
import { breachLines } from "./src/cli/_report_flags.ts";
import { SIM_HELP, simCommand } from "./src/cli/sim.ts";
import { LIST_HELP, listCommand } from "./src/cli/list.ts";
import { COMPARE_HELP, compareCommand } from "./src/cli/compare.ts";
import { MAIN_HELP, VERSION } from "./src/cli/help.ts";
import { ExitCode, UsageError } from "./src/errors.ts";

const COMMANDS = ["run", "sim", "report", "compare", "list", "help", "version"];

/** Prints the `--fail-on` conditions that held; returns the exit code. */
function gateExit(lines: string[]): number {
  for (const line of lines) console.error(`servebench: ${line}`);
  return lines.length ? ExitCode.gate : ExitCode.ok;
}

function printError(error: unknown, debug: boolean): void {
  if (error instanceof UsageError) {
    for (const p of error.problems) console.error(`servebench: ${p}`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`servebench: ${message}`);
  if (debug) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      console.error(cause.stack ?? String(cause));
      cause = cause.cause;
      if (cause !== undefined) console.error("Caused by:");
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
        sim: SIM_HELP,
        report: REPORT_HELP,
        compare: COMPARE_HELP,
        list: LIST_HELP,
      };
      print((sub && helps[sub]) || MAIN_HELP);
      return ExitCode.ok;
    }
    if (first === "version" || first === "--version") {
      print(`servebench ${VERSION}`);
      return ExitCode.ok;
    }
    if (!first.startsWith("-") && !COMMANDS.includes(first)) {
      throw new UsageError(`Unknown command "${first}": expected one of ${COMMANDS.join(", ")}`);
    }
    // Flags alone mean "run"; AISBench's "--mode perf_viz --reuse <ts>" means "report".
    const command = first.startsWith("-") ? (args.includes("--mode") ? "report" : "run") : first;
    const rest = first.startsWith("-") ? args : args.slice(1);
    if (command === "list") {
      listCommand(rest, print);
      return ExitCode.ok;
    }
    if (command === "report") {
      const result = await reportCommand(rest, print);
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
    const controller = new AbortController();
    let stops = 0;
    const onSignal = () => {
      stops++;
      if (stops === 1) {
        console.error(
          "\nservebench: stopping — waiting for in-flight requests, then writing results (Ctrl-C again to quit now)",
        );
        controller.abort();
      } else {
        Deno.exit(ExitCode.interrupted);
      }
    };
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    const encoder = new TextEncoder();
    const result = await runCommand(rest, {
      print,
      env: (name) => Deno.env.get(name),
      signal: controller.signal,
      progress: {
        write: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
        tty: Deno.stdout.isTerminal(),
      },
    });
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    if (result?.interrupted || controller.signal.aborted) return ExitCode.interrupted;
    if (!result) return ExitCode.ok;
    const gate = gateExit(breachLines(result.tasks.map((t) => t.report)));
    const allFailed = allFailedLines(result);
    for (const line of allFailed) console.error(`servebench: ${line}`);
    return allFailed.length ? ExitCode.allFailed : gate;
  } catch (error) {
    printError(error, debug);
    return error instanceof UsageError ? ExitCode.usage : ExitCode.runtime;
  }
}

// A worker started on a bundle runs this module as its main module too: it serves, never runs.
if (import.meta.main && !isServebenchWorker()) {
  Deno.exit(await main(Deno.args));
}
