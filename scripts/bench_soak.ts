/**
 * `deno task bench soak`: does the client's memory stay flat in a long run?
 * A closed-loop run (concurrency 64) of short streams (2 tokens, no delays) against the native
 * emitter `/work/shared/bench/fastsse.c` (built with `cc -O2` into a temp dir;
 * without a C compiler, one skip line and the built-in simulator instead), at
 * the highest rate the machine sustains. The client runs in a child process
 * (`--v8-flags=--expose-gc`), the whole `servebench run` path in-process
 * there, and every few seconds samples its RSS and the V8 heap in use of the
 * main thread and of every load worker (each after a full collection: what is
 * retained, not what the collector has not reached yet). Prints one JSON line
 * per interval (requests, throughput, memory) and one per phase with the
 * least-squares slope of each series over the samples after warm-up, in bytes
 * per 1,000 requests, ± its standard error. A benchmark: it asserts nothing.
 *
 * @module
 */

import { planFromFlags, RUN_FLAGS } from "../src/cli/run.ts";
import { parseFlags } from "../src/cli/args.ts";
import { runBenchmark } from "../src/bench/run_benchmark.ts";
import { heapUsedNow } from "../src/bench/heap_sample.ts";
import { type ServingChild, spawnEmitter, spawnSim } from "./_child.ts";

const EMITTER_SOURCE = "/work/shared/bench/fastsse.c";
const SELF = new URL("./bench.ts", import.meta.url).pathname;

/** One soak phase: how the client is run. */
interface Phase {
  workers: number;
  transport: "fetch" | "node" | "raw";
  requests: number;
  /** The served model id (fastsse: `mock-model`). */
  model: string;
}

/** A server for the soak: its base URL and a stop. */
interface Server {
  url: string;
  kind: "fastsse" | "simulator";
  model: string;
  stop(): Promise<void>;
}

