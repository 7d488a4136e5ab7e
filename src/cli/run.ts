/**
 * `servebench run`: flags (and selected configs) → Plan → runBenchmark.
 * With nothing selected it starts the built-in simulator and runs a small
 * synthetic benchmark at a few concurrencies.
 *
 * @module
 */

import { runBenchmark, type RunResult } from "../bench/run_benchmark.ts";
import type { Plan } from "../config/plan.ts";
import { DEFAULT_CONCURRENCY, type PlanInputs, resolvePlan, select } from "../config/resolve.ts";
import { UsageError } from "../errors.ts";
import { EXIT_CODES_HELP } from "./help.ts";
import { redactUrl } from "../redact.ts";
import { ARRIVALS, RAMP_CHOICES, shapeFlags } from "../load/mod.ts";
import { LOAD_FLAG_NAMES, type LoadFlags, type LoadFlagValue } from "../config/load_block.ts";
import { API_KINDS } from "../protocol/mod.ts";
import { DEFAULT_TRANSPORT, TRANSPORTS } from "../protocol/transport.ts";
import { STREAMS_PER_WORKER } from "../bench/drive.ts";
import { renderTable } from "../report/table.ts";
import type { ProgressSink } from "../report/progress.ts";
import {
  type FlagSpec,
  type FlagValues,
  type ParsedFlags,
  parseFlags,
  renderFlagHelp,
} from "./args.ts";
import { gateFlagValues, outputFlagValues, REPORT_FLAGS } from "./_report_flags.ts";

/** Flags that select configs. */
const SELECT_FLAGS = [
  {
    name: "models",
    type: "list",
    value: "M [M …]",
    help:
      "Model configs by name or path (built-ins: openai_chat_stream, openai_chat, openai_completions_stream, openai_completions, sim, tgi_generate_stream, llamacpp_completion, sglang_generate; AISBench names vllm_api_stream_chat, vllm_api_general_chat, vllm_api_general_stream, vllm_api_general).",
  },
  {
    name: "datasets",
    type: "list",
    value: "D [D …]",
    help:
      "Dataset configs by name or path (built-ins: synthetic, synthetic_uniform, synthetic_gaussian, synthetic_zipf). Every model runs every dataset.",
  },
  {
    name: "dataset",
    type: "string",
    value: "D",
    help: "One dataset config (the same as --datasets D).",
  },
  {
    name: "config-dir",
    type: "string",
    value: "DIR",
    help:
      "Folder searched for configs by name before the built-ins (DIR/models/x.yaml, DIR/x.yaml, …).",
  },
  {
    name: "search",
    type: "boolean",
    help:
      "Print the selected tasks and where each config comes from, then exit without sending anything.",
  },
] as const satisfies readonly FlagSpec[];

