/**
 * The flags of AISBench (`ais_bench`), EvalScope (`evalscope perf`) and
 * LLM-Eval (`llm-eval serving_perf_eval`) that have no servebench name of
 * their own, and how each becomes resolution input. Their aliases of
 * servebench flags (`--parallel`, `--number`, `--concurrency-list`, …) are in
 * the `run` table beside the flag they alias. See docs/migrating.md.
 *
 * Sources: AISBench `ais_bench/benchmark/cli/argument_parser.py` (modes),
 * EvalScope `evalscope/perf/arguments.py` (flag names, defaults), the
 * LLM-Eval guide (`shared/seeds/003…`: flags and defaults).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { PlanInputs } from "../config/resolve.ts";
import { apisForUrl } from "../protocol/mod.ts";
import type { FlagSpec, FlagValues } from "./args.ts";

/** AISBench's `--mode` values: perf and perf_viz measure; the others evaluate accuracy. */
export const AISBENCH_MODES = ["perf", "perf_viz", "all", "infer", "eval", "viz"] as const;

/** AISBench's flags. */
export const AISBENCH_FLAGS = [
  {
    name: "mode",
    short: "m",
    type: "string",
    choices: AISBENCH_MODES,
    help:
      "AISBench's mode: perf runs the benchmark (as without it) and prints AISBench-style log lines; perf_viz recomputes the run --reuse names from its traces, sending nothing (the run's --models/--datasets/--pressure/--num-prompts may be repeated; --summarizer/--stats apply). all, infer, eval and viz evaluate accuracy, which servebench does not (exit 2).",
  },
  {
    name: "reuse",
    type: "string",
    value: "TS|DIR",
    help:
      "With --mode perf_viz: the run to recompute, its timestamp under --work-dir or its folder.",
  },
] as const satisfies readonly FlagSpec[];

/** EvalScope's flags (`evalscope perf`). */
export const EVALSCOPE_FLAGS = [
  {
    name: "min-tokens",
    type: "integer",
    min: 0,
    help: "EvalScope: min_tokens sent in every request body (vLLM's minimum output length).",
  },
  {
    name: "min-prompt-length",
    type: "integer",
    min: 1,
    help: "EvalScope: the shortest random prompt, in tokens (with --dataset random).",
  },
  {
    name: "max-prompt-length",
    type: "integer",
    min: 1,
    help: "EvalScope: the longest random prompt, in tokens (with --dataset random).",
  },
  {
    name: "prefix-length",
    type: "integer",
    min: 0,
    help: "EvalScope: tokens of a prefix shared by every random prompt (with --dataset random).",
  },
  {
    name: "image-width",
    type: "integer",
    min: 1,
    help: "EvalScope: width of each generated image, in pixels (with --dataset random_vl).",
    defaultText: "224",
  },
  {
    name: "image-height",
    type: "integer",
    min: 1,
    help: "EvalScope: height of each generated image, in pixels (with --dataset random_vl).",
    defaultText: "224",
  },
  {
    name: "image-num",
    type: "integer",
    min: 1,
    help: "EvalScope: generated images per request (with --dataset random_vl).",
    defaultText: "1",
  },
  {
    name: "image-format",
    type: "string",
    choices: ["RGB"],
    help:
      "EvalScope: the images' colour mode; servebench generates RGB PNGs (with --dataset random_vl).",
    defaultText: "RGB",
  },
  {
    name: "tokenizer-path",
    type: "string",
    aliasOf: "tokenizer",
    value: "DIR|ID",
    help:
      "EvalScope's name for --tokenizer; a model id (Qwen/Qwen2.5-0.5B-Instruct) is read from the local Hugging Face cache, never downloaded.",
  },
  {
    name: "name",
    type: "string",
    value: "NAME",
    help:
      "EvalScope: the folder of its result files (benchmark_summary.json, …) inside the run folder.",
    defaultText: "the --model",
  },
  {
    name: "outputs-dir",
    type: "string",
    aliasOf: "work-dir",
    value: "DIR",
    help: "EvalScope's name for --work-dir.",
  },
  {
    name: "connect-timeout",
    type: "number",
    min: 0.001,
    value: "SECONDS",
    help:
      "EvalScope: time to connect; servebench has one per-request timeout, --connect-timeout + --read-timeout.",
  },
  {
    name: "read-timeout",
    type: "number",
    min: 0.001,
    value: "SECONDS",
    help: "EvalScope: time to read the answer (see --connect-timeout).",
  },
] as const satisfies readonly FlagSpec[];

