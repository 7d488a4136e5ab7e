/**
 * Resolution: command-line flags and selected configs → a validated Plan.
 * Every problem across flags and files is collected and reported at once, and
 * nothing is sent before the whole plan is valid. Flags given with `--models`
 * override that field in every selected model config.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { TokenCountMode } from "../metrics/request.ts";
import { datasetKind, pathExtensions, readsFile, sourceFromPath } from "../dataset/mod.ts";
import {
  defaultRequests,
  describeLoad,
  loadLabel,
  type LoadPart,
  type LoadProfile,
  maxInFlight,
  sendsDatasetOnce,
  type ShapeContext,
  targetRate,
} from "../load/mod.ts";
import type { Gate } from "../metrics/gates.ts";
import type { Objective } from "../metrics/goodput.ts";
import { DEFAULT_STATS, parseStats, type StatSpec } from "../metrics/stats.ts";
import type { SummarizerName } from "../metrics/summarize.ts";
import { adapterFor, type ApiKind, apisForUrl } from "../protocol/mod.ts";
import { authHeader } from "../protocol/adapter.ts";
import { DEFAULT_TRANSPORT, type TransportKind } from "../protocol/transport.ts";
import { safeName } from "../safe_name.ts";
import type { FaultPlan, SimOptions, SimServerKind } from "../sim_options.ts";
import { loadConfigs, parseConfigText } from "./load.ts";
import { isHfModelId, resolveHfTokenizer } from "../tokenizer/hf_cache.ts";
import {
  type LoadBlock,
  type LoadFlags,
  loadFromConfig,
  loadFromFlags,
  loadPoints,
} from "./load_block.ts";
import type { DatasetTask, ModelTask, Plan, ServerMetricsSetting, Task } from "./plan.ts";
import { DEFAULT_SCRAPE_INTERVAL_MS } from "../server_metrics/scrape.ts";
import { redactUrl } from "../redact.ts";
import { type ConfigSource, findConfig } from "./registry.ts";
import { partProblems } from "./shard.ts";
import type { DatasetConfig, ModelConfig, SummarizerConfig } from "./schema.ts";

/** Everything resolution reads, already parsed from flags (undefined = not given). */
export interface PlanInputs {
  models?: string[];
  datasets?: string[];
  summarizer?: string;
  configDir?: string;
  url?: string;
  model?: string;
  /** `auto`: probe the server; absent: the URL's route names it, else the config's. */
  api?: ApiKind | "auto";
  apiKey?: string;
  headers?: string[];
  stream?: boolean;
  /** The load flags given (`concurrency`, `request-rate`, `ramp`, …), read by the load shapes. */
  load?: LoadFlags;
  numPrompts?: number[];
  /** Run every task this many times (`--repeat`), each repetition its own files. */
  repeat?: number;
  inputLen?: number;
  /** Bound every task in time (seconds). */
  durationS?: number;
  /** A fixed prompt, repeated (flat dataset). */
  prompt?: string;
  /** Fields set in every selected dataset config (EvalScope's and LLM-Eval's random-dataset flags), with the flag each came from. */
  datasetOverrides?: Record<string, { value: unknown; flag: string }>;
  /** A dataset file: overrides `path` of selected dataset configs, or picks a source by extension. */
  datasetPath?: string;
  /** One line each for what the flags changed on the user's behalf (printed as notes). */
  notes?: string[];
  shuffle?: boolean;
  tokenizer?: string;
  tokenCount?: TokenCountMode;
  /** A PEM file of CA certificates to trust. */
  caCert?: string;
  /** Skip certificate verification (every model). */
  insecure?: boolean;
  /** False: do not check the model name against the server's list (`--no-model-check`). */
  modelCheck?: boolean;
  /** `--server-metrics [URL]`: true (the server's `/metrics`), the URL, or false (`--no-server-metrics`). */
  serverMetrics?: boolean | string;
  /** `--server-metrics-interval`, seconds. */
  serverMetricsIntervalS?: number;
  transport?: TransportKind;
  workers?: number;
  /** This process's part of a sharded run (`--shard`, `--shards`). */
  shard?: LoadPart;
  /** The wall-clock start instant (epoch ms, `--start-at`). */
  startAtMs?: number;
  maxTokens?: number;
  extraArgs?: string;
  timeoutS?: number;
  retry?: number;
  warmup?: number;
  seed?: number;
  workDir?: string;
  /** Send a plan beyond {@link PLAN_LIMITS} anyway (`--allow-huge-plan`). */
  allowHugePlan?: boolean;
  stats?: string[];
  percentiles?: boolean;
  slo?: Objective[];
  failOn?: Gate[];
}

/** Values of the environment resolution may read (API keys). */
export type EnvLookup = (name: string) => string | undefined;

/** Concurrency points of the default benchmark (no model or dataset selected). */
export const DEFAULT_CONCURRENCY = [1, 4, 16];

/**
 * A URL whose path is the endpoint of other APIs than `api` (`…/v1/completions`
 * with `--api openai-chat`): the problem naming both, or undefined.
 */
function routeProblem(url: string, api: ApiKind, where: string): string | undefined {
  const routed = apisForUrl(url);
  if (routed.length === 0 || routed.includes(api)) return undefined;
  return `${where}: "${new URL(url).pathname}" is the endpoint of API ${
    routed.map((k) => `"${k}"`).join(" or ")
  }, not of --api "${api}"; give the server's base URL, or --api ${routed[0]}`;
}

