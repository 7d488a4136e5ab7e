/**
 * Test helpers: temporary folders, plans against a simulator, silent output.
 *
 * @module
 */

import type { ModelTask, Plan, Task } from "../src/config/plan.ts";
import { DEFAULT_STATS, parseStats } from "../src/metrics/stats.ts";

/** Asserts a condition with a message (keeps tests free of a JSR assert library). */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Asserts deep equality via JSON. */
export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message ? message + ": " : ""}expected ${e}, got ${a}`);
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
