/**
 * The pipeline of a run: plan → (simulator if needed) → for each task: target,
 * dataset, load profile, client, trace → summary → reports; then the run
 * summary. Writes everything under one new run folder.
 *
 * @module
 */

import { stringify as toYaml } from "yaml";
import { identityOf, type Plan, redactPlan, redactTask, type Task } from "../config/plan.ts";
import { syntheticSpecs } from "../dataset/synthetic.ts";
import { runClosedLoop } from "../load/concurrency.ts";
import { sendRequest } from "../protocol/client.ts";
import type { RequestSpec } from "../protocol/openai.ts";
import type { RequestRecord } from "../record/record.ts";
import { TraceWriter } from "../record/trace.ts";
import { createRunDir, type TaskPaths, taskPaths } from "../report/paths.ts";
import { writeRunSummary } from "../report/summary.ts";
import { type ReportSettings, reportTask, type TaskReport } from "../report/task_report.ts";
import { type SimServer, startSimulator } from "../sim/server.ts";
import { httpTarget, listModels, modelsUrl, requestHeaders } from "./target.ts";

/** How a run talks to its caller. */
export interface RunOptions {
  /** Stops sending when aborted; in-flight requests get `graceMs` to finish. */
  signal?: AbortSignal;
  /** How long in-flight requests may finish after `signal` aborts; default 5000 ms. */
  graceMs?: number;
  /** Console output, one line or block per call. */
  print?: (text: string) => void;
  /** Print task logs to the console instead of `logs/`. */
  debug?: boolean;
  /** Called with each finished record (quantized), e.g. for progress. */
  onRecord?: (task: Task, record: RequestRecord) => void;
  /** The run's clock for folder names; default `new Date()`. */
  now?: () => Date;
}

/** What one task produced. */
export interface TaskOutcome {
  task: Task;
  paths: TaskPaths;
  servedModel: string;
  records: RequestRecord[];
  report: TaskReport;
}

/** The report settings of a plan. */
export function settingsOf(plan: Plan): ReportSettings {
  const settings: ReportSettings = { stats: plan.stats, summarizer: plan.summarizer };
  if (plan.slo) settings.slo = plan.slo;
  if (plan.failOn) settings.failOn = plan.failOn;
  if (plan.percentiles) settings.percentiles = true;
  return settings;
}

/** What a run produced. */
export interface RunResult {
  runDir: string;
  configPath: string;
  tasks: TaskOutcome[];
  interrupted: boolean;
  /** Set when the built-in simulator served the run. */
  simUrl?: string;
}

function* cycle(make: () => Iterable<RequestSpec>): Generator<RequestSpec> {
  for (;;) {
    let any = false;
    for (const spec of make()) {
      any = true;
      yield spec;
    }
    if (!any) return;
  }
}

function datasetSpecs(task: Task): Generator<RequestSpec> {
  return cycle(() => syntheticSpecs(task.dataset.synthetic));
}

/** Runs a whole plan. Never sends a request before the plan is fully valid (callers validate). */
export async function runBenchmark(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const print = options.print ?? ((t: string) => console.log(t));
  const needsSim = plan.tasks.some((t) => t.model.baseUrl === undefined);
  let sim: SimServer | undefined;
  if (needsSim) {
    sim = await startSimulator({ ...plan.sim, hostname: "127.0.0.1", port: 0 });
    print(`Started the built-in simulator at ${sim.url} (model "${sim.options.model}")`);
  }
  try {
    const { dir: runDir, stamp } = createRunDir(plan.workDir, options.now?.() ?? new Date());
    Deno.mkdirSync(`${runDir}/configs`, { recursive: true });
    const configPath = `${runDir}/configs/${stamp}.yaml`;
    Deno.writeTextFileSync(configPath, toYaml(redactPlan(plan), { aliasDuplicateObjects: false }));
    const outcomes: TaskOutcome[] = [];
    let interrupted = false;
    for (const [i, task] of plan.tasks.entries()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      print(
        `\n[${
          i + 1
        }/${plan.tasks.length}] ${task.model.abbr} × ${task.dataset.abbr} — concurrency ${task.load.concurrency}, ${task.load.numRequests} requests`,
      );
      const outcome = await runTask(task, plan, runDir, sim, options, print);
      outcomes.push(outcome);
      if (options.signal?.aborted) interrupted = true;
    }
    const summaryPaths = writeRunSummary(
      runDir,
      outcomes.flatMap((o) => (o.report.json ? [o.report.json] : [])),
    );
    print(`\nResults: ${runDir}`);
    print(`  config:  ${configPath}`);
    for (const o of outcomes) {
      print(`  ${o.task.model.abbr}/${o.task.outputName}:`);
      print(
        `    ${o.paths.csv}\n    ${o.paths.json}\n    ${o.paths.requestsCsv}\n    ${o.paths.trace}`,
      );
      if (!options.debug) print(`    ${o.paths.log}`);
    }
    print(`  summary: ${summaryPaths.json}\n           ${summaryPaths.csv}`);
    const result: RunResult = { runDir, configPath, tasks: outcomes, interrupted };
    if (sim) result.simUrl = sim.url;
    return result;
  } finally {
    await sim?.shutdown();
  }
}

