/**
 * The pipeline of a run: plan → (simulators where asked) → for each task:
 * target, dataset, load profile, client, trace → report; then the run
 * summary. Writes everything under one new run folder.
 *
 * @module
 */

import { stringify as toYaml } from "yaml";
import {
  concurrencyCap,
  identityOf,
  type ModelTask,
  type Plan,
  redactPlan,
  redactTask,
  type Task,
  type TaskIdentity,
} from "../config/plan.ts";
import { MAX_PREPARED, needsTokenizer, prepareSpecs } from "../dataset/mod.ts";
import { BatchedCounter, TokenizerPool } from "../tokenizer/pool.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import {
  describeLoad,
  type LoadPart,
  partShare,
  replayWindowOf,
  sendsDatasetOnce,
} from "../load/mod.ts";
import type { RequestSpec } from "../protocol/openai.ts";
import { adapterFor, type ApiKind } from "../protocol/mod.ts";
import { pageUrl, probeApi, serverRoot } from "./probe.ts";
import { createTransport } from "../protocol/transport.ts";
import type { RequestRecord } from "../record/record.ts";
import { type ShardStamp, type TraceFooter, TraceWriter } from "../record/trace.ts";
import { planFingerprint, planHash } from "../config/shard.ts";
import { createRunDir, safeName, type TaskPaths, taskPaths } from "../report/paths.ts";
import { Progress, type ProgressSink } from "../report/progress.ts";
import { recommend, renderSummaryTable, renderTradeoffTable } from "../report/summary.ts";
import { type ReportSettings, reportTrace, type TaskReport } from "../report/task_report.ts";
import { traceSettings } from "../report/settings.ts";
import {
  fileSink,
  optInPath,
  type Reporter,
  type RunReporter,
  runReporters,
  type Sink,
  type TaskReporter,
} from "../report/reporter.ts";
import { REPORTERS } from "../report/reporters/mod.ts";
import { type SimServer, startSimulator } from "../sim/server.ts";
import { type SelfCheck, startSelfCheck } from "./self_check.ts";
import type { ValueCounts } from "../metrics/counts.ts";
import { conversationsOf, drive, type DriveSpec, workerCount } from "./drive.ts";
import type { HeapSample } from "./heap_sample.ts";
import { InterruptedError, RuntimeError, throwIfInterrupted, UsageError } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import { endpointUrl, listModels, modelsUrl, requestHeaders } from "./target.ts";
import { type Scraper, startScrapeWorker } from "../server_metrics/scrape.ts";
import { WORKER_NAME, workerModuleUrl } from "../worker_protocol.ts";
import { fileExists } from "../fs.ts";

/** How a run talks to its caller. */
export interface RunOptions {
  /**
   * Stops sending when aborted (Ctrl-C); in-flight requests get `graceMs` to
   * finish, then are cut off and recorded as `cancelled`. Aborted before a
   * task's first request (discovery, dataset preparation), the run throws an
   * InterruptedError.
   */
  signal?: AbortSignal;
  /** How long in-flight requests may finish after `signal` aborts; default {@link DEFAULT_GRACE_MS}. */
  graceMs?: number;
  /** Ends the grace at once when aborted (a second Ctrl-C): in-flight requests are cut off. */
  cancel?: AbortSignal;
  /** Console output, one line or block per call. */
  print?: (text: string) => void;
  /** Print task logs to the console instead of `logs/`. */
  debug?: boolean;
  /** Where to draw progress; absent → none (`--quiet`, tests). */
  progress?: ProgressSink;
  /** Called with each finished record once it is in the trace, e.g. for progress. */
  onRecord?: (task: Task, record: RequestRecord) => void;
  /** Load workers' heap samples every `intervalMs` (`deno task bench soak`); absent → none. */
  workerHeap?: { intervalMs: number; onSample(worker: number, sample: HeapSample): void };
  /** The run's clock for folder names; default `new Date()`. */
  now?: () => Date;
  /** Where reporters write; default files. */
  sink?: Sink;
  /** Opt-in reporters to run, by key, with the file each writes (`{ junit: "gates.xml" }`). */
  outputs?: Readonly<Record<string, string>>;
  /**
   * Formats the run's milestone lines (the run folder, each task's results,
   * where its files are) as AISBench's logger does; absent → not printed.
   */
  logLine?: (message: string) => string;
}

/** How long requests in flight at an interrupt may finish, by default (`--grace`). */
export const DEFAULT_GRACE_MS = 10_000;

