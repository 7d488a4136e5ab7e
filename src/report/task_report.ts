/**
 * From a task's trace to every file and table it reports. Runs and
 * `report --reuse` both go through {@link reportTrace}, so a recomputed report
 * equals the original (apart from `generated_at`). The trace is streamed: per
 * request only its facts are kept, and the chunk gaps are folded into exact
 * counts as they are read (the stable stage reads the trace twice, once to
 * find the window and once to fold the gaps of the requests inside it).
 *
 * @module
 */

import type { TaskIdentity } from "../config/plan.ts";
import { errorMessage, RuntimeError } from "../errors.ts";
import { type Breach, checkGates, type GateCheck } from "../metrics/gates.ts";
import {
  LATE_SEND_MS,
  type Selection,
  selectRequests,
  summarizeTask,
  type TaskSummary,
} from "../metrics/summarize.ts";
import { summarizerOf } from "../metrics/summarizers/mod.ts";
import type { RequestFacts } from "../record/record.ts";
import { isClosedLoop, type LoadProfile, targetRate } from "../load/mod.ts";
import { readTraceHeader, type ShardStamp, type TraceFooter } from "../record/trace.ts";
import { foldTrace } from "./trace_fold.ts";
import type { TaskPaths } from "./paths.ts";
import { renderPercentileTable } from "./percentiles.ts";
import { renderTaskTables } from "./table.ts";
import { type ReportSettings, resultJson, type TaskResultJson } from "./result_json.ts";
import { fileSink, runReporters, type Sink, type TaskReporter, type TaskView } from "./reporter.ts";
import { judgeClientLag, type LagJudgement, type SelfCheck } from "../bench/self_check.ts";
import {
  describeServerBlock,
  readServerMetrics,
  type ServerSummary,
  summarizeServerMetrics,
} from "../server_metrics/mod.ts";

export { type ReportSettings, resultJson, type TaskResultJson } from "./result_json.ts";

/** What reporting a task produced. */
export interface TaskReport {
  identity: TaskIdentity;
  /** Requests in the trace, warm-up included. */
  requests: number;
  /** Measured requests cut off in flight by an interrupt (recorded as `cancelled`). */
  cancelled: number;
  summary?: TaskSummary;
  json?: TaskResultJson;
  /** Why there is no summary (e.g. no stable window). */
  error?: string;
  /** `--fail-on` conditions that held. */
  breaches: Breach[];
  /** Every `--fail-on` condition checked, held or not (none without a summary). */
  checks: GateCheck[];
  /** The console text: tables, or the reason there are none. */
  text: string;
}

/**
 * Warnings about how the load was delivered: late sends (after their due
 * time in an open loop; after a stream came free in a closed one), a rate
 * not reached.
 */
export function deliveryWarnings(summary: TaskSummary, options: { closedLoop: boolean }): string[] {
  const d = summary.delivery;
  const out: string[] = [];
  if (d.late_sends > 0) {
    const lag = `send lag p99 ${d.send_lag_ms?.p99.toFixed(1)} ms, max ${
      d.send_lag_ms?.max.toFixed(1)
    } ms`;
    out.push(
      options.closedLoop
        ? `${d.late_sends} of ${summary.common.total_requests} requests started more than ${LATE_SEND_MS} ms after their stream came free (${lag}): the client was slow to send the next request`
        : `${d.late_sends} of ${summary.common.total_requests} requests were sent more than ${LATE_SEND_MS} ms after their due time (${lag}): the concurrency cap held them back, or the client fell behind`,
    );
  }
  if (
    d.target_rate_rps !== undefined && d.achieved_rate_rps !== undefined &&
    d.achieved_rate_rps < 0.95 * d.target_rate_rps
  ) {
    out.push(
      `achieved ${d.achieved_rate_rps.toFixed(2)} req/s of the ${d.target_rate_rps} req/s target`,
    );
  }
  return out;
}

/**
 * The stable stage's own check (AISBench's steady-state guide): a window in
 * which one request took a third of its length or more holds too few
 * requests for a steady state.
 */