/** LLM-Eval's flags (`llm-eval serving_perf_eval`). */
export const LLM_EVAL_FLAGS = [
  {
    name: "backend",
    type: "string",
    choices: ["openai", "vllm", "maas"],
    help:
      "LLM-Eval: all three speak the OpenAI API; the --url's route picks chat or completions (default chat).",
  },
  {
    name: "dataset-name",
    type: "string",
    aliasOf: "dataset",
    value: "D",
    help: "LLM-Eval's name for --dataset (random, sharegpt, …).",
  },
  {
    name: "random-input-len",
    type: "integer",
    min: 1,
    help: "LLM-Eval: input tokens of each random prompt.",
    defaultText: "1024 with serving_perf_eval",
  },
  {
    name: "random-output-len",
    type: "integer",
    min: 1,
    help: "LLM-Eval: output tokens of each random request.",
    defaultText: "128 with serving_perf_eval",
  },
  {
    name: "random-range-ratio",
    type: "number",
    min: 0,
    help: "LLM-Eval: lengths vary by ± this share.",
    defaultText: "0 with serving_perf_eval",
  },
  {
    name: "random-prefix-len",
    type: "integer",
    min: 0,
    help: "LLM-Eval: tokens of a prefix shared by every random prompt.",
    defaultText: "0",
  },
  {
    name: "perf-test-type",
    type: "string",
    choices: ["single", "multiple"],
    help:
      "LLM-Eval: single runs one test; multiple one per value of --concurrency-list or --request-rate-list.",
    defaultText: "single",
  },
  {
    name: "limit-max-concurrency",
    type: "boolean",
    help: "LLM-Eval: cap requests in flight at --concurrency (servebench always does with a rate).",
  },
  {
    name: "extra-headers",
    type: "string",
    value: "K=V,…|JSON",
    help: 'LLM-Eval: extra request headers, "K=V,K2=V2" (or K:V) or a JSON object.',
  },
  {
    name: "save-data",
    type: "boolean",
    help:
      "LLM-Eval: also write each test's per-request data as JSON (<task>_process_data.json beside its CSV).",
  },
  {
    name: "result-data-path",
    type: "string",
    aliasOf: "work-dir",
    value: "DIR",
    help: "LLM-Eval's name for --work-dir.",
    defaultText: "~/.cache/llm_eval/serving_perf_eval_result with serving_perf_eval",
  },
] as const satisfies readonly FlagSpec[];

/** Upload flags of EvalScope (W&B, SwanLab, ClearML): accepted, then refused. */
export const UPLOAD_FLAGS = [
  {
    name: "visualizer",
    type: "string",
    choices: ["wandb", "swanlab", "clearml"],
    help:
      "EvalScope: upload results to a hosted service; not supported (exit 2, naming the local files that hold the same data).",
  },
  {
    name: "wandb-api-key",
    type: "string",
    value: "KEY",
    help: "EvalScope: W&B key for --visualizer wandb; not supported (never echoed).",
  },
  {
    name: "swanlab-api-key",
    type: "string",
    value: "KEY",
    help: "EvalScope: SwanLab key for --visualizer swanlab; not supported (never echoed).",
  },
] as const satisfies readonly FlagSpec[];

/** Every flag of this module, in `--help` order. */
export const COMPAT_FLAGS = [
  ...AISBENCH_FLAGS,
  ...EVALSCOPE_FLAGS,
  ...LLM_EVAL_FLAGS,
  ...UPLOAD_FLAGS,
] as const satisfies readonly FlagSpec[];

/** The values of those flags, typed. */
export type CompatFlagValues = FlagValues<typeof COMPAT_FLAGS>;

/** Which tool's command line a run was started with (`perf`, `serving_perf_eval`, or flags alone). */
export type Dialect = "evalscope" | "llm-eval";

/** The OpenAI API a URL's route names (`/v1/completions`), else chat: EvalScope's and LLM-Eval's `openai`. */
export function openaiApi(url: string | undefined): "openai-chat" | "openai-completions" {
  if (url === undefined) return "openai-chat";
  try {
    return apisForUrl(url).includes("openai-completions") &&
        !apisForUrl(url).includes("openai-chat")
      ? "openai-completions"
      : "openai-chat";
  } catch {
    return "openai-chat"; // a bad URL is reported by resolution
  }
}

/**
 * The one line that refuses an upload flag: which service, and which local
 * files hold the same data. Never includes a key.
 */
