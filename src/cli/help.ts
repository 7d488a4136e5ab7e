/**
 * The top-level `--help` and version.
 *
 * @module
 */

import { VERSION } from "../build_info.ts";

/** The exit codes, as `--help` lists them (README's table says the same). */
export const EXIT_CODES_HELP =
  `Exit codes: 0 ok, 1 runtime failure, 2 bad flags or configuration (nothing sent),
3 a --fail-on condition held, 4 every request of a task failed (outputs written),
5 compare: a --fail-on-regression condition held beyond the noise band,
130 interrupted by Ctrl-C or SIGTERM (outputs written: requests cut off in flight
are recorded as cancelled; interrupted before the first request: nothing written).
`;

/** `servebench --help`. */
export const MAIN_HELP =
  `servebench ${VERSION} — benchmark LLM inference services (OpenAI-compatible APIs)

Usage: servebench <command> [flags]

Commands:
  run        Benchmark a service (or, with no --url, the built-in simulator)
  perf       EvalScope's "evalscope perf": run, with its defaults and result files
  serving_perf_eval
             LLM-Eval's command: run, with its tests and Excel file
  sim        Run the built-in OpenAI-compatible simulator
  report     Recompute a run's reports from its raw traces (report --reuse <run>)
  merge      Join the run folders of a sharded run's shards into one (merge DIR… -o OUT)
  compare    Compare runs against a baseline, with noise bands (compare <base> <run> …)
  list       List the model, dataset and summarizer configs and where each comes from
  help       Show this help, or a command's: servebench help run
  version    Print the version, the commit and the Deno version (also --version)

Flags given without a command run "servebench run": AISBench's command lines
("servebench --models … --datasets … -m perf", "--mode perf_viz --reuse <ts>").
Run "servebench <command> --help" for the flags of a command.

${EXIT_CODES_HELP}`;