/** Every flag of `servebench run`. */
export const RUN_FLAGS = [
  ...SELECT_FLAGS,
  {
    name: "url",
    type: "string",
    value: "URL",
    help:
      "Base URL of an OpenAI-compatible server (http://host:port, …/v1, or the full endpoint). Without it and without --models, the built-in simulator is started on 127.0.0.1. With --models it overrides each config's url.",
  },
  {
    name: "model",
    type: "string",
    value: "NAME",
    help: "Model id sent in each request; empty asks GET /v1/models and takes the first id.",
  },
  {
    name: "model-check",
    type: "boolean",
    help:
      "Before any request, check that --model is among the models the server lists (GET /v1/models or the API's own page); --no-model-check skips it, for gateways that list other names or none.",
    defaultText: "true",
  },
  {
    name: "api",
    type: "string",
    choices: [...API_KINDS, "auto"],
    help:
      "Which API to call; auto probes the server (GET /info, /props, /get_model_info, /api/version, /v1/models) and picks its richest streaming API.",
    defaultText: "the --url's route (/generate_stream, /completion, …), else the config's",
  },
  {
    name: "api-key",
    type: "string",
    value: "KEY",
    help: "API key sent as 'Authorization: Bearer KEY'; never written to any file or log.",
    defaultText: "the config's api_key_env, else env OPENAI_API_KEY",
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
    type: "integers",
    value: "C [C …]",
    help:
      "Requests in flight at most; several values run one task each (a sweep). With --request-rate: the cap.",
    defaultText: `${DEFAULT_CONCURRENCY.join(" ")}, or the model config's batch_size`,
  },
  {
    name: "request-rate",
    type: "list",
    value: "R [R …]",
    help:
      "Open-loop arrivals at R requests/s ('inf': all at once); several values run one task each.",
  },
  {
    name: "arrival",
    type: "string",
    choices: ARRIVALS,
    help: "Inter-arrival times for --request-rate (gamma uses --burstiness as its shape).",
    defaultText: "poisson",
  },
  {
    name: "burstiness",
    type: "number",
    min: 0.0001,
    help: "Gamma shape for --arrival gamma: 1 is Poisson, below 1 burstier.",
    defaultText: "1",
  },
  {
    name: "ramp",
    type: "string",
    choices: RAMP_CHOICES,
    help:
      "Ramp the arrival rate from --ramp-from to --ramp-to req/s over the run (--duration, or the request count): linear or exponential, or in steps (--ramp-step, --ramp-hold).",
  },
  { name: "ramp-from", type: "number", min: 0.001, help: "Rate at the start of a --ramp, req/s." },
  { name: "ramp-to", type: "number", min: 0.001, help: "Rate at the end of a --ramp, req/s." },
  {
    name: "pressure",
    type: "boolean",
    help:
      "AISBench stress mode: add clients at --request-rate per second up to --concurrency (or batch_size); each loops over the dataset until --pressure-time is up, then in-flight requests drain.",
  },
  {
    name: "pressure-time",
    type: "number",
    min: 1,
    value: "SECONDS",
    help: "Length of a --pressure run (1 to 86400).",
  },
  {
    name: "duration",
    type: "number",
    min: 0.001,
    value: "SECONDS",
    help: "Stop starting requests after this long (any profile); in-flight requests drain.",
  },
  {
    name: "parallel",
    type: "integers",
    aliasOf: "concurrency",
    value: "C [C …]",
    help: "EvalScope's name for --concurrency (pair it with --number).",
  },
  {
    name: "number",
    type: "integers",
    aliasOf: "num-prompts",
    value: "N [N …]",
    help: "EvalScope's name for --num-prompts.",
  },
  {
    name: "concurrency-list",
    type: "integers",
    aliasOf: "concurrency",
    value: "C,C,…",
    help: "LLM-Eval's name for a --concurrency sweep.",
  },
  {
    name: "request-rate-list",
    type: "list",
    aliasOf: "request-rate",
    value: "R,R,…",
    help: "LLM-Eval's name for a --request-rate sweep.",
  },
  {
    name: "num-prompts",
    type: "integers",
    value: "N [N …]",
    help: "Requests per task (one value for all, or one per load point).",
    defaultText:
      "the dataset's request_count; for the default workload 4 × concurrency, at least 8",
  },
  {
    name: "repeat",
    type: "integer",
    min: 1,
    value: "N",
    help:
      "Run every task N times, in rounds, each repetition with its own files (<task>_r1, <task>_r2, …); servebench compare then gives confidence intervals.",
    defaultText: "1",
  },
  {
    name: "dataset-path",
    type: "string",
    value: "FILE",
    help:
      "A dataset file: overrides path in the selected dataset config, or alone picks the source by extension (.jsonl, .csv, .json = ShareGPT).",
  },
  {
    name: "prompt",
    type: "string",
    value: "TEXT",
    help: "Send this prompt, repeated (--num-prompts times).",
  },
  {
    name: "shuffle",
    type: "boolean",
    help:
      "Take a random sample of the dataset file (uniform, seeded by --seed) in random order, not its first N records.",
  },
  {
    name: "tokenizer",
    type: "string",
    value: "DIR|NAME",
    help:
      "Tokenizer folder (tokenizer.json, tokenizer_config.json) or built-in name (qwen3): builds exact-length prompts and counts outputs. Overrides the model config's.",
    defaultText: "the model config's; qwen3 for synthetic prompts",
  },
  {
    name: "input-len",
    type: "integer",
    min: 1,
    help: "Input length of the default synthetic prompts, in tokens.",
    defaultText: "128",
  },
  {
    name: "max-tokens",
    type: "integer",
    min: 1,
    help: "max_tokens of every request (overrides max_out_len).",
    defaultText: "the model config's max_out_len (32 for the default workload)",
  },
  {
    name: "extra-args",
    type: "string",
    value: "JSON",
    help:
      'JSON object merged into every request body (and generation_kwargs), e.g. \'{"ignore_eos": true, "temperature": 0}\'.',
  },
  {
    name: "ca-cert",
    type: "string",
    value: "FILE",
    help:
      "Trust the CA certificates in this PEM file for https URLs (a private CA), besides the system's.",
  },
  {
    name: "insecure",
    type: "boolean",
    help:
      "Do not verify https certificates (self-signed test servers). Prints a warning; uses the node transport.",
  },
  {
    name: "transport",
    type: "string",
    value: "KIND",
    choices: TRANSPORTS,
    help:
      "How requests travel: raw (our own HTTP/1.1 over TCP/TLS sockets: send stamped at the write), fetch (Web fetch, HTTP/1.1 or HTTP/2, proxies) or node (node:http, HTTP/1.1; needed for --insecure).",
    defaultText: `${DEFAULT_TRANSPORT}; fetch when HTTPS_PROXY, HTTP_PROXY or ALL_PROXY is set`,
  },
  {
    name: "workers",
    type: "integer",
    min: 0,
    value: "N",
    help:
      "Web Workers that drive each task's streams, each with its own connections and event loop (as AISBench's WORKERS_NUM); 0 runs the client on the main thread.",
    defaultText:
      `one per ${STREAMS_PER_WORKER} streams in flight, at least 1, at most the machine's cores`,
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
    name: "retry",
    type: "integer",
    min: 0,
    help:
      "Retries of a failed request (connect, timeout, 429, 5xx) with exponential backoff, honouring Retry-After.",
    defaultText: "the model config's retry (0 for the default workload)",
  },
  {
    name: "warmup",
    type: "integer",
    min: 0,
    help: "Requests sent first in each task and kept out of its metrics (marked in the trace).",
    defaultText: "0",
  },
  ...REPORT_FLAGS,
  {
    name: "seed",
    type: "integer",
    help: "Seed of the synthetic datasets and arrival times.",
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
    name: "progress-interval",
    type: "number",
    min: 0.1,
    value: "SECONDS",
    help: "How often a plain progress line is printed when stdout is not a terminal.",
    defaultText: "5",
  },
  {
    name: "quiet",
    type: "boolean",
    help:
      "No progress line (on a terminal, a live line per task; otherwise a plain line every few seconds).",
  },
  {
    name: "debug",
    type: "boolean",
    help: "Print task logs to the screen instead of logs/, and error causes.",
  },
] as const satisfies readonly FlagSpec[];

