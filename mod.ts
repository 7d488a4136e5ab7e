/**
 * servebench as a library: build a {@link Plan} and run it with
 * {@link runBenchmark}, or start the built-in simulator with
 * {@link startSimulator}.
 *
 * @example
 * ```ts
 * import { planFromFlags, runBenchmark } from "./mod.ts";
 * const plan = planFromFlags({ url: "http://127.0.0.1:8000", concurrency: ["8"] });
 * const result = await runBenchmark(plan);
 * console.log(result.tasks[0]?.json?.metrics.ttft_ms);
 * ```
 *
 * @module
 */

export { runBenchmark } from "./src/bench/run_benchmark.ts";
export type { RunOptions, RunResult, TaskOutcome } from "./src/bench/run_benchmark.ts";
export { planFromFlags } from "./src/cli/run.ts";
export { type PlanInputs, resolvePlan } from "./src/config/resolve.ts";
export type { DatasetTask, LoadPoint, ModelTask, Plan, Task } from "./src/config/plan.ts";
export type { ReportSettings, TaskReport, TaskResultJson } from "./src/report/task_report.ts";
export { recomputeRun } from "./src/cli/report.ts";
export { startSimulator } from "./src/sim/server.ts";
export type { SimOptions, SimServer, SimStats } from "./src/sim/server.ts";
export type { RequestRecord } from "./src/record/record.ts";
