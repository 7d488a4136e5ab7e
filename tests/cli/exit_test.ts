import { RUN_FLAGS, RUN_HELP, SHAPE_FLAGS } from "../../src/cli/run.ts";
import { MAIN_HELP } from "../../src/cli/help.ts";
import { COMPARE_HELP } from "../../src/cli/compare.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, runCli, runFlags, withTempDir } from "../helpers.ts";

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

Deno.test("servebench run: a task in which every request failed exits 4, with the server's most common errors on the console and in the JSON", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const r = await runCli([
        "run",
        ...runFlags(sim.url, { concurrency: 2, prompts: 4, maxTokens: 4, workDir: dir }),
        "--model",
        "nope",
        "--no-model-check",
        "--quiet",
      ]);
      assertEquals(r.code, 4, r.stderr);
      assert(
        r.stderr.includes(
          'servebench: every request of "model/synthetic" failed (4 of 4); most common: http_4xx 404 "The model `nope` does not exist." (4)',
        ),
        r.stderr,
      );
      assert(
        /│ http_4xx +│ 404 +│ 4 +│ The model `nope` does not exist. │/.test(r.stdout),
        "the console's table of the most common errors",
      );
      const run = [...Deno.readDirSync(dir)][0]!.name;
      const json = JSON.parse(
        Deno.readTextFileSync(`${dir}/${run}/performances/model/synthetic.json`),
      );
      assertEquals(json.error_messages, [{
        category: "http_4xx",
        status: 404,
        message: "The model `nope` does not exist.",
        count: 4,
      }]);
    });
    // Nothing listening: every request fails to connect.
    await withTempDir(async (dir) => {
      const r = await runCli([
        "run",
        ...runFlags("http://127.0.0.1:9", {
          concurrency: 1,
          prompts: 2,
          maxTokens: 4,
          workDir: dir,
        }),
        "--model",
        "m",
        "--quiet",
      ]);
      assertEquals(r.code, 4, r.stderr);
      assert(r.stderr.includes("most common: connect"), r.stderr);
      assert(
        r.stdout.includes('note: model "model": could not check --model: Cannot reach'),
        "a server that cannot be asked is a note, and the run goes on",
      );
    });
    const ok = await withTempDir((dir) =>
      runCli([
        "run",
        ...runFlags(sim.url, { concurrency: 2, prompts: 2, maxTokens: 4, workDir: dir }),
        "--quiet",
      ])
    );
    assertEquals(ok.code, 0, ok.stderr);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("--help, run --help and compare --help list every exit code", () => {
  for (
    const code of [
      "0 ok",
      "1 runtime",
      "2 bad flags",
      "3 a --fail-on",
      "4 every request",
      "5 compare: a --fail-on-regression",
      "130 interrupted",
    ]
  ) {
    assert(MAIN_HELP.includes(code), `servebench --help: ${code}`);
    assert(RUN_HELP.includes(code), `run --help: ${code}`);
    assert(COMPARE_HELP.includes(code), `compare --help: ${code}`);
  }
});

Deno.test("servebench run --model not among the served models: exit 2 before any request, naming the served ones", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const r = await runCli([
        "run",
        ...runFlags(sim.url, { concurrency: 1, prompts: 2, maxTokens: 4, workDir: dir }),
        "--model",
        "nope",
      ]);
      assertEquals(r.code, 2, r.stderr);
      assertEquals(
        r.stderr.trim(),
        `servebench: Model "model": "nope" is not served by ${sim.url}/v1/models, which lists "sim-model" (--no-model-check sends it anyway, for gateways that list other names)`,
      );
      assertEquals(sim.stats().requests, 0, "nothing was sent");
      assertEquals([...Deno.readDirSync(dir)].length, 0, "no run folder");
      const named = await runCli([
        "run",
        ...runFlags(sim.url, { concurrency: 1, prompts: 2, maxTokens: 4, workDir: dir }),
        "--model",
        "sim-model",
        "--quiet",
      ]);
      assertEquals(named.code, 0, named.stderr);
    });
  } finally {
    await sim.shutdown();
  }
});
