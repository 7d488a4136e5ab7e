/**
 * CI gates (`--fail-on 'ttft.p99>500ms,failed>0,output_throughput<1000'`):
 * conditions checked after a run; any that holds makes the process exit 3.
 *
 * A condition is `<name> <op> <value>`: `op` is one of `> >= < <= == !=`.
 * `<name>` is a per-request metric with a statistic (`ttft.p99`, `e2el.mean`,
 * `itl.p99.9`, `output_tokens.min`; statistics: mean, min, max, median, pNN)
 * or a run-level number (see {@link COMMON_GATES}). Time metrics take a unit
 * (`500ms`, `2s`; plain numbers are ms).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { parseDurationMs } from "./goodput.ts";
import { COMMON_METRICS, metricsIn } from "./metric_table.ts";
import type { Distribution } from "./stats.ts";
import type { TaskSummary } from "./summarize.ts";

/** Per-request metrics a gate may name (the metric table's `gate` view), with their sample key and whether they are times. */
const METRIC_GATES: Record<string, { key: string; time: boolean }> = Object.fromEntries(
  metricsIn("gate").map((m) => [m.name, { key: m.key, time: m.unit === "ms" }]),
);

/** What a run-level gate reads: a task's summary, or a result JSON read back. */
export interface GateSource {
  common: TaskSummary["common"];
  goodput?: TaskSummary["goodput"] | undefined;
}

/** A run-level number a gate may name. */
interface RunGate {
  read: (s: GateSource) => number | undefined;
  time: boolean;
}

/** Run-level numbers a gate may name: the common metrics that have a gate name, then rates of them. */
export const COMMON_GATES: Record<string, RunGate> = {
  ...Object.fromEntries(
    COMMON_METRICS.flatMap((c) =>
      "gate" in c
        ? [[c.gate, { read: (s: GateSource) => s.common[c.key], time: c.unit === "ms" }]]
        : []
    ),
  ),
  error_rate: {
    read: (s) => (s.common.total_requests ? s.common.failed_requests / s.common.total_requests : 0),
    time: false,
  },
  goodput: { read: (s) => s.goodput?.rate_rps, time: false },
  goodput_share: { read: (s) => s.goodput?.share, time: false },
};

const OPS = {
  ">=": (a: number, b: number) => a >= b,
  "<=": (a: number, b: number) => a <= b,
  "==": (a: number, b: number) => a === b,
  "!=": (a: number, b: number) => a !== b,
  ">": (a: number, b: number) => a > b,
  "<": (a: number, b: number) => a < b,
};
type Op = keyof typeof OPS;

/** One parsed condition. */
export interface Gate {
  text: string;
  name: string;
  op: Op;
  value: number;
  /** For metric gates: the sample key and the statistic. */
  metric?: { key: string; stat: string };
}

function statOf(sample: Distribution | undefined, stat: string): number | undefined {
  if (!sample || sample.n === 0) return undefined;
  if (stat === "mean" || stat === "avg" || stat === "average") return sample.mean();
  if (stat === "min") return sample.percentile(0);
  if (stat === "max") return sample.percentile(100);
  if (stat === "median") return sample.percentile(50);
  return sample.percentile(Number(stat.slice(1).replace("_", ".")));
}

const STAT = /^(mean|avg|average|min|max|median|p(?:\d{1,2}(?:[._]\d+)?|100))$/;

/** A parsed condition with its value of type `V` (a number for `--fail-on`). */
export type Condition<V> = Omit<Gate, "value"> & { value: V };

/** How {@link parseConditions} reads the value after the operator. */
export interface ConditionValueReader<V> {
  /** The flag or field the text came from, prefixing every problem. */
  source: string;
  /** The value of `raw` for a metric that is (or is not) a time; undefined when it is not one. */
  read: (raw: string, time: boolean) => V | undefined;
  /** What a value should look like, for the problem when `read` gives none. */
  expected: (time: boolean) => string;
}