/** The values of `servebench run` flags, typed by {@link RUN_FLAGS} (the input of {@link planFromFlags}). */
export type RunFlagValues = FlagValues<typeof RUN_FLAGS>;

/** Shapes' own flags (beyond the table), as flag specs: numbers, each read by its shape. */
export const SHAPE_FLAGS: readonly FlagSpec[] = shapeFlags().map((f) => ({ ...f, type: "number" }));

/** The flags in `--help` order: the shapes' own right after the ramp flags. */
function helpFlags(): FlagSpec[] {
  const at = RUN_FLAGS.findIndex((f) => f.name === "ramp-to") + 1;
  return [...RUN_FLAGS.slice(0, at), ...SHAPE_FLAGS, ...RUN_FLAGS.slice(at)];
}

/** `servebench run --help`. */
export const RUN_HELP = `Usage: servebench run [flags]
       servebench [--models M …] [--datasets D …] [flags]

Benchmarks an OpenAI-compatible service with streaming requests and writes
tables, CSV, JSON and the raw trace under <work-dir>/<YYYYMMDD_HHMMSS>/.
Every selected model runs every selected dataset at every load point.
With nothing selected it benchmarks the built-in simulator (a self-contained demo).

Flags:
${renderFlagHelp(helpFlags())}

Examples:
  servebench run
  servebench run --url http://127.0.0.1:8000 --concurrency 1 8 32 --num-prompts 64
  servebench run --url http://127.0.0.1:8000 --request-rate 1 2 4 inf --num-prompts 200
  servebench --models vllm_api_stream_chat --datasets synthetic synthetic_zipf --url http://gpu:8000
  servebench --models ./my_model.yaml --datasets synthetic --search

${EXIT_CODES_HELP}`;

