/**
 * Comparing runs: the headline metrics of matched tasks side by side, each
 * run's value the mean over its repetitions with a t-based 95% confidence
 * interval, and each delta against the first run (the baseline) with a noise
 * band — the half-width of the 95% confidence interval of the difference of
 * the means (Welch). A delta is beyond the noise when it is larger than its
 * band; with one repetition on both sides there is no band.
 *
 * The headline metrics come from the metric table: the per-request metrics
 * of the run summary's view (mean, P50, P99 each) and every common metric
 * with a better direction.
 *
 * @module
 */

import { COMMON_GATES, type Gate, opHolds } from "../metrics/gates.ts";
import {
  type Better,
  COMMON_METRICS,
  metricsIn,
  type MetricUnit,
  REQUEST_METRICS,
} from "../metrics/metric_table.ts";
import type { TaskResultJson } from "../report/result_json.ts";
import type { RunInput, TaskGroup } from "./inputs.ts";

/** One metric a comparison shows: how to read it from a result JSON, and which way is better. */
export interface CompareMetric {
  /** Its `--fail-on` name where it has one (`ttft.p99`, `output_throughput`), else its key. */
  id: string;
  /** Table label: `TTFT P99`. */
  label: string;
  unit: MetricUnit;
  better: Better;
  read: (json: TaskResultJson) => number | undefined;
}

/** A statistic's value in a result JSON's `metrics` entry, by its gate spelling (`p50`, `p99.9`, `mean`). */
export function jsonStat(
  values: Record<string, number> | undefined,
  stat: string,
): number | undefined {
  if (!values) return undefined;
  if (stat === "mean" || stat === "avg" || stat === "average") return values.mean;
  if (stat === "median" || stat === "p50") return values.median ?? values.p50;
  if (stat === "min" || stat === "p0") return values.min ?? values.p0;
  if (stat === "max" || stat === "p100") return values.max ?? values.p100;
  return values[stat.replace(".", "_")];
}

/** The statistics of a per-request metric the headline shows, with their labels. */
const HEADLINE_STATS = [["mean", "mean"], ["p50", "P50"], ["p99", "P99"]] as const;

/** A per-request metric's statistic as a compare metric. */
export function requestMetric(key: string, stat: string): CompareMetric {
  const def = REQUEST_METRICS.find((m) => m.key === key)!;
  const label = HEADLINE_STATS.find(([s]) => s === stat)?.[1] ?? stat;
  return {
    id: `${def.name}.${stat}`,
    label: `${def.label} ${label}`,
    unit: def.unit,
    better: def.better,
    read: (json) => jsonStat(json.metrics[key], stat),
  };
}

/** A run-level number named as `--fail-on` names it, as a compare metric. */
export function commonMetric(name: string): CompareMetric {
  const def = COMMON_METRICS.find((c) => "gate" in c && c.gate === name);
  const better: Better = def?.better ?? (name === "error_rate" ? "lower" : "higher");
  return {
    id: name,
    label: def?.label ?? name,
    unit: def?.unit ?? "",
    better,
    read: (json) => COMMON_GATES[name]!.read(json),
  };
}

/** The headline metrics, derived from the metric table (see the module doc). */
export const HEADLINE_METRICS: readonly CompareMetric[] = [
  ...metricsIn("summary").flatMap((m) =>
    HEADLINE_STATS.map(([stat]) => requestMetric(m.key, stat))
  ),
  ...COMMON_METRICS.filter((c) => c.better !== "neither").map((c): CompareMetric =>
    "gate" in c ? commonMetric(c.gate) : {
      id: c.key,
      label: c.label,
      unit: c.unit,
      better: c.better,
      read: (json) => (json.common as Record<string, number | undefined>)[c.key],
    }
  ),
];

/** t quantiles (97.5%) by degrees of freedom; between rows the lower row's (wider) value is taken. */
const T975: readonly (readonly [number, number])[] = [
  [1, 12.706],
  [2, 4.303],
  [3, 3.182],
  [4, 2.776],
  [5, 2.571],
  [6, 2.447],
  [7, 2.365],
  [8, 2.306],
  [9, 2.262],
  [10, 2.228],
  [12, 2.179],
  [15, 2.131],
  [20, 2.086],
  [30, 2.042],
  [60, 2.0],
  [120, 1.98],
];

