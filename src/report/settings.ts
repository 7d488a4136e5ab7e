/**
 * A run's report settings kept in its traces' headers: written as text the
 * flags' parsers read again, so `report --reuse` rebuilds a run with the
 * summarizer, statistics, percentiles, token counts, SLOs and gates it ran
 * with, and can tell when it was asked for other ones.
 *
 * @module
 */

import { RuntimeError, UsageError } from "../errors.ts";
import { parseFailOn } from "../metrics/gates.ts";
import { parseSlo } from "../metrics/goodput.ts";
import { parseStats } from "../metrics/stats.ts";
import { type SummarizerName, SUMMARIZERS } from "../metrics/summarize.ts";
import type { TraceSettings } from "../record/trace.ts";
import type { ReportSettings } from "./result_json.ts";

/** Settings as a trace header keeps them (opt-in outputs such as `--junit` are the caller's, not the run's). */
export function traceSettings(settings: ReportSettings): TraceSettings {
  const out: TraceSettings = {
    summarizer: settings.summarizer,
    stats: settings.stats.map((s) => s.label),
  };
  if (settings.percentiles) out.percentiles = true;
  if (settings.tokenCount) out.token_count = settings.tokenCount;
  if (settings.slo?.length) out.slo = settings.slo.map((o) => `${o.metric}:${o.maxMs}ms`).join(",");
  if (settings.failOn?.length) out.fail_on = settings.failOn.map((g) => g.text).join(",");
  return out;
}

/**
 * The settings a trace header keeps, parsed again; a RuntimeError naming the
 * trace when they do not parse (an edited or foreign header).
 */
export function settingsOfTrace(stored: TraceSettings, tracePath: string): ReportSettings {
  const where = `trace "${tracePath}": settings`;
  try {
    if (!SUMMARIZERS.includes(stored.summarizer as SummarizerName)) {
      throw new UsageError(`${where}: unknown summarizer "${stored.summarizer}"`);
    }
    if (
      stored.token_count !== undefined && stored.token_count !== "server" &&
      stored.token_count !== "tokenizer"
    ) {
      throw new UsageError(`${where}: unknown token_count "${stored.token_count}"`);
    }
    const settings: ReportSettings = {
      summarizer: stored.summarizer as SummarizerName,
      stats: parseStats(stored.stats, `${where}: stats`),
    };
    if (stored.percentiles) settings.percentiles = true;
    if (stored.token_count) settings.tokenCount = stored.token_count;
    if (stored.slo) settings.slo = parseSlo(stored.slo, `${where}: slo`);
    if (stored.fail_on) settings.failOn = parseFailOn(stored.fail_on, `${where}: fail_on`);
    return settings;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new RuntimeError(`Cannot read ${error.problems.join("; ")}`);
  }
}

/** True when two settings report alike (the same text in a trace header). */
export function sameSettings(a: ReportSettings, b: ReportSettings): boolean {
  return JSON.stringify(traceSettings(a)) === JSON.stringify(traceSettings(b));
}