/**
 * Parses a comma-separated list of `<name><op><value>` conditions: names as
 * `--fail-on` has them (a metric with a statistic, or a run-level number),
 * values as `reader` reads them. Every problem is reported at once.
 */
export function parseConditions<V>(text: string, reader: ConditionValueReader<V>): Condition<V>[] {
  const { source } = reader;
  const conditions: Condition<V>[] = [];
  const problems: string[] = [];
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s)) {
    const m = /^([a-z][a-z0-9_]*(?:\.[a-z0-9_.]+)?)\s*(>=|<=|==|!=|>|<)\s*(.+)$/i.exec(part);
    if (!m) {
      problems.push(
        `${source}: cannot parse "${part}": expected <name><op><value>, e.g. ttft.p99>500ms`,
      );
      continue;
    }
    const [, rawName, op, rawValue] = m as unknown as [string, string, Op, string];
    const name = rawName.toLowerCase();
    const dot = name.indexOf(".");
    let time: boolean;
    let metric: Gate["metric"];
    if (dot >= 0) {
      const base = METRIC_GATES[name.slice(0, dot)];
      const stat = name.slice(dot + 1);
      if (!base || !STAT.test(stat)) {
        problems.push(
          `${source}: unknown name "${rawName}" in "${part}": expected <metric>.<stat> with metric one of ${
            Object.keys(METRIC_GATES).join(", ")
          } and stat mean, min, max, median or pNN`,
        );
        continue;
      }
      time = base.time;
      metric = { key: base.key, stat };
    } else {
      const common = COMMON_GATES[name];
      if (!common) {
        problems.push(
          `${source}: unknown name "${rawName}" in "${part}": expected <metric>.<stat> or one of ${
            Object.keys(COMMON_GATES).join(", ")
          }`,
        );
        continue;
      }
      time = common.time;
    }
    const value = rawValue.trim() === "" ? undefined : reader.read(rawValue.trim(), time);
    if (value === undefined) {
      problems.push(`${source}: "${part}": expected ${reader.expected(time)} after "${op}"`);
      continue;
    }
    conditions.push({ text: part, name, op, value, ...(metric ? { metric } : {}) });
  }
  if (!problems.length && !conditions.length) {
    problems.push(`${source}: expected at least one condition`);
  }
  if (problems.length) throw new UsageError(problems);
  return conditions;
}

/** Parses `--fail-on`; every problem is reported at once. */
export function parseFailOn(text: string, source = "--fail-on"): Gate[] {
  return parseConditions<number>(text, {
    source,
    read: (raw, time) => {
      const value = time ? parseDurationMs(raw) : Number(raw);
      return value !== undefined && Number.isFinite(value) ? value : undefined;
    },
    expected: (time) => (time ? "a duration such as 500ms or 2s" : "a number"),
  });
}

/** Whether `observed <op> value` holds. */
export function opHolds(op: Gate["op"], observed: number, value: number): boolean {
  return OPS[op](observed, value);
}

/** A condition that held, with the observed value. */
export interface Breach {
  gate: Gate;
  observed: number | undefined;
}

/** A condition checked against a task: what was observed, and whether it held (failing the run). */
export interface GateCheck extends Breach {
  holds: boolean;
}

/**
 * Checks every condition against a task. A condition on a metric the task
 * does not have (TTFT of a non-streaming run) holds: a gate cannot pass on
 * missing data.
 */
export function checkGates(gates: readonly Gate[], summary: TaskSummary): GateCheck[] {
  return gates.map((gate) => {
    const observed = gate.metric
      ? statOf(summary.samples[gate.metric.key], gate.metric.stat)
      : COMMON_GATES[gate.name]!.read(summary);
    return { gate, observed, holds: observed === undefined || OPS[gate.op](observed, gate.value) };
  });
}

/** The conditions that hold for a task (see {@link checkGates}). */
export function evaluateGates(gates: readonly Gate[], summary: TaskSummary): Breach[] {
  return checkGates(gates, summary).filter((c) => c.holds).map(({ gate, observed }) => ({
    gate,
    observed,
  }));
}
