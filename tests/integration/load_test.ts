import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import { runCommand } from "../../src/cli/run.ts";
import { readTraceRecords } from "../../src/record/trace.ts";
import { startSimulator } from "../../src/sim/server.ts";
import {
  assert,
  assertClose,
  assertEquals,
  cliCommand,
  modelAt,
  quiet,
  runFlags,
  simplePlan,
  startLongRun,
  withTempDir,
} from "../helpers.ts";

const env = () => undefined;

Deno.test("a 20 req/s Poisson run of 200 requests achieves 20 ± 1 req/s", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 2 });
  try {
    await withTempDir(async (dir) => {
      const r = await runCommand(
        [
          "--url",
          sim.url,
          "--request-rate",
          "20",
          "--arrival",
          "poisson",
          "--num-prompts",
          "200",
          "--max-tokens",
          "4",
          "--work-dir",
          dir,
        ],
        { print: quiet, env },
      );
      const d = r!.tasks[0]!.report.json!.delivery;
      assertEquals(d.target_rate_rps, 20);
      assertClose(d.achieved_rate_rps!, 20, 1, "achieved rate");
      assertEquals(r!.tasks[0]!.report.json!.common.total_requests, 200);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a 10-second pressure run reaches full concurrency and stops sending at 10 s", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 10 });
  try {
    await withTempDir(async (dir) => {
      const r = await runCommand(
        [
          "--url",
          sim.url,
          "--pressure",
          "--pressure-time",
          "10",
          "--concurrency",
          "8",
          "--request-rate",
          "4",
          "--max-tokens",
          "10",
          "--work-dir",
          dir,
        ],
        { print: quiet, env },
      );
      const task = r!.tasks[0]!;
      const records = await readTraceRecords(task.paths.trace);
      const starts = records.map((x) => x.startMs);
      const first = Math.min(...starts);
      const last = Math.max(...starts);
      assertEquals(sim.stats().peakHeld, 8);
      assertEquals(task.report.json!.common.peak_in_flight, 8);
      assert(last - first < 10_000, `last send ${(last - first).toFixed(0)} ms after the first`);
      assert(
        last - first > 9_500,
        `sent until the end: last send at ${(last - first).toFixed(0)} ms`,
      );
      // Clients were added at 4 per second: in flight first reached 8 about 1.75 s after the first send.
      const events = records.flatMap((x) => [[x.startMs, 1], [x.endMs, -1]]).sort((a, b) =>
        a[0]! - b[0]! || a[1]! - b[1]!
      );
      let inFlight = 0;
      let reached = NaN;
      for (const [t, d] of events) {
        inFlight += d!;
        if (inFlight === 8) {
          reached = t! - first;
          break;
        }
      }
      assertClose(reached, 1750, 150, "time to full pressure (ms)");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a two-point sweep gives two tasks and a recommendation line", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 2, maxBatch: 2 });
  try {
    await withTempDir(async (dir) => {
      const out: string[] = [];
      const r = await runCommand(
        [
          "--url",
          sim.url,
          "--parallel",
          "1",
          "4",
          "--number",
          "4",
          "8",
          "--max-tokens",
          "6",
          "--slo",
          "ttft:1s",
          "--work-dir",
          dir,
        ],
        { print: (t) => out.push(t), env },
      );
      assertEquals(r!.tasks.map((t) => [t.task.outputName, t.report.requests]), [
        ["synthetic_c1", 4],
        ["synthetic_c4", 8],
      ]);
      const text = out.join("\n");
      assert(text.includes("Throughput vs latency"), "trade-off table");
      const line = text.split("\n").find((l) => l.startsWith("Recommendation: "));
      assert(line?.includes("model/synthetic_c"), `recommendation: ${line}`);
      const summary = JSON.parse(Deno.readTextFileSync(`${r!.runDir}/summary.json`));
      assertEquals(summary.recommendation.meets_slo, true);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("retries honour Retry-After: a 429 on the first attempt succeeds on retry, with the attempts in the trace", async () => {
  const sim = await startSimulator({
    ttftMs: 5,
    itlMs: 1,
    faults: { script: { 0: "http_429", 2: "http_429" }, retryAfterS: 1 },
  });
  try {
    await withTempDir(async (dir) => {
      const plan = simplePlan(modelAt(sim.url, { retry: 2 }), {
        concurrency: 1,
        requests: 4,
        workDir: dir,
      });
      const r = await runBenchmark(plan, { print: quiet });
      const task = r.tasks[0]!;
      assertEquals(task.report.json!.common.failed_requests, 0);
      assertEquals(task.report.json!.delivery.retried_requests, 2);
      const read = await readTraceRecords(task.paths.trace);
      const retried = read.filter((x) => x.attempts === 2);
      assertEquals(retried.map((x) => x.index), [0, 1]);
      for (const x of retried) {
        assertEquals(x.tries!.length, 1);
        assertEquals(x.tries![0]!.error.status, 429);
        const waited = x.startMs - x.tries![0]!.endMs;
        assert(waited >= 990 && waited < 1500, `waited ${waited.toFixed(0)} ms for Retry-After: 1`);
      }
      assertEquals(read.filter((x) => x.attempts === 1).length, 2);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("SIGINT halfway: exit 130, and the CSV, JSON and trace hold exactly the requests that completed", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 5 });
  try {
    await withTempDir(async (dir) => {
      const { child, trace } = await startLongRun(sim.url, dir, ["--quiet"]);
      child.kill("SIGINT");
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 130, stderr);
      assert(stderr.includes("stopping"), stderr);
      const completed = Deno.readTextFileSync(trace).trim().split("\n").filter((l) =>
        l.startsWith('{"i":')
      ).length;
      assert(completed > 10 && completed < 400, `${completed} completed`);
      const base = trace.replace("_details.jsonl", "");
      const json = JSON.parse(Deno.readTextFileSync(`${base}.json`));
      assertEquals(json.common.total_requests, completed);
      assertEquals(
        Deno.readTextFileSync(`${base}_requests.csv`).trim().split("\n").length - 1,
        completed,
      );
      assertEquals(
        json.common.failed_requests,
        0,
        "in-flight requests finished in the grace period",
      );
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a run whose stdout is not a terminal prints periodic progress lines and no control characters", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 10 });
  try {
    await withTempDir(async (dir) => {
      const out = await cliCommand([
        "run",
        ...runFlags(sim.url, { concurrency: 2, prompts: 20, maxTokens: 10, workDir: dir }),
        "--progress-interval",
        "0.5",
      ]).output();
      assertEquals(out.code, 0);
      const stdout = new TextDecoder().decode(out.stdout);
      const lines = stdout.split("\n").filter((l) =>
        /^model × synthetic: \d+\/20 done, \d+ in flight, [\d.]+ req\/s/.test(l)
      );
      assert(lines.length >= 3, `progress lines:\n${lines.join("\n")}`);
      assert(lines.at(-1)!.startsWith("model × synthetic: 20/20 done"), lines.at(-1)!);
      // No carriage returns or escape sequences (box-drawing characters of the tables are fine).
      const control = [...stdout].filter((ch) => {
        const c = ch.charCodeAt(0);
        return (c < 32 && c !== 10) || c === 127;
      });
      assertEquals(control, [], "no control characters");
    });
  } finally {
    await sim.shutdown();
  }
});