export function windowWarnings(summary: TaskSummary): string[] {
  const w = summary.window;
  const e2el = summary.samples.e2el_ms;
  if (!w || !e2el || e2el.n === 0) return [];
  const lengthMs = w.closeMs - w.openMs;
  const longest = e2el.percentile(100);
  if (longest * 3 < lengthMs) return [];
  return [
    `the stable window is ${lengthMs.toFixed(1)} ms long and its longest request took ${
      longest.toFixed(1)
    } ms (a third of it or more): too few requests for a steady state; send more (--num-prompts) or run longer (--duration)`,
  ];
}

/** Warnings about how requests ended: answers that were no stream, so no stream metrics. */
export function outcomeWarnings(summary: TaskSummary): string[] {
  const notStreamed = summary.errors.not_streamed ?? 0;
  if (!notStreamed) return [];
  return [
    `${notStreamed} of ${summary.common.total_requests} streaming requests were answered without an event stream (failed as not_streamed, no TTFT, ITL or TPOT from them): a buffering proxy in front of the server, or "stream": false in the request body?`,
  ];
}

/** What {@link traceWarnings} compares: the plan (the header's identity), the records, the footer. */
export interface TraceCompleteness {
  identity: TaskIdentity;
  facts: readonly RequestFacts[];
  /** The trace's closing line; absent when the run was killed before the task ended. */
  footer?: TraceFooter;
}

/**
 * Warnings when a trace holds less than its task planned: sending stopped by
 * an interrupt (how many requests it cut off in flight), or a run killed
 * before the task ended (no closing line): planned against recorded requests,
 * or against the planned duration when the task was bounded by time only.
 */
export function traceWarnings(trace: TraceCompleteness): string[] {
  const measured = trace.facts.filter((f) => !f.warmup);
  const cancelled = measured.filter((f) => f.error?.category === "cancelled").length;
  const load = trace.identity.load;
  const planned = typeof load.numRequests === "number" ? load.numRequests : undefined;
  const durationS = typeof load.durationS === "number" ? load.durationS : undefined;
  const recorded = planned !== undefined
    ? `${measured.length} of the ${planned} planned requests`
    : `${measured.length} requests over ${(spanMs(measured) / 1000).toFixed(1)} s${
      durationS !== undefined ? ` of the planned ${durationS} s` : ""
    }`;
  if (!trace.footer) {
    return [
      `the trace ends without its closing line: the run was killed before this task ended (SIGKILL, a crash, power?); it holds ${recorded}, requests in flight at the kill are missing`,
    ];
  }
  if (!trace.footer.interrupted) return [];
  return [
    `the run was interrupted: ${
      planned !== undefined
        ? `${measured.length} of the ${planned} planned requests were sent`
        : `${recorded} were sent`
    }, ${cancelled} of them cut off in flight (recorded as cancelled, with their partial timings, and kept out of the statistics)`,
  ];
}

/** From the first start to the last end of the requests (0 without any). */
function spanMs(facts: readonly RequestFacts[]): number {
  let first = Infinity;
  let last = -Infinity;
  for (const f of facts) {
    if (f.startMs < first) first = f.startMs;
    if (f.endMs > last) last = f.endMs;
  }
  return facts.length ? last - first : 0;
}

/**
 * The self-check judged against the task's own time scale (its median TTFT
 * when streamed, else its median E2EL; see judgeClientLag); undefined without
 * a self-check (a killed run).
 */
export function clientLag(
  check: SelfCheck | undefined,
  summary: TaskSummary,
  options: { closedLoop: boolean },
): LagJudgement | undefined {
  if (!check) return undefined;
  const median = (key: string) => {
    const d = summary.samples[key];
    return d && d.n > 0 ? d.percentile(50) : undefined;
  };
  const ttft = median("ttft_ms");
  const e2el = median("e2el_ms");
  const scale = ttft !== undefined
    ? { name: "median TTFT", ms: ttft }
    : e2el !== undefined
    ? { name: "median E2EL", ms: e2el }
    : undefined;
  return judgeClientLag(check, { scale, closedLoop: options.closedLoop });
}

