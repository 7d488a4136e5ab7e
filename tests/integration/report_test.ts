import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { recomputeRun } from "../../src/cli/report.ts";
import { parseSlo } from "../../src/metrics/goodput.ts";
import { startSimulator } from "../../src/sim/server.ts";
import {
  assert,
  assertEquals,
  modelAt,
  quiet,
  runCli,
  runFlags,
  simplePlan,
  startLongRun,
  withTempDir,
} from "../helpers.ts";

function withoutGeneratedAt(text: string): unknown {
  const json = JSON.parse(text);
  delete json.generated_at;
  return json;
}

Deno.test("report --reuse regenerates JSON, CSVs and summary identical to the run's own", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 1, tokensPerChunk: 2 });
  try {
    await withTempDir(async (dir) => {
      const plan = simplePlan(modelAt(sim.url), { concurrency: 3, requests: 12, workDir: dir });
      plan.tasks.push({
        ...plan.tasks[0]!,
        load: { kind: "concurrency", concurrency: 1, numRequests: 4 },
        outputName: "c1",
      });
      plan.slo = parseSlo("ttft:1s");
      plan.percentiles = true;
      const run = await runBenchmark(plan, { print: quiet });
      const files = run.tasks.flatMap((t) => [t.paths.json, t.paths.csv, t.paths.requestsCsv]);
      files.push(`${run.runDir}/summary.json`, `${run.runDir}/summary.csv`);
      const before = files.map((f) => Deno.readTextFileSync(f));
      const json = JSON.parse(before[0]!);
      // Chunks of two tokens: per-token ITL has twice as many gaps as the pooled chunk ITL.
      assertEquals(json.metrics.itl_per_token_ms.n, 2 * json.metrics.itl_ms.n);
      assert(
        json.percentiles.ttft_ms.p66 > 0 && json.goodput.good_requests === 12,
        "percentiles and goodput",
      );
      const re = await recomputeRun(run.runDir, {
        stats: plan.stats,
        summarizer: "default_perf",
        slo: plan.slo,
        percentiles: true,
      }, quiet);
      assertEquals(re.reports.length, 2);
      const after = files.map((f) => Deno.readTextFileSync(f));
      for (let i = 0; i < files.length; i++) {
        if (files[i]!.endsWith(".json") && !files[i]!.endsWith("summary.json")) {
          assertEquals(withoutGeneratedAt(after[i]!), withoutGeneratedAt(before[i]!), files[i]);
        } else {
          assertEquals(after[i], before[i], files[i]);
        }
      }
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a run killed with SIGKILL leaves a trace that report --reuse turns into a report of exactly the completed requests", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 5 });
  try {
    await withTempDir(async (dir) => {
      // Some requests completed: kill without warning.
      const { child, trace } = await startLongRun(sim.url, dir);
      child.kill("SIGKILL");
      await child.output();
      const lines = Deno.readTextFileSync(trace).split("\n").filter((l) => l);
      const completed = lines.length - 1;
      assert(completed >= 11 && completed < 400, `completed ${completed}`);
      const runDir = trace.split("/performances/")[0]!;
      const re = await recomputeRun(runDir, { stats: [], summarizer: "default_perf" }, quiet);
      const json = re.reports[0]!.json!;
      assertEquals(json.common.total_requests, completed);
      assertEquals(json.common.failed_requests, 0);
      const rows = Deno.readTextFileSync(`${runDir}/performances/model/synthetic_requests.csv`)
        .trim().split("\n");
      assertEquals(rows.length - 1, completed);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("--fail-on exits 3 naming the conditions that held when the server is slow, 0 when fast", async () => {
  const slow = await startSimulator({ ttftMs: 150, itlMs: 1 });
  const fast = await startSimulator({ ttftMs: 5, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const args = (url: string) => [
        "run",
        ...runFlags(url, { concurrency: 2, prompts: 4, maxTokens: 4, workDir: dir }),
        "--fail-on",
        "ttft.p99>100ms,failed>0",
      ];
      const r = await runCli(args(slow.url));
      assertEquals(r.code, 3, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 1, r.stderr);
      assert(
        /--fail-on: model\/synthetic: "ttft\.p99>100ms" holds \(observed 1\d\d\.\d+\)/.test(
          lines[0]!,
        ),
        lines[0],
      );
      const ok = await runCli(args(fast.url));
      assertEquals(ok.code, 0, ok.stderr);
      // The same gate applied afterwards to the slow run's traces, by report --reuse.
      const runs = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      const again = await runCli([
        "report",
        "--reuse",
        `${dir}/${runs[0]}`,
        "--fail-on",
        "ttft.mean>100ms",
      ]);
      assertEquals(again.code, 3, again.stderr);
    });
    const bad = await runCli(["run", "--url", slow.url, "--fail-on", "ttft.p99>>1"]);
    assertEquals(bad.code, 2);
    assert(
      bad.stderr.startsWith('servebench: --fail-on: "ttft.p99>>1": expected a duration'),
      bad.stderr,
    );
    assertEquals(slow.stats().requests, 4, "the unparseable gate sent nothing");
  } finally {
    await slow.shutdown();
    await fast.shutdown();
  }
});
