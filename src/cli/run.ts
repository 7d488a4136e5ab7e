/**
 * `servebench run`: flags → Plan → runBenchmark. With no `--url` it starts
 * the built-in simulator and runs a small synthetic benchmark at a few
 * concurrencies.
 *
 * @module
 */

import { runBenchmark, type RunResult } from "../bench/run_benchmark.ts";
import type { Plan, Task } from "../config/plan.ts";
import { UsageError } from "../errors.ts";
import { API_KINDS, type ApiKind } from "../protocol/openai.ts";
import { type FlagSpec, type FlagValues, integerList, parseFlags, renderFlagHelp } from "./args.ts";
import { REPORT_FLAGS, reportFlagValues } from "./_report_flags.ts";

/** Concurrency points of the default benchmark. */
export const DEFAULT_CONCURRENCY = [1, 4, 16];

/** Every flag of `servebench run`. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  ...REPORT_FLAGS,
  {
    name: "url",
    type: "string",
    value: "URL",
    help:
      "Base URL of an OpenAI-compatible server (http://host:port, …/v1, or the full endpoint). Without it, the built-in simulator is started on 127.0.0.1.",
  },
  {
    name: "model",
    type: "string",
    value: "NAME",
    help: "Model id sent in each request; empty asks GET /v1/models and takes the first id.",
  },
  {
    name: "api",
    type: "string",
    choices: API_KINDS,
    help: "Which API to call.",
    defaultText: "openai-chat",
  },
  {
    name: "api-key",
    type: "string",
    value: "KEY",
    help: "API key sent as 'Authorization: Bearer KEY'; never written to any file or log.",
    defaultText: "env OPENAI_API_KEY",
  },
  {
    name: "header",
    type: "string",
    value: "K:V",
    repeatable: true,
    help: "Extra request header; secret-looking ones are redacted in every output.",
  },
  {
    name: "stream",
    type: "boolean",
    help:
      "Stream responses (SSE). --no-stream sends non-streaming requests: TTFT, ITL and TPOT are then absent.",
    defaultText: "true",
  },
  {
    name: "concurrency",
    type: "list",
    value: "C [C …]",
    help: "Requests in flight at most; several values run one task each.",
    defaultText: DEFAULT_CONCURRENCY.join(" "),
  },
  {
    name: "num-prompts",
    type: "list",
    value: "N [N …]",
    help: "Requests per task (one value for all, or one per --concurrency value).",
    defaultText: "4 × concurrency, at least 8",
  },
  {
    name: "input-len",
    type: "integer",
    min: 1,
    help: "Input length of the synthetic prompts, in tokens.",
    defaultText: "128",
  },
  {
    name: "max-tokens",
    type: "integer",
    min: 1,
    help: "max_tokens of every request (the synthetic output length).",
    defaultText: "32",
  },
  {
    name: "extra-args",
    type: "string",
    value: "JSON",
    help:
      'JSON object merged into every request body, e.g. \'{"ignore_eos": true, "temperature": 0}\'.',
  },
  {
    name: "timeout",
    type: "number",
    min: 0.001,
    value: "SECONDS",
    help: "Per-request timeout; a request past it fails with category 'timeout'.",
    defaultText: "600",
  },
  {
    name: "warmup",
    type: "integer",
    min: 0,
    help: "Requests sent first in each task and kept out of its metrics (marked in the trace).",
    defaultText: "0",
  },
  {
    name: "seed",
    type: "integer",
    help: "Seed of the synthetic dataset.",
    defaultText: "0",
  },
  {
    name: "work-dir",
    type: "string",
    value: "DIR",
    help: "Root of the run folders.",
    defaultText: "outputs/default",
  },
  {
    name: "debug",
    type: "boolean",
    help: "Print task logs to the screen instead of logs/, and error causes.",
  },
];

/** `servebench run --help`. */
export const RUN_HELP = `Usage: servebench run [flags]

Benchmarks an OpenAI-compatible service with streaming requests and writes
tables, CSV, JSON and the raw trace under <work-dir>/<YYYYMMDD_HHMMSS>/.
With no --url it benchmarks the built-in simulator (a self-contained demo).

Flags:
${renderFlagHelp(RUN_FLAGS)}

Examples:
  servebench run
  servebench run --url http://127.0.0.1:8000 --concurrency 1 8 32 --num-prompts 64
  servebench run --url http://127.0.0.1:8000/v1 --model my-model --extra-args '{"ignore_eos":true}'
`;

function validUrl(raw: string): string | undefined {
  try {
    const u = new URL(raw);
    if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname) return undefined;
  } catch {
    // reported below
  }
  return `--url: expected an http:// or https:// URL with a host, got "${raw}"`;
}

