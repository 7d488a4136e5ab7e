/**
 * Goodput: the share and rate of requests that met every service-level
 * objective (`--slo ttft:500ms,tpot:50ms,e2el:10s`). A failed request is
 * never good; an objective on a metric a request does not have (TPOT of a
 * one-token output) does not constrain it.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { metricsIn, type RequestMetricDef, type SloName } from "./metric_table.ts";
import type { RequestMetrics } from "./request.ts";

/** Metrics an SLO may bound (the metric table's `slo` view), by name. */
const SLO_METRICS: ReadonlyMap<string, RequestMetricDef> = new Map(
  metricsIn("slo").map((m) => [m.name, m]),
);

/** One objective: the metric must be at most `maxMs`. */
export interface Objective {
  metric: SloName;
  maxMs: number;
}

/** The key an objective is reported under (`ttft_ms`). */
export function sloKey(objective: Objective): string {
  return SLO_METRICS.get(objective.metric)!.key;
}

/** Parses a duration like `500ms`, `2.5s`, `800us` (plain numbers are ms) into ms. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|us|µs|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "ms";
  return unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : unit === "ms" ? n : n / 1000;
}

/** Parses `--slo` (`ttft:500ms,tpot:50ms`); every problem is reported at once. */
export function parseSlo(text: string, source = "--slo"): Objective[] {
  const problems: string[] = [];
  const out: Objective[] = [];
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s)) {
    const [name, value] = part.split(":", 2).map((s) => s.trim());
    if (!name || !SLO_METRICS.has(name)) {
      problems.push(
        `${source}: unknown metric "${name ?? part}" in "${part}": expected one of ${
          [...SLO_METRICS.keys()].join(", ")
        }`,
      );
      continue;
    }
    const ms = value === undefined ? undefined : parseDurationMs(value);
    if (ms === undefined) {
      problems.push(
        `${source}: "${part}": expected a duration such as 500ms or 2s after "${name}:"`,
      );
      continue;
    }
    out.push({ metric: name as Objective["metric"], maxMs: ms });
  }
  if (!problems.length && !out.length) {
    problems.push(`${source}: expected at least one objective, e.g. ttft:500ms`);
  }
  if (problems.length) throw new UsageError(problems);
  return out;
}

/** True when a request succeeded and met every objective. */
export function meetsSlo(m: RequestMetrics, slo: readonly Objective[]): boolean {
  if (!m.ok) return false;
  for (const o of slo) {
    const v = SLO_METRICS.get(o.metric)!.value!(m);
    if (v !== undefined && v > o.maxMs) return false;
  }
  return true;
}

/** Writes objectives back as text (`ttft:500ms,tpot:50ms`). */
export function formatSlo(slo: readonly Objective[]): string {
  return slo.map((o) => `${o.metric}:${o.maxMs}ms`).join(",");
}