/**
 * Opens up to `count` keep-alive connections before measuring (concurrent
 * `GET /v1/models`), so the first requests of a task do not pay connection
 * setup that later ones do not. Failures are ignored: the run reports them.
 */
async function warmConnections(baseUrl: string, headers: Record<string, string>, count: number) {
  const url = modelsUrl(baseUrl);
  await Promise.all(
    Array.from({ length: Math.min(count, 256) }, async () => {
      try {
        const r = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
        await r.body?.cancel();
      } catch {
        // unreachable or slow: the measured requests will say so
      }
    }),
  );
}

async function runTask(
  task: Task,
  plan: Plan,
  runDir: string,
  sim: SimServer | undefined,
  options: RunOptions,
  print: (t: string) => void,
): Promise<TaskOutcome> {
  const baseUrl = task.model.baseUrl ?? sim!.url;
  const paths = taskPaths(runDir, task.model.abbr, task.outputName);
  const logLines: string[] = [];
  const log = (line: string) => {
    if (options.debug) print(line);
    else logLines.push(line);
  };
  const servedModel = task.model.model ||
    (await listModels(baseUrl, requestHeaders(task.model), options.signal))[0]!;
  log(`model: ${servedModel} at ${baseUrl} (${task.model.api}, stream=${task.model.stream})`);

  await warmConnections(baseUrl, requestHeaders(task.model), task.load.concurrency);
  const target = httpTarget(task.model, baseUrl);
  const adapter = target.adapter;
  const specs = datasetSpecs(task);
  const total = plan.warmup + task.load.numRequests;
  const anchorMs = Math.floor(performance.timeOrigin + performance.now());
  const identity = identityOf(task, servedModel);
  const trace = TraceWriter.create(paths.trace, {
    anchor_ms: anchorMs,
    created: new Date().toISOString(),
    identity,
    task: redactTask(task),
  });
  const records: RequestRecord[] = [];
  // In-flight requests are cancelled `graceMs` after the stop signal.
  const cancel = new AbortController();
  const onStop = () => setTimeout(() => cancel.abort(), options.graceMs ?? 5000);
  options.signal?.addEventListener("abort", onStop, { once: true });
  try {
    await runClosedLoop(task.load, total, async (index, scheduledMs) => {
      const spec = specs.next().value as RequestSpec | undefined;
      if (!spec) return;
      const body = JSON.stringify(adapter.buildBody(spec, {
        model: servedModel,
        stream: task.model.stream,
        maxTokens: task.model.maxOutLen,
        extraBody: task.model.generationKwargs,
      }));
      const meta = {
        index,
        scheduledMs,
        ...(index < plan.warmup ? { warmup: true } : {}),
        ...(spec.expectedInputTokens !== undefined
          ? { inputTokens: spec.expectedInputTokens }
          : {}),
      };
      const record = await sendRequest(target, body, meta, cancel.signal);
      // A request cut off by the stop did not complete: it stays out of every output.
      if (record.error?.category === "cancelled") return;
      const q = trace.append(record);
      records.push(q);
      options.onRecord?.(task, q);
    }, options.signal);
  } finally {
    options.signal?.removeEventListener("abort", onStop);
    trace.close();
  }
  records.sort((a, b) => a.index - b.index);

  const report = reportTask(identity, records, anchorMs, settingsOf(plan), paths);
  print(report.text);
  log(report.text);
  if (!options.debug) Deno.writeTextFileSync(paths.log, logLines.join("\n") + "\n");
  return { task, paths, servedModel, records, report };
}