/** What one task produced. */
export interface TaskOutcome {
  task: Task;
  paths: TaskPaths;
  servedModel: string;
  report: TaskReport;
}

/** What a run produced. */
export interface RunResult {
  runDir: string;
  configPath: string;
  tasks: TaskOutcome[];
  interrupted: boolean;
  /** Base URLs of the simulators started for the run, by model abbr. */
  simUrls: Record<string, string>;
}

/** The report settings of a plan. */
export function settingsOf(plan: Plan): ReportSettings {
  const settings: ReportSettings = { stats: plan.stats, summarizer: plan.summarizer };
  if (plan.slo) settings.slo = plan.slo;
  if (plan.failOn) settings.failOn = plan.failOn;
  if (plan.percentiles) settings.percentiles = true;
  if (plan.tokenCount) settings.tokenCount = plan.tokenCount;
  return settings;
}

/** The reporters a run runs, by scope: every registered one, and the opt-in ones asked for. */
export interface ChosenReporters {
  task: TaskReporter[];
  run: RunReporter[];
}

/**
 * Chooses the reporters for these settings: every registered reporter that is
 * not opt-in, and each opt-in one whose key `settings.outputs` names.
 */
export function chooseReporters(settings: ReportSettings): ChosenReporters {
  const chosen = Object.values(REPORTERS).filter((r: Reporter) =>
    !r.optIn || optInPath(settings, r.key) !== undefined
  );
  return {
    task: chosen.filter((r): r is TaskReporter => r.scope === "task"),
    run: chosen.filter((r): r is RunReporter => r.scope === "run"),
  };
}

/** Runs the run reporters over the tasks' reports; returns the files written, by reporter key. */
export function reportRun(
  view: { runDir: string; settings: ReportSettings; tasks: readonly TaskReport[]; suffix?: string },
  options: { reporters: readonly RunReporter[]; sink?: Sink },
): Record<string, string> {
  runReporters(options.reporters, { view, sink: options.sink ?? fileSink });
  const written: Record<string, string> = {};
  for (const r of options.reporters) {
    const path = r.path(view);
    if (path !== undefined) written[r.key] = path;
  }
  return written;
}

/**
 * The estimated offset of the wall clock (`Date.now()`) from the shared time
 * axis (`performance.timeOrigin + performance.now()`) right now, ms: what
 * turns a wall-clock instant into one on the axis records are stamped on.
 */
export function wallOffsetMs(): number {
  return Date.now() - (performance.timeOrigin + performance.now());
}

/** Where a shard's wall-clock time comes from (a merged report repeats it). */
export const CLOCK_SOURCE = "system wall clock (Date.now); the hosts are assumed NTP-synchronised";

/** The shard stamp of a trace header: which shard, and how it kept time. */
function shardStamp(plan: Plan, part: LoadPart): ShardStamp {
  return {
    index: part.index,
    count: part.count,
    clock_source: CLOCK_SOURCE,
    wall_offset_ms: Math.round(wallOffsetMs() * 1000) / 1000,
    ...(plan.startAtMs !== undefined ? { start_at: new Date(plan.startAtMs).toISOString() } : {}),
  };
}

/**
 * A task's identity as one shard reports it: its cap is the shard's share (so
 * a shard's own stable window can reach it); `merge` sums the shares back.
 */
function shardIdentity(identity: TaskIdentity, part: LoadPart | undefined): TaskIdentity {
  return part
    ? { ...identity, max_concurrency: partShare(identity.max_concurrency, part) }
    : identity;
}

/** The name of a shard run folder's own file: its shard, plan hash and fingerprint. */
export const SHARD_FILE = "shard.json";

/** What {@link SHARD_FILE} holds. */
export interface ShardFile {
  shard: ShardStamp;
  plan_hash: string;
  /** The plan as every shard must have it ({@link planFingerprint}). */
  plan: Record<string, unknown>;
}

function writeShardFile(
  runDir: string,
  what: { plan: Plan; hash: string; fingerprint: Record<string, unknown> },
): void {
  const file: ShardFile = {
    shard: shardStamp(what.plan, what.plan.shard!),
    plan_hash: what.hash,
    plan: what.fingerprint,
  };
  Deno.writeTextFileSync(`${runDir}/${SHARD_FILE}`, JSON.stringify(file, null, 2) + "\n");
}

