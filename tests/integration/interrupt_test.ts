/**
 * Ctrl-C, SIGTERM and SIGKILL (#15 items 6, 7 and 8): sending stops at once,
 * requests in flight get the grace, those still running are recorded as
 * `cancelled`, and the outputs account for every request the simulator
 * received; an interrupt before the first request exits 130 with
 * "Interrupted", not "Cannot reach"; a report rebuilt from a killed run's
 * trace says it is incomplete.
 */
import { runBenchmark } from "../../src/bench/run_benchmark.ts";
import type { Plan } from "../../src/config/plan.ts";
import { InterruptedError } from "../../src/errors.ts";
import { readTrace, readTraceRecords } from "../../src/record/trace.ts";
import { type SimServer, startSimulator } from "../../src/sim/server.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  cliCommand,
  modelAt,
  quiet,
  runCli,
  runFlags,
  simplePlan,
  startLongRun,
  withTempDir,
} from "../helpers.ts";

/** Polls the simulator's counters (every 20 ms, up to 60 s) until `ready` holds. */
async function waitForSim(
  sim: SimServer,
  ready: (stats: ReturnType<SimServer["stats"]>) => boolean,
): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (ready(sim.stats())) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the simulator never got there: ${JSON.stringify(sim.stats())}`);
}

/** A plan of `requests` sends at concurrency `c`, output lengths uniform in [min, max] tokens. */
function loadPlan(
  url: string,
  o: { c: number; requests: number; min: number; max: number; workDir: string },
): Plan {
  const plan = simplePlan(modelAt(url, { maxOutLen: o.max }), {
    concurrency: o.c,
    requests: o.requests,
    workDir: o.workDir,
  });
  const dataset = plan.tasks[0]!.dataset;
  if (dataset.type !== "synthetic") throw new Error("simplePlan() gives a synthetic dataset");
  dataset.synthetic.output = { kind: "uniform", min: o.min, max: o.max };
  return plan;
}

/** The data rows of a requests CSV, as the values of its `status` column. */
function csvStatuses(path: string): string[] {
  const [header, ...rows] = Deno.readTextFileSync(path).trim().split("\n");
  const at = header!.split(",").indexOf("status");
  return rows.map((r) => r.split(",")[at]!);
}

/** What a task's outputs hold: trace records, CSV rows, and the result JSON's totals. */
async function outputsOf(base: string) {
  const records = await readTraceRecords(`${base}_details.jsonl`);
  const json = JSON.parse(Deno.readTextFileSync(`${base}.json`));
  return { records, statuses: csvStatuses(`${base}_requests.csv`), json };
}

/** Asserts the outputs hold each of `received` requests once, and that the totals add up. */
function assertAccounted(out: Awaited<ReturnType<typeof outputsOf>>, received: number): void {
  const { records, statuses, json } = out;
  const c = json.common;
  assertEquals(records.length, received, "trace records = requests the simulator received");
  assertEquals(new Set(records.map((r) => r.index)).size, received, "one record per send");
  assertEquals(statuses.length, received, "requests CSV rows");
  assertEquals(c.total_requests, received, "total_requests");
  assertEquals(
    c.success_requests + c.failed_requests + (c.cancelled_requests ?? 0),
    c.total_requests,
    "success + failed + cancelled = total",
  );
  const cancelled = records.filter((r) => r.error?.category === "cancelled").length;
  assertEquals(c.cancelled_requests ?? 0, cancelled, "cancelled_requests");
  assertEquals(statuses.filter((s) => s === "cancelled").length, cancelled, "CSV cancelled rows");
}

Deno.test("runBenchmark() interrupted at concurrency 500: trace, requests CSV and totals hold every request the simulator received, those cut off as cancelled", async () => {
  // Streams of 1–30 tokens 200 ms apart: requests end all the time, and many are long.
  const sim = await startSimulator({ ttftMs: 50, itlMs: 200 });
  try {
    await withTempDir(async (dir) => {
      const plan = loadPlan(sim.url, { c: 500, requests: 5000, min: 1, max: 30, workDir: dir });
      plan.workers = 0;
      const stop = new AbortController();
      let stoppedAt = Infinity;
      // The grace leaves the sends that were going out at the interrupt ample time to arrive.
      const run = runBenchmark(plan, { print: quiet, signal: stop.signal, graceMs: 3000 });
      // Interrupt once slots have been refilled: sends are going out as requests end.
      await waitForSim(sim, (s) => s.completed >= 100 && s.requests >= 600);
      stoppedAt = performance.timeOrigin + performance.now();
      stop.abort();
      const result = await run;
      assert(result.interrupted, "interrupted");
      const task = result.tasks[0]!;
      const out = await outputsOf(task.paths.trace.replace("_details.jsonl", ""));
      assertAccounted(out, sim.stats().requests);
      const c = out.json.common;
      assert(c.total_requests < 5000, `${c.total_requests} sent of 5000`);
      assert(c.cancelled_requests > 0, "requests longer than the grace were cut off");
      assertEquals(c.failed_requests, 0, "nothing failed");
      assertEquals(task.report.cancelled, c.cancelled_requests);
      // Sending stopped at once: no request was due after the interrupt.
      const late = out.records.filter((r) => r.scheduledMs > stoppedAt);
      assertEquals(late.map((r) => r.index), [], "sends scheduled after the interrupt");
      // A cancelled request keeps what it had: its start, its end at the cut, its chunks so far.
      const cut = out.records.filter((r) => r.error?.category === "cancelled");
      assert(cut.some((r) => r.chunkMs.length > 0), "some cancelled requests had output");
      for (const r of cut) assert(r.endMs > stoppedAt && r.startMs < stoppedAt, `#${r.index}`);
      // Latency statistics are of the successes only.
      assertEquals(out.json.metrics.e2el_ms.n, c.success_requests);
      assert(
        out.json.warnings.some((w: string) =>
          w.startsWith("the run was interrupted") && w.includes(`${c.cancelled_requests} of them`)
        ),
        out.json.warnings.join("\n"),
      );
      const { footer, entries } = await readTrace(task.paths.trace);
      for await (const _ of entries) { /* read to the footer */ }
      assertEquals(footer()?.interrupted, true, "the trace footer says interrupted");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("runBenchmark() interrupted: the grace lets short in-flight requests finish as successes", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 20 });
  try {
    await withTempDir(async (dir) => {
      const plan = loadPlan(sim.url, { c: 50, requests: 2000, min: 10, max: 10, workDir: dir });
      plan.workers = 1;
      const stop = new AbortController();
      const run = runBenchmark(plan, { print: quiet, signal: stop.signal });
      await waitForSim(sim, (s) => s.completed >= 60 && s.held >= 40);
      stop.abort();
      const result = await run;
      const task = result.tasks[0]!;
      const out = await outputsOf(task.paths.trace.replace("_details.jsonl", ""));
      const received = sim.stats().requests;
      assertAccounted(out, received);
      assert(received > 60 && received < 2000, `${received} sent`);
      assertEquals(out.json.common.cancelled_requests, undefined, "none cancelled");
      assertEquals(out.json.common.success_requests, received, "every request succeeded");
      assertEquals(sim.stats().cancelled, 0, "the simulator saw no request given up");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("runBenchmark() with the cancel signal (a second Ctrl-C) cuts in-flight requests off at once, whatever the grace", async () => {
  // 100 tokens 100 ms apart: each request would take 10 s.
  const sim = await startSimulator({ ttftMs: 10, itlMs: 100 });
  try {
    await withTempDir(async (dir) => {
      const plan = loadPlan(sim.url, { c: 20, requests: 100, min: 100, max: 100, workDir: dir });
      plan.workers = 2;
      const stop = new AbortController();
      const cancel = new AbortController();
      const run = runBenchmark(plan, {
        print: quiet,
        signal: stop.signal,
        cancel: cancel.signal,
        graceMs: 600_000,
      });
      await waitForSim(sim, (s) => s.held === 20);
      stop.abort();
      cancel.abort();
      const task = (await run).tasks[0]!;
      const out = await outputsOf(task.paths.trace.replace("_details.jsonl", ""));
      assertAccounted(out, 20);
      assertEquals(out.json.common.cancelled_requests, 20, "all 20 cut off, none completed");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("servebench run at concurrency 500, SIGINT: exit 130, and trace, requests CSV and totals hold every request the simulator received", async () => {
  const sim = await startSimulator({ ttftMs: 50, itlMs: 200 });
  try {
    await withTempDir(async (dir) => {
      const child = cliCommand([
        "run",
        ...runFlags(sim.url, { concurrency: 500, prompts: 5000, maxTokens: 30, workDir: dir }),
        "--grace",
        "1",
        "--quiet",
      ]).spawn();
      // 30 tokens 200 ms apart: requests last 6 s; interrupt once every slot is taken.
      await waitForSim(sim, (s) => s.held >= 500);
      child.kill("SIGINT");
      const done = await child.output();
      const stdout = new TextDecoder().decode(done.stdout);
      const stderr = new TextDecoder().decode(done.stderr);
      assertEquals(done.code, 130, stderr);
      const run = [...Deno.readDirSync(dir)][0]!.name;
      const out = await outputsOf(`${dir}/${run}/performances/model/synthetic`);
      const received = sim.stats().requests;
      assertAccounted(out, received);
      const cancelled = out.json.common.cancelled_requests;
      assert(cancelled > 0, `${cancelled} cancelled`);
      assert(
        stderr.includes(`servebench: interrupted: ${cancelled} requests were cut off in flight`),
        stderr,
      );
      assert(stdout.includes("warning: the run was interrupted"), stdout);
      assert(/│ Cancelled Requests +│ total +│ \d+ +│/.test(stdout), "the Common Metric row");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("runBenchmark() interrupted during model discovery throws an InterruptedError, not 'Cannot reach', and leaves no run folder", async () => {
  const sim = await startSimulator({ faults: { discoveryDelayMs: 60_000 } });
  try {
    for (const model of ["", "sim-model"]) {
      await withTempDir(async (dir) => {
        const before = sim.stats().discoveryRequests;
        // No model: it is discovered; a model: it is checked against the list. Both ask and wait.
        const plan = simplePlan(modelAt(sim.url, { model }), {
          concurrency: 1,
          requests: 2,
          workDir: dir,
        });
        const stop = new AbortController();
        const run = runBenchmark(plan, { print: quiet, signal: stop.signal });
        await waitForSim(sim, (s) => s.discoveryRequests > before);
        stop.abort();
        const error = await assertRejects(
          () => run,
          /^Interrupted while asking "http:\/\/127\.0\.0\.1:\d+\/v1\/models" for its models$/,
        );
        assert(error instanceof InterruptedError, `${model || "discovery"}: ${error.name}`);
        assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [], "no run folder");
      });
    }
    assertEquals(sim.stats().requests, 0, "no request was sent");
  } finally {
    await sim.shutdown();
  }
});

Deno.test("runBenchmark() interrupted while preparing the dataset throws an InterruptedError before any request", async () => {
  const sim = await startSimulator();
  try {
    await withTempDir(async (dir) => {
      const plan = simplePlan(modelAt(sim.url), { concurrency: 1, requests: 2, workDir: dir });
      const stop = new AbortController();
      stop.abort();
      const error = await assertRejects(
        () => runBenchmark(plan, { print: quiet, signal: stop.signal }),
        /^Interrupted while preparing the dataset$/,
      );
      assert(error instanceof InterruptedError, error.name);
      assertEquals(sim.stats().requests + sim.stats().discoveryRequests, 0, "nothing asked");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("servebench run, SIGTERM during a slow model discovery: exit 130 with 'Interrupted', not 1 with 'Cannot reach'", async () => {
  const sim = await startSimulator({ faults: { discoveryDelayMs: 60_000 } });
  try {
    await withTempDir(async (dir) => {
      const child = cliCommand([
        "run",
        ...runFlags(sim.url, { concurrency: 1, prompts: 2, maxTokens: 2, workDir: dir }),
        "--quiet",
      ]).spawn();
      await waitForSim(sim, (s) => s.discoveryRequests > 0);
      child.kill("SIGTERM");
      const done = await child.output();
      const stderr = new TextDecoder().decode(done.stderr);
      assertEquals(done.code, 130, stderr);
      assert(
        /servebench: Interrupted while asking "http:\/\/127\.0\.0\.1:\d+\/v1\/models" for its models/
          .test(stderr),
        stderr,
      );
      assert(!stderr.includes("Cannot reach"), stderr);
      assertEquals(sim.stats().requests, 0, "no request was sent");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("report --reuse of a run killed by SIGKILL says so: planned against recorded requests, on the console, in the JSON and on the page", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 5 });
  try {
    await withTempDir(async (dir) => {
      const { child, trace } = await startLongRun(sim.url, dir, ["--quiet"]);
      child.kill("SIGKILL");
      await child.output();
      const recorded = (await readTraceRecords(trace)).length;
      assert(recorded >= 12 && recorded < 400, `${recorded} recorded`);
      const runDir = trace.slice(0, trace.indexOf("/performances/"));
      const r = await runCli(["report", "--reuse", runDir]);
      assertEquals(r.code, 0, r.stderr);
      const said =
        `the trace ends without its closing line: the run was killed before this task ended (SIGKILL, a crash, power?); it holds ${recorded} of the 400 planned requests`;
      assert(r.stdout.includes(`warning: ${said}`), r.stdout);
      const base = trace.replace("_details.jsonl", "");
      const json = JSON.parse(Deno.readTextFileSync(`${base}.json`));
      assert(json.warnings.some((w: string) => w.startsWith(said)), json.warnings.join("\n"));
      assert(Deno.readTextFileSync(`${base}_plot.html`).includes(said), "the page warns");
    });
  } finally {
    await sim.shutdown();
  }
});
