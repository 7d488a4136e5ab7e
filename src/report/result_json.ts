/**
 * The result contract (`<task>.json`) and the settings a report is made with.
 *
 * @module
 */

import type { TaskIdentity } from "../config/plan.ts";
import type { Gate } from "../metrics/gates.ts";
import type { Objective } from "../metrics/goodput.ts";
import type { StatSpec } from "../metrics/stats.ts";
import type { TokenCountMode } from "../metrics/request.ts";
import type { SummarizerName, TaskSummary } from "../metrics/summarize.ts";
import type { LagJudgement, SelfCheck } from "../bench/self_check.ts";
import type { ShardStamp } from "../record/trace.ts";
import { percentileView } from "./percentiles.ts";
import type { ServerBlock } from "../server_metrics/mod.ts";

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
  /** Opt-in reporters asked for, by reporter key, with the file each writes (`junit`). */
  outputs?: Readonly<Record<string, string>>;
}

/** The result contract written to `<task>.json`. */
export interface TaskResultJson {
  task: Omit<TaskIdentity, "max_concurrency"> & { summarizer: string; stage: "total" | "stable" };
  common: TaskSummary["common"];
  metrics: TaskSummary["metrics"];
  errors: TaskSummary["errors"];
  /** The most common failures (category, status, message, count), most frequent first; absent without any. */
  error_messages?: TaskSummary["errorMessages"];
  delivery: TaskSummary["delivery"];
  goodput?: TaskSummary["goodput"];
  token_counts?: TaskSummary["tokenCounts"];
  /** Timings the server reported, by name: mean ms and requests (labelled apart from the client's). */
  server_timings_ms?: TaskSummary["serverTimings"];
  /**
   * The server's own metrics over the task window (`--server-metrics`): peaks
   * and means of its gauges, ratios and histogram percentiles; absent when
   * nothing was scraped.
   */
  server?: ServerBlock;
  /** Metrics by turn index of the task's conversations (TTFT by turn shows a prefix cache's benefit). */
  turns?: TaskSummary["turns"];
  /** The client's self-check during the run (absent for a killed run; a merged run's: its busiest shard's). */
  client?: SelfCheck;
  /**
   * The shards of a distributed run (`--shard`): every shard of a merged run,
   * or the one whose requests alone a shard's own report counts. Their times
   * are comparable only as far as their hosts' clocks agree (NTP assumed).
   */
  shards?: ShardStamp[];
  /** The self-check judged against the task's median TTFT (or E2EL): an info line or a warning. */
  client_lag?: LagJudgement;
  percentiles?: Record<string, Record<string, number>>;
  stable_window_ms?: { open: number; close: number };
  /** What makes these numbers doubtful, one sentence each (as the console's `warning:` lines). */
  warnings?: string[];
  generated_at: string;
}

/** What {@link resultJson} needs besides the summary. */
export interface ResultJsonOptions {
  identity: TaskIdentity;
  settings: ReportSettings;
  /** The stable window is written relative to this (the task's start). */
  anchorMs: number;
  generatedAt: Date;
}

/** Builds the result JSON of a task's summary. */
export function resultJson(summary: TaskSummary, options: ResultJsonOptions): TaskResultJson {
  const { identity, settings, anchorMs, generatedAt } = options;
  const { max_concurrency: _, ...task } = identity;
  const json: TaskResultJson = {
    task: { ...task, summarizer: settings.summarizer, stage: summary.stage },
    common: summary.common,
    metrics: summary.metrics,
    errors: summary.errors,
    ...(summary.errorMessages.length ? { error_messages: summary.errorMessages } : {}),
    delivery: summary.delivery,
    generated_at: generatedAt.toISOString(),
  };
  if (summary.goodput) json.goodput = summary.goodput;
  if (summary.tokenCounts) json.token_counts = summary.tokenCounts;
  if (summary.serverTimings) json.server_timings_ms = summary.serverTimings;
  if (summary.turns) json.turns = summary.turns;
  if (settings.percentiles) json.percentiles = percentileView(summary);
  if (summary.window) {
    json.stable_window_ms = {
      open: summary.window.openMs - anchorMs,
      close: summary.window.closeMs - anchorMs,
    };
  }
  return json;
}
