/**
 * Test helpers: temporary folders, plans against a simulator, silent output.
 *
 * @module
 */

import type { ModelTask, Plan, Task } from "../src/config/plan.ts";
import { DEFAULT_STATS, parseStats } from "../src/metrics/stats.ts";
import type { RequestRecord } from "../src/record/record.ts";
import { TraceWriter } from "../src/record/trace.ts";
import type { SendTimes } from "../src/sim/server.ts";
import type { Clock } from "../src/load/clock.ts";

/** Asserts a condition with a message (keeps tests free of a JSR assert library). */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Asserts deep equality via JSON, whatever the order of object keys. */
export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) throw new Error(`${message ? message + ": " : ""}expected ${e}, got ${a}`);
}

/** JSON with every object's keys sorted: equal values give equal text, whatever the key order. */
function canonical(value: unknown): string | undefined {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
        : v,
  );
}

/** Asserts |actual − expected| <= tolerance. */
export function assertClose(
  actual: number,
  expected: number,
  tolerance: number,
  what = "value",
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

/** Asserts that `fn` throws an error whose message matches. */
export async function assertRejects(
  fn: () => unknown,
  pattern: RegExp,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!pattern.test(message)) {
      throw new Error(`expected an error matching ${pattern}, got: ${message}`);
    }
    return error as Error;
  }
  throw new Error(`expected an error matching ${pattern}, but nothing was thrown`);
}

/** A model task pointing at a base URL. */
export function modelAt(baseUrl: string, overrides: Partial<ModelTask> = {}): ModelTask {
  return {
    abbr: "m",
    source: "test",
    retry: 0,
    api: "openai-chat",
    stream: true,
    baseUrl,
    model: "",
    headers: {},
    maxOutLen: 20,
    generationKwargs: { ignore_eos: true },
    timeoutS: 60,
    ...overrides,
  };
}

/** A one-task plan: synthetic prompts, closed loop. */
export function simplePlan(
  model: ModelTask,
  options: {
    concurrency: number;
    requests: number;
    inputLen?: number;
    outputLen?: number;
    workDir: string;
  },
): Plan {
  const task: Task = {
    model,
    dataset: {
      abbr: "synthetic",
      source: "test",
      type: "synthetic",
      synthetic: {
        input: { kind: "fixed", value: options.inputLen ?? 16 },
        output: { kind: "fixed", value: options.outputLen ?? model.maxOutLen },
        dataType: "string",
      },
      requestCount: options.requests,
      seed: 1,
      shuffle: false,
    },
    load: { kind: "concurrency", concurrency: options.concurrency, numRequests: options.requests },
    outputName: "synthetic",
  };
  return {
    tasks: [task],
    workDir: options.workDir,
    stats: parseStats(DEFAULT_STATS),
    summarizer: "default_perf",
    warmup: 0,
    transport: "fetch",
  };
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "servebench-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Discards console output. */
export const quiet = (_: string) => {};

/** The CLI's entry, for tests that spawn it. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The permissions a spawned CLI runs with (those of `deno task perf`, writes anywhere). */
export const CLI_PERMS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env"];

/**
 * `deno run main.ts …args` with output piped, colours off and no API key
 * inherited from the environment.
 */
export function cliCommand(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMS, MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", OPENAI_API_KEY: "", ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}

/** Runs the CLI to its end: exit code and decoded output. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await cliCommand(args, options).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The flags of a small run against `url`: its load, output length and work folder. */
export function runFlags(
  url: string,
  o: { concurrency: number; prompts: number; maxTokens: number; workDir?: string },
): string[] {
  const flags = ["--url", url, "--concurrency", String(o.concurrency), "--num-prompts"];
  flags.push(String(o.prompts), "--max-tokens", String(o.maxTokens));
  return o.workDir !== undefined ? [...flags, "--work-dir", o.workDir] : flags;
}

/**
 * Starts a long CLI run (concurrency 4, 400 prompts of 20 tokens) against `url`
 * and waits until more than 12 requests completed, for a test to interrupt.
 */
export async function startLongRun(url: string, workDir: string, extra: string[] = []) {
  const flags = runFlags(url, { concurrency: 4, prompts: 400, maxTokens: 20, workDir });
  const child = cliCommand(["run", ...flags, ...extra]).spawn();
  return { child, trace: await waitForTrace(workDir, 12) };
}

/**
 * Waits (up to 20 s) until the first run folder under `workDir` has a trace
 * for model `model` with more than `lines` lines; returns the trace's path.
 */
export async function waitForTrace(workDir: string, lines: number, model = "model") {
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const run = [...Deno.readDirSync(workDir)][0];
      if (!run) continue;
      const trace = `${workDir}/${run.name}/performances/${model}/synthetic_details.jsonl`;
      if (Deno.readTextFileSync(trace).split("\n").length > lines) return trace;
    } catch {
      // not there yet
    }
  }
  throw new Error(`no trace with more than ${lines} lines under ${workDir} after 20 s`);
}

/** The identity of a test trace's task. */
export const TEST_IDENTITY = {
  model: "m",
  model_abbr: "m",
  dataset: "d",
  api: "openai-chat",
  stream: true,
  load: {},
  output_name: "d",
  max_concurrency: 1,
};

/** Creates a trace for a test task (`task` recorded as given). */
export function createTestTrace(
  path: string,
  anchorMs: number,
  options: { maxConcurrency?: number; task?: Record<string, unknown> } = {},
): TraceWriter {
  return TraceWriter.create(path, {
    anchor_ms: anchorMs,
    created: "",
    identity: { ...TEST_IDENTITY, max_concurrency: options.maxConcurrency ?? 1 },
    task: options.task ?? {},
  });
}

/**
 * What a simulator with `keepSendTimes` really did for `times`: mean TTFT
 * (arrival to first token event) and the pooled mean gap between token events
 * (ms). The truth a timing assertion bounds the client against: on a loaded
 * machine the simulator's timers run late, and the settings are no truth.
 */
export function sendTruth(times: readonly SendTimes[]): { ttftMs: number; itlMs: number } {
  let ttft = 0;
  let n = 0;
  let span = 0;
  let gaps = 0;
  for (const t of times) {
    if (t.firstMs === undefined || t.lastMs === undefined) continue;
    ttft += t.firstMs - t.arrivedMs;
    n++;
    span += t.lastMs - t.firstMs;
    gaps += t.events - 1;
  }
  return { ttftMs: ttft / n, itlMs: span / gaps };
}

/** A clock that jumps to each deadline at once (schedules run without waiting), from `t` ms. */
export class FakeClock implements Clock {
  t: number;
  constructor(t = 0) {
    this.t = t;
  }
  now = () => this.t;
  sleepUntil(at: number): Promise<void> {
    if (at > this.t) this.t = at;
    return Promise.resolve();
  }
}

/**
 * `n` streamed requests from `startMs`, 4 ms apart, 400 ms each, three chunks
 * (at 50, 200 and 390 ms), `tokens` in and out; every 1000th (index 7, 1007,
 * …) failed with an HTTP 500.
 */
export function syntheticRecords(
  n: number,
  o: { startMs: number; tokens: number },
): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const start = o.startMs + i * 4;
    const record: RequestRecord = {
      index: i,
      scheduledMs: start,
      startMs: start,
      endMs: start + 400,
      chunkMs: [start + 50, start + 200, start + 390],
      stream: true,
      attempts: 1,
      usage: { promptTokens: o.tokens, completionTokens: o.tokens },
    };
    if (i % 1000 === 7) record.error = { category: "http_5xx", status: 500, message: "boom" };
    out.push(record);
  }
  return out;
}