/** Builds a validated Plan from `run` flags; every problem is reported at once. */
export function planFromFlags(values: FlagValues, env: { apiKey?: string } = {}): Plan {
  const problems: string[] = [];
  const url = values.url as string | undefined;
  if (url !== undefined) {
    const p = validUrl(url);
    if (p) problems.push(p);
  }
  const headers: Record<string, string> = {};
  for (const h of (values.header as string[] | undefined) ?? []) {
    const colon = h.indexOf(":");
    const k = colon > 0 ? h.slice(0, colon).trim() : "";
    if (!k || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) {
      problems.push(`--header: expected "Name: value", got "${h.slice(0, 40)}"`);
    } else headers[k] = h.slice(colon + 1).trim();
  }
  let extra: Record<string, unknown> = {};
  if (values["extra-args"] !== undefined) {
    try {
      const parsed = JSON.parse(values["extra-args"] as string);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("not an object");
      }
      extra = parsed;
    } catch (error) {
      problems.push(
        `--extra-args: expected a JSON object, got an invalid value (${(error as Error).message})`,
      );
    }
  }
  let concurrency = DEFAULT_CONCURRENCY;
  let numPrompts: number[] | undefined;
  try {
    if (values.concurrency) {
      concurrency = integerList("concurrency", values.concurrency as string[]);
    }
  } catch (error) {
    problems.push((error as UsageError).message);
  }
  try {
    if (values["num-prompts"]) {
      numPrompts = integerList("num-prompts", values["num-prompts"] as string[]);
      if (numPrompts.length > 1 && numPrompts.length !== concurrency.length) {
        problems.push(
          `--num-prompts: got ${numPrompts.length} values for ${concurrency.length} --concurrency values; give one, or one per concurrency`,
        );
      }
    }
  } catch (error) {
    problems.push((error as UsageError).message);
  }
  const report = reportFlagValues(values, problems);
  if (problems.length) throw new UsageError(problems);

  const api = (values.api as ApiKind | undefined) ?? "openai-chat";
  const maxTokens = (values["max-tokens"] as number | undefined) ?? 32;
  const inputLen = (values["input-len"] as number | undefined) ?? 128;
  const seed = (values.seed as number | undefined) ?? 0;
  const apiKey = (values["api-key"] as string | undefined) ?? env.apiKey;
  const model = {
    abbr: url ? "model" : "sim",
    api,
    stream: (values.stream as boolean | undefined) ?? true,
    ...(url ? { baseUrl: url } : {}),
    model: (values.model as string | undefined) ?? "",
    headers,
    ...(apiKey ? { apiKey } : {}),
    maxOutLen: maxTokens,
    generationKwargs: extra,
    timeoutS: (values.timeout as number | undefined) ?? 600,
  };
  const tasks: Task[] = concurrency.map((c, i) => {
    const n = numPrompts ? (numPrompts[i] ?? numPrompts[0]!) : Math.max(8, 4 * c);
    return {
      model,
      dataset: {
        abbr: "synthetic",
        type: "synthetic",
        synthetic: {
          requestCount: n,
          input: { kind: "fixed", value: inputLen },
          output: { kind: "fixed", value: maxTokens },
          seed,
        },
      },
      load: { kind: "concurrency", concurrency: c, numRequests: n },
      outputName: concurrency.length > 1 ? `synthetic_c${c}` : "synthetic",
    };
  });
  const names = new Set<string>();
  for (const t of tasks) {
    if (names.has(t.outputName)) {
      throw new UsageError(
        `--concurrency: the value ${t.load.concurrency} is given twice; each task needs its own output files`,
      );
    }
    names.add(t.outputName);
  }
  return {
    tasks,
    workDir: (values["work-dir"] as string | undefined) ?? "outputs/default",
    ...report,
    warmup: (values.warmup as number | undefined) ?? 0,
    // The demo simulator is quick so the default run takes seconds.
    sim: { ttftMs: 20, itlMs: 5, maxBatch: 64, outputTokens: 256 },
  };
}

/** What `run` needs from its caller. */
export interface RunIo {
  print: (text: string) => void;
  env: (name: string) => string | undefined;
  signal?: AbortSignal;
}

/** Runs `servebench run` with the given arguments. Returns undefined when only help was shown. */
export async function runCommand(
  argv: readonly string[],
  io: RunIo,
): Promise<RunResult | undefined> {
  const { values, positionals, help } = parseFlags(argv, RUN_FLAGS, "servebench run");
  if (help) {
    io.print(RUN_HELP);
    return undefined;
  }
  if (positionals.length) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}" for "servebench run" (see servebench run --help)`,
    );
  }
  const key = io.env("OPENAI_API_KEY");
  const plan = planFromFlags(values, key ? { apiKey: key } : {});
  return await runBenchmark(plan, {
    print: io.print,
    debug: values.debug === true,
    ...(io.signal ? { signal: io.signal } : {}),
  });
}