/** What a distributed run's report says about its shards and their clocks. */
export function shardNote(shards: readonly ShardStamp[]): string {
  const first = shards[0]!;
  if (shards.length === 1 && first.count > 1) {
    return `note: shard ${first.index}/${first.count} of a distributed run: these numbers count its requests only; 'servebench merge' joins every shard's run folder`;
  }
  const offsets = shards.map((s) => s.wall_offset_ms);
  return `note: merged from ${shards.length} shards, each on its own clock (${first.clock_source}); wall-clock offset estimates ${
    Math.min(...offsets).toFixed(3)
  } to ${Math.max(...offsets).toFixed(3)} ms were applied`;
}

/** How {@link reportTrace} reports a task. */
export interface ReportTraceOptions {
  settings: ReportSettings;
  paths: TaskPaths;
  /** The task reporters to run (the run chooses them: bench/run_benchmark.ts). */
  reporters: readonly TaskReporter[];
  /** Where they write; default files. */
  sink?: Sink;
  /** The result JSON's `generated_at`; default now. */
  generatedAt?: Date;
  /** Web Workers reading the trace; default by its size (see foldWorkers). */
  workers?: number;
}

/** A task's trace, read: every request's facts, and what the footer says. */
interface ReadTrace {
  identity: TaskIdentity;
  anchorMs: number;
  facts: RequestFacts[];
  selfCheck?: SelfCheck;
  footer?: TraceFooter;
  /** The shards of a distributed run: a merged trace's, or a shard's own. */
  shards?: ShardStamp[];
  /** The chunk gaps of every measured request, when the summarizer counts them all. */
  gaps?: Awaited<ReturnType<typeof foldTrace>>["gaps"];
}

/** First pass: every request's facts; the gaps too when the summarizer counts every measured request. */
async function readTrace(
  tracePath: string,
  options: ReportTraceOptions,
): Promise<ReadTrace> {
  const header = await readTraceHeader(tracePath);
  const identity = header.identity;
  if (!identity) {
    throw new RuntimeError(`Cannot read trace "${tracePath}": its header has no task identity`);
  }
  const onePass = summarizerOf(options.settings.summarizer).countsEveryMeasured;
  const first = await foldTrace(
    {
      ...foldSpec(tracePath, header.anchor_ms, options.settings),
      gapsOf: onePass ? "measured" : [],
    },
    options.workers,
  );
  const read: ReadTrace = {
    identity,
    anchorMs: header.anchor_ms,
    facts: first.facts.sort((a, b) => a.index - b.index),
    ...(onePass ? { gaps: first.gaps } : {}),
  };
  if (first.footer) read.footer = first.footer;
  const selfCheck = first.footer?.self_check as SelfCheck | undefined;
  if (selfCheck) read.selfCheck = selfCheck;
  const shards = header.shards ?? (header.shard ? [header.shard] : undefined);
  if (shards) read.shards = shards;
  return read;
}

function foldSpec(path: string, anchorMs: number, settings: ReportSettings) {
  return {
    path,
    anchorMs,
    facts: true,
    ...(settings.tokenCount ? { tokenCount: settings.tokenCount } : {}),
  };
}

/** Summarizes the selected requests, folding the gaps of the counted ones if the first pass did not. */
async function summarize(
  tracePath: string,
  read: ReadTrace,
  selection: Selection,
  options: ReportTraceOptions,
): Promise<TaskSummary> {
  const { settings } = options;
  const gaps = read.gaps ?? (await foldTrace(
    {
      ...foldSpec(tracePath, read.anchorMs, settings),
      facts: false,
      gapsOf: selection.counted.map((f) => f.index),
    },
    options.workers,
  )).gaps;
  const target = targetRate(read.identity.load as unknown as LoadProfile);
  return summarizeTask(selection, gaps, {
    stats: settings.stats,
    summarizer: settings.summarizer,
    maxConcurrency: read.identity.max_concurrency,
    ...(settings.slo ? { slo: settings.slo } : {}),
    ...(settings.tokenCount ? { tokenCount: settings.tokenCount } : {}),
    ...(target !== undefined ? { targetRateRps: target } : {}),
  });
}