export function uploadRefusal(values: CompatFlagValues): UsageError | undefined {
  const given = values.visualizer !== undefined
    ? `--visualizer ${values.visualizer}`
    : values["wandb-api-key"] !== undefined
    ? "--wandb-api-key"
    : values["swanlab-api-key"] !== undefined
    ? "--swanlab-api-key"
    : undefined;
  if (given === undefined) return undefined;
  return new UsageError(
    `${given}: uploading results to W&B, SwanLab or ClearML is not supported (hosted services); the same data is in the run folder: performances/<model>/<task>.json (summary metrics), <task>.csv (statistics), <task>_requests.csv (every request), <task>_details.jsonl (the raw trace), summary.json and summary.csv (every task), and with servebench perf benchmark_summary.json, benchmark_percentile.json and performance_summary.txt`,
  );
}

/** `K=V,K2=V2`, `K:V`, or a JSON object → `Name: value` header lines (`--header`'s form). */
export function extraHeaders(text: string, problems: string[]): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return Object.entries(parsed).map(([k, v]) => `${k}: ${String(v)}`);
      }
    } catch {
      // reported below
    }
    problems.push("--extra-headers: expected a JSON object of header names and values");
    return [];
  }
  const out: string[] = [];
  for (const part of trimmed.split(",").map((s) => s.trim()).filter((s) => s)) {
    const at = part.search(/[=:]/);
    if (at <= 0) {
      problems.push(`--extra-headers: expected "Name=value", got "${part.slice(0, 40)}"`);
    } else out.push(`${part.slice(0, at).trim()}: ${part.slice(at + 1).trim()}`);
  }
  return out;
}

/** EvalScope's image flags and the `random` config fields they set. */
const IMAGE_FIELDS = [
  ["image-width", "image_width"],
  ["image-height", "image_height"],
  ["image-num", "images_per_request"],
] as const;

/**
 * What EvalScope's generated datasets take from the flags: random_vl its
 * images (the image flags are errors with any other dataset, which EvalScope
 * would ignore them with); speed_benchmark keeps its fixed lengths (the
 * prompt-length flags are errors) and, as EvalScope does
 * (`speed_benchmark.py`), sends to `/v1/completions` when the URL names
 * `/v1/chat/completions`, with a note.
 */
function evalscopeGenerated(
  values: CompatFlagValues & { url?: string; api?: string },
  inputs: PlanInputs,
  context: {
    dataset: string | undefined;
    set: (field: string, value: number | undefined, flag: string) => void;
    problems: string[];
  },
): void {
  const { dataset, set, problems } = context;
  const imageFlags = [...IMAGE_FIELDS.map(([flag]) => flag), "image-format"].filter((f) =>
    values[f as keyof CompatFlagValues] !== undefined
  );
  if (dataset === "random_vl") {
    for (const [flag, field] of IMAGE_FIELDS) set(field, values[flag], flag);
  } else if (imageFlags.length) {
    problems.push(
      `${imageFlags.map((f) => `--${f}`).join(", ")}: the generated images of --dataset random_vl${
        dataset === undefined ? "" : `, not "${dataset}"`
      }`,
    );
  }
  if (dataset !== "speed_benchmark") return;
  const lengthFlags = ["min-prompt-length", "max-prompt-length", "prefix-length"].filter((f) =>
    values[f as keyof CompatFlagValues] !== undefined
  );
  if (lengthFlags.length) {
    problems.push(
      `${
        lengthFlags.map((f) => `--${f}`).join(", ")
      }: speed_benchmark's prompt lengths are fixed (1, 6144, 14336, 30720 tokens); use --dataset random`,
    );
  }
  const url = inputs.url;
  if (
    url?.endsWith("/v1/chat/completions") && (values.api === undefined || values.api === "openai")
  ) {
    inputs.url = `${url.slice(0, -"/chat/completions".length)}/completions`;
    if (values.api === "openai") inputs.api = "openai-completions";
    inputs.notes = [
      ...(inputs.notes ?? []),
      "--dataset speed_benchmark: sending to /v1/completions instead of /v1/chat/completions, as EvalScope does (no chat template in the prompt lengths)",
    ];
  }
}

function addExtraField(inputs: PlanInputs, key: string, value: unknown): void {
  let body: Record<string, unknown> = {};
  if (inputs.extraArgs !== undefined) {
    try {
      const parsed: unknown = JSON.parse(inputs.extraArgs);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return;
      body = { ...parsed };
    } catch {
      return; // --extra-args itself is reported by resolution
    }
  }
  if (!(key in body)) body[key] = value;
  inputs.extraArgs = JSON.stringify(body);
}