/** The two-sided 95% t quantile for `df` degrees of freedom (conservative between table rows). */
export function t975(df: number): number {
  let t = T975[0]![1];
  for (const [d, v] of T975) if (d <= df) t = v;
  return t;
}

/** A metric's value in one run: the mean over its repetitions, with its spread. */
export interface Estimate {
  /** The value of each repetition that has the metric. */
  values: number[];
  mean: number;
  /** Sample variance (n − 1); 0 with one value. */
  variance: number;
  /** Half-width of the 95% confidence interval of the mean; absent with one value. */
  halfWidth?: number;
}

/** The estimate of a metric over repetitions; undefined when none has it. */
export function estimate(values: readonly (number | undefined)[]): Estimate | undefined {
  const xs = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (!xs.length) return undefined;
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  const out: Estimate = { values: xs, mean, variance };
  if (n > 1) out.halfWidth = t975(n - 1) * Math.sqrt(variance / n);
  return out;
}

/** A run's value against the baseline's. */
export interface Delta {
  /** Candidate mean − baseline mean. */
  abs: number;
  /** The same in % of the baseline (±Infinity from a baseline of 0). */
  rel: number;
  /** Half-width of the 95% CI of the difference; absent with one repetition on both sides. */
  band?: number;
  /** |abs| > band (false without a band). */
  beyondNoise: boolean;
}

/**
 * The delta of `other` against `base`. Both with repetitions: Welch's
 * interval. One side with a single value: the other side's variance stands
 * for both.
 */
export function deltaOf(base: Estimate, other: Estimate): Delta {
  const abs = other.mean - base.mean;
  const rel = base.mean !== 0 ? (abs / Math.abs(base.mean)) * 100 : abs === 0 ? 0 : abs * Infinity;
  const nA = base.values.length;
  const nB = other.values.length;
  let band: number | undefined;
  if (nA > 1 && nB > 1) {
    const a = base.variance / nA;
    const b = other.variance / nB;
    const df = a + b > 0 ? (a + b) ** 2 / (a ** 2 / (nA - 1) + b ** 2 / (nB - 1)) : nA + nB - 2;
    band = t975(Math.floor(df)) * Math.sqrt(a + b);
  } else if (nA > 1 || nB > 1) {
    const [spread, n] = nA > 1 ? [base.variance, nA] : [other.variance, nB];
    band = t975(n - 1) * Math.sqrt(spread * (1 / nA + 1 / nB));
  }
  return {
    abs,
    rel,
    ...(band !== undefined ? { band } : {}),
    beyondNoise: band !== undefined && Math.abs(abs) > band,
  };
}

/** Whether a delta is worse, better, a change of a metric with no better side, or noise. */
export type DeltaVerdict = "worse" | "better" | "changed" | "noise" | "unknown";

/** The verdict of a delta of a metric (`unknown` without a noise band). */
export function verdictOf(delta: Delta, better: Better): DeltaVerdict {
  if (delta.band === undefined) return "unknown";
  if (!delta.beyondNoise) return "noise";
  if (better === "neither") return "changed";
  return (delta.abs > 0) === (better === "higher") ? "better" : "worse";
}

/** A `--fail-on-regression` condition: a change of a metric against the baseline. */
export interface RegressionGate {
  /** As given: `ttft.p99>+10%`. */
  text: string;
  op: Gate["op"];
  /** The change the condition bounds: in % of the baseline when `relative`, else in the metric's unit. */
  amount: number;
  relative: boolean;
  metric: CompareMetric;
}

/** A regression condition checked for one task of one run against the baseline. */
export interface RegressionCheck {
  gate: RegressionGate;
  /** The task, `model × dataset — load`. */
  task: string;
  /** The run checked (its label). */
  run: string;
  /** The change observed; absent when the run has no value for the metric (the condition holds). */
  delta?: Delta;
  /** The condition holds beyond the noise band: a regression. */
  holds: boolean;
}

/** One row of a compared task: a metric in every run. */
export interface ComparedRow {
  metric: CompareMetric;
  /** By run, in input order; undefined where the run lacks the task or the metric. */
  estimates: (Estimate | undefined)[];
  /** By run; the baseline's (index 0) is always undefined. */
  deltas: (Delta | undefined)[];
}