/** Runs a whole plan. The plan must already be valid (see resolvePlan). */
export async function runBenchmark(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const print = options.print ?? ((t: string) => console.log(t));
  const sims = new Map<ModelTask, SimServer>();
  const shared: Shared = { specs: new Map(), counters: new Map(), pools: [] };
  try {
    // Every task's requests are built before anything starts: bad input stops the run here.
    for (const task of plan.tasks) {
      await specsFor(task, specsNeeded(plan, task), { shared, signal: options.signal });
    }
    for (const task of plan.tasks) {
      const m = task.model;
      if (m.baseUrl !== undefined || sims.has(m)) continue;
      const sim = await startSimulator({ ...m.sim, hostname: "127.0.0.1", port: 0 });
      sims.set(m, sim);
      print(
        `Started the built-in simulator for "${m.abbr}" at ${sim.url} (model "${sim.options.model}")`,
      );
    }
    for (const line of renamedPaths(plan)) print(line);
    for (const note of plan.notes ?? []) print(`note: ${note}`);
    // Every named model is checked against the server's list before the first request.
    for (const m of new Set(plan.tasks.map((t) => t.model))) {
      if (m.apiProbe) continue; // checked once its API is settled (prepareTask)
      await checkServedModel(m, {
        baseUrl: m.baseUrl ?? sims.get(m)!.url,
        tls: transportSettings(plan, m),
        print,
        options,
      });
    }
    for (const m of new Set(plan.tasks.map((t) => t.model))) {
      if (m.insecure) {
        print(
          `warning: --insecure: https certificates of "${m.abbr}" are not verified; anyone on the path could read or alter the traffic`,
        );
      }
    }
    const fingerprint = planFingerprint(plan);
    const hash = await planHash(fingerprint);
    const { dir: runDir, stamp } = createRunDir(plan.workDir, options.now?.() ?? new Date());
    Deno.mkdirSync(`${runDir}/configs`, { recursive: true });
    const configPath = `${runDir}/configs/${stamp}.yaml`;
    if (options.logLine) print(options.logLine(`Current exp folder: ${runDir}`));
    Deno.writeTextFileSync(configPath, toYaml(redactPlan(plan), { aliasDuplicateObjects: false }));
    if (plan.shard) writeShardFile(runDir, { plan, hash, fingerprint });
    const settings = settingsOf(plan);
    if (options.outputs) settings.outputs = options.outputs;
    const reporters = chooseReporters(settings);
    const ctx: TaskContext = {
      plan,
      runDir,
      shared,
      options,
      print,
      settings,
      reporters: reporters.task,
      noServerMetrics: new Set(),
      planHash: hash,
    };
    const outcomes: TaskOutcome[] = [];
    let interrupted = false;
    for (const [i, task] of plan.tasks.entries()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      print(
        `\n[${i + 1}/${plan.tasks.length}] ${task.model.abbr} × ${task.dataset.abbr} — ${
          taskLoadText(task)
        }`,
      );
      const baseUrl = task.model.baseUrl ?? sims.get(task.model)!.url;
      // The start instant is the first task's; later tasks follow as each shard finishes.
      const startAt = i === 0 && plan.startAtMs !== undefined ? { startAtMs: plan.startAtMs } : {};
      try {
        outcomes.push(await runTask(ctx, { task, baseUrl, ...startAt }));
      } catch (error) {
        // Interrupted before this task sent anything: the tasks before it are the results.
        if (!(error instanceof InterruptedError)) throw error;
        if (!outcomes.length) {
          removeEmptyRun(runDir, configPath);
          throw error;
        }
        print(`\n${error.message}: the task was not run`);
      }
      if (options.signal?.aborted) interrupted = true;
      if (interrupted) break;
    }
    const jsons = outcomes.flatMap((o) => (o.report.json ? [o.report.json] : []));
    const written = reportRun(
      { runDir, settings, tasks: outcomes.map((o) => o.report) },
      { reporters: reporters.run, ...(options.sink ? { sink: options.sink } : {}) },
    );
    if (jsons.length > 1) {
      print(`\nSummary\n${renderSummaryTable(jsons)}`);
      print(`\nThroughput vs latency\n${renderTradeoffTable(jsons)}\n${recommend(jsons)!.text}`);
    }
    print(`\nResults: ${runDir}`);
    print(`  config:  ${configPath}`);
    for (const o of outcomes) {
      print(`  ${o.task.model.abbr}/${o.task.outputName}:`);
      print(
        `    ${o.paths.csv}\n    ${o.paths.json}\n    ${o.paths.requestsCsv}\n    ${o.paths.trace}\n    ${o.paths.plot}`,
      );
      if (fileExists(o.paths.serverMetrics)) print(`    ${o.paths.serverMetrics}`);
      if (!options.debug) print(`    ${o.paths.log}`);
    }
    print(`  summary: ${runFiles(written).join("\n           ")}`);
    if (options.logLine) {
      for (const abbr of new Set(outcomes.map((o) => safeName(o.task.model.abbr)))) {
        print(
          options.logLine(`Performance Result files locate in ${runDir}/performances/${abbr}.`),
        );
      }
    }
    const simUrls: Record<string, string> = {};
    for (const [m, sim] of sims) simUrls[m.abbr] = sim.url;
    return { runDir, configPath, tasks: outcomes, interrupted, simUrls };
  } finally {
    for (const sim of sims.values()) await sim.shutdown();
    for (const pool of shared.pools) pool.close();
  }
}

