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
import { type Breach, evaluateGates, type Gate } from "../metrics/gates.ts";
import type { Objective } from "../metrics/goodput.ts";
import type { StatSpec } from "../metrics/stats.ts";
import type { TokenCountMode } from "../metrics/request.ts";
import {
  LATE_SEND_MS,
  type Selection,
  selectRequests,
  type SummarizerName,
  summarizeTask,
  type TaskSummary,
} from "../metrics/summarize.ts";
import { type LoadProfile, targetRate } from "../load/mod.ts";
import { readTraceHeader } from "../record/trace.ts";
import { foldTrace } from "./trace_fold.ts";
import { csvLine } from "./csv.ts";
import type { TaskPaths } from "./paths.ts";
import { percentileView, renderPercentileTable } from "./percentiles.ts";
import { performanceRows, renderTaskTables } from "./table.ts";
import { writeRequestsCsv } from "./requests_csv.ts";
import { taskPage } from "./plots.ts";
import { LOOP_LAG_WARN_MS, type SelfCheck } from "../bench/self_check.ts";

/** How to summarize and what to add. */
export interface ReportSettings {
  stats: readonly StatSpec[];
  summarizer: SummarizerName;
  slo?: readonly Objective[];
  failOn?: readonly Gate[];
  /** Add EvalScope's percentile view (console and JSON). */
  percentiles?: boolean;
  /** Which token counts drive the metrics when both exist; default server. */
  tokenCount?: TokenCountMode;
}

/** The result contract written to `<task>.json`. */
export interface TaskResultJson {
  task: Omit<TaskIdentity, "max_concurrency"> & { summarizer: string; stage: "total" | "stable" };
  common: TaskSummary["common"];
  metrics: TaskSummary["metrics"];
  errors: TaskSummary["errors"];
  delivery: TaskSummary["delivery"];
  goodput?: TaskSummary["goodput"];
  token_counts?: TaskSummary["tokenCounts"];
  /** The client's self-check during the run (absent for a killed run). */
  client?: SelfCheck;
  percentiles?: Record<string, Record<string, number>>;
  stable_window_ms?: { open: number; close: number };
  generated_at: string;
}

/** What reporting a task produced. */
export interface TaskReport {
  identity: TaskIdentity;
  /** Requests in the trace, warm-up included. */
  requests: number;
  summary?: TaskSummary;
  json?: TaskResultJson;
  /** Why there is no summary (e.g. no stable window). */
  error?: string;
  /** `--fail-on` conditions that held. */
  breaches: Breach[];
  /** The console text: tables, or the reason there are none. */
  text: string;
}

const tokenCountOf = (s: ReportSettings) => (s.tokenCount ? { tokenCount: s.tokenCount } : {});

/** Builds the result JSON. `anchorMs` makes the stable window relative to the task's start. */
export function resultJson(
  identity: TaskIdentity,
  summary: TaskSummary,
  settings: ReportSettings,
  anchorMs: number,
  generatedAt: Date,
): TaskResultJson {
  const { max_concurrency: _, ...task } = identity;
  const json: TaskResultJson = {
    task: { ...task, summarizer: settings.summarizer, stage: summary.stage },
    common: summary.common,
    metrics: summary.metrics,
    errors: summary.errors,
    delivery: summary.delivery,
    generated_at: generatedAt.toISOString(),
  };
  if (summary.goodput) json.goodput = summary.goodput;
  if (summary.tokenCounts) json.token_counts = summary.tokenCounts;
  if (settings.percentiles) json.percentiles = percentileView(summary);
  if (summary.window) {
    json.stable_window_ms = {
      open: summary.window.openMs - anchorMs,
      close: summary.window.closeMs - anchorMs,
    };
  }
  return json;
}