/** The load flags given: the table's and the shapes' own, by name, for the load shapes to read. */
function loadFlags(
  values: RunFlagValues,
  extra: ParsedFlags<typeof RUN_FLAGS>["extra"],
): LoadFlags {
  const out: Record<string, LoadFlagValue> = {};
  for (const [name, value] of [...Object.entries(values), ...Object.entries(extra)]) {
    if (value !== undefined && LOAD_FLAG_NAMES.has(name)) out[name] = value;
  }
  return out;
}

/** Reads `run` flags into resolution inputs; `extra` holds the shapes' own flags. */
export function planInputs(
  values: RunFlagValues,
  extra: ParsedFlags<typeof RUN_FLAGS>["extra"] = {},
): PlanInputs {
  const inputs: PlanInputs = {};
  const set = <K extends keyof PlanInputs>(key: K, value: PlanInputs[K] | undefined) => {
    if (value !== undefined) inputs[key] = value;
  };
  const datasets = [...(values.datasets ?? []), ...(values.dataset ? [values.dataset] : [])];
  set("models", values.models);
  if (datasets.length) inputs.datasets = datasets;
  set("summarizer", values.summarizer);
  set("configDir", values["config-dir"]);
  set("url", values.url);
  set("model", values.model);
  set("api", values.api);
  set("apiKey", values["api-key"]);
  set("headers", values.header);
  set("stream", values.stream);
  const load = loadFlags(values, extra);
  if (Object.keys(load).length) inputs.load = load;
  set("durationS", values.duration);
  set("numPrompts", values["num-prompts"]);
  set("repeat", values.repeat);
  set("inputLen", values["input-len"]);
  set("datasetPath", values["dataset-path"]);
  set("prompt", values.prompt);
  set("shuffle", values.shuffle);
  set("tokenizer", values.tokenizer);
  set("caCert", values["ca-cert"]);
  if (values.insecure === true) inputs.insecure = true;
  if (values["model-check"] === false) inputs.modelCheck = false;
  set("transport", values.transport);
  set("workers", values.workers);
  set("tokenCount", values["token-count"]);
  set("maxTokens", values["max-tokens"]);
  set("extraArgs", values["extra-args"]);
  set("timeoutS", values.timeout);
  set("retry", values.retry);
  set("warmup", values.warmup);
  set("seed", values.seed);
  set("workDir", values["work-dir"]);
  set("stats", values.stats);
  if (values.percentiles === true) inputs.percentiles = true;
  return inputs;
}

/** Problems among flags that only `run` has (progress display). */
function runFlagProblems(values: RunFlagValues): string[] {
  return values.quiet === true && values["progress-interval"] !== undefined
    ? ["--progress-interval: not used with --quiet (no progress line is printed)"]
    : [];
}

