/**
 * Finding configs by name or path: user files first (`--config-dir`), then
 * the built-ins, which are imported into the module graph so the compiled
 * binary carries them. A lookup that fails lists what is available.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ConfigKind } from "./schema.ts";
import { parseConfigText } from "./load.ts";
import modelChatStream from "../../configs/models/openai_chat_stream.yaml" with { type: "text" };
import modelChat from "../../configs/models/openai_chat.yaml" with { type: "text" };
import modelCompletionsStream from "../../configs/models/openai_completions_stream.yaml" with {
  type: "text",
};
import modelCompletions from "../../configs/models/openai_completions.yaml" with { type: "text" };
import modelSim from "../../configs/models/sim.yaml" with { type: "text" };
import modelOllamaChat from "../../configs/models/ollama_chat.yaml" with { type: "text" };
import modelOllamaGenerate from "../../configs/models/ollama_generate.yaml" with { type: "text" };
import modelAnthropic from "../../configs/models/anthropic_messages.yaml" with { type: "text" };
import modelResponses from "../../configs/models/openai_responses.yaml" with { type: "text" };
import modelEmbeddings from "../../configs/models/openai_embeddings.yaml" with { type: "text" };
import modelTgi from "../../configs/models/tgi_generate_stream.yaml" with { type: "text" };
import modelLlamacpp from "../../configs/models/llamacpp_completion.yaml" with { type: "text" };
import modelSglang from "../../configs/models/sglang_generate.yaml" with { type: "text" };
import dataSynthetic from "../../configs/datasets/synthetic.yaml" with { type: "text" };
import dataUniform from "../../configs/datasets/synthetic_uniform.yaml" with { type: "text" };
import dataGaussian from "../../configs/datasets/synthetic_gaussian.yaml" with { type: "text" };
import dataZipf from "../../configs/datasets/synthetic_zipf.yaml" with { type: "text" };
import dataRandom from "../../configs/datasets/random.yaml" with { type: "text" };
import dataRandomPrefix from "../../configs/datasets/random_prefix.yaml" with { type: "text" };
import dataSharegpt from "../../configs/datasets/sharegpt.yaml" with { type: "text" };
import dataGsm8k from "../../configs/datasets/gsm8k.yaml" with { type: "text" };
import dataAime from "../../configs/datasets/aime.yaml" with { type: "text" };
import dataImages from "../../configs/datasets/images.yaml" with { type: "text" };
import dataMooncake from "../../configs/datasets/mooncake.yaml" with { type: "text" };
import dataAzure from "../../configs/datasets/azure_trace.yaml" with { type: "text" };
import dataBurstGpt from "../../configs/datasets/burstgpt.yaml" with { type: "text" };
import sumDefault from "../../configs/summarizers/default_perf.yaml" with { type: "text" };
import sumStable from "../../configs/summarizers/stable_stage.yaml" with { type: "text" };

/** Built-in config texts by kind and name. */
export const BUILTIN: Record<ConfigKind, Record<string, string>> = {
  models: {
    openai_chat_stream: modelChatStream,
    openai_chat: modelChat,
    openai_completions_stream: modelCompletionsStream,
    openai_completions: modelCompletions,
    sim: modelSim,
    ollama_chat: modelOllamaChat,
    ollama_generate: modelOllamaGenerate,
    anthropic_messages: modelAnthropic,
    openai_responses: modelResponses,
    openai_embeddings: modelEmbeddings,
    tgi_generate_stream: modelTgi,
    llamacpp_completion: modelLlamacpp,
    sglang_generate: modelSglang,
  },
  datasets: {
    synthetic: dataSynthetic,
    synthetic_uniform: dataUniform,
    synthetic_gaussian: dataGaussian,
    synthetic_zipf: dataZipf,
    random: dataRandom,
    random_prefix: dataRandomPrefix,
    sharegpt: dataSharegpt,
    gsm8k: dataGsm8k,
    aime: dataAime,
    images: dataImages,
    mooncake: dataMooncake,
    azure_trace: dataAzure,
    burstgpt: dataBurstGpt,
  },
  summarizers: { default_perf: sumDefault, stable_stage: sumStable },
};

/** AISBench's names for the built-in model tasks. */
export const ALIASES: Record<string, string> = {
  vllm_api_stream_chat: "openai_chat_stream",
  vllm_api_general_chat: "openai_chat",
  vllm_api_general_stream: "openai_completions_stream",
  vllm_api_general: "openai_completions",
};

/** A config's text and where it came from (a path, or `builtin:configs/<kind>/<name>.yaml`). */
export interface ConfigSource {
  kind: ConfigKind;
  name: string;
  source: string;
  text: string;
  /** The dataset abbr a `.py` synthetic config gets (AISBench's `syntheticdataset` for `synthetic_gen`). */
  abbr?: string;
}

const EXTENSIONS = [".yaml", ".yml", ".json", ".py"];

/** Where AISBench keeps its model and summarizer configs, under the working directory. */
export const AISBENCH_CONFIG_ROOT = "ais_bench/benchmark/configs";