/** Warnings about how the load was delivered: late sends, a rate not reached. */
export function deliveryWarnings(summary: TaskSummary): string[] {
  const d = summary.delivery;
  const out: string[] = [];
  if (d.late_sends > 0) {
    out.push(
      `${d.late_sends} of ${summary.common.total_requests} requests were sent more than ${LATE_SEND_MS} ms after their due time (send lag p99 ${
        d.send_lag_ms?.p99.toFixed(1)
      } ms, max ${
        d.send_lag_ms?.max.toFixed(1)
      } ms): the concurrency cap held them back, or the client fell behind`,
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

/** Warnings when the client did not keep up: its event loop lagged. */
export function clientWarnings(check: SelfCheck | undefined): string[] {
  if (!check || check.loop_lag_ms.p99 <= LOOP_LAG_WARN_MS) return [];
  return [
    `the client fell behind: its event loop lagged ${
      check.loop_lag_ms.p99.toFixed(1)
    } ms at P99 (max ${check.loop_lag_ms.max.toFixed(1)} ms, ${
      check.cpu_cores.toFixed(2)
    } of ${check.machine_cores} cores busy), so arrival stamps and sends may be late; use fewer streams per process, or a bigger client machine`,
  ];
}

/** The Performance Parameters table as AISBench writes it (values with units). */
export function performanceCsv(summary: TaskSummary, stats: readonly StatSpec[]): string {
  const { header, rows } = performanceRows(summary, stats);
  return csvLine(header) + rows.map((r) => csvLine(r)).join("");
}

/**
 * Streams a task's trace, summarizes it and writes its CSV, JSON, requests CSV
 * and page. A summarizer that finds nothing to summarize (no stable window) is
 * reported in `error`, with the requests CSV and page still written.
 * `workers` reads the trace in parallel (default: by its size, see foldWorkers).
 */
export async function reportTrace(
  tracePath: string,
  settings: ReportSettings,
  paths: TaskPaths,
  generatedAt = new Date(),
  workers?: number,
): Promise<TaskReport> {
  const header = await readTraceHeader(tracePath);
  const identity = header.identity;
  if (!identity) {
    throw new RuntimeError(`Cannot read trace "${tracePath}": its header has no task identity`);
  }
  const anchorMs = header.anchor_ms;
  const spec = { path: tracePath, anchorMs, facts: true, ...tokenCountOf(settings) };
  // default_perf counts every measured request, so one pass folds the gaps.
  const onePass = settings.summarizer !== "stable_stage";
  const first = await foldTrace({ ...spec, gapsOf: onePass ? "measured" : [] }, workers);
  const facts = first.facts.sort((a, b) => a.index - b.index);
  const selfCheck = first.footer?.self_check as SelfCheck | undefined;
  writeRequestsCsv(paths.requestsCsv, facts, anchorMs, settings.tokenCount);
  const base = { identity, requests: facts.length };
  let selection: Selection;
  try {
    selection = selectRequests(facts, settings.summarizer, identity.max_concurrency);
  } catch (error) {
    const message = errorMessage(error);
    Deno.writeTextFileSync(paths.plot, taskPage(identity, facts, anchorMs, { error: message }));
    return { ...base, error: message, breaches: [], text: message };
  }
  const gaps = onePass ? first.gaps : (await foldTrace(
    { ...spec, facts: false, gapsOf: selection.counted.map((f) => f.index) },
    workers,
  )).gaps;
  const target = targetRate(identity.load as unknown as LoadProfile);
  const summary = summarizeTask(selection, gaps, {
    stats: settings.stats,
    summarizer: settings.summarizer,
    maxConcurrency: identity.max_concurrency,
    ...(settings.slo ? { slo: settings.slo } : {}),
    ...tokenCountOf(settings),
    ...(target !== undefined ? { targetRateRps: target } : {}),
  });
  const json = resultJson(identity, summary, settings, anchorMs, generatedAt);
  if (selfCheck) json.client = selfCheck;
  Deno.writeTextFileSync(paths.csv, performanceCsv(summary, settings.stats));
  Deno.writeTextFileSync(paths.json, JSON.stringify(json, null, 2) + "\n");
  let text = renderTaskTables(summary, settings.stats);
  const warnings = [...deliveryWarnings(summary), ...clientWarnings(selfCheck)];
  if (warnings.length) text += "\n" + warnings.map((w) => `warning: ${w}`).join("\n");
  Deno.writeTextFileSync(
    paths.plot,
    taskPage(identity, facts, anchorMs, { summary, json, warnings }),
  );
  if (json.percentiles) text += "\n" + renderPercentileTable(json.percentiles);
  const breaches = settings.failOn ? evaluateGates(settings.failOn, summary) : [];
  return { ...base, summary, json, breaches, text };
}
