import { RUN_FLAGS, RUN_HELP, SHAPE_FLAGS } from "../../src/cli/run.ts";
import { assert, assertEquals, runCli } from "../helpers.ts";

Deno.test("run --help documents every flag, the load shapes' own included", () => {
  for (const flag of [...RUN_FLAGS, ...SHAPE_FLAGS]) {
    assert(
      RUN_HELP.includes(`  --${flag.name} `) || RUN_HELP.includes(`  --${flag.name}\n`),
      flag.name,
    );
  }
  assert(RUN_HELP.includes("One of: linear, exponential, step."), "--ramp lists step");
});

Deno.test("servebench run: a list the chosen mode ignores exits 2 with one line naming the flags", async () => {
  // No --url: the check fails before the built-in simulator would start, so nothing is sent.
  const r = await runCli([
    "run",
    "--pressure",
    "--pressure-time",
    "5",
    "--concurrency",
    "4",
    "8",
  ]);
  assertEquals(r.code, 2, r.stderr);
  assertEquals(
    r.stderr.trim(),
    "servebench: --concurrency: give one value with --pressure, not a list",
  );
  const typo = await runCli(["run", "--concurency", "4"]);
  assertEquals(typo.code, 2, typo.stderr);
  assertEquals(
    typo.stderr.trim(),
    'servebench: Unknown flag "--concurency" for "servebench run": did you mean --concurrency? (see servebench run --help)',
  );
});
