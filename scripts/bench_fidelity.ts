/**
 * `deno task bench fidelity`: servebench's client against the cheapest client
 * this machine allows, both driving the same native emitter
 * (`/work/shared/bench/`, see its README): `fastsse.c` streams 100 tokens per
 * request (TTFT 50 ms, ITL 10 ms), `floor_client.c` (C, epoll, no parsing) is
 * the floor. Both are built with `cc -O2` into a temp folder; without a C
 * compiler the benchmark prints one line and skips.
 *
 * Per point (closed loop; c=64 × 192 requests, 256 × 768, 1000 × 1000) a fresh
 * emitter serves each client in turn: the floor, then servebench over each
 * transport in the main thread (`raw-inline`: the raw transport parsing each
 * read as soon as it is stamped, to measure what stamping first gains), then
 * the run's own path (`drive()`, raw) on 0, 1 and 2 load workers. Each prints
 * one JSON line: TTFT error (mean − 50 ms), ITL mean/p99/max/σ, client CPU µs
 * per content event (the process's CPU while streams run), the emitter's own
 * lateness, and the differences and ratios to the floor of the same point. A
 * Markdown table of all rows follows. Asserts nothing.
 *
 * @module
 */

import process from "node:process";
import { sendRequest } from "../src/protocol/client.ts";
import { drive, type DriveSpec } from "../src/bench/drive.ts";
import { createTransport, type Transport, TRANSPORTS } from "../src/protocol/transport.ts";
import { RawTransport } from "../src/protocol/transport_raw.ts";
import { openaiChat } from "../src/protocol/openai_chat.ts";
import { realClock, runShape, wholeLoad } from "../src/load/mod.ts";
import { mean, percentileSorted, sortedSample, stddev } from "../src/metrics/stats.ts";
import type { RequestRecord } from "../src/record/record.ts";
import { spawnEmitter } from "./_child.ts";

/** Where the reference programs live (read-only, shared by the team). */
const BENCH_DIR = "/work/shared/bench";
const TTFT_MS = 50;
const ITL_MS = 10;
const TOKENS = 100;

interface Row {
  client: string;
  concurrency: number;
  requests: number;
  failed: number;
  events: number;
  ttft_error_ms: number;
  itl_mean_ms: number;
  itl_p99_ms: number;
  itl_max_ms: number;
  itl_sd_ms?: number;
  cpu_us_per_event: number;
  emitter_lag_p99_ms?: number;
  ttft_vs_floor_ms?: number;
  ttft_x_floor?: number;
  itl_p99_vs_floor_ms?: number;
  itl_p99_x_floor?: number;
  cpu_x_floor?: number;
  /** Arrival stamp − the emitter's `sent_ms` (main-thread runs only). */
  client_delay_ms?: { mean: number; p99: number };
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Builds the emitter and the floor client; undefined (after one line) without a C compiler. */
async function build(dir: string): Promise<{ emitter: string; floor: string } | undefined> {
  const out = { emitter: `${dir}/fastsse`, floor: `${dir}/floor_client` };
  for (const [name, bin] of [["fastsse", out.emitter], ["floor_client", out.floor]] as const) {
    let result: Deno.CommandOutput;
    try {
      result = await new Deno.Command("cc", {
        args: ["-O2", "-o", bin, `${BENCH_DIR}/${name}.c`],
        stdout: "null",
        stderr: "piped",
      }).output();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        console.log(JSON.stringify({ bench: "fidelity", skipped: "no C compiler (cc) found" }));
        return undefined;
      }
      throw error;
    }
    if (!result.success) {
      throw new Error(`cc ${name}.c failed: ${new TextDecoder().decode(result.stderr)}`);
    }
  }
  return out;
}

/** What one client's run gives back. */
interface Run {
  records: RequestRecord[];
  /** Process CPU (µs) while the measured streams ran. */
  cpuUs: number;
  /** Arrival stamp − the emitter's `sent_ms`, where the run can see events. */
  clientDelayMs?: { mean: number; p99: number };
}