/**
 * A URL's `user:pass@` part as the Basic Authorization header it means, with
 * the URL without it; undefined when it has none (or is no URL).
 */
function urlCredentials(raw: string): { url: string; header: string } | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (!u.username && !u.password) return undefined;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const pair = `${decode(u.username)}:${decode(u.password)}`;
  const bytes = new TextEncoder().encode(pair);
  const header = `Basic ${btoa(String.fromCharCode(...bytes))}`;
  u.username = "";
  u.password = "";
  return { url: u.href, header };
}

/** The header an API's key travels in (lower case); "authorization" for APIs that send none. */
function authHeaderName(api: ApiKind): string {
  return authHeader(adapterFor(api).auth, "k")?.[0] ?? "authorization";
}

/** Checks a URL; returns a problem or undefined. */
export function urlProblem(raw: string, where: string): string | undefined {
  try {
    const u = new URL(raw);
    if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname) return undefined;
  } catch {
    // reported below
  }
  return `${where}: expected an http:// or https:// URL with a host, got "${redactUrl(raw)}"`;
}

function parseHeaders(list: readonly string[], problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of list) {
    const colon = h.indexOf(":");
    const k = colon > 0 ? h.slice(0, colon).trim() : "";
    if (!k || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) {
      problems.push(`--header: expected "Name: value", got "${h.slice(0, 40)}"`);
    } else headers[k] = h.slice(colon + 1).trim();
  }
  return headers;
}

function parseExtra(text: string | undefined, problems: string[]): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("not an object");
    }
    return parsed;
  } catch (error) {
    problems.push(
      `--extra-args: expected a JSON object, got an invalid value (${(error as Error).message})`,
    );
    return {};
  }
}

/**
 * Body fields that would contradict the model's `stream` setting: a request
 * the client reads as a stream must ask for one, and a whole one must not
 * (the server would answer a body the client does not expect, and a stream
 * read as a whole body gives no TTFT). Names the field and where it was set.
 */
function streamFieldProblems(
  model: ModelTask,
  source: { extra: Record<string, unknown>; where: string },
): string[] {
  const kw = model.generationKwargs;
  const from = (key: string) => (Object.hasOwn(source.extra, key) ? "--extra-args" : source.where);
  const out: string[] = [];
  if (Object.hasOwn(kw, "stream") && kw.stream !== model.stream) {
    out.push(
      `${from("stream")}: "stream": ${
        JSON.stringify(kw.stream)
      } contradicts the model's stream setting (${model.stream}); use --stream or --no-stream (a config's stream:) instead`,
    );
  }
  if (Object.hasOwn(kw, "stream_options") && !model.stream) {
    out.push(
      `${
        from("stream_options")
      }: "stream_options" is for streaming requests, but the model does not stream (stream: false)`,
    );
  }
  return out;
}

/** The server whose native route an API is, for the APIs only one simulated server serves. */
const NATIVE_SERVER_OF_API: Partial<Record<ApiKind, SimServerKind>> = {
  "tgi-generate-stream": "tgi",
  "tgi-generate": "tgi",
  "llamacpp-completion": "llamacpp",
  "sglang-generate": "sglang",
};

function simOptions(cfg: NonNullable<ModelConfig["sim"]>): SimOptions {
  const o: SimOptions = {};
  if (cfg.model !== undefined) o.model = cfg.model;
  if (cfg.ttft_ms !== undefined) o.ttftMs = cfg.ttft_ms;
  if (cfg.prefill_ms_per_token !== undefined) o.prefillMsPerToken = cfg.prefill_ms_per_token;
  if (cfg.itl_ms !== undefined) o.itlMs = cfg.itl_ms;
  if (cfg.jitter_ms !== undefined) o.jitterMs = cfg.jitter_ms;
  if (cfg.output_tokens !== undefined) o.outputTokens = cfg.output_tokens;
  if (cfg.tokens_per_chunk !== undefined) o.tokensPerChunk = cfg.tokens_per_chunk;
  if (cfg.reasoning_tokens !== undefined) o.reasoningTokens = cfg.reasoning_tokens;
  if (cfg.max_batch !== undefined) o.maxBatch = cfg.max_batch;
  if (cfg.kv_cache_tokens !== undefined) o.kvCacheTokens = cfg.kv_cache_tokens;
  if (cfg.seed !== undefined) o.seed = cfg.seed;
  if (cfg.usage_scale !== undefined) o.usageScale = cfg.usage_scale;
  if (cfg.tokenizer !== undefined) o.tokenizer = cfg.tokenizer;
  if (cfg.prefix_cache_blocks !== undefined) o.prefixCacheBlocks = cfg.prefix_cache_blocks;
  if (cfg.prefix_block_tokens !== undefined) o.prefixBlockTokens = cfg.prefix_block_tokens;
  if (cfg.faults !== undefined) o.faults = faultPlan(cfg.faults);
  if (cfg.server !== undefined) o.server = cfg.server;
  return o;
}

