/**
 * Benchmarks of server-metrics scraping (issue #21). Prints one JSON line per
 * measurement; asserts nothing.
 *
 * - `parse`: time to parse a realistic vLLM exposition (~300 lines: vLLM's
 *   own metrics, prometheus_client's process/GC metrics, the HTTP
 *   instrumentator's histogram), median of rounds. With `--compare-npm`, the
 *   same for `parse-prometheus-text-format` (fetched from npm at run time;
 *   run with `--no-lock` so the lock file is left alone), and what each
 *   parser makes of vLLM's `_sum`-first histograms.
 * - `stamping`: how late a concurrent stream's events are stamped (client
 *   arrival − the simulator's `sim_sent_ms`) with no scraper, a scraper on
 *   the stamping thread, and a scraper in its own worker, at 1 s and 100 ms
 *   intervals. The simulator and the metrics server run in child processes.
 *
 * - `cost`: the stamping thread's share of scraping, without streams: its
 *   CPU time per scrape (scraper on it vs in a worker) and how late a 1 ms
 *   probe timer fires meanwhile — the noise-free view of the same question.
 *
 * - `run`: whole `servebench run`s against the simulator (a child process),
 *   alternating no scraping, scraping every 1 s and every 100 ms, several
 *   rounds: the client's TTFT and ITL from each run's result JSON, and the
 *   scrapes taken — whether scraping as the run does it moves the measured
 *   latencies beyond run-to-run noise.
 *
 * Usage: deno task bench:server-metrics [--quick] [--compare-npm] [parse] [cost] [stamping] [run]
 * (that is `deno run -A --no-lock scripts/bench_server_metrics.ts …`).
 *
 * @module
 */

import { parsePrometheusText } from "../src/server_metrics/prometheus.ts";
import {
  type Scraper,
  type ScrapeWorkerRequest,
  serveScrape,
  startScraper,
  startScrapeWorker,
} from "../src/server_metrics/scrape.ts";
import { renderVllmMetrics } from "../src/sim/metrics_exposition.ts";
import { spawnServing, spawnSim } from "./_child.ts";
import { runCommand } from "../src/cli/run.ts";

const WORKER_NAME = "bench-scrape-worker";

