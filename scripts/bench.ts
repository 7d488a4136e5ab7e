/**
 * `deno task bench`: benchmarks of servebench's own accuracy and cost. Each
 * prints one JSON line. The simulator runs in a child process so the numbers
 * are the client's alone. A benchmark, never a test: it asserts nothing.
 *
 * Usage: deno task bench [--quick] [fidelity] [workers] [stamping] [fidelity-sim] [ingest]
 * [tokenizer] [scale] [soak] [once-sent]
 *
 * `fidelity` runs against the native emitter with the C floor client beside
 * servebench (bench_fidelity.ts); `fidelity-sim` against the TypeScript
 * simulator, as before the native emitter came; `workers` measures where load
 * workers start to pay (the default worker count, src/bench/drive.ts);
 * `stamping` what the raw transport's stamp-first parsing gains; `soak` memory
 * over a long run (bench_soak.ts); `once-sent` the memory of a run that sends
 * each of many long prompts once.
 *
 * @module
 */

import process from "node:process";
import { sendRequest } from "../src/protocol/client.ts";
import { drive, type DriveSpec } from "../src/bench/drive.ts";
import { recomputeRun } from "../src/cli/report.ts";
import { runCommand } from "../src/cli/run.ts";
import { encodeRecord, TRACE_VERSION } from "../src/record/trace.ts";
import { createTransport, type TransportKind, TRANSPORTS } from "../src/protocol/transport.ts";
import { openaiChat } from "../src/protocol/openai_chat.ts";
import { realClock, runShape, wholeLoad } from "../src/load/mod.ts";
import { mean, percentileSorted, sortedSample, stddev } from "../src/metrics/stats.ts";
import { chunkDeltasUs, type RequestRecord } from "../src/record/record.ts";
import { Random } from "../src/random.ts";
import { TokenizerPool } from "../src/tokenizer/pool.ts";
import { benchFidelity, benchStamping, benchWorkers } from "./bench_fidelity.ts";
import { soak, soakProbe } from "./bench_soak.ts";
import { spawnSim } from "./_child.ts";

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

function summary(values: number[]) {
  const s = sortedSample(values);
  return {
    mean: round(mean(s)),
    p50: round(percentileSorted(s, 50)),
    p99: round(percentileSorted(s, 99)),
    max: round(s[s.length - 1] ?? NaN),
    sd: round(stddev(s)),
  };
}

