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
      // The run's own settings, given: the files are rebuilt in place.
      const re = await recomputeRun(run.runDir, {
        settings: {
          stats: plan.stats,
          summarizer: "default_perf",
          slo: plan.slo,
          percentiles: true,
        },
        print: quiet,
      });
      assertEquals(re.reports.length, 2);
      assertEquals(re.suffix, undefined);
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
      const re = await recomputeRun(runDir, { print: quiet });
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

/** Every file under `dir`, recursively, by path relative to it: its text. */
function filesOf(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of Deno.readDirSync(`${dir}/${prefix}`)) {
    const rel = `${prefix}${e.name}`;
    if (e.isDirectory) { for (const [k, v] of filesOf(dir, `${rel}/`)) out.set(k, v); }
    else out.set(rel, Deno.readTextFileSync(`${dir}/${rel}`));
  }
  return out;
}

Deno.test("report --reuse rebuilds with the run's own summarizer, stats, percentiles, SLOs and gates, kept in the trace header", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const r = await runCli([
        "run",
        ...runFlags(sim.url, { concurrency: 2, prompts: 12, maxTokens: 8, workDir: dir }),
        "--summarizer",
        "stable_stage",
        "--stats",
        "Median",
        "P95",
        "--percentiles",
        "--slo",
        "ttft:1s",
        "--fail-on",
        "ttft.p95>0ms",
        "--quiet",
      ]);
      assertEquals(r.code, 3, r.stderr);
      const runDir = `${dir}/${[...Deno.readDirSync(dir)][0]!.name}`;
      const header = JSON.parse(
        Deno.readTextFileSync(`${runDir}/performances/model/synthetic_details.jsonl`)
          .split("\n")[0]!,
      );
      assertEquals(header.settings, {
        summarizer: "stable_stage",
        stats: ["Median", "P95"],
        percentiles: true,
        slo: "ttft:1000ms",
        fail_on: "ttft.p95>0ms",
      });
      const before = filesOf(runDir);
      const re = await runCli(["report", "--reuse", runDir]);
      // The gate the run had holds again: exit 3, from the trace's settings alone.
      assertEquals(re.code, 3, re.stderr);
      assert(re.stderr.includes('"ttft.p95>0ms" holds'), re.stderr);
      assert(re.stdout.includes("with the run's own settings"), re.stdout);
      const after = filesOf(runDir);
      assertEquals([...after.keys()].sort(), [...before.keys()].sort(), "no file added");
      const json = JSON.parse(after.get("performances/model/synthetic.json")!);
      assertEquals(json.task.summarizer, "stable_stage");
      assertEquals(Object.keys(json.metrics.ttft_ms), ["median", "p95", "n"]);
      assert(json.percentiles && json.goodput, "percentiles and goodput, as the run had");
      assertEquals(
        withoutGeneratedAt(after.get("performances/model/synthetic.json")!),
        withoutGeneratedAt(before.get("performances/model/synthetic.json")!),
      );
      assertEquals(after.get("summary.csv"), before.get("summary.csv"));
    });
  } finally {
    await sim.shutdown();
  }
});

/** Runs a small plan (concurrency 2) against a fresh simulator, then `fn` on its result. */
async function withSimRun(
  requests: number,
  fn: (run: Awaited<ReturnType<typeof runBenchmark>>, dir: string) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const plan = simplePlan(modelAt(sim.url), { concurrency: 2, requests, workDir: dir });
      await fn(await runBenchmark(plan, { print: quiet }), dir);
    });
  } finally {
    await sim.shutdown();
  }
}

Deno.test("report --reuse with other settings writes a suffixed set beside the originals, never over them", async () => {
  await withSimRun(12, async (run) => {
    const before = filesOf(run.runDir);
    const args = ["report", "--reuse", run.runDir, "--summarizer", "stable_stage", "--suffix"];
    const r = await runCli([...args, "stable"]);
    assertEquals(r.code, 0, r.stderr);
    assert(
      r.stdout.includes(
        'with other settings than the run\'s — summarizer stable_stage (ran with default_perf) — into files suffixed "@stable" beside the originals',
      ),
      r.stdout,
    );
    const after = filesOf(run.runDir);
    for (const [path, text] of before) assertEquals(after.get(path), text, `${path} untouched`);
    const added = [...after.keys()].filter((p) => !before.has(p)).sort();
    assertEquals(added, [
      "performances/m/synthetic@stable.csv",
      "performances/m/synthetic@stable.json",
      "performances/m/synthetic@stable_plot.html",
      "performances/m/synthetic@stable_requests.csv",
      "summary@stable.csv",
      "summary@stable.html",
      "summary@stable.json",
    ]);
    const json = JSON.parse(after.get("performances/m/synthetic@stable.json")!);
    assertEquals(json.task.summarizer, "stable_stage");
    // The same suffix again would overwrite that set: refused.
    const again = await runCli([...args, "stable"]);
    assertEquals(again.code, 2, again.stderr);
    assert(
      again.stderr.includes('--suffix: files suffixed "@stable" exist already'),
      again.stderr,
    );
    // Without --suffix: the report's time names the set.
    const stamped = await recomputeRun(run.runDir, {
      settings: { percentiles: true },
      print: quiet,
      now: () => new Date(2030, 0, 2, 3, 4, 5),
    });
    assertEquals(stamped.suffix, "20300102_030405");
    assert(Deno.statSync(`${run.runDir}/summary@20300102_030405.json`).isFile);
    for (const [path, text] of before) {
      assertEquals(Deno.readTextFileSync(`${run.runDir}/${path}`), text, `${path} untouched`);
    }
  });
});

Deno.test("report --config-dir finds a summarizer config by name, as run does", async () => {
  await withSimRun(8, async (run, dir) => {
    const configs = `${dir}/configs`;
    Deno.mkdirSync(`${configs}/summarizers`, { recursive: true });
    Deno.writeTextFileSync(
      `${configs}/summarizers/mine.yaml`,
      "summarizer: default_perf\nstats_list: [Median, P95]\n",
    );
    const unknown = await runCli(["report", "--reuse", run.runDir, "--summarizer", "mine"]);
    assertEquals(unknown.code, 2, unknown.stderr);
    assert(unknown.stderr.includes('Unknown summarizer "mine"'), unknown.stderr);
    const missing = await runCli(["report", "--reuse", run.runDir, "--config-dir", `${dir}/no`]);
    assertEquals(missing.code, 2, missing.stderr);
    assert(missing.stderr.includes(`--config-dir: no folder "${dir}/no"`), missing.stderr);
    const r = await runCli([
      "report",
      "--reuse",
      run.runDir,
      "--config-dir",
      configs,
      "--summarizer",
      "mine",
      "--suffix",
      "mine",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const json = JSON.parse(
      Deno.readTextFileSync(`${run.runDir}/performances/m/synthetic@mine.json`),
    );
    assertEquals(Object.keys(json.metrics.ttft_ms), ["median", "p95", "n"]);
  });
});

Deno.test("deno task report is servebench report", async () => {
  const tasks = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)))
    .tasks;
  assert(/ main\.ts report$/.test(tasks.report), tasks.report);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "report", "--help"],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assert(stdout.includes("Usage: servebench report --reuse"), stdout);
  assert(stdout.includes("--config-dir DIR"), stdout);
});
