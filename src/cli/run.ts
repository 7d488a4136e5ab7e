/**
 * `servebench run`: flags (and selected configs) → Plan → runBenchmark.
 * With nothing selected it starts the built-in simulator and runs a small
 * synthetic benchmark at a few concurrencies.
 *
 * @module
 */

import { DEFAULT_GRACE_MS, runBenchmark, type RunResult } from "../bench/run_benchmark.ts";
import type { Plan } from "../config/plan.ts";
import { DEFAULT_CONCURRENCY, type PlanInputs, resolvePlan, select } from "../config/resolve.ts";
import { UsageError } from "../errors.ts";
import { shardPart, startAtMs } from "../config/shard.ts";
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
import {
  gateFlagValues,
  outputFlagValues,
  REPORT_FLAGS,
  reportOverridesFromFlags,
} from "./_report_flags.ts";
import {
  applyCompatFlags,
  COMPAT_FLAGS,
  type Dialect,
  openaiApi,
  uploadRefusal,
} from "./_compat_flags.ts";
import { findRunDir, recomputeRun, type ReportResult } from "./report.ts";
import { aisbenchLogLine } from "../report/ais_log.ts";
import { writeEvalscopeFiles } from "../report/evalscope_files.ts";
import { writeLlmEvalFiles } from "../report/llm_eval_files.ts";

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
    name: "server-metrics",
    type: "string",
    value: "URL",
    optionalValue: true,
    help:
      "Scrape the server's Prometheus metrics during each task (in a worker of its own, off the measured path) into <task>_server_metrics.jsonl; the report adds the server's running/waiting requests, KV-cache usage, prefix-cache hit rate and histogram latencies beside the client's. A server without metrics gives one note and the run goes on. --no-server-metrics skips it.",
    defaultText:
      "on: /metrics at the server's root (a model config's server_metrics: true | false | URL)",
  },
  {
    name: "server-metrics-interval",
    type: "number",
    min: 0.05,
    value: "SECONDS",
    help: "Time between scrapes with --server-metrics (0.05 to 3600).",
    defaultText: "1 (a model config's server_metrics_interval_s)",
  },
  {
    name: "api",
    type: "string",
    choices: [...API_KINDS, "auto", "openai"],
    help:
      "Which API to call (openai, EvalScope's name: the --url's route picks chat or completions, default chat); auto probes the server (GET /info, /props, /get_model_info, /api/version, /v1/models) and picks its richest streaming API.",
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
    name: "replay",
    type: "boolean",
    help:
      "Replay a timestamped trace (a mooncake, azure_trace, burstgpt or trace dataset): each record at its own time, once, open loop (--replay-speed, --replay-from, --replay-to; --concurrency caps).",
  },
  {
    name: "sessions",
    type: "integer",
    min: 1,
    value: "USERS",
    help:
      "Run the dataset's conversations (sharegpt with turns: all, multiturn): USERS users, each one conversation at a time, every turn once (--think-time, --session-history).",
  },
  {
    name: "session-history",
    type: "string",
    choices: ["server", "dataset"],
    help:
      "With --sessions: the assistant turns of each prompt are the server's actual replies, or the dataset's.",
    defaultText: "server",
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
    short: "n",
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
    name: "grace",
    type: "number",
    min: 0,
    value: "SECONDS",
    help:
      "On Ctrl-C or SIGTERM sending stops at once; requests in flight get this long to finish (a second Ctrl-C ends it at once), then are cut off and recorded as 'cancelled' with their partial timings. The report is written and the exit code is 130.",
    defaultText: String(DEFAULT_GRACE_MS / 1000),
  },
  {
    name: "shard",
    type: "string",
    value: "I/N",
    help:
      "Send shard I of N (from 0) of every task: request indices I, I+N, I+2N, … of the one global schedule, and an exact share of any cap on requests in flight (floor or ceiling of cap/N, summing to the cap); with --sessions, whole conversations (conversation c to shard c mod N); a priming phase runs on every shard. Merge the N run folders with 'servebench merge'.",
  },
  {
    name: "shards",
    type: "integer",
    min: 1,
    value: "N",
    help:
      "As --shard I/N, with I from the environment variable JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job).",
  },
  {
    name: "start-at",
    type: "string",
    value: "TIME",
    help:
      "Start the first task's load at this wall-clock instant: ISO 8601 with a zone (2026-12-02T01:30:00Z) or +DURATION from now (+30s, +2m). Give every shard the same ISO instant; their clocks are assumed NTP-synchronised.",
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
    name: "allow-huge-plan",
    type: "boolean",
    help:
      "Send a plan beyond reason anyway: more than 1,000,000 requests in a task (warm-up included; rate × --duration when time-bounded) or more than 100,000 in flight. Without it such a plan is refused before any request.",
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
  ...COMPAT_FLAGS,
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
       servebench [--models M …] [--datasets D …] [-m perf] [flags]   (AISBench)
       servebench perf [flags]                                        (EvalScope)
       servebench serving_perf_eval [flags]                           (LLM-Eval)

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
  servebench run --url http://gpu:8000 --request-rate 300 --num-prompts 60000 \\
    --shard 0/3 --start-at 2026-12-02T01:30:00Z     # then 'servebench merge' the 3 run folders
  servebench --models vllm_api_stream_chat --datasets demo_gsm8k_gen_4_shot_cot_chat_prompt -m perf
  servebench perf --parallel 1 10 --number 10 20 --url http://127.0.0.1:8801/v1/chat/completions --api openai --dataset random --tokenizer-path Qwen/Qwen2.5-0.5B-Instruct
  servebench serving_perf_eval --url http://127.0.0.1:8000/v1/chat/completions --dataset-name random --tokenizer DIR --perf-test-type multiple --concurrency-list 1,2,4,8

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
  set("api", values.api === "openai" ? openaiApi(values.url) : values.api);
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
  set("serverMetrics", values["server-metrics"]);
  set("serverMetricsIntervalS", values["server-metrics-interval"]);
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
  if (values["allow-huge-plan"] === true) inputs.allowHugePlan = true;
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
 * flags (`ramp-step`, …) by name. `env` gives API keys and the shard index
 * of `--shards` (JOB_COMPLETION_INDEX); `options.dialect` the tool whose
 * command line it is (its defaults apply).
 */
export function planFromFlags(
  values: RunFlagValues,
  env: (name: string) => string | undefined = () => undefined,
  options: {
    extra?: ParsedFlags<typeof RUN_FLAGS>["extra"];
    /** The wall clock `--start-at +DURATION` counts from (epoch ms); default `Date.now`. */
    now?: () => number;
    /** The tool whose command line it is (its defaults apply). */
    dialect?: Dialect;
  } = {},
): Plan {
  const problems: string[] = runFlagProblems(values);
  const gates = gateFlagValues(values, problems);
  const inputs = planInputs(values, options.extra);
  const part = shardPart(
    {
      ...(values.shard !== undefined ? { shard: values.shard } : {}),
      ...(values.shards !== undefined ? { shards: values.shards } : {}),
    },
    { env, problems },
  );
  if (part) inputs.shard = part;
  if (values["start-at"] !== undefined) {
    const at = startAtMs(values["start-at"], { nowMs: (options.now ?? Date.now)(), problems });
    if (at !== undefined) inputs.startAtMs = at;
  }
  applyCompatFlags(values, inputs, {
    env,
    problems,
    ...(options.dialect ? { dialect: options.dialect } : {}),
  });
  if (gates.slo) inputs.slo = gates.slo;
  if (gates.failOn) inputs.failOn = gates.failOn;
  return resolvePlan(inputs, env, { earlier: problems });
}

/** One of LLM-Eval's tests: its load flags and the suffix its task names get. */
interface LlmEvalTest {
  concurrency: number;
  /** Requests/s as given; `-1`: no arrival schedule, a closed loop at the concurrency. */
  rate: string;
  label: string;
}

/**
 * LLM-Eval's tests: one (`--perf-test-type single`), or one per value of
 * `--concurrency-list` or `--request-rate-list` (`multiple`). Defaults as its
 * guide: concurrency 1, rate inf. A rate of -1 means no arrival schedule (a
 * closed loop at the concurrency: the next request starts as one ends).
 */
export function llmEvalTests(values: RunFlagValues): LlmEvalTest[] {
  const concurrency = values.concurrency ?? [1];
  const rates = values["request-rate"] ?? ["inf"];
  const multiple = values["perf-test-type"] === "multiple";
  if (!multiple && (concurrency.length > 1 || rates.length > 1)) {
    throw new UsageError(
      `--${
        concurrency.length > 1 ? "concurrency-list" : "request-rate-list"
      }: several tests need --perf-test-type multiple`,
    );
  }
  if (concurrency.length > 1 && rates.length > 1) {
    throw new UsageError(
      "--concurrency-list: give a list of concurrencies or of request rates, not both",
    );
  }
  const tests = concurrency.length > 1
    ? concurrency.map((c) => ({ concurrency: c, rate: rates[0]! }))
    : rates.map((r) => ({ concurrency: concurrency[0]!, rate: r }));
  return tests.map((t) => ({
    ...t,
    label: t.rate === "-1" ? `c${t.concurrency}` : `c${t.concurrency}_r${t.rate}`,
  }));
}

/** LLM-Eval's tests as one plan: each test's tasks, named `<dataset>_<test>` when there are several. */
function llmEvalPlan(
  values: RunFlagValues,
  env: (name: string) => string | undefined,
  extra: ParsedFlags<typeof RUN_FLAGS>["extra"],
): Plan {
  const tests = llmEvalTests(values);
  const plans = tests.map((t) => {
    const { "request-rate": _rates, ...rest } = values;
    const one: RunFlagValues = {
      ...rest,
      concurrency: [t.concurrency],
      ...(t.rate === "-1" ? {} : { "request-rate": [t.rate] }),
    };
    const plan = planFromFlags(one, env, { extra, dialect: "llm-eval" });
    if (tests.length > 1) {
      for (const task of plan.tasks) task.outputName = `${task.outputName}_${t.label}`;
    }
    return plan;
  });
  return { ...plans[0]!, tasks: plans.flatMap((p) => p.tasks) };
}

/** The `--search` table: task type, name and config source. */
export function searchTable(
  values: RunFlagValues,
  options: { dialect?: Dialect; env?: (name: string) => string | undefined } = {},
): string {
  const problems: string[] = [];
  const inputs = planInputs(values);
  applyCompatFlags(values, inputs, {
    env: options.env ?? (() => undefined),
    problems,
    ...(options.dialect ? { dialect: options.dialect } : {}),
  });
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
  /** Stops sending (the first Ctrl-C); in-flight requests get `--grace` to finish. */
  signal?: AbortSignal;
  /** Ends the grace at once (the second Ctrl-C). */
  cancel?: AbortSignal;
  /** Where progress is drawn (main: stdout); absent → none. */
  progress?: ProgressSink;
  /** The tool whose command started the run (`perf`: EvalScope, `serving_perf_eval`: LLM-Eval). */
  dialect?: Dialect;
  /** The clock of AISBench-style log lines; default `new Date()`. */
  now?: () => Date;
  /** Receives what `--mode perf_viz` recomputed (runCommand then returns undefined). */
  recomputed?: (result: ReportResult) => void;
}

/** Flags whose meaning is one tool's command: `perf` (EvalScope) or `serving_perf_eval` (LLM-Eval). */
const DIALECT_FLAGS: Readonly<Record<string, Dialect>> = {
  name: "evalscope",
  "perf-test-type": "llm-eval",
  "save-data": "llm-eval",
  "limit-max-concurrency": "llm-eval",
};

/** A tool's own flag given to another command: it would do nothing there, so it is an error. */
function dialectFlagProblems(values: RunFlagValues, dialect: Dialect | undefined): string[] {
  return Object.entries(DIALECT_FLAGS).flatMap(([flag, owner]) =>
    Object.hasOwn(values, flag) && owner !== dialect
      ? [
        `--${flag}: ${
          owner === "evalscope" ? "EvalScope" : "LLM-Eval"
        }'s flag, used with servebench ${owner === "evalscope" ? "perf" : "serving_perf_eval"}`,
      ]
      : []
  );
}

/** Flags that mean something with `--mode perf_viz` (a recomputation): the rest are errors. */
const PERF_VIZ_FLAGS = new Set([
  "mode",
  "reuse",
  "work-dir",
  "debug",
  "summarizer",
  "stats",
  "percentiles",
  "token-count",
  "slo",
  "fail-on",
  "junit",
  // The original run's selection and load, accepted so the command can be repeated as it was.
  "models",
  "datasets",
  "dataset",
  "config-dir",
  "pressure",
  "pressure-time",
  "num-prompts",
]);

/** The run's selection flags given to `--mode perf_viz`: they are the run's, read from its traces. */
const PERF_VIZ_SELECTION = [
  "models",
  "datasets",
  "dataset",
  "pressure",
  "pressure-time",
  "num-prompts",
];

/** `--mode perf_viz --reuse TS`: the run recomputed from its traces, nothing sent. */
async function perfViz(values: RunFlagValues, io: RunIo): Promise<ReportResult> {
  const problems: string[] = [];
  for (const key of Object.keys(values)) {
    if (!PERF_VIZ_FLAGS.has(key)) {
      problems.push(`--${key}: not used with --mode perf_viz (it recomputes a finished run)`);
    }
  }
  if (values.reuse === undefined) {
    problems.push("--mode perf_viz: needs --reuse TS (the timestamp of the run to recompute)");
  }
  const configDir = values["config-dir"];
  const settings = reportOverridesFromFlags(values, {
    problems,
    ...(configDir !== undefined ? { configDir } : {}),
  });
  if (problems.length || values.reuse === undefined) throw new UsageError(problems);
  const runDir = findRunDir(values.reuse, values["work-dir"] ?? "outputs/default");
  const given = PERF_VIZ_SELECTION.filter((k) => Object.hasOwn(values, k));
  if (given.length) {
    io.print(
      `note: --mode perf_viz: ${
        given.map((k) => `--${k}`).join(", ")
      } are those of the run; its tasks and load are read from its traces`,
    );
  }
  const logLine = aisbenchLogLine(io.now);
  return await recomputeRun(runDir, { settings, print: io.print, logLine });
}

/**
 * Runs `servebench run` (and `perf`, `serving_perf_eval`, AISBench's
 * `--mode …`). Returns undefined when only help or `--search` was shown, or
 * when `--mode perf_viz` recomputed a run (given to `io.recomputed`).
 */
export async function runCommand(
  argv: readonly string[],
  io: RunIo,
): Promise<RunResult | undefined> {
  const { values, extra, positionals, help } = parseFlags(argv, RUN_FLAGS, {
    command: io.dialect === "evalscope"
      ? "servebench perf"
      : io.dialect === "llm-eval"
      ? "servebench serving_perf_eval"
      : "servebench run",
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
  const upload = uploadRefusal(values);
  if (upload) throw upload;
  const mode = values.mode;
  if (mode !== undefined && mode !== "perf" && mode !== "perf_viz") {
    throw new UsageError(
      `--mode ${mode}: accuracy evaluation is not part of servebench, which measures performance: use --mode perf (a run) or --mode perf_viz --reuse TS (recompute one)`,
    );
  }
  const logLine = mode !== undefined ? aisbenchLogLine(io.now) : undefined;
  if (values.search === true) {
    if (logLine) io.print(logLine("Searching configs..."));
    io.print(searchTable(values, { env: io.env, ...(io.dialect ? { dialect: io.dialect } : {}) }));
    return undefined;
  }
  if (mode === "perf_viz") {
    io.recomputed?.(await perfViz(values, io));
    return undefined;
  }
  const problems: string[] = dialectFlagProblems(values, io.dialect);
  if (values["limit-max-concurrency"] === true) {
    io.print(
      "note: --limit-max-concurrency: requests in flight are always capped at --concurrency",
    );
  }
  if (values.reuse !== undefined) {
    problems.push("--reuse: recomputes a run with --mode perf_viz (or servebench report --reuse)");
  }
  const outputs = outputFlagValues(values, problems);
  if (problems.length) throw new UsageError(problems);
  const plan = io.dialect === "llm-eval"
    ? llmEvalPlan(values, io.env, extra)
    : planFromFlags(values, io.env, { extra, ...(io.dialect ? { dialect: io.dialect } : {}) });
  // EvalScope keeps the console output as benchmark.log beside its files.
  const console: string[] = [];
  const print = io.dialect === "evalscope"
    ? (text: string) => {
      console.push(text);
      io.print(text);
    }
    : io.print;
  const result = await runBenchmark(plan, {
    ...outputs,
    print,
    debug: values.debug === true,
    ...(logLine ? { logLine } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    ...(io.cancel ? { cancel: io.cancel } : {}),
    ...(values.grace !== undefined ? { graceMs: values.grace * 1000 } : {}),
    ...(io.progress && values.quiet !== true
      ? {
        progress: values["progress-interval"] !== undefined
          ? { ...io.progress, intervalMs: values["progress-interval"] * 1000 }
          : io.progress,
      }
      : {}),
  });
  await dialectFiles(result, { values, io: { ...io, print }, console });
  return result;
}

/** EvalScope's or LLM-Eval's own result files beside servebench's, when started as that tool. */
async function dialectFiles(
  result: RunResult,
  context: { values: RunFlagValues; io: RunIo; console: readonly string[] },
): Promise<void> {
  const { values, io } = context;
  const done = result.tasks.flatMap((o) =>
    o.report.summary ? [{ task: o.task, paths: o.paths, summary: o.report.summary }] : []
  );
  let written: string[] = [];
  if (io.dialect === "evalscope") {
    const name = values.name ?? (values.model || result.tasks[0]?.servedModel || "model");
    written = writeEvalscopeFiles(result.runDir, { name, tasks: done, log: context.console });
  } else if (io.dialect === "llm-eval") {
    written = await writeLlmEvalFiles(result.runDir, {
      tasks: result.tasks.map((o) => ({
        task: o.task,
        paths: o.paths,
        ...(o.report.summary ? { summary: o.report.summary } : {}),
      })),
      saveData: values["save-data"] === true,
    });
  }
  if (written.length) {
    io.print(
      `  ${io.dialect === "evalscope" ? "EvalScope" : "LLM-Eval"} files: ${written.join("\n    ")}`,
    );
  }
}