/** A task matched across runs. */
export interface ComparedTask {
  key: string;
  model: string;
  dataset: string;
  load: string;
  /** Repetitions by run (0 where the run lacks the task). */
  repetitions: number[];
  rows: ComparedRow[];
}

/** What comparing runs found. */
export interface Comparison {
  runs: { label: string; path: string }[];
  /** Tasks of the baseline that at least one other run has, in the baseline's order. */
  tasks: ComparedTask[];
  /** Tasks not matched with the baseline, as `model × dataset — load (only in <run>)`. */
  unmatched: string[];
  /** Every `--fail-on-regression` condition checked, per task and run. */
  regressions: RegressionCheck[];
}

function taskName(g: Pick<TaskGroup, "model" | "dataset" | "load">): string {
  return `${g.model} × ${g.dataset} — ${g.load}`;
}

/** The metrics of a comparison: the headline ones, then any a regression condition names. */
function metricsFor(gates: readonly RegressionGate[]): CompareMetric[] {
  const out = [...HEADLINE_METRICS];
  for (const g of gates) {
    if (out.some((m) => m.id === g.metric.id)) continue;
    out.push(g.metric);
  }
  return out;
}

/**
 * Compares runs against the first: tasks matched by model, dataset and load
 * point, a row per metric, and the regression conditions checked.
 */
export function compareRuns(
  runs: readonly RunInput[],
  options: { regressions?: readonly RegressionGate[] } = {},
): Comparison {
  const gates = options.regressions ?? [];
  const metrics = metricsFor(gates);
  const [base, ...others] = runs;
  const tasks: ComparedTask[] = [];
  const unmatched: string[] = [];
  for (const g of base?.groups ?? []) {
    const groups = runs.map((r) => r.groups.find((o) => o.key === g.key));
    if (groups.slice(1).every((o) => o === undefined)) {
      unmatched.push(`${taskName(g)} (only in ${base!.label})`);
      continue;
    }
    const rows = metrics.map((metric): ComparedRow => {
      const estimates = groups.map((
        o,
      ) => (o ? estimate(o.repetitions.map(metric.read)) : undefined));
      const baseline = estimates[0];
      return {
        metric,
        estimates,
        deltas: estimates.map((
          e,
          i,
        ) => (i > 0 && e && baseline ? deltaOf(baseline, e) : undefined)),
      };
    });
    tasks.push({
      key: g.key,
      model: g.model,
      dataset: g.dataset,
      load: g.load,
      repetitions: groups.map((o) => o?.repetitions.length ?? 0),
      rows,
    });
  }
  for (const r of others) {
    for (const g of r.groups) {
      if (!base?.groups.some((b) => b.key === g.key)) {
        unmatched.push(`${taskName(g)} (only in ${r.label})`);
      }
    }
  }
  return {
    runs: runs.map((r) => ({ label: r.label, path: r.path })),
    tasks,
    unmatched,
    regressions: checkRegressions(gates, { tasks, labels: runs.map((r) => r.label) }),
  };
}

/**
 * Checks each condition for each task and run against the baseline: it holds
 * when the change passes the threshold and is beyond the noise band (or there
 * is no band: one repetition each). A run without the metric the baseline
 * has holds (a gate cannot pass on missing data); a baseline without it is
 * not checked.
 */
function checkRegressions(
  gates: readonly RegressionGate[],
  compared: { tasks: readonly ComparedTask[]; labels: readonly string[] },
): RegressionCheck[] {
  const out: RegressionCheck[] = [];
  for (const task of compared.tasks) {
    for (const gate of gates) {
      const row = task.rows.find((r) => r.metric.id === gate.metric.id)!;
      if (!row.estimates[0]) continue;
      for (let i = 1; i < compared.labels.length; i++) {
        if (!task.repetitions[i]) continue;
        const delta = row.deltas[i];
        const check = { gate, task: taskName(task), run: compared.labels[i]! };
        if (!delta) {
          out.push({ ...check, holds: true });
          continue;
        }
        const observed = gate.relative ? delta.rel : delta.abs;
        const passes = opHolds(gate.op, observed, gate.amount);
        out.push({
          ...check,
          delta,
          holds: passes && (delta.band === undefined || delta.beyondNoise),
        });
      }
    }
  }
  return out;
}
