/**
 * `--fail-on-regression 'ttft.p99>+10%,output_throughput<-5%'`: conditions on
 * the change of a metric against the baseline run, in `--fail-on`'s grammar
 * (`<name><op><value>`, the same names). The value is a change: in % of the
 * baseline (`+10%`, `-5%`), or in the metric's unit (`+20ms`, `-50`; plain
 * numbers of a time are ms). A condition holds — a regression, exit 5 — when
 * the change passes it and is beyond the noise band (see compare.ts).
 *
 * @module
 */

import { parseDurationMs } from "../metrics/goodput.ts";
import { parseConditions } from "../metrics/gates.ts";
import { commonMetric, type RegressionGate, requestMetric } from "./compare.ts";

/** A change as written: `+10%`, `-5%`, `+20ms`, `3`. */
function readChange(raw: string, time: boolean): { amount: number; relative: boolean } | undefined {
  const m = /^([+-]?)\s*(.+?)\s*(%?)$/.exec(raw);
  if (!m) return undefined;
  const [, sign, body, percent] = m as unknown as [string, string, string, string];
  const magnitude = percent || !time ? Number(body) : parseDurationMs(body);
  if (magnitude === undefined || !Number.isFinite(magnitude) || body === "") return undefined;
  return { amount: sign === "-" ? -magnitude : magnitude, relative: percent === "%" };
}

/** Parses `--fail-on-regression`; every problem is reported at once. */
export function parseFailOnRegression(
  text: string,
  source = "--fail-on-regression",
): RegressionGate[] {
  return parseConditions(text, {
    source,
    read: readChange,
    expected: (time) =>
      `a change such as +10% or ${time ? "+20ms" : "-50"} (relative to the baseline, or absolute)`,
  }).map((c) => ({
    text: c.text,
    op: c.op,
    amount: c.value.amount,
    relative: c.value.relative,
    metric: c.metric ? requestMetric(c.metric.key, c.metric.stat) : commonMetric(c.name),
  }));
}