/**
 * CPU time (ms) of the process's main thread — where Deno runs both the JS
 * event loop and its I/O runtime — from /proc (Linux; NaN elsewhere), at the
 * kernel's 10 ms tick.
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

/** Closed-loop run against the sim, collecting records and per-event client delays. */
async function driveDirect(
  url: string,
  concurrency: number,
  requests: number,
  maxTokens: number,
  kind: TransportKind,
) {
  const transport = createTransport(kind);
  const delays: number[] = [];
  let events = 0;
  const origin = performance.timeOrigin;
  const target = {
    url: `${url}/v1/chat/completions`,
    headers: { "content-type": "application/json" },
    adapter: openaiChat,
    stream: true,
    transport,
    probe: (event: unknown, stamp: number) => {
      events++;
      const sent = (event as { sim_sent_ms?: number }).sim_sent_ms;
      if (sent !== undefined) delays.push(origin + stamp - sent);
    },
  };
  const body = JSON.stringify(openaiChat.buildBody({ prompt: "benchmark prompt" }, {
    model: "sim-model",
    stream: true,
    maxTokens,
    extraBody: { ignore_eos: true },
  }));
  const records: RequestRecord[] = [];
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const t0 = performance.now();
  await runShape({ kind: "concurrency", concurrency }, { total: requests }, {
    send: async (index, scheduledMs) => {
      records.push(await sendRequest(target, body, { index, scheduledMs }));
    },
    clock: realClock,
    shard: wholeLoad(realClock),
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const mainMs = mainThreadCpuMs() - main0;
  transport.close();
  return { records, delays, events, wallMs, cpuUs: cpu.user + cpu.system, mainMs };
}

/** Failures, TTFT error against the simulator's 50 ms, and pooled ITL statistics of records. */
function accuracy(records: RequestRecord[]) {
  const ttft: number[] = [];
  const itl: number[] = [];
  for (const x of records) {
    if (x.chunkMs[0] !== undefined) ttft.push(x.chunkMs[0] - x.startMs);
    for (const d of chunkDeltasUs(x).slice(1)) itl.push(d / 1000);
  }
  return {
    failed: records.filter((x) => x.error).length,
    ttft_error_ms: round(mean(ttft) - 50),
    itl_ms: summary(itl),
  };
}

async function fidelity(quick: boolean, kind: TransportKind) {
  const points = quick
    ? [[1, 5], [10, 20], [100, 100], [500, 500], [1000, 1000]]
    : [[1, 50], [10, 100], [100, 200], [500, 500], [1000, 1000]];
  const sim = await spawnSim(["--ttft-ms", "50", "--itl-ms", "10", "--output-tokens", "100"]);
  try {
    await driveDirect(sim.url, 8, 16, 10, kind); // warm both processes
    for (const [c, n] of points) {
      const r = await driveDirect(sim.url, c!, n!, 100, kind);
      console.log(JSON.stringify({
        bench: "fidelity",
        transport: kind,
        concurrency: c,
        requests: n,
        ...accuracy(r.records),
        client_delay_ms: summary(r.delays),
        cpu_us_per_event: round(r.cpuUs / r.events, 2),
        events: r.events,
        wall_s: round(r.wallMs / 1000, 2),
      }));
    }
  } finally {
    await sim.stop();
  }
}

/**
 * Fidelity through the run's own client path (load workers, trace-ready
 * records) at high concurrency: 0 workers (main thread), 1 and 2.
 */
async function fidelityWorkers(quick: boolean) {
  const points = quick ? [[1000, 1000]] : [[500, 500], [1000, 1000]];
  const sim = await spawnSim(["--ttft-ms", "50", "--itl-ms", "10", "--output-tokens", "100"]);
  try {
    const specs = [{ prompt: "benchmark prompt" }];
    for (const [c, n] of points) {
      for (const workers of [0, 1, 2]) {
        const spec: DriveSpec = {
          url: `${sim.url}/v1/chat/completions`,
          modelsUrl: `${sim.url}/v1/models`,
          warmConnections: Math.min(c!, 256),
          headers: { "content-type": "application/json" },
          api: "openai-chat",
          stream: true,
          keepText: false,
          transport: { kind: "fetch" },
          retry: 0,
          warmup: 0,
          servedModel: "sim-model",
          maxTokens: 100,
          generationKwargs: { ignore_eos: true },
          specs,
          load: { kind: "concurrency", concurrency: c! },
          total: n!,
        };
        const records: RequestRecord[] = [];
        const never = new AbortController().signal;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await drive(spec, {
          sent() {},
          record: (r) => records.push(r),
        }, { workers, stop: never, cancel: never });
        const wallMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        // Each stream also carries a role chunk and [DONE] besides its tokens.
        const events = records.reduce((sum, x) => sum + x.chunkMs.length + 2, 0);
        console.log(JSON.stringify({
          bench: "fidelity_workers",
          load_workers: workers,
          concurrency: c,
          requests: n,
          ...accuracy(records),
          cpu_us_per_event: round((cpu.user + cpu.system) / events, 2),
          wall_s: round(wallMs / 1000, 2),
        }));
      }
    }
  } finally {
    await sim.stop();
  }
}

async function ingest(quick: boolean, kind: TransportKind) {
  const sim = await spawnSim(["--ttft-ms", "0", "--itl-ms", "0", "--output-tokens", "100000"]);
  try {
    const tokens = quick ? 2000 : 10000;
    await driveDirect(sim.url, 8, 8, 500, kind);
    const r = await driveDirect(sim.url, 64, 64, tokens, kind);
    console.log(JSON.stringify({
      bench: "ingest",
      transport: kind,
      concurrency: 64,
      events: r.events,
      events_per_s: Math.round(r.events / (r.wallMs / 1000)),
      cpu_us_per_event: round(r.cpuUs / r.events, 2),
      client_cpu_share: round(r.cpuUs / 1000 / r.wallMs, 2),
      main_thread_cpu_share: round(r.mainMs / r.wallMs, 2),
      failed: r.records.filter((x) => x.error).length,
    }));
  } finally {
    await sim.stop();
  }
}

/** Tokens/s of counting on 1 and 2 workers (median of 3 rounds after a warm-up round). */
async function tokenizer(quick: boolean) {
  const texts: string[] = [];
  const n = quick ? 400 : 2000;
  const random = new Random(1);
  for (let i = 0; i < n; i++) {
    let t = "";
    for (let k = 0; k < 300; k++) t += ` word${random.int(0, 5000)}`;
    texts.push(t);
  }
  const results: Record<string, number> = {};
  for (const size of [1, 2]) {
    const pool = await TokenizerPool.create("qwen3", size);
    try {
      await pool.count(texts);
      const rates: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        const counts = await pool.count(texts);
        const seconds = (performance.now() - t0) / 1000;
        rates.push(counts.reduce((a, b) => a + b, 0) / seconds);
      }
      results[`workers_${size}_tokens_per_s`] = Math.round(
        percentileSorted(sortedSample(rates), 50),
      );
    } finally {
      pool.close();
    }
  }
  console.log(JSON.stringify({
    bench: "tokenizer",
    tokenizer: "builtin:qwen3",
    texts: n,
    ...results,
    speedup: round(results.workers_2_tokens_per_s! / results.workers_1_tokens_per_s!, 2),
  }));
}

/** Peak resident memory of this process, MB (Linux; NaN elsewhere). */
function peakRssMb(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Writes a synthetic trace of `requests` requests of `input` + `output` tokens
 * (one chunk per token, TTFT ~200 ms, ITL 10 ± 2 ms, 512 in flight) into a run
 * folder that `report --reuse` reads.
 */
function writeScaleTrace(runDir: string, requests: number, input: number, output: number) {
  const dir = `${runDir}/performances/sim`;
  Deno.mkdirSync(dir, { recursive: true });
  const path = `${dir}/synthetic_details.jsonl`;
  const anchor = 1_795_000_000_000;
  const identity = {
    model: "sim-model",
    model_abbr: "sim",
    dataset: "synthetic",
    api: "openai-chat",
    stream: true,
    load: { kind: "concurrency", concurrency: 512 },
    output_name: "synthetic",
    max_concurrency: 512,
  };
  const file = Deno.openSync(path, { write: true, createNew: true });
  const enc = new TextEncoder();
  let buffer = JSON.stringify({
    servebench_trace: TRACE_VERSION,
    anchor_ms: anchor,
    created: new Date().toISOString(),
    identity,
    task: {},
  }) + "\n";
  const flush = () => {
    const bytes = enc.encode(buffer);
    let off = 0;
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    buffer = "";
  };
  const random = new Random(1);
  const lanes = new Float64Array(512); // when each lane's current request ends
  const chunkMs: number[] = new Array(output);
  for (let i = 0; i < requests; i++) {
    const lane = i % 512;
    const start = anchor + lanes[lane]! + 1;
    let t = start + 200 + random.int(0, 20_000) / 1000;
    for (let k = 0; k < output; k++) {
      chunkMs[k] = t;
      t += 8 + random.int(0, 4000) / 1000;
    }
    const record: RequestRecord = {
      index: i,
      scheduledMs: start,
      startMs: start,
      endMs: t,
      chunkMs,
      stream: true,
      attempts: 1,
      status: 200,
      usage: { promptTokens: input, completionTokens: output },
      finishReason: "length",
    };
    lanes[lane] = t - anchor;
    buffer += encodeRecord(record, anchor) + "\n";
    if (buffer.length > 1 << 22) flush();
  }
  flush();
  file.close();
  return Deno.statSync(path).size;
}

/**
 * Metrics at scale: synthetic traces at AISBench's published points, each
 * recomputed by `report --reuse` in a child process; time, peak RSS and the
 * trace's size. A point the child cannot finish reports its exit status.
 */
async function scale(quick: boolean) {
  const points = quick ? [[1000, 1024, 1024], [1000, 1024, 4096]] : [
    [10_000, 1024, 1024],
    [10_000, 1024, 4096],
    [10_000, 4096, 4096],
    [50_000, 4096, 4096],
    [250_000, 4096, 4096],
    // Many short requests: what memory grows with instead of tokens (a long pressure run).
    [1_000_000, 64, 64],
  ];
  for (const [requests, input, output] of points) {
    const dir = Deno.makeTempDirSync({ prefix: "servebench-scale-" });
    try {
      const runDir = `${dir}/run`;
      const g0 = performance.now();
      const bytes = writeScaleTrace(runDir, requests!, input!, output!);
      const generateS = (performance.now() - g0) / 1000;
      const r0 = performance.now();
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL(import.meta.url).pathname, "recompute-probe", runDir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const wallS = (performance.now() - r0) / 1000;
      const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
      let probe: Record<string, unknown> = {};
      try {
        probe = JSON.parse(text);
      } catch {
        // The child's own words: V8's fatal line when it ran out of heap, else its last line.
        const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
        probe = { error: lines.find((l) => /fatal|heap|memory/i.test(l)) ?? lines.pop() ?? "" };
      }
      console.log(JSON.stringify({
        bench: "metrics_at_scale",
        requests,
        input_tokens: input,
        output_tokens: output,
        trace_mb: Math.round(bytes / 2 ** 20),
        generate_s: round(generateS, 1),
        exit_code: out.code,
        process_s: round(wallS, 1),
        ...probe,
      }));
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }
}

/** The child side of the scale benchmark: recompute a run folder, print time and peak RSS. */
async function recomputeProbe(runDir: string) {
  const t0 = performance.now();
  await recomputeRun(runDir);
  console.log(JSON.stringify({
    recompute_s: round((performance.now() - t0) / 1000, 2),
    peak_rss_mb: peakRssMb(),
  }));
}

/**
 * Memory of a run whose specs are each sent once: `--num-prompts` equal to a
 * dataset of distinct long prompts (8 KB each), in a child process per
 * transport; its peak RSS. A body kept after its send would show here.
 */
async function onceSent(quick: boolean) {
  const prompts = quick ? 2000 : 20_000;
  const dir = Deno.makeTempDirSync({ prefix: "servebench-once-" });
  const sim = await spawnSim(["--ttft-ms", "0", "--itl-ms", "0", "--output-tokens", "2"]);
  try {
    const random = new Random(1);
    const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa"];
    const lines: string[] = [];
    for (let i = 0; i < prompts; i++) {
      const text = Array.from({ length: 1300 }, () => words[random.int(0, words.length - 1)]);
      lines.push(JSON.stringify({ prompt: `request ${i}: ${text.join(" ")}` }));
    }
    Deno.writeTextFileSync(`${dir}/long.jsonl`, lines.join("\n") + "\n");
    for (const kind of TRANSPORTS) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL(import.meta.url).pathname, "once-sent-probe"]
          .concat([sim.url, `${dir}/long.jsonl`, String(prompts), kind, `${dir}/out-${kind}`]),
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const probe = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
      console.log(JSON.stringify({
        bench: "once_sent",
        transport: kind,
        prompts,
        prompt_kb: 8,
        exit_code: out.code,
        ...probe,
      }));
    }
  } finally {
    await sim.stop();
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The child side of `once-sent`: one run, then its peak RSS. */
async function onceSentProbe(
  url: string,
  dataset: string,
  prompts: string,
  kind: string,
  out: string,
) {
  const t0 = performance.now();
  const r = await runCommand([
    ...["--url", url, "--model", "sim-model", "--dataset-path", dataset, "--num-prompts", prompts],
    ...["--max-tokens", "2", "--concurrency", "32", "--workers", "0", "--transport", kind],
    ...["--quiet", "--work-dir", out],
  ], { print: () => {}, env: () => undefined });
  console.log(JSON.stringify({
    requests: r?.tasks[0]?.report.json?.common.total_requests,
    run_s: round((performance.now() - t0) / 1000, 1),
    peak_rss_mb: peakRssMb(),
  }));
}

if (Deno.args[0] === "once-sent-probe") {
  const [, url, dataset, prompts, kind, out] = Deno.args as string[];
  await onceSentProbe(url!, dataset!, prompts!, kind!, out!);
  Deno.exit(0);
}

if (Deno.args[0] === "soak-probe") {
  await soakProbe(Deno.args[1]!, JSON.parse(Deno.args[2]!), Number(Deno.args[3]));
  Deno.exit(0);
}

if (Deno.args[0] === "recompute-probe") {
  await recomputeProbe(Deno.args[1]!);
  Deno.exit(0);
}

const args = new Set(Deno.args);
const quick = args.delete("--quick");
const all = args.size === 0;
console.log(JSON.stringify({
  bench: "machine",
  deno: Deno.version.deno,
  os: Deno.build.os,
  arch: Deno.build.arch,
  cpus: navigator.hardwareConcurrency,
  date: new Date().toISOString(),
}));
if (all || args.has("fidelity")) await benchFidelity(quick);
if (all || args.has("workers")) await benchWorkers(quick);
if (all || args.has("stamping")) await benchStamping(quick);
for (const kind of TRANSPORTS) {
  if (all || args.has("fidelity-sim")) await fidelity(quick, kind);
}
if (all || args.has("fidelity-sim")) await fidelityWorkers(quick);
for (const kind of TRANSPORTS) {
  if (all || args.has("ingest")) await ingest(quick, kind);
}
if (all || args.has("tokenizer")) await tokenizer(quick);
if (all || args.has("scale")) await scale(quick);
if (all || args.has("soak")) await soak(quick);
if (all || args.has("once-sent")) await onceSent(quick);