/**
 * The task's server metrics over its window (the stable window, else first
 * counted start to last counted end), when its samples file exists; panel
 * times relative to the trace's anchor, as the page's timeline.
 */
async function serverMetricsOf(
  path: string,
  selection: Selection,
  originMs: number,
): Promise<ServerSummary | undefined> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let startMs = Infinity;
  let endMs = -Infinity;
  if (selection.window) {
    startMs = selection.window.openMs;
    endMs = selection.window.closeMs;
  } else {
    for (const f of selection.counted) {
      startMs = Math.min(startMs, f.startMs);
      endMs = Math.max(endMs, f.endMs);
    }
  }
  try {
    return await summarizeServerMetrics(readServerMetrics(path), { startMs, endMs, originMs });
  } catch (error) {
    throw new RuntimeError(
      `Cannot read the server metrics file "${path}": ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/**
 * Streams a task's trace, summarizes it and runs the task reporters over it.
 * A summarizer that finds nothing to summarize (no stable window) is reported
 * in `error`; the reporters that need no summary (requests CSV, page) still run.
 */
export async function reportTrace(
  tracePath: string,
  options: ReportTraceOptions,
): Promise<TaskReport> {
  const { settings, paths } = options;
  const read = await readTrace(tracePath, options);
  const { identity, anchorMs, facts } = read;
  const planWarnings = traceWarnings(read);
  const view: TaskView = { identity, facts, anchorMs, settings, paths, warnings: planWarnings };
  const base = {
    identity,
    requests: facts.length,
    cancelled: facts.filter((f) => !f.warmup && f.error?.category === "cancelled").length,
  };
  const sink = options.sink ?? fileSink;
  let selection: Selection;
  try {
    selection = selectRequests(facts, {
      summarizer: settings.summarizer,
      maxConcurrency: identity.max_concurrency,
    });
  } catch (error) {
    const message = errorMessage(error);
    runReporters(options.reporters, { view: { ...view, error: message }, sink });
    const text = [message, ...planWarnings.map((w) => `warning: ${w}`)].join("\n");
    return { ...base, error: message, breaches: [], checks: [], text };
  }
  const summary = await summarize(tracePath, read, selection, options);
  const json = resultJson(summary, {
    identity,
    settings,
    anchorMs,
    generatedAt: options.generatedAt ?? new Date(),
  });
  const closedLoop = isClosedLoop(identity.load as unknown as LoadProfile);
  const lag = clientLag(read.selfCheck, summary, { closedLoop });
  if (read.selfCheck) json.client = read.selfCheck;
  const server = await serverMetricsOf(paths.serverMetrics, selection, anchorMs);
  // Histogram deltas need only the scrapes around the window; a short task may have none inside.
  if (server && (server.server.scrapes > 0 || server.server.family !== undefined)) {
    json.server = server.server;
  }
  if (read.shards) json.shards = read.shards;
  if (lag) json.client_lag = lag;
  const warnings = [
    ...planWarnings,
    ...windowWarnings(summary),
    ...outcomeWarnings(summary),
    ...deliveryWarnings(summary, { closedLoop }),
    ...(lag?.level === "warning" ? [lag.text] : []),
  ];
  if (warnings.length) json.warnings = warnings;
  const full: TaskView = { ...view, summary, json, warnings };
  if (server) full.server = server;
  runReporters(options.reporters, { view: full, sink });
  let text = renderTaskTables(summary, settings.stats);
  if (lag?.level === "info") text += `\nnote: ${lag.text}`;
  if (warnings.length) text += "\n" + warnings.map((w) => `warning: ${w}`).join("\n");
  if (read.shards) text += "\n" + shardNote(read.shards);
  if (json.percentiles) text += "\n" + renderPercentileTable(json.percentiles);
  if (json.server) text += "\n" + describeServerBlock(json.server);
  const checks = settings.failOn ? checkGates(settings.failOn, summary) : [];
  const breaches = checks.filter((c) => c.holds).map(({ gate, observed }) => ({ gate, observed }));
  return { ...base, summary, json, breaches, checks, text };
}