/** Where AISBench keeps `synthetic_gen`'s distributions, under the working directory. */
export const AISBENCH_SYNTHETIC_CONFIG = "ais_bench/datasets/synthetic/synthetic_config.py";

/** `DIR/**\/name.py`, depth first in name order; undefined when there is none (or no DIR). */
function findPy(dir: string, name: string): string | undefined {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return undefined;
  }
  const file = entries.find((e) => e.isFile && e.name === `${name}.py`);
  if (file) return `${dir}/${file.name}`;
  for (const e of entries) {
    const found = e.isDirectory ? findPy(`${dir}/${e.name}`, name) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** Records of a JSONL file (its non-blank lines); undefined when it cannot be read. */
function jsonlRecords(path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l.trim() !== "").length;
  } catch {
    return undefined;
  }
}

function firstFile(paths: readonly string[]): string | undefined {
  return paths.find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * AISBench's dataset task names, as the dataset configs they mean. The data
 * files are looked for where AISBench keeps them (`ais_bench/datasets/<name>/`),
 * then where servebench's built-ins do (`datasets/<name>/`). The abbr is
 * AISBench's output name (`gsm8kdataset`). The `demo_` task reads the first 8
 * questions, as AISBench's demo configs do (`configs/datasets/demo/`).
 */
function aisbenchDatasetTask(ref: string): Record<string, unknown> | undefined {
  const gsm8k = /^(demo_)?gsm8k_gen_(\d+)_shot(_cot)?_(str|chat_prompt)$/.exec(ref);
  if (gsm8k) {
    const test = ["ais_bench/datasets/gsm8k/test.jsonl", "datasets/gsm8k/test.jsonl"];
    const train = firstFile(["ais_bench/datasets/gsm8k/train.jsonl", "datasets/gsm8k/train.jsonl"]);
    const path = firstFile(test);
    // AISBench sends the whole test split (the demo task its first 8 questions).
    const records = jsonlRecords(path);
    const count = records === undefined ? undefined : gsm8k[1] ? Math.min(8, records) : records;
    return {
      abbr: "gsm8kdataset",
      type: "gsm8k",
      path: path ?? test[0],
      ...(train !== undefined ? { train_path: train } : {}),
      shots: Number(gsm8k[2]),
      ...(count ? { request_count: count } : {}),
    };
  }
  const aime = /^aime2024_gen_(\d+)_shot_(str|chat_prompt)$/.exec(ref);
  if (aime) {
    const files = ["ais_bench/datasets/aime/aime.jsonl", "datasets/aime/aime.jsonl"];
    const path = firstFile(files);
    const count = jsonlRecords(path);
    return {
      abbr: "aime2024dataset",
      type: "gsm8k",
      path: path ?? files[0],
      shots: Number(aime[1]),
      ...(count ? { request_count: count } : {}),
    };
  }
  return undefined;
}

/**
 * EvalScope's `speed_benchmark` (`evalscope/perf/plugin/datasets/speed_benchmark.py`):
 * prompts of 1, 6144, 14336 and 30720 tokens, two of each, in that order (its
 * `INPUT_LENGTH` × `REPEAT`); EvalScope cycles through them up to `--number`.
 * Its output length is `--max-tokens` (EvalScope's default 2048,
 * `evalscope/perf/arguments.py`).
 */
export const SPEED_BENCHMARK_INPUT_LENS = [1, 1, 6144, 6144, 14336, 14336, 30720, 30720];

/**
 * EvalScope's `random_vl` image settings (`evalscope/perf/arguments.py`:
 * `image_width`/`image_height` 224, `image_num` 1; `random_vl_dataset.py`
 * adds that many PNGs after the random prompt's text).
 */
const RANDOM_VL_IMAGES = { images_per_request: 1, image_width: 224, image_height: 224 };

/**
 * EvalScope's dataset names that need no hub, as dataset configs
 * (`evalscope/perf/plugin/datasets/*.py`). openqa, longalpaca, line_by_line and
 * custom read the `--dataset-path` file (openqa takes each JSONL record's
 * `question`, longalpaca each list item's `instruction`, line_by_line and
 * custom each line); speed_benchmark and random_vl are generated, as `random`
 * configs: fixed steps of input lengths, or the random prompts with images.
 */
function evalscopeDataset(ref: string): Record<string, unknown> | undefined {
  switch (ref) {
    case "openqa":
      return { abbr: ref, type: "jsonl", path: "open_qa.jsonl", prompt_field: "question" };
    case "longalpaca":
      return { abbr: ref, type: "jsonl", path: "LongAlpaca-12k.json", prompt_field: "instruction" };
    case "line_by_line":
    case "custom":
      return { abbr: ref, type: "text_lines", path: `${ref}.txt` };
    case "speed_benchmark":
      return {
        abbr: ref,
        type: "random",
        request_count: SPEED_BENCHMARK_INPUT_LENS.length,
        input_lens: SPEED_BENCHMARK_INPUT_LENS,
        output_len: 2048,
      };
    case "random_vl": {
      const random = parseConfigText(
        BUILTIN.datasets.random!,
        "builtin:configs/datasets/random.yaml",
      );
      return { ...(random as Record<string, unknown>), abbr: ref, ...RANDOM_VL_IMAGES };
    }
    default:
      return undefined;
  }
}

/** EvalScope's dataset names servebench reads (with --dataset-path). */
export const EVALSCOPE_DATASET_NAMES = [
  "openqa",
  "longalpaca",
  "line_by_line",
  "custom",
  "speed_benchmark",
  "random_vl",
];

/** AISBench's dataset task names servebench reads (patterns: any shot count, `_str` or `_chat_prompt`). */
export const AISBENCH_DATASET_NAMES = [
  "synthetic_gen",
  "demo_gsm8k_gen_4_shot_cot_chat_prompt",
  "gsm8k_gen_4_shot_cot_str",
  "gsm8k_gen_4_shot_cot_chat_prompt",
  "aime2024_gen_0_shot_str",
  "aime2024_gen_0_shot_chat_prompt",
];

function readIfFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      return undefined;
    }
    throw new UsageError(`Cannot read config "${path}": ${(error as Error).message}`);
  }
}