/** A config's fault block as the simulator takes it. */
export function faultPlan(f: NonNullable<NonNullable<ModelConfig["sim"]>["faults"]>): FaultPlan {
  const plan: FaultPlan = {};
  if (f.rates) plan.rates = f.rates;
  if (f.script) {
    plan.script = Object.fromEntries(Object.entries(f.script).map(([k, v]) => [Number(k), v]));
  }
  if (f.seed !== undefined) plan.seed = f.seed;
  if (f.retry_after_s !== undefined) plan.retryAfterS = f.retry_after_s;
  if (f.after_tokens !== undefined) plan.afterTokens = f.after_tokens;
  if (f.discovery_delay_ms !== undefined) plan.discoveryDelayMs = f.discovery_delay_ms;
  return plan;
}

/**
 * The server-metrics scraping of a model task: flags over the config's
 * `server_metrics` / `server_metrics_interval_s`; on by default (the server's
 * `/metrics`, every second).
 */
function serverMetricsSetting(
  cfg: ModelConfig,
  inputs: PlanInputs,
  at: { where: string; problems: string[] },
): ServerMetricsSetting | undefined {
  // `--server-metrics` alone turns scraping on, at the config's URL when it names one.
  const fromFlag = inputs.serverMetrics !== undefined &&
    !(inputs.serverMetrics === true && typeof cfg.server_metrics === "string");
  const given = fromFlag ? inputs.serverMetrics! : cfg.server_metrics ?? true;
  const intervalS = inputs.serverMetricsIntervalS ?? cfg.server_metrics_interval_s;
  const where = fromFlag ? "--server-metrics" : `${at.where}: server_metrics`;
  if (given === false) {
    if (intervalS !== undefined) {
      at.problems.push(
        `${
          inputs.serverMetricsIntervalS !== undefined
            ? "--server-metrics-interval"
            : `${at.where}: server_metrics_interval_s`
        }: not used: server metrics are off (${
          inputs.serverMetrics === false
            ? "--no-server-metrics"
            : `${at.where}: server_metrics: false`
        })`,
      );
    }
    return undefined;
  }
  if (intervalS !== undefined && intervalS > 3600) {
    at.problems.push(
      `${
        inputs.serverMetricsIntervalS !== undefined
          ? "--server-metrics-interval"
          : `${at.where}: server_metrics_interval_s`
      }: expected at most 3600 seconds, got ${intervalS}`,
    );
  }
  const setting: ServerMetricsSetting = {
    intervalMs: (intervalS ?? DEFAULT_SCRAPE_INTERVAL_MS / 1000) * 1000,
  };
  if (typeof given === "string") {
    const p = urlProblem(given, where);
    if (p) at.problems.push(p);
    else if (new URL(given).username || new URL(given).password) {
      at.problems.push(
        `${where}: a user or password in the URL cannot be sent; give credentials with --header instead`,
      );
    }
    setting.url = given;
  }
  return setting;
}

