/**
 * The top-level `--help` and version.
 *
 * @module
 */

/** The tool's version (kept equal to deno.json's). */
export const VERSION = "0.1.0";

/** The exit codes, as `--help` lists them (README's table says the same). */
export const EXIT_CODES_HELP =
  `Exit codes: 0 ok, 1 runtime failure, 2 bad flags or configuration (nothing sent),
3 a --fail-on condition held, 4 every request of a task failed (outputs written),
5 compare: a --fail-on-regression condition held beyond the noise band,
130 interrupted (outputs written for what completed).
`;

/** `servebench --help`. */
export const MAIN_HELP =
  `servebench ${VERSION} — benchmark LLM inference services (OpenAI-compatible APIs)

Usage: servebench <command> [flags]

Commands:
  run        Benchmark a service (or, with no --url, the built-in simulator)
  sim        Run the built-in OpenAI-compatible simulator
  report     Recompute a run's reports from its raw traces (report --reuse <run>)
  compare    Compare runs against a baseline, with noise bands (compare <base> <run> …)
  list       List the model, dataset and summarizer configs and where each comes from
  help       Show this help, or a command's: servebench help run
  version    Print the version

Flags given without a command run "servebench run"; AISBench's
"servebench --mode perf_viz --reuse <timestamp>" runs "servebench report".
Run "servebench <command> --help" for the flags of a command.

${EXIT_CODES_HELP}`;