/**
 * Adds what the other tools' flags mean to the resolution inputs: dataset
 * fields (random lengths), request-body fields (`min_tokens`), headers, the
 * timeout and the API. `dialect` adds that tool's defaults (LLM-Eval's random
 * lengths, prompt count and result folder). Problems are appended.
 */
export function applyCompatFlags(
  values: CompatFlagValues & {
    url?: string;
    api?: string;
    timeout?: number;
    "max-tokens"?: number;
  },
  inputs: PlanInputs,
  context: { dialect?: Dialect; env: (name: string) => string | undefined; problems: string[] },
): void {
  const { dialect, problems } = context;
  const overrides: NonNullable<PlanInputs["datasetOverrides"]> = {};
  const set = (field: string, value: number | undefined, flag: string) => {
    if (value !== undefined) overrides[field] = { value, flag };
  };
  const dataset = inputs.datasets?.[0];
  set("min_input_len", values["min-prompt-length"], "min-prompt-length");
  set("max_input_len", values["max-prompt-length"], "max-prompt-length");
  set("prefix_len", values["prefix-length"], "prefix-length");
  if (dialect === "llm-eval" && inputs.datasets?.[0] === "random") {
    // LLM-Eval's defaults (its guide, "Random Dataset Options").
    set("input_len", 1024, "random-input-len");
    set("output_len", 128, "random-output-len");
    set("range_ratio", 0, "random-range-ratio");
    set("prefix_len", 0, "random-prefix-len");
  }
  set("input_len", values["random-input-len"], "random-input-len");
  set("output_len", values["random-output-len"], "random-output-len");
  set("range_ratio", values["random-range-ratio"], "random-range-ratio");
  set("prefix_len", values["random-prefix-len"], "random-prefix-len");
  const minLen = values["min-prompt-length"];
  const maxLen = values["max-prompt-length"];
  if (minLen !== undefined && maxLen !== undefined && minLen > maxLen) {
    problems.push(`--min-prompt-length: ${minLen} exceeds --max-prompt-length ${maxLen}`);
  } else if (minLen !== undefined && maxLen !== undefined) {
    // EvalScope draws prompt lengths uniformly between the two: the same range as input_len ± ratio.
    set("input_len", Math.round((minLen + maxLen) / 2), "min-prompt-length");
    set("range_ratio", (maxLen - minLen) / (maxLen + minLen), "max-prompt-length");
  }
  if (
    (dialect === "evalscope" && dataset === "random") ||
    dataset === "speed_benchmark" || dataset === "random_vl"
  ) {
    // EvalScope's random, random_vl and speed_benchmark requests ask for --max-tokens each.
    set("output_len", values["max-tokens"], "max-tokens");
  }
  evalscopeGenerated(values, inputs, { dataset, set, problems });
  if (Object.keys(overrides).length) inputs.datasetOverrides = overrides;
  if (values["min-tokens"] !== undefined) addExtraField(inputs, "min_tokens", values["min-tokens"]);
  if (values["extra-headers"] !== undefined) {
    inputs.headers = [
      ...(inputs.headers ?? []),
      ...extraHeaders(values["extra-headers"], problems),
    ];
  }
  const connect = values["connect-timeout"];
  const read = values["read-timeout"];
  if ((connect !== undefined || read !== undefined) && values.timeout !== undefined) {
    problems.push(
      `--timeout: give either --timeout or --connect-timeout/--read-timeout, not both`,
    );
  } else if (connect !== undefined || read !== undefined) {
    inputs.timeoutS = (connect ?? 600) + (read ?? 600);
  }
  if (values.backend !== undefined && inputs.api === undefined) inputs.api = openaiApi(values.url);
  if (dialect === "evalscope") {
    // EvalScope's defaults: results under outputs/<timestamp>/, its percentile table printed.
    inputs.workDir ??= "outputs";
    inputs.percentiles ??= true;
    inputs.numPrompts ??= [1000]; // EvalScope's --number default
  }
  if (dialect === "llm-eval") {
    // LLM-Eval's defaults: 10 prompts, results under ~/.cache/llm_eval/serving_perf_eval_result.
    inputs.numPrompts ??= [10];
    if (inputs.workDir === undefined) {
      const home = context.env("HOME") ?? context.env("USERPROFILE");
      if (home) inputs.workDir = `${home}/.cache/llm_eval/serving_perf_eval_result`;
    }
  }
}