/** Removes a run folder that holds only its config (interrupted before any task ran). */
function removeEmptyRun(runDir: string, configPath: string): void {
  try {
    Deno.removeSync(configPath);
    Deno.removeSync(`${runDir}/configs`);
    Deno.removeSync(runDir);
  } catch {
    // something else is in it: leave it
  }
}

/** One line per model abbr or task name that had to be changed to be a safe file name. */
function renamedPaths(plan: Plan): string[] {
  const lines = new Set<string>();
  for (const t of plan.tasks) {
    for (const [what, name] of [["model abbr", t.model.abbr], ["task", t.outputName]] as const) {
      const safe = safeName(name);
      if (safe !== name) {
        lines.add(
          `note: ${what} "${name}" is written as "${safe}" (file names keep to letters, digits, . _ - @)`,
        );
      }
    }
  }
  return [...lines];
}

/** Distinct requests prepared for a time-bounded task whose dataset sets no count. */
const DISTINCT_FOR_DURATION = 1000;

/**
 * Specs a task needs prepared: one per send when the count is known; for a
 * time-bounded task, the dataset's request_count (or 1,000), cycled; for a
 * replay or conversations, every record (of the window; up to the count when
 * one is given).
 */
function specsNeeded(plan: Plan, task: Task): number {
  if (sendsDatasetOnce(task.load)) {
    return Math.min(MAX_PREPARED, plan.warmup + (task.load.numRequests ?? MAX_PREPARED));
  }
  return Math.min(
    MAX_PREPARED,
    plan.warmup + (task.load.numRequests ?? task.dataset.requestCount ?? DISTINCT_FOR_DURATION),
  );
}

/** `concurrency 8, 100 requests`, `rate 2 req/s (poisson), for 60 s`. */
function taskLoadText(task: Task): string {
  const parts = [describeLoad(task.load)];
  if (task.load.numRequests !== undefined) parts.push(`${task.load.numRequests} requests`);
  if (task.load.durationS !== undefined) parts.push(`for ${task.load.durationS} s`);
  return parts.join(", ");
}

/** Resources shared by a run's tasks: prepared specs and output counters, by key. */
interface Shared {
  specs: Map<string, Promise<RequestSpec[]>>;
  counters: Map<string, Promise<BatchedCounter>>;
  pools: TokenizerPool[];
}

/** The transport settings of a model task: `insecure` forces the node transport. */
export function transportSettings(plan: Plan, model: ModelTask) {
  return {
    kind: model.insecure ? "node" as const : plan.transport,
    ...(model.caCert !== undefined ? { caCert: Deno.readTextFileSync(model.caCert) } : {}),
    ...(model.insecure ? { insecure: true } : {}),
  };
}

/** Where discovery asks, over which transport, and where it says what it found. */
interface DiscoveryContext {
  baseUrl: string;
  tls: ReturnType<typeof transportSettings>;
  print: (line: string) => void;
  options: RunOptions;
}

/**
 * `--api auto` or a shared route: probes the server, prints what it found
 * and the API chosen, and sets it on the model task.
 */
