/**
 * The composite GitHub Action (action.yml) and its example workflow are
 * well-formed and call servebench with flags it has: a rename of a flag or an
 * input breaks this test, not a user's CI.
 */
import { parse } from "yaml";
import { COMPARE_FLAGS } from "../../src/cli/compare.ts";
import { parseFlags } from "../../src/cli/args.ts";
import { RUN_FLAGS, SHAPE_FLAGS } from "../../src/cli/run.ts";
import { parseFailOnRegression } from "../../src/compare/regression.ts";
import { assert, assertEquals } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ACTION_TEXT = Deno.readTextFileSync(`${ROOT}action.yml`);
const WORKFLOW_TEXT = Deno.readTextFileSync(
  `${ROOT}.github/workflows/example-pr-benchmark.yml`,
);

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
}

const action = parse(ACTION_TEXT) as {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
};

/** Shell words of an args string: single-quoted parts kept whole. */
function words(text: string): string[] {
  return [...text.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

Deno.test("action.yml is a composite action with a name, described inputs and steps", () => {
  assertEquals(action.name, "servebench");
  assert(action.description.length > 20, "description");
  assertEquals(action.runs.using, "composite");
  assert(action.runs.steps.length >= 6, "steps");
  for (const [name, input] of Object.entries(action.inputs)) {
    assert(input.description?.length > 10, `input ${name} has a description`);
  }
  for (
    const name of ["args", "fail-on-regression", "baseline-artifact", "version", "upload-name"]
  ) {
    assert(name in action.inputs, `input ${name}`);
  }
  for (const step of action.runs.steps) {
    assert(
      step.uses !== undefined || (step.run !== undefined && step.shell === "bash"),
      `step "${step.name}": a run step names its shell`,
    );
  }
  const uses = action.runs.steps.flatMap((s) => (s.uses ? [s.uses.split("@")[0]] : []));
  assertEquals(uses, [
    "denoland/setup-deno",
    "actions/download-artifact",
    "actions/upload-artifact",
  ]);
});

Deno.test("action.yml refers only to inputs and step ids it declares", () => {
  const inputs = [...ACTION_TEXT.matchAll(/inputs\.([a-z0-9-]+)/g)].map((m) => m[1]!);
  for (const name of new Set(inputs)) assert(name in action.inputs, `inputs.${name} is declared`);
  const ids = new Set(action.runs.steps.flatMap((s) => (s.id ? [s.id] : [])));
  const refs = [...ACTION_TEXT.matchAll(/steps\.([a-z0-9-]+)\.outputs\.([a-z0-9-]+)/g)];
  assert(refs.length > 5, "step outputs are used");
  for (const [, id, output] of refs) {
    assert(ids.has(id!), `steps.${id} exists`);
    const script = action.runs.steps.find((s) => s.id === id)!.run;
    // Every output read is written by its step (to $GITHUB_OUTPUT), or is a download step's.
    assert(script === undefined || script.includes(`${output}=`), `steps.${id} writes ${output}`);
  }
  for (const [name, o] of Object.entries(action.outputs)) {
    assert(/^\$\{\{ steps\.[a-z-]+\.outputs\.[a-z-]+ \}\}$/.test(o.value), `output ${name}`);
  }
});

Deno.test("action.yml calls servebench run and compare with flags they have, and the bundle task exists", () => {
  const scripts = action.runs.steps.flatMap((s) => (s.run ? [s.run] : [])).join("\n");
  const run = /servebench run (.*)/.exec(scripts)?.[1] ?? "";
  // The compare step passes --fail-on-regression through an array when it is given.
  const compare = action.runs.steps.find((s) => s.id === "compare")!.run!;
  const flagsOf = (line: string) => [...line.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!);
  assertEquals(flagsOf(run), ["work-dir", "junit", "quiet"]);
  assertEquals(flagsOf(compare), ["fail-on-regression", "out"]);
  for (const f of flagsOf(run)) assert(RUN_FLAGS.some((s) => s.name === f), `run --${f}`);
  for (const f of flagsOf(compare)) {
    assert(COMPARE_FLAGS.some((s) => s.name === f), `compare --${f}`);
  }
  // The default args are valid `run` flags.
  parseFlags(words(action.inputs.args!.default!), RUN_FLAGS, { command: "t", extra: SHAPE_FLAGS });
  assert(scripts.includes("deno task bundle"), "builds with deno task bundle");
  const deno = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  // The task builds through scripts/build.ts (it stamps the version), into dist/servebench.js.
  assert(/scripts\/build\.ts bundle$/.test(deno.tasks.bundle), deno.tasks.bundle);
  assert(
    Deno.readTextFileSync(`${ROOT}scripts/build.ts`).includes('"dist/servebench.js"'),
    "scripts/build.ts writes dist/servebench.js by default",
  );
  assert(scripts.includes("dist/servebench.js"), "runs the bundle the task writes");
});

Deno.test("the example workflow benchmarks pull requests against main with the action's own inputs", () => {
  const wf = parse(WORKFLOW_TEXT) as {
    name: string;
    on: { pull_request: { branches: string[] }; push: { branches: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, { "runs-on": string; steps: Step[] }>;
  };
  assert(wf.name.length > 0, "name");
  assert(wf.on.pull_request.branches.includes("main"), "pull requests against main");
  assert(wf.on.push.branches.includes("main"), "pushes to main make the baseline");
  assertEquals(wf.permissions.actions, "read");
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const bench = steps.find((s) => s.uses === "./")!;
  assert(bench, "a step uses the action in this repository");
  for (const key of Object.keys(bench.with ?? {})) assert(key in action.inputs, `with: ${key}`);
  const w = bench.with as Record<string, string>;
  parseFailOnRegression(w["fail-on-regression"]!);
  const { values } = parseFlags(words(w.args!), RUN_FLAGS, { command: "t", extra: SHAPE_FLAGS });
  assertEquals(values.repeat, 3, "repetitions give compare its noise band");
  assert(
    String(bench.with!["upload-name"]).includes(w["baseline-artifact"]!),
    "main uploads the baseline",
  );
  const junit = steps.find((s) =>
    JSON.stringify(s.with ?? {}).includes("steps.bench.outputs.junit")
  );
  assert(junit, "the JUnit XML is attached");
});