/**
 * Builds a validated Plan from typed `run` flags (`{ url, concurrency: [8] }`);
 * every problem is reported at once. `options.extra` holds the shapes' own
 * flags (`ramp-step`, …) by name.
 */
export function planFromFlags(
  values: RunFlagValues,
  env: (name: string) => string | undefined = () => undefined,
  options: { extra?: ParsedFlags<typeof RUN_FLAGS>["extra"] } = {},
): Plan {
  const problems: string[] = runFlagProblems(values);
  const gates = gateFlagValues(values, problems);
  const inputs = planInputs(values, options.extra);
  if (gates.slo) inputs.slo = gates.slo;
  if (gates.failOn) inputs.failOn = gates.failOn;
  return resolvePlan(inputs, env, { earlier: problems });
}

/** The `--search` table: task type, name and config source. */
export function searchTable(values: RunFlagValues): string {
  const problems: string[] = [];
  const inputs = planInputs(values);
  const sel = select(inputs, problems);
  if (problems.length) throw new UsageError(problems);
  const rows: string[][] = [];
  if (sel.flatModel && inputs.url !== undefined) {
    rows.push(["model", "model", `flags (--url ${redactUrl(inputs.url)})`]);
  }
  for (const m of sel.models) rows.push(["model", m.src.name, m.src.source]);
  if (sel.flatDataset) rows.push(["dataset", "synthetic", "flags (--input-len, --max-tokens)"]);
  for (const d of sel.datasets) rows.push(["dataset", d.src.name, d.src.source]);
  rows.push(["summarizer", sel.summarizer.src.name, sel.summarizer.src.source]);
  return renderTable(["Task Type", "Task Name", "Config Source"], rows);
}

/**
 * One line per task in which every request failed (exit code 4): the task,
 * how many, and its most common error.
 */
export function allFailedLines(result: RunResult): string[] {
  const lines: string[] = [];
  for (const t of result.tasks) {
    const s = t.report.summary;
    if (!s || s.common.total_requests === 0 || s.common.success_requests > 0) continue;
    const top = s.errorMessages[0];
    const why = top
      ? `; most common: ${top.category}${top.status !== undefined ? ` ${top.status}` : ""} "${
        top.message.slice(0, 200)
      }" (${top.count})`
      : "";
    lines.push(
      `every request of "${t.task.model.abbr}/${t.task.outputName}" failed (${s.common.total_requests} of ${s.common.total_requests})${why}`,
    );
  }
  return lines;
}

/** What `run` needs from its caller. */
export interface RunIo {
  print: (text: string) => void;
  env: (name: string) => string | undefined;
  signal?: AbortSignal;
  /** Where progress is drawn (main: stdout); absent → none. */
  progress?: ProgressSink;
}

/** Runs `servebench run`. Returns undefined when only help or `--search` was shown. */
export async function runCommand(
  argv: readonly string[],
  io: RunIo,
): Promise<RunResult | undefined> {
  const { values, extra, positionals, help } = parseFlags(argv, RUN_FLAGS, {
    command: "servebench run",
    extra: SHAPE_FLAGS,
  });
  if (help) {
    io.print(RUN_HELP);
    return undefined;
  }
  if (positionals.length) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}" for "servebench run" (see servebench run --help)`,
    );
  }
  if (values.search === true) {
    io.print(searchTable(values));
    return undefined;
  }
  const problems: string[] = [];
  const outputs = outputFlagValues(values, problems);
  if (problems.length) throw new UsageError(problems);
  const plan = planFromFlags(values, io.env, { extra });
  return await runBenchmark(plan, {
    ...outputs,
    print: io.print,
    debug: values.debug === true,
    ...(io.signal ? { signal: io.signal } : {}),
    ...(io.progress && values.quiet !== true
      ? {
        progress: values["progress-interval"] !== undefined
          ? { ...io.progress, intervalMs: values["progress-interval"] * 1000 }
          : io.progress,
      }
      : {}),
  });
}
