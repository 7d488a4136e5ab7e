/**
 * JUnit XML for CI (`--junit FILE`): one test suite per task, one test case
 * per `--fail-on` condition. A condition that held (the run exits 3) is a
 * failure carrying the observed value and the threshold; one that could not
 * be checked (the task has no summary, e.g. no stable window) is an error
 * with the reason.
 *
 * @module
 */

import type { Gate, GateCheck } from "../../metrics/gates.ts";
import { optInPath, type RunReporter, type TaskOutcomeView } from "../reporter.ts";

/** Escapes text for XML content and attributes; replaces characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "\uFFFD")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const num = (x: number) => String(Math.round(x * 1000) / 1000);

/** A test case's outcome: passed (with what was seen), failed or in error. */
type Outcome = { kind: "passed" | "failure" | "error"; text: string };

function outcomeOf(c: GateCheck): Outcome {
  const observed = c.observed === undefined ? "no data" : `observed ${num(c.observed)}`;
  const threshold = `threshold ${c.gate.op} ${num(c.gate.value)}`;
  return c.holds
    ? { kind: "failure", text: `"${c.gate.text}" holds: ${observed}, ${threshold}` }
    : { kind: "passed", text: `${observed}, ${threshold}` };
}

function caseXml(suite: string, gate: Gate, outcome: Outcome): string {
  const text = escapeXml(outcome.text);
  const body = outcome.kind === "passed"
    ? `<system-out>${text}</system-out>`
    : `<${outcome.kind} type="${
      outcome.kind === "failure" ? "gate" : "no_summary"
    }" message="${text}">${text}</${outcome.kind}>`;
  return `    <testcase classname="${escapeXml(`servebench.${suite}`)}" name="${
    escapeXml(gate.text)
  }">${body}</testcase>\n`;
}

/** One task's outcomes, a case per gate. */
function outcomes(task: TaskOutcomeView, gates: readonly Gate[]): Array<[Gate, Outcome]> {
  if (task.error !== undefined) {
    return gates.map((g) => [g, { kind: "error", text: `No summary: ${task.error}` }]);
  }
  return task.checks.map((c) => [c.gate, outcomeOf(c)]);
}

/** The run's gates as a JUnit XML document. */
export function junitXml(tasks: readonly TaskOutcomeView[], gates: readonly Gate[]): string {
  let total = 0;
  let failed = 0;
  let errored = 0;
  const suites = tasks.map((task) => {
    const name = `${task.identity.model_abbr}/${task.identity.output_name}`;
    const cases = outcomes(task, gates);
    const failures = cases.filter(([, o]) => o.kind === "failure").length;
    const errors = cases.filter(([, o]) => o.kind === "error").length;
    total += cases.length;
    failed += failures;
    errored += errors;
    return `  <testsuite name="${
      escapeXml(name)
    }" tests="${cases.length}" failures="${failures}" errors="${errors}">\n${
      cases.map(([g, o]) => caseXml(name, g, o)).join("")
    }  </testsuite>\n`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="servebench" tests="${total}" failures="${failed}" errors="${errored}">\n${
    suites.join("")
  }</testsuites>\n`;
}

/** Writes the run's `--fail-on` conditions as JUnit XML to the file `--junit` names. */
export const junitReporter: RunReporter = {
  key: "junit",
  scope: "run",
  optIn: true,
  path: (view) => optInPath(view.settings, "junit"),
  write: (view, out) => out.write(junitXml(view.tasks, view.settings.failOn ?? [])),
};
