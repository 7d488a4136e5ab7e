/**
 * `run --repeat` and `compare` end to end against the simulator: runs that
 * differ only in the simulator's TTFT (50 vs 65 ms) are a regression; two
 * runs of identical settings are not.
 */
import { compareCommand } from "../../src/cli/compare.ts";
import { recomputeRun } from "../../src/cli/report.ts";
import { runCommand } from "../../src/cli/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, quiet, runCli, runFlags, withTempDir } from "../helpers.ts";

/** A small repeated run against `url`: 3 repetitions of 16 requests of 4 tokens, 2 warm-up requests each. */
async function repeatedRun(url: string, workDir: string): Promise<string> {
  const result = await runCommand([
    ...runFlags(url, { concurrency: 2, prompts: 16, maxTokens: 4, workDir }),
    "--warmup",
    "2",
    "--repeat",
    "3",
  ], { print: quiet, env: () => undefined });
  return result!.runDir;
}

/**
 * The gate both runs are checked with: the median TTFT up by more than 8 ms, beyond the noise.
 * Absolute, not relative: a loaded machine adds the same client delay to both runs, which would
 * shrink a relative change of the true 15 ms.
 */
const GATE = "ttft.p50>+8ms";

Deno.test("run --repeat 3 writes three repetitions that report --reuse keeps apart", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const runDir = await repeatedRun(sim.url, dir);
      const names = [...Deno.readDirSync(`${runDir}/performances/model`)].map((e) => e.name);
      for (const r of [1, 2, 3]) {
        for (const suffix of [".json", "_details.jsonl", ".csv", "_requests.csv"]) {
          assert(names.includes(`synthetic_r${r}${suffix}`), `synthetic_r${r}${suffix}`);
        }
      }
      const json = JSON.parse(
        Deno.readTextFileSync(`${runDir}/performances/model/synthetic_r2.json`),
      );
      assertEquals(json.task.repetition, { index: 2, of: 3 });
      assertEquals(json.common.total_requests, 16, "warm-up kept out of each repetition");
      const re = await recomputeRun(runDir, { print: quiet });
      assertEquals(
        re.reports.map((r) => [r.identity.output_name, r.identity.repetition]),
        [1, 2, 3].map((i) => [`synthetic_r${i}`, { index: i, of: 3 }]),
      );
      assertEquals(sim.stats().requests, 3 * (16 + 2));
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("compare of runs that differ only in TTFT (50 vs 65 ms, 3 repetitions) reports the regression; identical runs pass", async () => {
  const fast = await startSimulator({ ttftMs: 50, itlMs: 2 });
  const slow = await startSimulator({ ttftMs: 65, itlMs: 2 });
  try {
    await withTempDir(async (dir) => {
      const base = await repeatedRun(fast.url, `${dir}/base`);
      const same = await repeatedRun(fast.url, `${dir}/same`);
      const worse = await repeatedRun(slow.url, `${dir}/worse`);
      const summary = `${dir}/step_summary.md`;
      Deno.writeTextFileSync(summary, "earlier step\n");
      const env = (name: string) => (name === "GITHUB_STEP_SUMMARY" ? summary : undefined);

      const bad = compareCommand(
        [base, worse, "--fail-on-regression", GATE, "--out", `${dir}/cmp`],
        {
          print: quiet,
          env,
        },
      )!;
      const held = bad.comparison.regressions.filter((r) => r.holds);
      assertEquals(
        held.map((r) => r.gate.text),
        [GATE],
        bad.regressions.join("\n"),
      );
      const ttft = held[0]!.delta!;
      // The simulator's own truth: 15 ms more to the first token.
      assert(ttft.abs > 7 && ttft.abs < 25, `TTFT delta ${ttft.abs} ms`);
      assert(ttft.beyondNoise && ttft.band! < ttft.abs, `band ${ttft.band}`);
      assertEquals(bad.comparison.tasks.map((t) => [t.load, t.repetitions]), [[
        "concurrency 2",
        [3, 3],
      ]]);
      const md = Deno.readTextFileSync(`${dir}/cmp/compare.md`);
      assert(md.includes("**❌ 1 regression** beyond the noise band:"), md);
      assert(
        /\| TTFT P50 \(ms\) \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| \+\d+\.\d% \(\+[\d.]+ ms\) \| ±[\d.]+ ms \| 🔴 worse \|/
          .test(md),
        md,
      );
      const [a, b] = bad.comparison.runs.map((r) => r.label);
      assert(
        md.includes(`### model × synthetic — concurrency 2 (repetitions ${a}: 3, ${b}: 3)`),
        md,
      );
      assertEquals(
        Deno.readTextFileSync(summary),
        `earlier step\n${md}`,
        "appended to the step summary",
      );
      const html = Deno.readTextFileSync(`${dir}/cmp/compare.html`);
      assert(/<tr data-metric="ttft.p50">.*<td class="worse">worse<\/td><\/tr>/.test(html), html);
      assert(!/https?:\/\//.test(html), "no external URL");

      const ok = compareCommand([base, same, "--fail-on-regression", GATE, "--no-step-summary"], {
        print: quiet,
        env,
      })!;
      assertEquals(ok.regressions, [], "identical settings: no regression");
      assertEquals(ok.comparison.regressions.length, 1, "the condition was checked");
      assertEquals(Deno.readTextFileSync(summary), `earlier step\n${md}`, "--no-step-summary");

      // The real CLI: exit 5 and the regression on stderr; exit 0 for identical runs.
      const cli = await runCli(["compare", base, worse, "--fail-on-regression", GATE]);
      assertEquals(cli.code, 5, cli.stderr);
      assert(cli.stderr.includes(`"${GATE}" holds (+`), cli.stderr);
      assert(cli.stdout.includes("TTFT P50 (ms)"), cli.stdout);
      const pass = await runCli([
        "compare",
        `${base}/summary.json`,
        same,
        "--fail-on-regression",
        GATE,
      ]);
      assertEquals(pass.code, 0, pass.stderr);
    });
  } finally {
    await fast.shutdown();
    await slow.shutdown();
  }
});

Deno.test("compare: a folder that is not a run, or one run only, is exit 2 naming the path", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/x.json`, '{"a": 1}');
    const r = await runCli(["compare", dir, `${dir}/x.json`, `${dir}/missing`]);
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stderr.trim().split("\n"), [
      `servebench: "${dir}" is not a run folder (no performances/ in it): expected a run folder servebench wrote (with performances/<model>/<task>.json), a task's result JSON, or a run's summary.json`,
      `servebench: "${dir}/x.json" is neither a result JSON nor a summary.json: expected a run folder servebench wrote (with performances/<model>/<task>.json), a task's result JSON, or a run's summary.json`,
      `servebench: "${dir}/missing" does not exist: expected a run folder servebench wrote (with performances/<model>/<task>.json), a task's result JSON, or a run's summary.json`,
    ]);
    const one = await runCli(["compare", dir, "--fail-on-regression", "ttft.p99>fast"]);
    assertEquals(one.code, 2);
    assertEquals(one.stderr.trim().split("\n"), [
      "servebench: servebench compare: expected at least two runs (the baseline first), got 1",
      'servebench: --fail-on-regression: "ttft.p99>fast": expected a change such as +10% or +20ms (relative to the baseline, or absolute) after ">"',
    ]);
  });
});