function looksLikePath(ref: string): boolean {
  return ref.includes("/") || EXTENSIONS.some((e) => ref.endsWith(e));
}

function userNames(kind: ConfigKind, configDir: string | undefined): string[] {
  if (!configDir) return [];
  const names: string[] = [];
  for (const dir of [`${configDir}/${kind}`, configDir]) {
    try {
      for (const e of Deno.readDirSync(dir)) {
        const ext = EXTENSIONS.find((x) => e.name.endsWith(x));
        if (e.isFile && ext) names.push(e.name.slice(0, -ext.length));
      }
    } catch {
      // no such folder
    }
  }
  return names;
}

/** Every name a kind can be selected by. */
export function availableNames(kind: ConfigKind, configDir?: string): string[] {
  const builtins = Object.keys(BUILTIN[kind]);
  const aliases = kind === "models"
    ? Object.keys(ALIASES)
    : kind === "datasets"
    ? [...AISBENCH_DATASET_NAMES, ...EVALSCOPE_DATASET_NAMES]
    : [];
  return [...new Set([...userNames(kind, configDir), ...builtins, ...aliases])].sort();
}

/**
 * Finds a config by path, or by name in `configDir/<kind>/`, `configDir/`,
 * then (models and summarizers) AISBench's tree under the working directory
 * (`ais_bench/benchmark/configs/<kind>/**\/<name>.py`), then the built-ins
 * and AISBench's task names. Throws a UsageError listing the available names.
 */
export function findConfig(kind: ConfigKind, ref: string, configDir?: string): ConfigSource {
  const singular = kind.slice(0, -1);
  if (looksLikePath(ref)) {
    const text = readIfFile(ref);
    if (text === undefined) {
      throw new UsageError(`Cannot read ${singular} config "${ref}": no such file`);
    }
    const base = ref.split("/").pop()!;
    const ext = EXTENSIONS.find((e) => base.endsWith(e));
    return { kind, name: ext ? base.slice(0, -ext.length) : base, source: ref, text };
  }
  if (configDir) {
    for (const dir of [`${configDir}/${kind}`, configDir]) {
      for (const ext of EXTENSIONS) {
        const path = `${dir}/${ref}${ext}`;
        const text = readIfFile(path);
        if (text !== undefined) return { kind, name: ref, source: path, text };
      }
    }
  }
  if (kind !== "datasets") {
    const path = findPy(`${AISBENCH_CONFIG_ROOT}/${kind}`, ref);
    const text = path !== undefined ? readIfFile(path) : undefined;
    if (path !== undefined && text !== undefined) return { kind, name: ref, source: path, text };
  } else if (ref === "synthetic_gen") {
    const text = readIfFile(AISBENCH_SYNTHETIC_CONFIG);
    if (text !== undefined) {
      return { kind, name: ref, source: AISBENCH_SYNTHETIC_CONFIG, text, abbr: "syntheticdataset" };
    }
    // AISBench's own default when the file is absent; servebench's built-in synthetic stands in.
    const yaml = BUILTIN.datasets.synthetic!.replace(
      /^abbr: synthetic$/m,
      "abbr: syntheticdataset",
    );
    return { kind, name: ref, source: "builtin:configs/datasets/synthetic.yaml", text: yaml };
  } else {
    const task = aisbenchDatasetTask(ref);
    if (task) {
      return {
        kind,
        name: ref,
        source: `builtin:AISBench task ${ref}`,
        text: JSON.stringify(task),
      };
    }
    const evalscope = evalscopeDataset(ref);
    if (evalscope) {
      return {
        kind,
        name: ref,
        source: `builtin:EvalScope dataset ${ref}`,
        text: JSON.stringify(evalscope),
      };
    }
  }
  const name = kind === "models" ? (ALIASES[ref] ?? ref) : ref;
  const text = BUILTIN[kind][name];
  if (text !== undefined) {
    return { kind, name: ref, source: `builtin:configs/${kind}/${name}.yaml`, text };
  }
  throw new UsageError(
    `Unknown ${singular} "${ref}": available: ${availableNames(kind, configDir).join(", ")}`,
  );
}