/** A client under test: its name and how it runs a point against an emitter's URL. */
type Client = [string, (url: string, c: number, n: number) => Promise<Run>];

interface Emitter {
  port: number;
  /** Stops it and returns its `LAG` line's fields. */
  stop(): Promise<Record<string, number>>;
}

async function startEmitter(bin: string): Promise<Emitter> {
  const child = await spawnEmitter(bin, [
    "--port",
    "0",
    "--ttft-ms",
    String(TTFT_MS),
    "--itl-ms",
    String(ITL_MS),
    "--tokens",
    String(TOKENS),
  ]);
  return {
    port: Number(new URL(child.url).port),
    async stop() {
      const text = await child.stop();
      const lag: Record<string, number> = {};
      for (const m of text.matchAll(/(\w+)=([\d.]+)/g)) lag[m[1]!] = Number(m[2]);
      return lag;
    },
  };
}

async function runFloor(bin: string, port: number, c: number, n: number) {
  const out = await new Deno.Command(bin, {
    args: [String(port), String(c), String(n), String(TOKENS)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    events: number;
    cpu_us_per_event: number;
    ttft_mean_ms: number;
    itl_mean_ms: number;
    itl_p99_ms: number;
    itl_max_ms: number;
  };
}

/** TTFT and pooled ITL of servebench's records, the floor's way (content events only). */
function measure(records: RequestRecord[]) {
  const ttft: number[] = [];
  const itl: number[] = [];
  let events = 0;
  for (const r of records) {
    events += r.chunkMs.length;
    if (r.chunkMs[0] !== undefined) ttft.push(r.chunkMs[0] - r.startMs);
    for (let k = 1; k < r.chunkMs.length; k++) itl.push(r.chunkMs[k]! - r.chunkMs[k - 1]!);
  }
  const s = sortedSample(itl);
  return {
    failed: records.filter((r) => r.error).length,
    events,
    ttft_error_ms: round(mean(ttft) - TTFT_MS),
    itl_mean_ms: round(mean(s), 3),
    itl_p99_ms: round(percentileSorted(s, 99)),
    itl_max_ms: round(s[s.length - 1] ?? NaN),
    itl_sd_ms: round(stddev(s), 3),
  };
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Opens `count` kept-alive connections (GET /v1/models), as a run does before its load. */
async function warm(transport: Transport, url: string, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, async () => {
    const r = await transport.request(`${url}/v1/models`, {
      method: "GET",
      headers: {},
      signal: AbortSignal.timeout(10_000),
    });
    await r.text();
  }));
}

const BODY = new TextEncoder().encode(JSON.stringify(openaiChat.buildBody({ prompt: "hi" }, {
  model: "mock-model",
  stream: true,
  maxTokens: TOKENS,
  extraBody: {},
})));

/** `n` sends, `c` at a time, in this thread. */
function closedLoop(
  c: number,
  n: number,
  send: (index: number, scheduledMs: number) => Promise<void>,
): Promise<void> {
  return runShape({ kind: "concurrency", concurrency: c }, { total: n }, {
    send,
    clock: realClock,
    shard: wholeLoad(realClock),
  });
}

/** servebench's client in this thread: sendRequest over one transport, closed loop. */
async function runDirect(
  transport: Transport,
  url: string,
  c: number,
  n: number,
): Promise<Run> {
  const delays: number[] = [];
  const origin = performance.timeOrigin;
  const target = {
    url: `${url}/v1/chat/completions`,
    headers: { "content-type": "application/json" },
    adapter: openaiChat,
    stream: true,
    transport,
    // The client's own delay: its arrival stamp minus the emitter's send time in the event.
    probe: (event: unknown, stamp: number) => {
      const sent = (event as { sent_ms?: number }).sent_ms;
      if (sent !== undefined) delays.push(origin + stamp - sent);
    },
  };
  // A warm-up round (JIT, connections), then the measured load.
  await warm(transport, url, c);
  await closedLoop(16, 32, async (i, s) => {
    await sendRequest(target, BODY, { index: i, scheduledMs: s });
  });
  const records: RequestRecord[] = [];
  delays.length = 0;
  const cpu0 = cpuUs();
  await closedLoop(c, n, async (i, s) => {
    records.push(await sendRequest(target, BODY, { index: i, scheduledMs: s }));
  });
  const cpu = cpuUs() - cpu0;
  const d = sortedSample(delays);
  return {
    records,
    cpuUs: cpu,
    clientDelayMs: { mean: round(mean(d), 3), p99: round(percentileSorted(d, 99), 3) },
  };
}

/** The run's own path: drive() on `workers` load workers (0: this thread), raw transport. */
async function runDrive(url: string, c: number, n: number, workers: number): Promise<Run> {
  const spec: DriveSpec = {
    url: `${url}/v1/chat/completions`,
    modelsUrl: `${url}/v1/models`,
    warmConnections: c,
    headers: { "content-type": "application/json" },
    api: "openai-chat",
    stream: true,
    keepText: false,
    transport: { kind: "raw" },
    retry: 0,
    warmup: 0,
    servedModel: "mock-model",
    maxTokens: TOKENS,
    generationKwargs: {},
    specs: [{ prompt: "hi" }],
    load: { kind: "concurrency", concurrency: c },
    total: n,
  };
  const records: RequestRecord[] = [];
  let cpu0 = NaN;
  let cpu1 = NaN;
  const never = new AbortController().signal;
  // CPU from the first send to the last record: worker start-up and warm-up stay out.
  await drive(spec, {
    sent: () => {
      if (Number.isNaN(cpu0)) cpu0 = cpuUs();
    },
    record: (r: RequestRecord) => {
      records.push(r);
      if (records.length === n) cpu1 = cpuUs();
    },
  }, { workers, stop: never, cancel: never });
  return { records, cpuUs: cpu1 - cpu0 };
}

function table(rows: Array<Row>): string {
  const cols: Array<[string, (r: Row) => string]> = [
    ["c (requests)", (r) => `${r.concurrency} (${r.requests})`],
    ["client", (r) => r.client],
    ["TTFT error ms", (r) => String(r.ttft_error_ms)],
    ["ITL mean", (r) => String(r.itl_mean_ms)],
    ["ITL p99", (r) => String(r.itl_p99_ms)],
    ["ITL max", (r) => String(r.itl_max_ms)],
    ["ITL σ", (r) => r.itl_sd_ms === undefined ? "–" : String(r.itl_sd_ms)],
    ["µs/event", (r) => String(r.cpu_us_per_event)],
    ["TTFT − floor", (r) => r.ttft_vs_floor_ms === undefined ? "–" : `${r.ttft_vs_floor_ms}`],
    ["p99 − floor", (r) => r.itl_p99_vs_floor_ms === undefined ? "–" : `${r.itl_p99_vs_floor_ms}`],
    ["CPU × floor", (r) => r.cpu_x_floor === undefined ? "–" : `${r.cpu_x_floor}`],
    ["emitter lag p99", (r) => String(r.emitter_lag_p99_ms ?? "–")],
    [
      "client delay mean / p99",
      (r) => r.client_delay_ms ? `${r.client_delay_ms.mean} / ${r.client_delay_ms.p99}` : "–",
    ],
    ["failed", (r) => String(r.failed)],
  ];
  const lines = [
    `| ${cols.map((c) => c[0]).join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
  ];
  for (const r of rows) lines.push(`| ${cols.map((c) => c[1](r)).join(" | ")} |`);
  return lines.join("\n");
}

/** Every client of the fidelity table. */
function fidelityClients(): Client[] {
  return [
    ...TRANSPORTS.map((kind): Client => [
      kind,
      (url, c, n) => withTransport(createTransport(kind), url, c, n),
    ]),
    [
      "raw-inline",
      (url, c, n) => withTransport(new RawTransport({ parsing: "inline" }), url, c, n),
    ],
    ...[0, 1, 2].map(driveClient),
  ];
}

function driveClient(workers: number): Client {
  return [`raw, drive() on ${workers} workers`, (url, c, n) => runDrive(url, c, n, workers)];
}

/** Runs the fidelity benchmark; `quick` runs c=64 and 256 only. */
export function benchFidelity(quick: boolean): Promise<void> {
  const points = quick ? [[64, 192], [256, 768]] : [[64, 192], [256, 768], [1000, 1000]];
  return runPoints(points as Array<[number, number]>, fidelityClients(), 1);
}

/**
 * `deno task bench workers`: where load workers start to pay — the run's own
 * path (raw) on 0, 1 and 2 workers at c = 16 … 512 (3 requests per lane),
 * each twice (`quick`: once), beside the floor.
 */
export function benchWorkers(quick: boolean): Promise<void> {
  const points = [16, 32, 64, 128, 256, 512].map((c) => [c, 3 * c] as [number, number]);
  return runPoints(points, [0, 1, 2].map(driveClient), quick ? 1 : 2);
}

/**
 * `deno task bench stamping`: what stamping every ready read before parsing
 * any gains — the raw transport deferring its parsing against parsing each
 * read at once, alternated over rounds (3; `quick`: 1) at c=64 and c=256.
 */
export function benchStamping(quick: boolean): Promise<void> {
  const clients: Client[] = (["deferred", "inline"] as const).map((parsing) => [
    `raw (${parsing} parsing)`,
    (url, c, n) => withTransport(new RawTransport({ parsing }), url, c, n),
  ]);
  return runPoints([[64, 192], [256, 768]], clients, quick ? 1 : 3);
}

async function runPoints(
  points: Array<[number, number]>,
  clients: Client[],
  rounds: number,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "servebench-fidelity-" });
  try {
    const bins = await build(dir);
    if (!bins) return;
    const rows: Row[] = [];
    for (const [c, n] of points) {
      let emitter = await startEmitter(bins.emitter);
      const f = await runFloor(bins.floor, emitter.port, c, n);
      let lag = await emitter.stop();
      const floor: Row = {
        client: "floor (C, epoll)",
        concurrency: c,
        requests: n,
        failed: 0,
        events: f.events,
        ttft_error_ms: round(f.ttft_mean_ms - TTFT_MS),
        itl_mean_ms: round(f.itl_mean_ms, 3),
        itl_p99_ms: f.itl_p99_ms,
        itl_max_ms: f.itl_max_ms,
        cpu_us_per_event: f.cpu_us_per_event,
        emitter_lag_p99_ms: lag.p99!,
      };
      rows.push(floor);
      console.log(JSON.stringify({ bench: "fidelity", ...floor }));
      for (let round_ = 0; round_ < rounds; round_++) {
        for (const [client, run] of clients) {
          emitter = await startEmitter(bins.emitter);
          const url = `http://127.0.0.1:${emitter.port}`;
          let r: Run;
          try {
            r = await run(url, c, n);
          } finally {
            lag = await emitter.stop();
          }
          const m = measure(r.records);
          const row: Row = {
            client,
            concurrency: c,
            requests: n,
            ...m,
            cpu_us_per_event: round(r.cpuUs / m.events),
            emitter_lag_p99_ms: lag.p99!,
            ...(r.clientDelayMs ? { client_delay_ms: r.clientDelayMs } : {}),
            ttft_vs_floor_ms: round(m.ttft_error_ms - floor.ttft_error_ms),
            ttft_x_floor: round((m.ttft_error_ms + TTFT_MS) / (floor.ttft_error_ms + TTFT_MS), 3),
            itl_p99_vs_floor_ms: round(m.itl_p99_ms - floor.itl_p99_ms),
            itl_p99_x_floor: round(m.itl_p99_ms / floor.itl_p99_ms, 3),
            cpu_x_floor: round(r.cpuUs / m.events / floor.cpu_us_per_event),
          };
          rows.push(row);
          console.log(JSON.stringify({ bench: "fidelity", ...row }));
        }
      }
    }
    console.log(table(rows));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function withTransport(
  transport: Transport,
  url: string,
  c: number,
  n: number,
): Promise<Run> {
  try {
    return await runDirect(transport, url, c, n);
  } finally {
    transport.close();
  }
}