/** A model config + the overriding flags → a model task (with its load settings). */
function modelTask(
  entry: { src: ConfigSource; cfg: ModelConfig; apiKey?: string },
  inputs: PlanInputs,
  env: EnvLookup,
  problems: string[],
): ModelTask {
  const { src, cfg } = entry;
  const where = src.source;
  let baseUrl: string | undefined;
  if (inputs.url !== undefined) baseUrl = inputs.url;
  else if (cfg.url !== undefined) {
    const p = urlProblem(cfg.url, `${where}: url`);
    if (p) problems.push(p);
    baseUrl = cfg.url;
  } else if (cfg.host_ip !== undefined || cfg.host_port !== undefined) {
    if (cfg.host_ip === undefined) problems.push(`${where}: host_ip: missing (host_port is set)`);
    else if (cfg.host_port === undefined) {
      problems.push(`${where}: host_port: missing (host_ip is set)`);
    } else {
      const host = cfg.host_ip.includes(":") ? `[${cfg.host_ip}]` : cfg.host_ip;
      baseUrl = `http://${host}:${cfg.host_port}`;
      const p = urlProblem(baseUrl, `${where}: host_ip`);
      if (p) problems.push(p);
    }
  } else if (!cfg.sim) {
    problems.push(
      `${where}: url: missing (expected url, or host_ip and host_port, or a sim block)`,
    );
  }
  let apiKey = inputs.apiKey ?? entry.apiKey;
  if (apiKey === undefined && cfg.api_key_env !== undefined) {
    apiKey = env(cfg.api_key_env);
    if (apiKey === undefined) {
      problems.push(
        `${where}: api_key_env: the environment variable "${cfg.api_key_env}" is not set`,
      );
    }
  }
  apiKey ??= env("OPENAI_API_KEY") || undefined;
  const headers = { ...cfg.headers, ...parseHeaders(inputs.headers ?? [], problems) };
  const extra = parseExtra(inputs.extraArgs, problems);
  const model: ModelTask = {
    abbr: cfg.abbr ?? src.name,
    api: cfg.api,
    stream: inputs.stream ?? cfg.stream ?? true,
    source: where,
    model: inputs.model ?? cfg.model,
    headers,
    maxOutLen: inputs.maxTokens ?? cfg.max_out_len,
    generationKwargs: { ...cfg.generation_kwargs, ...extra },
    timeoutS: inputs.timeoutS ?? cfg.timeout_s,
    retry: inputs.retry ?? cfg.retry,
  };
  problems.push(
    ...streamFieldProblems(model, { extra, where: `${where}: generation_kwargs` }),
  );
  if (inputs.api === "auto") model.apiProbe = [];
  else if (inputs.api !== undefined) {
    model.api = inputs.api;
    if (baseUrl !== undefined) {
      const p = routeProblem(
        baseUrl,
        inputs.api,
        inputs.url !== undefined ? "--url" : `${where}: url`,
      );
      if (p) problems.push(p);
    }
  } else if (baseUrl !== undefined) {
    // The endpoint names the protocol: a URL whose path is a known route picks its API.
    const routed = apisForUrl(baseUrl);
    if (routed.length === 1) model.api = routed[0]!;
    else if (routed.length > 1) model.apiProbe = routed;
  }
  if (!model.apiProbe && adapterFor(model.api).streaming === false && model.stream) {
    // An API that cannot stream (embeddings) is sent whole unless streaming was asked for (a
    // config's stream: for another API, one a --url or --api replaced, does not ask).
    const asked = inputs.stream !== undefined ||
      (cfg.stream !== undefined && cfg.api === model.api);
    if (!asked) model.stream = false;
    else {
      problems.push(
        `${
          inputs.stream !== undefined ? "--stream" : `${where}: stream`
        }: API "${model.api}" cannot stream; use --no-stream (stream: false)`,
      );
    }
  }
  const urlWhere = inputs.url !== undefined ? "--url" : `${where}: url`;
  const keyWhere = inputs.apiKey !== undefined
    ? "--api-key"
    : cfg.api_key_env !== undefined
    ? `${where}: api_key_env`
    : undefined;
  if (keyWhere) {
    const authNames = model.apiProbe ? ["authorization", "x-api-key"] : [authHeaderName(model.api)];
    const clash = Object.keys(headers).find((h) => authNames.includes(h.toLowerCase()));
    if (clash) {
      const fromFlag = (inputs.headers ?? []).some((h) =>
        h.slice(0, Math.max(0, h.indexOf(":"))).trim().toLowerCase() === clash.toLowerCase()
      );
      problems.push(
        `${
          fromFlag ? "--header" : `${where}: headers`
        }: an explicit "${clash}" header and ${keyWhere} both authenticate; give one`,
      );
    }
  }
  if (baseUrl !== undefined) {
    const basic = urlCredentials(baseUrl);
    if (basic) {
      // fetch refuses URLs with credentials, and they must never be written: they travel as the
      // Authorization header they mean (RFC 3986 userinfo, sent as HTTP Basic auth).
      baseUrl = basic.url;
      if (keyWhere) {
        problems.push(
          `${urlWhere}: a user and password in the URL and ${keyWhere} both authenticate; give one`,
        );
      }
      if (Object.keys(headers).some((h) => h.toLowerCase() === "authorization")) {
        problems.push(
          `${urlWhere}: a user and password in the URL and an Authorization header both authenticate; give one`,
        );
      }
      headers.Authorization = basic.header;
    }
    model.baseUrl = baseUrl;
  } else if (cfg.sim) {
    model.sim = simOptions(cfg.sim);
    // The simulator plays the server whose native route the API needs, unless told which.
    const needs = NATIVE_SERVER_OF_API[model.api];
    if (cfg.sim.server === undefined) {
      if (needs) model.sim.server = needs;
    } else if (needs && needs !== cfg.sim.server) {
      problems.push(
        `${where}: sim.server: "${cfg.sim.server}" does not serve api "${model.api}" (its server is "${needs}")`,
      );
    }
  }

  const tokenizer = inputs.tokenizer ?? cfg.tokenizer;
  if (tokenizer !== undefined) {
    model.tokenizer = tokenizer;
    if (isHfModelId(tokenizer) && !isDirectory(tokenizer)) {
      // A model id (EvalScope's --tokenizer-path, LLM-Eval's --tokenizer): the local cache only.
      try {
        model.tokenizer = resolveHfTokenizer(tokenizer, { env });
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        const flag = inputs.tokenizer !== undefined ? "--tokenizer" : `${where}: tokenizer`;
        problems.push(...error.problems.map((p) => `${flag}: ${p}`));
      }
    }
  }
  const caCert = inputs.caCert ?? cfg.ca_cert;
  if (caCert !== undefined) {
    const where2 = inputs.caCert !== undefined ? "--ca-cert" : `${where}: ca_cert`;
    try {
      if (!Deno.readTextFileSync(caCert).includes("-----BEGIN CERTIFICATE-----")) {
        problems.push(
          `${where2}: "${caCert}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
        );
      }
    } catch (error) {
      problems.push(`${where2}: cannot read "${caCert}": ${(error as Error).message}`);
    }
    model.caCert = caCert;
  }
  if (inputs.insecure ?? cfg.insecure) {
    model.insecure = true;
    if (inputs.transport !== undefined && inputs.transport !== "node") {
      problems.push(
        `${
          inputs.insecure ? "--insecure" : `${where}: insecure`
        }: cannot be used with --transport ${inputs.transport} (it always verifies certificates); use --transport node`,
      );
    }
  }
  if (apiKey) model.apiKey = apiKey;
  if (inputs.modelCheck === false) model.skipModelCheck = true;
  const scraping = serverMetricsSetting(cfg, inputs, { where, problems });
  if (scraping) model.serverMetrics = scraping;
  return model;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function load<K extends "models" | "datasets" | "summarizers">(
  src: ConfigSource,
  kind: K,
  context: { problems: string[]; notes: string[]; overrides?: Record<string, unknown> },
) {
  try {
    const loaded = loadConfigs(kind, src.text, {
      source: src.source,
      ...(src.abbr !== undefined ? { abbr: src.abbr } : {}),
      ...(context.overrides ? { overrides: context.overrides } : {}),
    });
    context.notes.push(...loaded.notes);
    return loaded.configs;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    context.problems.push(...error.problems);
    return undefined;
  }
}

function find(
  kind: "models" | "datasets" | "summarizers",
  ref: string,
  inputs: PlanInputs,
  problems: string[],
) {
  try {
    return findConfig(kind, ref, inputs.configDir);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/** The selected configs, found and parsed (for `--search` and for resolution). */
export interface Selection {
  models: Array<{ src: ConfigSource; cfg?: ModelConfig; apiKey?: string }>;
  datasets: Array<{ src: ConfigSource; cfg?: DatasetConfig }>;
  summarizer: { src: ConfigSource; cfg?: SummarizerConfig };
  /** True when no model was selected and the flags describe it (`--url`, or the demo). */
  flatModel: boolean;
  /** True when no dataset was selected: the flags' synthetic workload. */
  flatDataset: boolean;
  /** One line per accepted config field that has no effect here (AISBench's non-performance fields). */
  notes: string[];
}

/** Dataset fields set by flags, checked against the selected config's type. */
function datasetOverrides(
  inputs: PlanInputs,
  src: ConfigSource,
  problems: string[],
): Record<string, unknown> | undefined {
  const o = inputs.datasetOverrides;
  if (!o || Object.keys(o).length === 0) return undefined;
  let type: unknown;
  try {
    const parsed = src.source.endsWith(".py")
      ? { type: "synthetic" }
      : parseConfigText(src.text, src.source);
    type = parsed && typeof parsed === "object"
      ? (parsed as Record<string, unknown>).type
      : undefined;
  } catch {
    return undefined; // reported when the config is loaded
  }
  if (type === "random") return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
  const flags = [...new Set(Object.values(o).map((v) => `--${v.flag}`))];
  problems.push(
    `${
      flags.join(", ")
    }: set the random dataset's lengths; "${src.name}" (${src.source}) is of type ${
      String(type)
    }: use --dataset random`,
  );
  return undefined;
}

/** Finds and parses every selected config; problems are appended. */
export function select(inputs: PlanInputs, problems: string[]): Selection {
  const flatModel = !inputs.models?.length;
  const flatDataset = !inputs.datasets?.length;
  const modelRefs = flatModel ? (inputs.url === undefined ? ["sim"] : []) : inputs.models!;
  const notes: string[] = [];
  const context = { problems, notes };
  const models = modelRefs.flatMap((ref): Selection["models"] => {
    const src = find("models", ref, inputs, problems);
    if (!src) return [];
    const loaded = load(src, "models", context);
    // An AISBench model config may list several models: each is a model task.
    return loaded ? loaded.map((l) => ({ src, ...l })) : [{ src }];
  });
  const datasets = (inputs.datasets ?? []).flatMap((ref): Selection["datasets"] => {
    const src = find("datasets", ref, inputs, problems);
    if (!src) return [];
    const overrides = datasetOverrides(inputs, src, problems);
    const cfg = load(src, "datasets", { ...context, ...(overrides ? { overrides } : {}) })?.[0]
      ?.cfg;
    return [cfg ? { src, cfg } : { src }];
  });
  const sumSrc = find("summarizers", inputs.summarizer ?? "default_perf", inputs, problems) ??
    findConfig("summarizers", "default_perf");
  const sumCfg = load(sumSrc, "summarizers", context)?.[0]?.cfg;
  return {
    models,
    datasets,
    summarizer: sumCfg ? { src: sumSrc, cfg: sumCfg } : { src: sumSrc },
    flatModel,
    flatDataset,
    notes,
  };
}

/** A model task with its load points. */
interface ModelLoads {
  model: ModelTask;
  points: Array<{ profile: LoadProfile; durationS?: number }>;
}

/** Problems among the flags alone, before any config is read. */
function flagProblems(inputs: PlanInputs, problems: string[]): void {
  if (inputs.workDir !== undefined && inputs.workDir.trim() === "") {
    problems.push(
      "--work-dir: expected a folder, got an empty value (the default is outputs/default)",
    );
  }
  if (inputs.url !== undefined) {
    const p = urlProblem(inputs.url, "--url");
    if (p) problems.push(p);
  }
  if (inputs.datasets?.length) {
    for (
      const [flag, value] of [["input-len", inputs.inputLen], ["prompt", inputs.prompt]] as const
    ) {
      if (value !== undefined) {
        problems.push(
          `--${flag}: applies to the default synthetic dataset only, not with --datasets; set it in the dataset config`,
        );
      }
    }
  }
  if (inputs.prompt !== undefined) {
    for (
      const [flag, value] of [["dataset-path", inputs.datasetPath], [
        "input-len",
        inputs.inputLen,
      ]] as const
    ) {
      if (value !== undefined) problems.push(`--${flag}: not used with --prompt; give one of them`);
    }
  } else if (
    inputs.datasetPath !== undefined && inputs.inputLen !== undefined && !inputs.datasets?.length
  ) {
    problems.push("--input-len: not used with --dataset-path (the file gives the prompts)");
  }
}

/** The model config without a file: `--url` and the flags describe the model. */
const FLAT_MODEL: ModelConfig = {
  api: "openai-chat",
  stream: true,
  model: "",
  headers: {},
  retry: 0,
  max_out_len: 32,
  timeout_s: 600,
  generation_kwargs: {},
};

/** A model config's own load: its `load:` block, else AISBench's batch_size and request_rate. */
function configLoad(cfg: ModelConfig, where: string, problems: string[]): LoadBlock | undefined {
  if (cfg.load !== undefined) {
    for (const key of ["batch_size", "request_rate"] as const) {
      if (cfg[key] !== undefined) {
        problems.push(`${where}: ${key}: not used with load: (set the load in the load block)`);
      }
    }
    const block = loadFromConfig(cfg.load, where);
    if (Array.isArray(block)) problems.push(...block);
    else return block;
  }
  return undefined;
}

/** The load points of one model: flags, else its `load:` block, else the defaults. */
function modelPoints(
  cfg: ModelConfig,
  where: string,
  flagLoad: LoadBlock | undefined,
  context: { flat: boolean; seed: number; durationS?: number; problems: string[] },
): ModelLoads["points"] {
  const own = configLoad(cfg, where, context.problems);
  const batchSize = cfg.batch_size ?? 1;
  const requestRate = cfg.request_rate ?? 0;
  const shapeContext: ShapeContext = { batchSize, requestRate, seed: context.seed };
  const block = flagLoad ?? own ?? legacyLoad(context.flat, batchSize, requestRate);
  if (!block) return [];
  if (block.shape.ownsDuration && context.durationS !== undefined) {
    context.problems.push(
      `--duration: not used with ${
        flagLoad ? `--${block.shape.selector.flag}` : `${where}: load.kind ${block.shape.kind}`
      } (it sets its own time)`,
    );
  }
  return loadPoints(block, shapeContext).map((p) => ({
    profile: p.profile,
    ...(p.durationS ?? context.durationS) !== undefined
      ? { durationS: (p.durationS ?? context.durationS)! }
      : {},
  }));
}

/** The load without flags or a `load:` block: the demo sweep, or AISBench's batch_size/request_rate. */
function legacyLoad(flat: boolean, batchSize: number, requestRate: number): LoadBlock | undefined {
  // AISBench: request_rate below 0.1 sends everything at once (under batch_size).
  const raw = flat
    ? { kind: "concurrency", concurrency: DEFAULT_CONCURRENCY }
    : requestRate >= 0.1
    ? { kind: "rate", rate: requestRate, arrival: "constant", max_concurrency: batchSize }
    : { kind: "concurrency", concurrency: batchSize };
  const block = loadFromConfig(raw, "defaults");
  return Array.isArray(block) ? undefined : block;
}

/** Every selected (or flag-described) model, with its load points. */
function modelTasks(
  inputs: PlanInputs,
  selection: Selection,
  env: EnvLookup,
  problems: string[],
): ModelLoads[] {
  let flagLoad: LoadBlock | undefined;
  if (inputs.load) {
    const fromFlags = loadFromFlags(inputs.load);
    if (Array.isArray(fromFlags)) problems.push(...fromFlags);
    else flagLoad = fromFlags;
  }
  const flatUrlModel = selection.flatModel && inputs.url !== undefined;
  const entries: Selection["models"] = flatUrlModel
    ? [{
      src: { kind: "models" as const, name: "model", source: "flags", text: "" },
      cfg: FLAT_MODEL,
    }]
    : selection.models;
  const flat = selection.flatModel && selection.flatDataset;
  const out: ModelLoads[] = [];
  for (const { src, cfg, apiKey } of entries) {
    if (!cfg) continue;
    const model = modelTask(
      { src, cfg, ...(apiKey !== undefined ? { apiKey } : {}) },
      inputs,
      env,
      problems,
    );
    const points = modelPoints(cfg, src.source, flagLoad, {
      flat,
      seed: inputs.seed ?? 0,
      ...(inputs.durationS !== undefined ? { durationS: inputs.durationS } : {}),
      problems,
    });
    out.push({ model, points });
  }
  return out;
}

/** The dataset the flags describe when no dataset config is selected. */
function flatDataset(inputs: PlanInputs, problems: string[]): DatasetTask | undefined {
  const base = { source: "flags", seed: inputs.seed ?? 0, shuffle: inputs.shuffle ?? false };
  const path = inputs.datasetPath;
  if (inputs.prompt !== undefined) {
    return { ...base, abbr: "prompt", type: "prompt", prompt: inputs.prompt };
  }
  if (path === undefined) {
    return {
      ...base,
      abbr: "synthetic",
      type: "synthetic",
      // No output length: each model's max_out_len (or --max-tokens) applies.
      synthetic: { input: { kind: "fixed", value: inputs.inputLen ?? 128 }, dataType: "string" },
    };
  }
  const source = sourceFromPath(path);
  if (source) {
    return { ...source, ...base, abbr: safeName(path.split("/").pop()!.replace(/\.[^.]+$/, "")) };
  }
  const exts = pathExtensions();
  problems.push(
    `--dataset-path: cannot tell the format of "${path}" from its extension: expected ${
      exts.slice(0, -1).join(", ")
    } or ${exts.at(-1)}, or select a dataset config with --dataset`,
  );
  return undefined;
}

/** Every selected dataset (or the flags' one) as a task. */
function datasetTasks(inputs: PlanInputs, selection: Selection, problems: string[]): DatasetTask[] {
  if (selection.flatDataset) {
    const task = flatDataset(inputs, problems);
    return task ? [task] : [];
  }
  const datasets: DatasetTask[] = [];
  for (const { src, cfg } of selection.datasets) {
    if (!cfg) continue;
    const kind = datasetKind(cfg.type)!;
    if (inputs.datasetPath !== undefined && !kind.readsFile) {
      problems.push(
        `--dataset-path: not used with ${src.source} (type ${cfg.type} reads no file)`,
      );
    }
    const source = kind.toSource(
      cfg,
      inputs.datasetPath !== undefined ? { path: inputs.datasetPath } : {},
    );
    if (Array.isArray(source)) {
      problems.push(...source.map((p) => `${src.source}: ${p}`));
      continue;
    }
    const task: DatasetTask = {
      ...source,
      abbr: cfg.abbr ?? src.name,
      source: src.source,
      seed: inputs.seed ?? cfg.seed,
      shuffle: inputs.shuffle ?? cfg.shuffle,
    };
    if (cfg.request_count !== undefined) task.requestCount = cfg.request_count;
    datasets.push(task);
  }
  return datasets;
}

/** The statistics: `--stats`, else the summarizer config's, else the defaults. */
function statsOf(inputs: PlanInputs, selection: Selection, problems: string[]): StatSpec[] {
  const sumCfg = selection.summarizer.cfg;
  try {
    return parseStats(
      inputs.stats ?? sumCfg?.stats_list ?? DEFAULT_STATS,
      inputs.stats ? "--stats" : `${selection.summarizer.src.source}: stats_list`,
    );
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
    return [];
  }
}

/**
 * What a task may plan without `--allow-huge-plan`: requests (warm-up
 * included; a time-bounded task's are its target rate × duration) and
 * streams in flight. A million requests is hours at the throughput of a
 * large server, and its trace and report take gigabytes; 100,000 streams
 * is beyond the ephemeral ports one client address has towards one server.
 */
export const PLAN_LIMITS = { requests: 1_000_000, inFlight: 100_000 } as const;

const formatCount = (n: number) => Math.round(n).toLocaleString("en-US");

/** A task's problems with {@link PLAN_LIMITS}: the numbers, where they come from, how to override. */
function planLimitProblems(
  task: Task,
  where: { key: string; count: { from: string; advice: string }; warmup: number },
): string[] {
  const { load } = task;
  const out: string[] = [];
  const override = "or pass --allow-huge-plan to send it anyway";
  const rate = targetRate(load);
  const timed = load.numRequests === undefined && load.durationS !== undefined &&
    rate !== undefined && Number.isFinite(rate);
  const planned = load.numRequests !== undefined
    ? where.warmup + load.numRequests
    : timed
    ? where.warmup + rate! * load.durationS!
    : undefined;
  if (planned !== undefined && planned > PLAN_LIMITS.requests) {
    const { from, advice } = timed
      ? {
        from: `${rate} req/s for ${load.durationS} s`,
        advice: "lower --request-rate or --duration, or set --num-prompts",
      }
      : where.count;
    out.push(
      `Task "${where.key}" (${describeLoad(load)}) plans ${formatCount(planned)} requests (${from}${
        where.warmup ? `, warm-up ${where.warmup} included` : ""
      }), above the limit of ${formatCount(PLAN_LIMITS.requests)} per task: ${advice}, ${override}`,
    );
  }
  const lanes = Math.min(maxInFlight(load), load.numRequests ?? Infinity);
  if (Number.isFinite(lanes) && lanes > PLAN_LIMITS.inFlight) {
    out.push(
      `Task "${where.key}" (${describeLoad(load)}) plans ${
        formatCount(lanes)
      } requests in flight, above the limit of ${
        formatCount(PLAN_LIMITS.inFlight)
      } streams: lower --concurrency, ${override}`,
    );
  }
  return out;
}

/** The matrix: every model × dataset × load point, each writing its own files. */
function buildMatrix(
  models: readonly ModelLoads[],
  datasets: readonly DatasetTask[],
  options: {
    numPrompts?: readonly number[];
    problems: string[];
    warmup: number;
    allowHugePlan?: boolean;
  },
): Task[] {
  const { numPrompts, problems } = options;
  const tasks: Task[] = [];
  const seen = new Map<string, Task>();
  for (const { model, points } of models) {
    if (numPrompts && numPrompts.length > 1 && numPrompts.length !== points.length) {
      problems.push(
        `--num-prompts: got ${numPrompts.length} values for ${points.length} load points; give one, or one per load point`,
      );
      continue;
    }
    for (const dataset of datasets) {
      points.forEach(({ profile, durationS }, i) => {
        const explicit = numPrompts?.[i] ?? numPrompts?.[0];
        const generated = !readsFile(dataset);
        const once = sendsDatasetOnce(profile);
        const n = explicit ??
          (durationS !== undefined ? undefined : dataset.requestCount ??
            (generated && !once ? defaultRequests(profile) : undefined));
        if (once && dataset.shuffle) {
          problems.push(
            `${dataset.source}: dataset "${dataset.abbr}": shuffle does not apply to a ${profile.kind} load (records go in their order, each once)`,
          );
          return;
        }
        if (n === undefined && durationS === undefined && !once) {
          problems.push(
            `${dataset.source}: dataset "${dataset.abbr}": set request_count, or --num-prompts, to say how many requests to send`,
          );
          return;
        }
        const outputName = points.length > 1
          ? `${dataset.abbr}_${loadLabel(profile)}`
          : dataset.abbr;
        const task: Task = {
          model,
          dataset: n !== undefined ? { ...dataset, requestCount: n } : dataset,
          load: {
            ...profile,
            ...(n !== undefined ? { numRequests: n } : {}),
            ...(durationS !== undefined ? { durationS } : {}),
          },
          outputName,
        };
        const key = `${safeName(model.abbr)}/${safeName(outputName)}`;
        const other = seen.get(key);
        if (other) {
          problems.push(
            `Two tasks would write performances/${key}.*: model "${model.abbr}" (${model.source}) × dataset "${dataset.abbr}" (${dataset.source}) and model "${other.model.abbr}" (${other.model.source}) × dataset "${other.dataset.abbr}" (${other.dataset.source}); give them distinct abbr values`,
          );
          return;
        }
        seen.set(key, task);
        tasks.push(task);
        if (!options.allowHugePlan) {
          const count = explicit !== undefined
            ? { from: "--num-prompts", advice: "lower --num-prompts" }
            : dataset.requestCount !== undefined
            ? { from: `${dataset.source}: request_count`, advice: "set --num-prompts" }
            : {
              from: "4 per stream in flight, as --num-prompts was not given",
              advice: "set --num-prompts",
            };
          problems.push(...planLimitProblems(task, { key, count, warmup: options.warmup }));
        }
      });
    }
  }
  return tasks;
}

/**
 * The tasks run `times` times, in rounds (every task once, then again), so
 * that a drift of the service over time spreads over all of them. Each
 * repetition writes its own files: `<name>_r1`, `<name>_r2`, …
 */
function repeated(tasks: readonly Task[], times: number): Task[] {
  if (times <= 1) return [...tasks];
  const out: Task[] = [];
  for (let index = 1; index <= times; index++) {
    for (const task of tasks) {
      out.push({
        ...task,
        outputName: `${task.outputName}_r${index}`,
        repetition: { index, of: times },
      });
    }
  }
  return out;
}

const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"];

/**
 * The transport when `--transport` is not given: raw, except where a proxy
 * variable is set — the raw transport connects directly and would ignore it,
 * so `fetch`, which honours the proxy variables, is taken instead.
 */
export function defaultTransport(env: EnvLookup): TransportKind {
  const set = (name: string) => {
    try {
      return Boolean(env(name));
    } catch {
      // Not readable (a run granted only named --allow-env variables): taken as unset.
      return false;
    }
  };
  return PROXY_VARIABLES.some(set) ? "fetch" : DEFAULT_TRANSPORT;
}

/**
 * Resolves flags and configs into a Plan: select configs → parse each through
 * its kind (load shapes, dataset sources) → build the matrix. Throws a
 * UsageError naming every problem, `options.earlier` ones (found while
 * reading flags) first.
 */
export function resolvePlan(
  inputs: PlanInputs,
  env: EnvLookup,
  options: { earlier?: readonly string[] } = {},
): Plan {
  const problems: string[] = [...(options.earlier ?? [])];
  flagProblems(inputs, problems);
  const selection = select(inputs, problems);
  const models = modelTasks(inputs, selection, env, problems);
  const datasets = datasetTasks(inputs, selection, problems);
  const stats = statsOf(inputs, selection, problems);
  const tasks = buildMatrix(models, datasets, {
    ...(inputs.numPrompts ? { numPrompts: inputs.numPrompts } : {}),
    problems,
    warmup: inputs.warmup ?? 0,
    ...(inputs.allowHugePlan ? { allowHugePlan: true } : {}),
  });
  if (inputs.shard) {
    problems.push(...partProblems({ tasks, warmup: inputs.warmup ?? 0 }, inputs.shard));
  }
  if (problems.length) throw new UsageError(problems);
  const sumCfg = selection.summarizer.cfg;
  const plan: Plan = {
    tasks: repeated(tasks, inputs.repeat ?? 1),
    workDir: inputs.workDir ?? "outputs/default",
    stats,
    summarizer: (sumCfg?.summarizer ?? "default_perf") as SummarizerName,
    warmup: inputs.warmup ?? 0,
    transport: inputs.transport ?? defaultTransport(env),
  };
  if (inputs.slo) plan.slo = inputs.slo;
  if (inputs.failOn) plan.failOn = inputs.failOn;
  if (inputs.percentiles ?? sumCfg?.percentiles) plan.percentiles = true;
  if (inputs.tokenCount) plan.tokenCount = inputs.tokenCount;
  if (inputs.workers !== undefined) plan.workers = inputs.workers;
  if (inputs.shard && inputs.shard.count > 1) plan.shard = inputs.shard;
  if (inputs.startAtMs !== undefined) plan.startAtMs = inputs.startAtMs;
  const notes = [...(inputs.notes ?? []), ...selection.notes];
  if (notes.length) plan.notes = notes;
  return plan;
}