/** A vLLM `/metrics` answer of about 300 lines, as a busy server sends it. */
export function realisticVllmExposition(step = 1): string {
  const obs = Array.from({ length: 400 + step }, (_, i) => 0.02 + (i % 37) * 0.013);
  let text = renderVllmMetrics({
    model: "Qwen/Qwen3-0.6B",
    running: 12 + (step % 5),
    waiting: step % 3,
    kvUsage: 0.42,
    prefixQueries: 123456 * step,
    prefixHits: 45678 * step,
    preemptions: 2,
    promptTokens: 8128902,
    generationTokens: 7557572,
    finished: { stop: 400, length: 100 },
    ttftSeconds: obs,
    queueSeconds: obs.map((x) => x / 10),
    e2eSeconds: obs.map((x) => x * 40),
    prefillSeconds: obs,
    decodeSeconds: obs.map((x) => x * 30),
    inferenceSeconds: obs.map((x) => x * 31),
    interTokenSeconds: obs.map((x) => x / 3),
  });
  const lines: string[] = [];
  // prometheus_client's default collectors.
  lines.push(
    "# HELP python_gc_objects_collected_total Objects collected during gc",
    "# TYPE python_gc_objects_collected_total counter",
  );
  for (const g of [0, 1, 2]) {
    lines.push(`python_gc_objects_collected_total{generation="${g}"} 1234.0`);
  }
  lines.push(
    "# HELP python_info Python platform information",
    "# TYPE python_info gauge",
    'python_info{implementation="CPython",major="3",minor="12",patchlevel="3",version="3.12.3"} 1.0',
  );
  for (
    const [n, v] of [
      ["virtual_memory_bytes", "2.1e+10"],
      ["resident_memory_bytes", "2.147483648e+09"],
      ["cpu_seconds_total", "1234.56"],
      ["open_fds", "87.0"],
    ]
  ) {
    lines.push(
      `# HELP process_${n} Process ${n}.`,
      `# TYPE process_${n} gauge`,
      `process_${n} ${v}`,
    );
  }
  // The HTTP instrumentator's latency histogram, per handler and method; token histograms.
  lines.push(
    "# HELP http_request_duration_seconds Latency with only few buckets by handler.",
    "# TYPE http_request_duration_seconds histogram",
  );
  for (const h of ["/v1/chat/completions", "/v1/completions", "/metrics", "/v1/models"]) {
    let c = 0;
    for (const le of ["0.1", "0.5", "1.0", "+Inf"]) {
      c += 3;
      lines.push(
        `http_request_duration_seconds_bucket{handler="${h}",le="${le}",method="POST"} ${c}.0`,
      );
    }
    lines.push(
      `http_request_duration_seconds_count{handler="${h}",method="POST"} ${c}.0`,
      `http_request_duration_seconds_sum{handler="${h}",method="POST"} 12.5`,
    );
  }
  for (const name of ["request_prompt_tokens", "request_generation_tokens"]) {
    lines.push(`# HELP vllm:${name} Number of tokens.`, `# TYPE vllm:${name} histogram`);
    lines.push(`vllm:${name}_sum{engine="0",model_name="Qwen/Qwen3-0.6B"} 12952.0`);
    for (
      const le of [
        "1.0",
        "2.0",
        "5.0",
        "10.0",
        "20.0",
        "50.0",
        "100.0",
        "200.0",
        "500.0",
        "1000.0",
        "2000.0",
        "5000.0",
        "10000.0",
        "20000.0",
        "+Inf",
      ]
    ) {
      lines.push(`vllm:${name}_bucket{engine="0",le="${le}",model_name="Qwen/Qwen3-0.6B"} 38.0`);
    }
    lines.push(`vllm:${name}_count{engine="0",model_name="Qwen/Qwen3-0.6B"} 38.0`);
  }
  text += lines.join("\n") + "\n";
  return text;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

function medianMs(f: () => unknown, rounds: number, perRound: number): number {
  for (let i = 0; i < perRound; i++) f();
  const runs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < perRound; i++) f();
    runs.push((performance.now() - t0) / perRound);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

async function parseBench(quick: boolean, compareNpm: boolean) {
  const text = realisticVllmExposition();
  const lines = text.split("\n").length - 1;
  const rounds = quick ? 5 : 11;
  const own = medianMs(() => parsePrometheusText(text), rounds, 300);
  const ownSource = await Deno.readTextFile(
    new URL("../src/server_metrics/prometheus.ts", import.meta.url),
  );
  const out: Record<string, unknown> = {
    bench: "server_metrics_parse",
    lines,
    bytes: text.length,
    own_ms_per_exposition: round(own, 4),
    own_source_lines: ownSource.split("\n").length,
    own_warnings: parsePrometheusText(text).warnings.length,
  };
  if (compareNpm) {
    const spec = "npm:parse-prometheus-text-format@1.1.1";
    const mod = await import(spec);
    const parse = mod.default as (t: string) => Array<{ name: string; metrics: unknown[] }>;
    out.npm_package = spec.slice(4);
    out.npm_ms_per_exposition = round(medianMs(() => parse(text), rounds, 300), 4);
    // What each makes of vLLM's _sum-first histogram (its multiprocess collector's order).
    const h = parse(text).find((f) => f.name === "vllm:time_to_first_token_seconds");
    out.npm_ttft_keys = Object.keys((h?.metrics[0] ?? {}) as object);
    const mine = parsePrometheusText(text).families.get("vllm:time_to_first_token_seconds");
    out.own_ttft_samples = mine?.samples.map((s) => s.name.slice(s.name.lastIndexOf("_")))
      .filter((v, i, a) => a.indexOf(v) === i);
  }
  console.log(JSON.stringify(out));
}

/** Streams `concurrency` requests for `seconds`, returning each event's stamping delay (ms). */
async function streamDelays(simUrl: string, concurrency: number, seconds: number) {
  const delays: number[] = [];
  const origin = performance.timeOrigin;
  const until = performance.now() + seconds * 1000;
  const body = JSON.stringify({
    model: "sim-model",
    stream: true,
    max_tokens: 200,
    ignore_eos: true,
    messages: [{ role: "user", content: "benchmark prompt" }],
  });
  const key = new TextEncoder().encode('"sim_sent_ms":');
  const one = async () => {
    while (performance.now() < until) {
      const res = await fetch(`${simUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const reader = res.body!.getReader({ mode: "byob" });
      let buf = new Uint8Array(16384);
      for (;;) {
        const { value, done } = await reader.read(buf);
        const stamp = origin + performance.now();
        if (done || !value) break;
        // Find every sim_sent_ms in this read.
        for (let i = 0; i + key.length < value.length; i++) {
          let hit = true;
          for (let k = 0; k < key.length; k++) {
            if (value[i + k] !== key[k]) {
              hit = false;
              break;
            }
          }
          if (!hit) continue;
          let j = i + key.length;
          let n = "";
          while (j < value.length && /[0-9.]/.test(String.fromCharCode(value[j]!))) {
            n += String.fromCharCode(value[j++]!);
          }
          delays.push(stamp - Number(n));
          i = j;
        }
        buf = new Uint8Array(value.buffer);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return delays;
}

function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return {
    n: s.length,
    p50: round(q(0.5)),
    p99: round(q(0.99)),
    p999: round(q(0.999)),
    max: round(s[s.length - 1]!),
  };
}

async function stampingBench(quick: boolean) {
  const sim = await spawnSim(["--ttft-ms", "50", "--itl-ms", "10", "--output-tokens", "200"]);
  const metrics = await spawnServing([
    "run",
    "--allow-net",
    "--allow-read",
    new URL(import.meta.url).pathname,
    "--serve-metrics",
  ]);
  const dir = await Deno.makeTempDir({ prefix: "servebench-bench-" });
  const seconds = quick ? 4 : 10;
  const concurrency = 32;
  try {
    await streamDelays(sim.url, 8, 1); // warm both processes
    let k = 0;
    for (const intervalMs of [1000, 100]) {
      for (const mode of ["none", "main_thread", "worker"] as const) {
        const file = `${dir}/m${k++}.jsonl`;
        const options = { url: `${metrics.url}/metrics`, file, intervalMs };
        let scraper: Scraper | undefined;
        if (mode === "main_thread") scraper = await startScraper(options);
        if (mode === "worker") {
          scraper = await startScrapeWorker(options, {
            spawn: () => new Worker(import.meta.url, { type: "module", name: WORKER_NAME }),
          });
        }
        const delays = await streamDelays(sim.url, concurrency, seconds);
        const result = await scraper?.stop();
        console.log(JSON.stringify({
          bench: "server_metrics_stamping",
          scraper: mode,
          interval_ms: mode === "none" ? null : intervalMs,
          concurrency,
          seconds,
          scrapes: result?.scrapes ?? 0,
          stamp_delay_ms: stats(delays),
        }));
      }
    }
  } finally {
    await sim.stop();
    await metrics.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Whole runs with and without scraping, interleaved, against a simulator in a child process. */
async function runBench(quick: boolean) {
  const sim = await spawnSim(["--ttft-ms", "50", "--itl-ms", "10"]);
  const dir = await Deno.makeTempDir({ prefix: "servebench-bench-" });
  const rounds = quick ? 2 : 4;
  const modes: Array<[string, string[]]> = [
    ["off", ["--no-server-metrics"]],
    ["1s", ["--server-metrics-interval", "1"]],
    ["100ms", ["--server-metrics-interval", "0.1"]],
  ];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [mode, flags] of modes) {
        const r = await runCommand([
          "--url",
          sim.url,
          "--concurrency",
          "16",
          "--num-prompts",
          quick ? "96" : "192",
          "--max-tokens",
          "48",
          "--warmup",
          "16",
          "--work-dir",
          `${dir}/${mode}${round}`,
          ...flags,
        ], { print: () => {}, env: () => undefined });
        const json = JSON.parse(Deno.readTextFileSync(r!.tasks[0]!.paths.json));
        const m = json.metrics;
        const pick = (x: { mean: number; p99: number }) => ({
          mean: Math.round(x.mean * 1000) / 1000,
          p99: Math.round(x.p99 * 1000) / 1000,
        });
        console.log(JSON.stringify({
          bench: "server_metrics_run",
          round,
          scraping: mode,
          scrapes: json.server?.scrapes ?? 0,
          ttft_ms: pick(m.ttft_ms),
          itl_ms: pick(m.itl_ms),
          e2el_ms: pick(m.e2el_ms),
          loop_lag_p99_ms: json.client?.loop_lag_ms?.p99,
        }));
      }
    }
  } finally {
    await sim.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * CPU time (ms) of the process's main thread — the one that stamps stream
 * events when the load runs in-process — from /proc (Linux; NaN elsewhere),
 * at the kernel's 10 ms tick.
 */
function mainThreadCpuMs(): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/self/task/${Deno.pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * The stamping thread's share of scraping: main-thread CPU per scrape with
 * the scraper on it and in a worker (no streams running, so nothing else
 * competes), and the longest event-loop stall a 1 ms probe timer saw.
 */
async function costBench(quick: boolean) {
  const metrics = await spawnServing([
    "run",
    "--allow-net",
    "--allow-read",
    new URL(import.meta.url).pathname,
    "--serve-metrics",
  ]);
  const dir = await Deno.makeTempDir({ prefix: "servebench-bench-" });
  const seconds = quick ? 2 : 5;
  try {
    let k = 0;
    for (const mode of ["main_thread", "worker", "main_thread", "worker"] as const) {
      const options = {
        url: `${metrics.url}/metrics`,
        file: `${dir}/c${k++}.jsonl`,
        intervalMs: 20,
      };
      const cpu0 = mainThreadCpuMs();
      const scraper = mode === "main_thread"
        ? await startScraper(options)
        : await startScrapeWorker(
          options,
          { spawn: () => new Worker(import.meta.url, { type: "module", name: WORKER_NAME }) },
        );
      // A probe timer: how late does a 1 ms timer fire while scraping goes on?
      const lags: number[] = [];
      const until = performance.now() + seconds * 1000;
      while (performance.now() < until) {
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 1));
        lags.push(performance.now() - t0 - 1);
      }
      const result = await scraper.stop();
      const cpuMs = mainThreadCpuMs() - cpu0;
      console.log(JSON.stringify({
        bench: "server_metrics_cost",
        scraper: mode,
        interval_ms: 20,
        scrapes: result.scrapes,
        main_thread_cpu_ms_per_scrape: round(cpuMs / result.scrapes, 3),
        probe_timer_lag_ms: stats(lags),
      }));
    }
  } finally {
    await metrics.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function serveMetrics() {
  let step = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(realisticVllmExposition(++step), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      }),
  );
  console.log(`metrics at http://127.0.0.1:${server.addr.port}`);
}

function serveWorker() {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ScrapeWorkerRequest | { kind: "stop" }>) => void) | null;
    postMessage: (m: unknown) => void;
  };
  const stop = new AbortController();
  scope.onmessage = (e) => {
    if (e.data.kind === "stop") stop.abort();
    else serveScrape(e.data, { signal: stop.signal, post: (m) => scope.postMessage(m) });
  };
}

if ((globalThis as { name?: string }).name === WORKER_NAME) serveWorker();
else if (import.meta.main) {
  const args = Deno.args;
  if (args.includes("--serve-metrics")) serveMetrics();
  else {
    const quick = args.includes("--quick");
    const picked = args.filter((a) => !a.startsWith("--"));
    const all = picked.length === 0;
    if (all || picked.includes("parse")) await parseBench(quick, args.includes("--compare-npm"));
    if (all || picked.includes("cost")) await costBench(quick);
    if (all || picked.includes("stamping")) await stampingBench(quick);
    if (all || picked.includes("run")) await runBench(quick);
  }
}
