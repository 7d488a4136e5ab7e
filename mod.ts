/**
 * servebench as a library: build a {@link Plan} and run it with
 * {@link runBenchmark}, or start the built-in simulator with
 * {@link startSimulator}. A task's requests are in its trace: stream them
 * with {@link readTrace}, read them whole with {@link readTraceRecords}, and
 * summarize records held in memory with {@link summarizeRecords}; join the
 * traces of a sharded run's shards with {@link mergeTraces}; compare runs with
 * {@link readRunInputs} and {@link compareRuns}.
 *
 * @example
 * ```ts
 * import { planFromFlags, runBenchmark } from "./mod.ts";
 * const plan = planFromFlags({ url: "http://127.0.0.1:8000", concurrency: [8] });
 * const result = await runBenchmark(plan);
 * console.log(result.tasks[0]?.report.json?.metrics.ttft_ms);
 * ```
 *
 * @module
 */

export { runBenchmark } from "./src/bench/run_benchmark.ts";
export type { RunOptions, RunResult, TaskOutcome } from "./src/bench/run_benchmark.ts";
export { planFromFlags, type RunFlagValues } from "./src/cli/run.ts";
export { type PlanInputs, resolvePlan } from "./src/config/resolve.ts";
export type { DatasetTask, LoadPoint, ModelTask, Plan, Task } from "./src/config/plan.ts";
export type { ReportSettings, TaskReport, TaskResultJson } from "./src/report/task_report.ts";
export { recomputeRun } from "./src/cli/report.ts";
export { compareRuns } from "./src/compare/compare.ts";
export type { ComparedTask, Comparison, Delta, Estimate } from "./src/compare/compare.ts";
export { readRunInputs } from "./src/compare/inputs.ts";
export { parseFailOnRegression } from "./src/compare/regression.ts";
export { startSimulator } from "./src/sim/server.ts";
export type { SimOptions, SimServer, SimStats } from "./src/sim/server.ts";
export type { RequestFacts, RequestRecord } from "./src/record/record.ts";
export { readTrace, readTraceRecords } from "./src/record/trace.ts";
export type { ShardStamp, TraceEntry, TraceHeader, TraceReader } from "./src/record/trace.ts";
export { mergeTraces } from "./src/record/merge.ts";
export { summarizeRecords } from "./src/metrics/summarize.ts";
export type { SummaryOptions, TaskSummary } from "./src/metrics/summarize.ts";
