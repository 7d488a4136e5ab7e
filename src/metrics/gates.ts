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
import type { Distribution } from "./stats.ts";
import type { TaskSummary } from "./summarize.ts";

/** Per-request metrics a gate may name, with their sample key and whether they are times. */
const METRIC_GATES: Record<string, { key: string; time: boolean }> = {
  ttft: { key: "ttft_ms", time: true },
  ttfo: { key: "ttfo_ms", time: true },
  itl: { key: "itl_ms", time: true },
  tpot: { key: "tpot_ms", time: true },
  e2el: { key: "e2el_ms", time: true },
  input_tokens: { key: "input_tokens", time: false },
  output_tokens: { key: "output_tokens", time: false },
  output_token_throughput: { key: "output_token_throughput_tps", time: false },
  prefill_token_throughput: { key: "prefill_token_throughput_tps", time: false },
};

/** Run-level numbers a gate may name. */
export const COMMON_GATES: Record<
  string,
  { read: (s: TaskSummary) => number | undefined; time: boolean }
> = {
  failed: { read: (s) => s.common.failed_requests, time: false },
  success: { read: (s) => s.common.success_requests, time: false },
  total: { read: (s) => s.common.total_requests, time: false },
  error_rate: {
    read: (s) => (s.common.total_requests ? s.common.failed_requests / s.common.total_requests : 0),
    time: false,
  },
  duration: { read: (s) => s.common.benchmark_duration_ms, time: true },
  concurrency: { read: (s) => s.common.concurrency, time: false },
  request_throughput: { read: (s) => s.common.request_throughput_rps, time: false },
  output_throughput: { read: (s) => s.common.output_token_throughput_tps, time: false },
  input_throughput: { read: (s) => s.common.input_token_throughput_tps, time: false },
  total_throughput: { read: (s) => s.common.total_token_throughput_tps, time: false },
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

/** Parses `--fail-on`; every problem is reported at once. */
export function parseFailOn(text: string, source = "--fail-on"): Gate[] {
  const gates: Gate[] = [];
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
    const value = time ? parseDurationMs(rawValue) : Number(rawValue.trim());
    if (value === undefined || !Number.isFinite(value) || rawValue.trim() === "") {
      problems.push(
        `${source}: "${part}": expected ${
          time ? "a duration such as 500ms or 2s" : "a number"
        } after "${op}"`,
      );
      continue;
    }
    gates.push({ text: part, name, op, value, ...(metric ? { metric } : {}) });
  }
  if (!problems.length && !gates.length) {
    problems.push(`${source}: expected at least one condition`);
  }
  if (problems.length) throw new UsageError(problems);
  return gates;
}

/** A condition that held, with the observed value. */
export interface Breach {
  gate: Gate;
  observed: number | undefined;
}

/**
 * Returns the conditions that hold for a task. A condition on a metric the
 * task does not have (TTFT of a non-streaming run) holds: a gate cannot pass
 * on missing data.
 */
export function evaluateGates(gates: readonly Gate[], summary: TaskSummary): Breach[] {
  const breaches: Breach[] = [];
  for (const gate of gates) {
    const observed = gate.metric
      ? statOf(summary.samples[gate.metric.key], gate.metric.stat)
      : COMMON_GATES[gate.name]!.read(summary);
    if (observed === undefined || OPS[gate.op](observed, gate.value)) {
      breaches.push({ gate, observed });
    }
  }
  return breaches;
}
