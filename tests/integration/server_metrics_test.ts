import { assert, assertEquals, withTempDir } from "../helpers.ts";
import { runCommand } from "../../src/cli/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { readServerMetrics } from "../../src/server_metrics/mod.ts";
import type { TaskResultJson } from "../../src/report/result_json.ts";
import { fileExists } from "../../src/fs.ts";

/** Runs `servebench run` in-process, collecting what it prints. */
async function run(argv: string[]) {
  const printed: string[] = [];
  const result = await runCommand(argv, {
    print: (t) => printed.push(...t.split("\n")),
    env: () => undefined,
  });
  return { result: result!, printed };
}

function resultJson(path: string): TaskResultJson {
  return JSON.parse(Deno.readTextFileSync(path));
}

Deno.test("run --server-metrics: the scraped running/waiting series matches the simulator's own counts at the scrape instants", async () => {
  // The simulator's ground truth: every change of its running and waiting counts, timed.
  const changes: Array<[number, number, number]> = [[0, 0, 0]];
  const sim = await startSimulator({ ttftMs: 30, itlMs: 8, maxBatch: 3 }, {
    onCounts: (t, running, waiting) => changes.push([t, running, waiting]),
  });
  try {
    await withTempDir(async (dir) => {
      const { result } = await run([
        "--url",
        sim.url,
        "--concurrency",
        "6",
        "--num-prompts",
        "36",
        "--max-tokens",
        "16",
        "--server-metrics-interval",
        "0.05",
        "--work-dir",
        dir,
      ]);
      const paths = result.tasks[0]!.paths;
      let scrapes = 0;
      let sawQueue = false;
      for await (const e of readServerMetrics(paths.serverMetrics)) {
        if (e.kind !== "scrape") continue;
        const value = (name: string) => e.values[e.series.find((s) => s.name === name)!.id];
        const running = value("vllm:num_requests_running");
        const waiting = value("vllm:num_requests_waiting");
        // The page was drawn between the request going out and its answer arriving.
        const from = e.tMs - e.rttMs - 1;
        const to = e.tMs + 1;
        const states = new Set<string>();
        for (let i = 0; i < changes.length; i++) {
          const [t, r, w] = changes[i]!;
          const next = changes[i + 1]?.[0] ?? Infinity;
          if (t <= to && next >= from) states.add(`${r}/${w}`);
        }
        assert(
          states.has(`${running}/${waiting}`),
          `scrape at ${e.tMs}: ${running}/${waiting}, simulator then ${[...states]}`,
        );
        scrapes++;
        if ((waiting ?? 0) > 0) sawQueue = true;
      }
      assert(scrapes >= 5, `scrapes: ${scrapes}`);
      assert(sawQueue, "a scrape saw requests waiting (6 in flight, batch of 3)");
      const json = resultJson(paths.json);
      assertEquals(json.server?.family, "vllm");
      assertEquals(json.server?.peak_running_requests, 3);
      assert((json.server?.peak_waiting_requests ?? 0) > 0, "peak waiting");
      assert((json.server?.peak_waiting_requests ?? 9) <= 3, "peak waiting ≤ 6 − 3");
      // Every request left the simulator's counts: nothing leaks.
      assertEquals(changes[changes.length - 1]!.slice(1), [0, 0]);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("run --server-metrics: histogram deltas give a server TTFT of at least the configured one, at most the client's, its queue inside it", async () => {
  const sim = await startSimulator({ ttftMs: 50, itlMs: 5 });
  try {
    await withTempDir(async (dir) => {
      const { result } = await run([
        "--url",
        sim.url,
        "--concurrency",
        "4",
        "--num-prompts",
        "24",
        "--max-tokens",
        "8",
        "--server-metrics-interval",
        "0.2",
        "--work-dir",
        dir,
      ]);
      const json = resultJson(result.tasks[0]!.paths.json);
      const ttft = json.server!.ttft_ms!;
      assertEquals(ttft.n, 24, "every request of the window, none before it");
      // Configured 50 ms after admission: a timer is never early (late, on a loaded machine, is
      // bounded below by the client's TTFT instead).
      assert(ttft.mean >= 50, `server TTFT mean ${ttft.mean}`);
      // vLLM's buckets around it are 40 and 60 ms: the median interpolates inside that bucket.
      assert(ttft.p50 > 40 && ttft.p50 <= 60, `server TTFT p50 ${ttft.p50}`);
      // TTFT is the queue plus a prefill of at least the configured 50 ms, on the server's clock.
      const queue = json.server!.queue_ms!.mean;
      assert(queue >= 0 && queue <= ttft.mean - 50 + 0.5, `queue ${queue}, TTFT ${ttft.mean}`);
      // The client's TTFT adds the network and its own overhead to the server's.
      assert(json.metrics.ttft_ms!.mean! >= ttft.mean, "client TTFT ≥ server TTFT");
      assertEquals(json.server!.e2e_ms!.n, 24);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("run --server-metrics against a server without /metrics: one note for the whole run, and the run goes on", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const { result, printed } = await run([
        "--url",
        sim.url,
        "--concurrency",
        "1",
        "2",
        "--num-prompts",
        "4",
        "--max-tokens",
        "4",
        "--server-metrics",
        `${sim.url}/no-metrics-here`,
        "--work-dir",
        dir,
      ]);
      const notes = printed.filter((l) => l.includes("No server metrics"));
      assertEquals(notes.length, 1, printed.join("\n"));
      assert(notes[0]!.startsWith("note: ") && notes[0]!.includes("HTTP 404"), notes[0]);
      assertEquals(result.tasks.length, 2);
      for (const t of result.tasks) {
        const json = resultJson(t.paths.json);
        assertEquals(json.common.success_requests, 4);
        assertEquals(json.server, undefined);
      }
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("run --server-metrics with a malformed exposition: one warning naming the line, the rest is used and the run goes on", async () => {
  const sim = await startSimulator({ ttftMs: 30, itlMs: 5 });
  const text = [
    "# TYPE vllm:num_requests_running gauge",
    'vllm:num_requests_running{engine="0"} 1',
    "vllm:num_requests_waiting{engine=0} 2",
    "# TYPE vllm:kv_cache_usage_perc gauge",
    'vllm:kv_cache_usage_perc{engine="0"} 0.5',
    "",
  ].join("\n");
  const metrics = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(text),
  );
  try {
    await withTempDir(async (dir) => {
      const { result, printed } = await run([
        "--url",
        sim.url,
        "--concurrency",
        "2",
        "--num-prompts",
        "6",
        "--max-tokens",
        "8",
        "--server-metrics",
        `http://127.0.0.1:${metrics.addr.port}/metrics`,
        "--server-metrics-interval",
        "0.05",
        "--work-dir",
        dir,
      ]);
      const warnings = printed.filter((l) => l.startsWith("warning: Server metrics"));
      assertEquals(warnings.length, 1, printed.join("\n"));
      assert(warnings[0]!.includes("line 3"), warnings[0]);
      const json = resultJson(result.tasks[0]!.paths.json);
      assertEquals(json.common.success_requests, 6);
      assertEquals(json.server?.peak_running_requests, 1);
      assertEquals(json.server?.peak_kv_cache_usage_ratio, 0.5);
      assertEquals(json.server?.peak_waiting_requests, undefined);
    });
  } finally {
    await metrics.shutdown();
    await sim.shutdown();
  }
});

Deno.test("run --no-server-metrics scrapes nothing; report --reuse redraws the server block from the samples file, in a suffixed set too", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 2 });
  try {
    await withTempDir(async (dir) => {
      const off = await run([
        "--url",
        sim.url,
        "--num-prompts",
        "3",
        "--concurrency",
        "1",
        "--no-server-metrics",
        "--work-dir",
        `${dir}/off`,
      ]);
      const p = off.result.tasks[0]!.paths;
      assert(!(fileExists(p.serverMetrics)), "no samples file");
      assertEquals(resultJson(p.json).server, undefined);

      const on = await run([
        "--url",
        sim.url,
        "--num-prompts",
        "8",
        "--concurrency",
        "2",
        "--server-metrics-interval",
        "0.1",
        "--work-dir",
        `${dir}/on`,
      ]);
      const q = on.result.tasks[0]!.paths;
      const before = resultJson(q.json).server;
      assert(before && before.ttft_ms?.n === 8, JSON.stringify(before));
      const { reportCommand } = await import("../../src/cli/report.ts");
      await reportCommand(["--reuse", on.result.runDir], () => {});
      assertEquals(resultJson(q.json).server, before);
      // A suffixed set reads the same samples: the run's own file, never a suffixed one.
      await reportCommand(["--reuse", on.result.runDir, "--suffix", "again"], () => {});
      const again = q.json.replace(/\.json$/, "@again.json");
      assertEquals(resultJson(again).server, before);
    });
  } finally {
    await sim.shutdown();
  }
});