async function settleApi(
  model: ModelTask,
  where: DiscoveryContext,
): Promise<void> {
  const { baseUrl, tls, options } = where;
  const among = model.apiProbe?.length ? model.apiProbe : undefined;
  const transport = createTransport(tls.kind, tls);
  try {
    const root = serverRoot(baseUrl);
    const found = await probeApi(root, {
      transport,
      headers: requestHeaders(model),
      ...(among ? { among } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    where.print(
      `Model "${model.abbr}": found ${found.found.join("; ")}; using API "${found.api}"`,
    );
    model.api = found.api;
    delete model.apiProbe;
  } finally {
    transport.close();
  }
}

/**
 * Checks a named model against the ids the server lists (its API's discovery
 * page) and throws a UsageError naming the served ones when it is not among
 * them. Skipped with `--no-model-check`, for an API that lists no models, and
 * when no name was given; a server that cannot be asked (unreachable, no such
 * page) gets a note, and the run goes on: its requests will say what is wrong.
 */
async function checkServedModel(
  model: ModelTask,
  where: DiscoveryContext,
): Promise<void> {
  if (!model.model || model.skipModelCheck || !adapterFor(model.api).models) return;
  const { baseUrl, tls, options } = where;
  const transport = createTransport(tls.kind, tls);
  let served: string[];
  try {
    const signal = options.signal ? { signal: options.signal } : {};
    served = await listModels(baseUrl, {
      api: model.api,
      headers: requestHeaders(model),
      transport,
      ...signal,
    });
  } catch (error) {
    // An interrupt (an InterruptedError) ends the run: only a server that cannot be asked is a note.
    if (!(error instanceof RuntimeError) || options.signal?.aborted) throw error;
    where.print(`note: model "${model.abbr}": could not check --model: ${error.message}`);
    return;
  } finally {
    transport.close();
  }
  if (served.includes(model.model)) return;
  const list = served.slice(0, 20).map((id) => `"${id}"`).join(", ");
  throw new UsageError(
    `Model "${model.abbr}": "${model.model}" is not served by ${modelsUrl(
      baseUrl,
      model.api,
    )!}, which lists ${list}${
      served.length > 20 ? ` and ${served.length - 20} more` : ""
    } (--no-model-check sends it anyway, for gateways that list other names)`,
  );
}

/** The first model id the server lists, asked over a short-lived transport of the task's kind. */
async function discoverModel(
  baseUrl: string,
  api: ApiKind,
  headers: Record<string, string>,
  tls: ReturnType<typeof transportSettings>,
  options: RunOptions,
): Promise<string> {
  const transport = createTransport(tls.kind, tls);
  try {
    const signal = options.signal ? { signal: options.signal } : {};
    return (await listModels(baseUrl, { api, headers, transport, ...signal }))[0]!;
  } finally {
    transport.close();
  }
}

/** The tokenizer a task builds and counts prompts with: the model's, or the built-in for exact-length sources. */
function promptTokenizer(task: Task): string | undefined {
  return task.model.tokenizer ?? (needsTokenizer(task.dataset) ? "qwen3" : undefined);
}

function specsFor(
  task: Task,
  needed: number,
  context: { shared: Shared; signal: AbortSignal | undefined },
): Promise<RequestSpec[]> {
  const { shared, signal } = context;
  const tokenizer = promptTokenizer(task);
  const { abbr: _a, source: _s, ...dataset } = task.dataset;
  const window = replayWindowOf(task.load);
  const key = JSON.stringify([dataset, tokenizer, task.model.api, needed, window]);
  let p = shared.specs.get(key);
  if (!p) {
    p = (async () =>
      prepareSpecs(task.dataset, {
        needed,
        ...(window ? { window } : {}),
        ...(task.dataset.requestCount !== undefined
          ? { requestCount: task.dataset.requestCount }
          : {}),
        seed: task.dataset.seed,
        shuffle: task.dataset.shuffle,
        api: task.model.api,
        ...(tokenizer ? { tokenizer: await loadTokenizer(tokenizer) } : {}),
        ...(signal ? { signal } : {}),
      }))();
    shared.specs.set(key, p);
  }
  return p;
}

/** Counts outputs with the model's tokenizer, on worker threads; undefined without one. */
function counterFor(task: Task, shared: Shared): Promise<BatchedCounter> | undefined {
  const ref = task.model.tokenizer;
  if (!ref) return undefined;
  let p = shared.counters.get(ref);
  if (!p) {
    p = TokenizerPool.create(ref, Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1)).then(
      (pool) => {
        shared.pools.push(pool);
        return new BatchedCounter(pool);
      },
    );
    shared.counters.set(ref, p);
  }
  return p;
}

/** The run files written, summary first (json, csv, html), then any opt-in ones. */
function runFiles(written: Record<string, string>): string[] {
  const first = ["summary_json", "summary_csv", "summary_html"];
  const keys = [
    ...first.filter((k) => k in written),
    ...Object.keys(written).filter((k) => !first.includes(k)),
  ];
  return keys.map((k) => written[k]!);
}

/** What every task of a run shares. */
interface TaskContext {
  plan: Plan;
  runDir: string;
  shared: Shared;
  options: RunOptions;
  print: (text: string) => void;
  settings: ReportSettings;
  reporters: readonly TaskReporter[];
  /** Metrics URLs that turned out to have no metrics: not scraped again in this run. */
  noServerMetrics: Set<string>;
  /** The plan's fingerprint hash, written into every trace header. */
  planHash: string;
}

/** A task's log: printed with `--debug`, else kept for `logs/`. */
function taskLog(ctx: TaskContext): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  const log = (line: string) => {
    if (ctx.options.debug) ctx.print(line);
    else lines.push(line);
  };
  return { log, lines };
}

/** Everything a task needs before its first request: the served model, its requests, a counter. */
async function prepareTask(
  ctx: TaskContext,
  where: TaskWhere & { log: (line: string) => void },
): Promise<{ spec: DriveSpec; servedModel: string; counter?: BatchedCounter; workers: number }> {
  const { plan, shared, options } = ctx;
  const { task, baseUrl, log } = where;
  const tls = transportSettings(plan, task.model);
  if (task.model.apiProbe) {
    await settleApi(task.model, { baseUrl, tls, print: ctx.print, options });
    await checkServedModel(task.model, { baseUrl, tls, print: ctx.print, options });
  }
  const headers = requestHeaders(task.model);
  const servedModel = task.model.model ||
    await discoverModel(baseUrl, task.model.api, headers, tls, options);
  log(
    `model: ${servedModel} at ${
      redactUrl(baseUrl)
    } (${task.model.api}, stream=${task.model.stream})`,
  );
  log(`load: ${taskLoadText(task)}, warm-up ${plan.warmup}`);
  const prepared = await specsFor(task, specsNeeded(plan, task), {
    shared,
    signal: options.signal,
  });
  const priming = prepared.filter((s) => s.priming);
  const specs = priming.length ? prepared.filter((s) => !s.priming) : prepared;
  if (specs.length === 0) {
    throw new UsageError(
      `Dataset "${task.dataset.abbr}" (${task.dataset.source}) gave no requests`,
    );
  }
  // Conversations go to shards whole (c mod N): each shard needs one, as it needs a lane.
  if (plan.shard && task.load.kind === "sessions") {
    const conversations = conversationsOf(specs).length;
    if (conversations < plan.shard.count) {
      throw new UsageError(
        `--shard ${plan.shard.index}/${plan.shard.count}: task "${task.model.abbr}/${task.outputName}" has ${conversations} conversation${
          conversations === 1 ? "" : "s"
        } (dataset "${task.dataset.abbr}"), fewer than the ${plan.shard.count} shards; use at most ${conversations} shards`,
      );
    }
  }
  const tokenizer = promptTokenizer(task);
  log(
    `dataset: ${specs.length} distinct requests prepared${
      tokenizer ? ` (tokenizer ${tokenizer})` : ""
    }${priming.length ? `, ${priming.length} priming requests sent first (warm-up)` : ""}`,
  );
  const counter = await counterFor(task, shared);
  throwIfInterrupted(options.signal, `preparing "${task.model.abbr}/${task.outputName}"`);
  const workers = workerCount(task.load, plan.workers, plan.shard ? { part: plan.shard } : {});
  log(
    `client: ${
      workers === 0 ? "the main thread" : `${workers} load worker${workers > 1 ? "s" : ""}`
    }, ${tls.kind} transport`,
  );
  const models = modelsUrl(baseUrl, task.model.api);
  const spec: DriveSpec = {
    url: endpointUrl(baseUrl, adapterFor(task.model.api).path),
    ...(models !== undefined ? { modelsUrl: models } : {}),
    warmConnections: Math.min(concurrencyCap(task.load) || Infinity, 256),
    headers,
    api: task.model.api,
    stream: task.model.stream,
    ...(task.model.timeoutS !== undefined ? { timeoutMs: task.model.timeoutS * 1000 } : {}),
    keepText: counter !== undefined,
    transport: tls,
    retry: task.model.retry,
    warmup: plan.warmup,
    servedModel,
    maxTokens: task.model.maxOutLen,
    generationKwargs: task.model.generationKwargs,
    specs,
    ...(priming.length ? { priming } : {}),
    load: task.load,
    total: plan.warmup + (task.load.numRequests ?? Infinity),
    ...(task.load.durationS !== undefined ? { durationMs: task.load.durationS * 1000 } : {}),
    ...(options.workerHeap ? { heapSampleMs: options.workerHeap.intervalMs } : {}),
    ...(plan.shard ? { part: plan.shard } : {}),
    ...(where.startAtMs !== undefined ? { startAtMs: where.startAtMs - wallOffsetMs() } : {}),
  };
  if (plan.shard) {
    log(
      `shard: ${plan.shard.index}/${plan.shard.count} (indices ${plan.shard.index}, ${
        plan.shard.index + plan.shard.count
      }, …)`,
    );
  }
  if (where.startAtMs !== undefined) {
    const ahead = where.startAtMs - Date.now();
    ctx.print(
      `Starting at ${new Date(where.startAtMs).toISOString()} (${(ahead / 1000).toFixed(1)} s ${
        ahead >= 0 ? "from now" : "ago: late, so the first sends are behind their schedule"
      })`,
    );
  }
  return { spec, servedModel, workers, ...(counter ? { counter } : {}) };
}

/** The task's progress line, when the run draws progress. */
function progressOf(ctx: TaskContext, task: Task): Progress | undefined {
  const { plan, options } = ctx;
  if (!options.progress) return undefined;
  return new Progress(
    options.progress,
    `${task.model.abbr} × ${task.outputName}`,
    task.load.numRequests !== undefined ? plan.warmup + task.load.numRequests : undefined,
    task.load.durationS !== undefined ? task.load.durationS * 1000 : undefined,
  );
}

/**
 * Drives the task's load and writes every record to its trace as it arrives,
 * with the self-check in the footer. Sending stops at the run's stop signal;
 * in-flight requests are cancelled `graceMs` later, or at the cancel signal,
 * and recorded as `cancelled`.
 */
async function recordTask(
  ctx: TaskContext,
  run: { task: Task; prepared: Awaited<ReturnType<typeof prepareTask>>; trace: TraceWriter },
): Promise<void> {
  const { options } = ctx;
  const { task, prepared, trace } = run;
  const { counter, workers } = prepared;
  let checker: ReturnType<typeof startSelfCheck> | undefined;
  let workerLags: ValueCounts | undefined;
  const progress = progressOf(ctx, task);
  const stop = options.signal ?? new AbortController().signal;
  const cancel = new AbortController();
  const cutOff = () => cancel.abort();
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => (graceTimer = setTimeout(cutOff, options.graceMs ?? DEFAULT_GRACE_MS));
  if (options.cancel?.aborted) cutOff();
  else options.cancel?.addEventListener("abort", cutOff, { once: true });
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  // Records are written as they arrive; output counting may finish out of order.
  const accepting = new Set<Promise<void>>();
  let acceptError: unknown;
  const accept = async (record: RequestRecord) => {
    if (progress) {
      const c = progress.counters;
      c.done++;
      if (record.error && record.error.category !== "cancelled") c.failed++;
      c.outputTokens += record.usage?.completionTokens ?? record.chunkMs.length;
    }
    if (counter && record.outputText !== undefined) {
      record.tokenizerOutputTokens = await counter.count(record.outputText);
    }
    delete record.outputText;
    trace.append(record);
    options.onRecord?.(task, record);
  };
  try {
    progress?.start();
    checker = startSelfCheck();
    const result = await drive(prepared.spec, {
      sent: () => {
        if (progress) progress.counters.sent++;
      },
      record: (record) => {
        const p: Promise<void> = accept(record)
          .catch((error) => void (acceptError ??= error))
          .finally(() => accepting.delete(p));
        accepting.add(p);
      },
      ...(options.workerHeap ? { heap: options.workerHeap.onSample } : {}),
    }, { workers, stop, cancel: cancel.signal });
    workerLags = result.loopLags;
    await Promise.all(accepting);
    if (acceptError !== undefined) throw acceptError;
  } finally {
    progress?.stop();
    const selfCheck: SelfCheck | undefined = checker?.stop(workerLags, workers);
    stop.removeEventListener("abort", onStop);
    options.cancel?.removeEventListener("abort", cutOff);
    clearTimeout(graceTimer);
    const footer: TraceFooter = {};
    if (selfCheck) footer.self_check = { ...selfCheck };
    if (stop.aborted) footer.interrupted = true;
    if (selfCheck || stop.aborted) trace.finish(footer);
    trace.close();
  }
}

/** The metrics URL scraped for a task: the configured one, or `/metrics` at the server's root. */
function serverMetricsUrl(model: ModelTask, baseUrl: string): string | undefined {
  const setting = model.serverMetrics;
  if (!setting) return undefined;
  // Parsed, not appended to: a query string (`?api-version=…`) stays after the path.
  return setting.url ?? pageUrl(serverRoot(baseUrl), "/metrics");
}

/**
 * Starts scraping the task's server metrics in a worker of its own (when the
 * model asks for it), into the task's samples file; resolves after the first
 * scrape. Its info and warnings are printed and logged as they come; a URL
 * without metrics is not tried again in the run.
 */
async function startServerMetrics(
  ctx: TaskContext,
  where: { task: Task; baseUrl: string; paths: TaskPaths; log: (line: string) => void },
): Promise<Scraper | undefined> {
  const { task, baseUrl, paths, log } = where;
  const url = serverMetricsUrl(task.model, baseUrl);
  if (url === undefined) return undefined;
  if (ctx.noServerMetrics.has(url)) {
    log(`server metrics: none at ${redactUrl(url)} (found in an earlier task)`);
    return undefined;
  }
  const { "content-type": _, ...headers } = requestHeaders(task.model);
  log(`server metrics: ${redactUrl(url)} every ${task.model.serverMetrics!.intervalMs / 1000} s`);
  const scraper = await startScrapeWorker(
    { url, file: paths.serverMetrics, intervalMs: task.model.serverMetrics!.intervalMs, headers },
    {
      spawn: () => new Worker(workerModuleUrl(), { type: "module", name: WORKER_NAME }),
      onEvent: (event) => {
        const line = `${event.level === "info" ? "note" : "warning"}: ${event.message}`;
        log(line);
        if (!ctx.options.debug) ctx.print(line);
      },
    },
  );
  // A server without metrics is said once per run, not once per task.
  if (!scraper.active) ctx.noServerMetrics.add(url);
  return scraper;
}

/** Where a task runs, and when its load starts (wall clock, epoch ms) if at a set instant. */
interface TaskWhere {
  task: Task;
  baseUrl: string;
  startAtMs?: number;
}

/** Runs one task: prepare, drive and record, then report from its trace. */
async function runTask(ctx: TaskContext, where: TaskWhere): Promise<TaskOutcome> {
  const { plan, runDir, options, print } = ctx;
  const { task } = where;
  const { log, lines } = taskLog(ctx);
  const prepared = await prepareTask(ctx, { ...where, log });
  // The task's folders, once it is ready to send: an interrupt before leaves none behind.
  const paths = taskPaths(runDir, { modelAbbr: task.model.abbr, name: task.outputName });
  const anchorMs = Math.floor(performance.timeOrigin + performance.now());
  const trace = TraceWriter.create(paths.trace, {
    anchor_ms: anchorMs,
    created: new Date().toISOString(),
    identity: shardIdentity(identityOf(task, prepared.servedModel), plan.shard),
    task: redactTask(task),
    plan_hash: ctx.planHash,
    ...(plan.shard ? { shard: shardStamp(plan, plan.shard) } : {}),
    settings: traceSettings(ctx.settings),
  });
  const scraper = await startServerMetrics(ctx, { ...where, paths, log });
  try {
    await recordTask(ctx, { task, prepared, trace });
  } finally {
    const scraped = await scraper?.stop();
    if (scraped && scraped.scrapes > 0) {
      log(
        `server metrics: ${scraped.scrapes} scrapes (${scraped.failures} failed, ${scraped.skipped} intervals skipped) in ${paths.serverMetrics}`,
      );
    }
  }
  // The report is the trace's, read back as `report --reuse` would: nothing is kept per request.
  const report = await reportTrace(paths.trace, {
    settings: settingsOf(plan),
    paths,
    reporters: ctx.reporters,
    ...(options.sink ? { sink: options.sink } : {}),
  });
  if (options.logLine) {
    print(options.logLine(`Performance Results of task: ${task.model.abbr}/${task.outputName}:`));
  }
  print(report.text);
  if (!options.debug) {
    log(report.text); // with --debug, log() prints: once is enough
    // With --debug the log went to the screen: no logs/ folder, as AISBench.
    Deno.mkdirSync(paths.log.slice(0, paths.log.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(paths.log, lines.join("\n") + "\n");
  }
  return { task, paths, servedModel: prepared.servedModel, report };
}