/** Builds and starts fastsse (2-token streams, no delays), or the simulator without a compiler. */
async function startServer(dir: string): Promise<Server> {
  const binary = `${dir}/fastsse`;
  let built = false;
  try {
    const cc = await new Deno.Command("cc", {
      args: ["-O2", "-o", binary, EMITTER_SOURCE],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    built = cc.success;
  } catch {
    built = false;
  }
  let child: ServingChild;
  let kind: Server["kind"];
  if (built) {
    kind = "fastsse";
    child = await spawnEmitter(binary, [
      "--port",
      "0",
      "--ttft-ms",
      "0",
      "--itl-ms",
      "0",
      "--tokens",
      "2",
    ]);
  } else {
    console.log(JSON.stringify({
      bench: "soak",
      skip: `no C compiler could build ${EMITTER_SOURCE}: soaking against the built-in simulator`,
    }));
    kind = "simulator";
    child = await spawnSim(["--ttft-ms", "0", "--itl-ms", "0", "--output-tokens", "2"]);
  }
  return {
    url: child.url,
    kind,
    model: kind === "fastsse" ? "mock-model" : "sim-model",
    stop: async () => void (await child.stop()),
  };
}

/** Least-squares slope of y on x with its standard error. */
export function slope(xs: readonly number[], ys: readonly number[]): { slope: number; se: number } {
  const n = xs.length;
  if (n < 3) return { slope: NaN, se: NaN };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const b = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - my - b * (xs[i]! - mx)) ** 2;
  return { slope: b, se: Math.sqrt(sse / (n - 2) / sxx) };
}

/** One sample of the child: requests recorded so far and memory, bytes. */
interface Sample {
  t: number;
  requests: number;
  rss: number;
  /** V8's committed heap of the main thread (what the isolate holds from the OS). */
  heapTotal: number;
  /** Memory of ArrayBuffers and other external objects held by the main isolate. */
  external: number;
  mainHeap: number;
  workerHeaps: number[];
}

/**
 * The child side: one `servebench run` in this process against `url`,
 * sampling memory every `intervalS`; prints a JSON line per interval and the
 * phase's slopes at the end.
 */
export async function soakProbe(url: string, phase: Phase, intervalS: number): Promise<void> {
  const workDir = Deno.makeTempDirSync({ prefix: "servebench-soak-" });
  const { values } = parseFlags(
    [
      "--url",
      url,
      "--model",
      phase.model,
      "--concurrency",
      "64",
      "--num-prompts",
      String(phase.requests),
      "--max-tokens",
      "2",
      "--prompt",
      "hi",
      "--workers",
      String(phase.workers),
      "--transport",
      phase.transport,
      "--warmup",
      "0",
      "--work-dir",
      workDir,
    ],
    RUN_FLAGS,
    { command: "servebench run" },
  );
  const plan = planFromFlags(values);
  let requests = 0;
  const workerHeaps: number[] = new Array(phase.workers).fill(NaN);
  const samples: Sample[] = [];
  const t0 = performance.now();
  let last = { t: 0, requests: 0 };
  const timer = setInterval(() => {
    // Only while the load runs: the report after it reads the trace back.
    if (requests >= phase.requests) return;
    const t = (performance.now() - t0) / 1000;
    const mainHeap = heapUsedNow();
    const usage = Deno.memoryUsage();
    const s: Sample = {
      t,
      requests,
      rss: usage.rss,
      heapTotal: usage.heapTotal,
      external: usage.external,
      mainHeap,
      workerHeaps: [...workerHeaps],
    };
    samples.push(s);
    console.log(JSON.stringify({
      bench: "soak_sample",
      t_s: Math.round(t),
      requests,
      rps: Math.round((requests - last.requests) / (t - last.t)),
      rss_mb: mb(s.rss),
      heap_total_mb: mb(s.heapTotal),
      external_mb: mb(s.external),
      main_heap_mb: mb(mainHeap),
      worker_heap_mb: s.workerHeaps.map(mb),
    }));
    last = { t, requests };
  }, intervalS * 1000);
  try {
    await runBenchmark(plan, {
      print: () => {},
      onRecord: () => void requests++,
      ...(phase.workers > 0
        ? {
          workerHeap: {
            intervalMs: intervalS * 1000,
            onSample: (w: number, sample: { heapUsedBytes: number }) =>
              void (workerHeaps[w] = sample.heapUsedBytes),
          },
        }
        : {}),
    });
  } finally {
    clearInterval(timer);
    Deno.removeSync(workDir, { recursive: true });
  }
  // Warm-up: the first quarter of the samples (JIT, pools, connections); at least 3 kept.
  const kept = samples.slice(Math.min(Math.floor(samples.length / 4), samples.length - 3));
  const fit = (ys: number[]) => {
    // A worker's first sample may not have arrived yet: fit over the samples that have one.
    const at = ys.flatMap((y, i) => (Number.isFinite(y) ? [i] : []));
    const f = slope(at.map((i) => kept[i]!.requests / 1000), at.map((i) => ys[i]!));
    return { bytes_per_1k: Math.round(f.slope), se: Math.round(f.se) };
  };
  const rates: number[] = [];
  for (let i = 1; i < kept.length; i++) {
    rates.push((kept[i]!.requests - kept[i - 1]!.requests) / (kept[i]!.t - kept[i - 1]!.t));
  }
  console.log(JSON.stringify({
    bench: "soak",
    ...phase,
    recorded: requests,
    samples: samples.length,
    fitted_samples: kept.length,
    fitted_requests: kept.length ? kept.at(-1)!.requests - kept[0]!.requests : 0,
    rps_first: Math.round(rates[0] ?? NaN),
    rps_last: Math.round(rates.at(-1) ?? NaN),
    rps_min: Math.round(Math.min(...rates)),
    rps_max: Math.round(Math.max(...rates)),
    rss_mb_end: mb(samples.at(-1)?.rss ?? NaN),
    main_heap_mb_end: mb(samples.at(-1)?.mainHeap ?? NaN),
    rss: fit(kept.map((s) => s.rss)),
    heap_total: fit(kept.map((s) => s.heapTotal)),
    external: fit(kept.map((s) => s.external)),
    main_heap: fit(kept.map((s) => s.mainHeap)),
    worker_heap: Array.from(
      { length: phase.workers },
      (_, w) => fit(kept.map((s) => s.workerHeaps[w]!)),
    ),
  }));
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10;

/**
 * The soak benchmark: for each phase, a fresh client process against one
 * emitter. `quick`: 20,000 requests a phase (a CI smoke); else 300,000.
 */
export async function soak(quick: boolean): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "servebench-soak-srv-" });
  const server = await startServer(dir);
  const requests = quick ? 20_000 : 300_000;
  const intervalS = quick ? 1 : 5;
  // The default transport (raw) first, on the main thread and on two load workers; then the
  // other two transports on two workers.
  const phases: Phase[] = [
    { workers: 0, transport: "raw", requests, model: server.model },
    { workers: 2, transport: "raw", requests, model: server.model },
    { workers: 2, transport: "fetch", requests, model: server.model },
    { workers: 2, transport: "node", requests, model: server.model },
  ];
  try {
    for (const phase of phases) {
      const uptime = await new Deno.Command("uptime").output().then(
        (o) => new TextDecoder().decode(o.stdout).trim(),
        () => "unknown",
      );
      console.log(JSON.stringify({ bench: "soak_phase", server: server.kind, ...phase, uptime }));
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--v8-flags=--expose-gc",
          SELF,
          "soak-probe",
          server.url,
          JSON.stringify(phase),
          String(intervalS),
        ],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!out.success) {
        console.log(JSON.stringify({ bench: "soak", ...phase, exit_code: out.code }));
      }
    }
  } finally {
    await server.stop();
    Deno.removeSync(dir, { recursive: true });
  }
}
