/**
 * Finding configs by name or path: user files first (`--config-dir`), then
 * the built-ins, which are imported into the module graph so the compiled
 * binary carries them. A lookup that fails lists what is available.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ConfigKind } from "./schema.ts";
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
}

const EXTENSIONS = [".yaml", ".yml", ".json"];

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
  const aliases = kind === "models" ? Object.keys(ALIASES) : [];
  return [...new Set([...userNames(kind, configDir), ...builtins, ...aliases])].sort();
}

/**
 * Finds a config by path, or by name in `configDir/<kind>/`, `configDir/`,
 * then the built-ins. Throws a UsageError listing the available names.
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
  const name = kind === "models" ? (ALIASES[ref] ?? ref) : ref;
  const text = BUILTIN[kind][name];
  if (text !== undefined) {
    return { kind, name: ref, source: `builtin:configs/${kind}/${name}.yaml`, text };
  }
  throw new UsageError(
    `Unknown ${singular} "${ref}": available: ${availableNames(kind, configDir).join(", ")}`,
  );
}
