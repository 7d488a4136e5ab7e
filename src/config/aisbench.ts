/**
 * AISBench `.py` configs, read with {@linkcode parsePyConfig} (never executed)
 * and mapped to the plain objects servebench's YAML configs hold, so that the
 * model, dataset and summarizer schemas validate them as they validate YAML:
 *
 * - model configs, `models = [dict(attr="service", type=VLLMCustomAPIChat, …)]`;
 * - summarizer configs, `summarizer = dict(attr="performance", calculator=dict(type=…, stats_list=[…]))`;
 * - `synthetic_config.py`, `synthetic_config = {"Type": …, "RequestCount": …, "StringConfig": …}`.
 *
 * Fields that do not change what is measured (`trust_remote_code`,
 * `pred_postprocessor`, …) are accepted with one note each; a field that
 * would change it but has no equivalent, and any unknown field, is an error
 * naming the file, line and field. Every problem in a file is reported at once.
 *
 * Sources (AISBench/benchmark): `ais_bench/benchmark/models/__init__.py` and
 * `models/api_models/*.py` (the classes, their constructor arguments and which
 * force `stream`), `ais_bench/benchmark/utils/config/build.py`
 * (`build_model_from_cfg`: the fields popped before the class is built, and
 * the checks of `_validate_model_cfg`), `ais_bench/benchmark/datasets/synthetic.py`
 * (the synthetic config's keys and checks), `configs/summarizers/perf/*.py`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  lineOf,
  parsePyConfig,
  type PyDict,
  type PyModule,
  PyName,
  type PyValue,
} from "./pyconfig.ts";

/** What an AISBench model class becomes: an API and, for the `…Stream` classes, a forced stream. */
export interface AisbenchModelClass {
  /** servebench's API kind. */
  api: "openai-chat" | "openai-completions";
  /** Set when the class forces streaming on or off whatever `stream` says. */
  forcedStream?: boolean;
}

/**
 * AISBench's service model classes that speak an OpenAI-compatible API
 * (`ais_bench/benchmark/models/api_models/vllm_custom_api*.py`). `stream`
 * defaults to false, as in their constructors.
 */
export const AISBENCH_MODEL_CLASSES: Readonly<Record<string, AisbenchModelClass>> = {
  VLLMCustomAPI: { api: "openai-completions" },
  VLLMCustomAPIStream: { api: "openai-completions", forcedStream: true },
  VLLMCustomAPIChat: { api: "openai-chat" },
  VLLMCustomAPIChatStream: { api: "openai-chat", forcedStream: true },
  VllmMultiturnAPIChatStream: { api: "openai-chat", forcedStream: true },
  VLLMFunctionCallAPIChat: { api: "openai-chat", forcedStream: false },
};

/** AISBench classes servebench cannot drive, with the reason given to the user. */
const UNSUPPORTED_CLASSES: Readonly<Record<string, string>> = {
  MindieStreamApi: "MindIE's own infer protocol",
  TGICustomAPI: "TGI's own generate protocol",
  TGICustomAPIStream: "TGI's own generate_stream protocol",
  TritonCustomAPI: "Triton's v2 generate protocol",
  TritonCustomAPIStream: "Triton's v2 generate_stream protocol",
  VITAGenerateAPI: "VITA's own generate protocol",
};

const LOCAL_CLASSES = new Set([
  "HuggingFace",
  "HuggingFaceCausalLM",
  "HuggingFaceBaseModel",
  "HuggingFacewithChatTemplate",
  "HuggingFaceQwen2VLwithChatTemplate",
  "VLLMOfflineVLModel",
  "MindFormerModel",
]);

/**
 * Model-config fields AISBench accepts that do not change what a performance
 * run sends or measures, with what each is for. From `build_model_from_cfg`
 * (the fields it pops) and the constructors of the vLLM API classes.
 */
export const AISBENCH_NON_PERFORMANCE_FIELDS: Readonly<Record<string, string>> = {
  trust_remote_code: "lets AISBench's Python tokenizer run model code; servebench never runs any",
  verbose: "AISBench's per-request logging; use --debug",
  meta_template: "AISBench's prompt role template for accuracy datasets",
  pred_postprocessor: "post-processing of answers for accuracy scoring",
  returns_tool_calls: "how function-call answers are parsed for accuracy scoring",
  response_anomaly: "msProbe response-anomaly detection (accuracy)",
  summarizer_abbr: "set internally by AISBench",
  run_cfg: "GPU/process counts of local models",
  min_out_len: "used by AISBench's local models only (for a service: generation_kwargs.min_tokens)",
};

/** One model of an AISBench model config. */
export interface AisbenchModel {
  /** The plain object a YAML model config would hold. */
  config: Record<string, unknown>;
  /** `api_key` from the file, kept out of `config` so it never reaches a file or log. */
  apiKey?: string;
  /** The line of the model's `dict(`. */
  line: number;
}

/** What a model config file maps to. */
export interface AisbenchModels {
  /** Every entry of `models`, in order. */
  models: AisbenchModel[];
  /** One line per accepted field that has no effect here (`file:line: field: …`). */
  notes: string[];
}

/** What a summarizer or synthetic config file maps to. */
export interface AisbenchConfig {
  /** The plain object a YAML config of that kind would hold. */
  config: Record<string, unknown>;
  /** One line per accepted field that has no effect here. */
  notes: string[];
}

class Collector {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
  at(line: number | undefined): string {
    return line === undefined ? this.source : `${this.source}:${line}`;
  }
  problem(line: number | undefined, field: string, what: string): void {
    this.problems.push(`${this.at(line)}: ${field}: ${what}`);
  }
  note(line: number | undefined, field: string, what: string): void {
    this.notes.push(`${this.at(line)}: ${field}: ${what}`);
  }
  done(): void {
    if (this.problems.length > 0) throw new UsageError(this.problems);
  }
}

function isDict(v: PyValue | undefined): v is PyDict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PyName);
}

/** A PyValue as plain data; a class reference inside is a problem. */
function plain(v: PyValue, field: string, line: number | undefined, c: Collector): unknown {
  if (v instanceof PyName) {
    c.problem(v.line, field, `expected a value, got the class "${v.name}"`);
    return undefined;
  }
  if (Array.isArray(v)) return v.map((x, i) => plain(x, `${field}[${i}]`, lineOf(v, i) ?? line, c));
  if (isDict(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x, `${field}.${k}`, lineOf(v, k), c);
    return out;
  }
  return v;
}

function className(v: PyValue | undefined): string | undefined {
  if (v instanceof PyName) return v.name;
  // mmengine also accepts the class as a (dotted) string.
  if (typeof v === "string") return v.split(".").pop();
  return undefined;
}

function assigned(mod: PyModule, name: string, shape: string, c: Collector) {
  const a = mod.assignments.get(name);
  if (!a) {
    c.problem(undefined, name, `missing: expected an AISBench config with ${shape}`);
    c.done();
  }
  return a!;
}

/** The one dict a summarizer or synthetic config assigns to `name`, its problems collected. */
function assignedDict(
  text: string,
  source: string,
  spec: { name: string; shape: string; expected: string },
) {
  const c = new Collector(source);
  const s = assigned(parsePyConfig(text, source), spec.name, spec.shape, c);
  if (!isDict(s.value)) {
    c.problem(s.line, spec.name, spec.expected);
    c.done();
  }
  const d = s.value as PyDict;
  return { c, d, line: s.line, at: (k: string) => lineOf(d, k) ?? s.line };
}

/**
 * Maps an AISBench model config (`models = [dict(…), …]`) to model configs.
 * Throws a UsageError listing every problem (file, line, field).
 */
export function aisbenchModels(text: string, source: string): AisbenchModels {
  const mod = parsePyConfig(text, source);
  const c = new Collector(source);
  const list = assigned(mod, "models", 'models = [dict(attr="service", type=…, …)]', c);
  if (!Array.isArray(list.value)) {
    c.problem(list.line, "models", "expected a list of dict(...)");
    c.done();
  }
  const items = list.value as PyValue[];
  const models: AisbenchModel[] = [];
  items.forEach((item, i) => {
    const line = lineOf(items, i) ?? list.line;
    if (!isDict(item)) {
      c.problem(line, `models[${i}]`, "expected dict(...)");
      return;
    }
    const m = modelOf(item, line, c);
    if (m) models.push(m);
  });
  if (items.length === 0) c.problem(list.line, "models", "empty: expected at least one dict(...)");
  c.done();
  return { models, notes: c.notes };
}

function modelOf(d: PyDict, line: number, c: Collector): AisbenchModel | undefined {
  const at = (k: string) => lineOf(d, k) ?? line;
  const attr = d.attr;
  if (attr !== undefined && attr !== "service") {
    if (attr === "local") {
      c.problem(
        at("attr"),
        "attr",
        '"local" runs a model in-process; servebench benchmarks services ("service")',
      );
    } else {c.problem(
        at("attr"),
        "attr",
        `expected "service", got ${JSON.stringify(plain(attr, "attr", line, c))}`,
      );}
  }
  const type = className(d.type);
  let cls: AisbenchModelClass | undefined;
  if (d.type === undefined) {
    c.problem(line, "type", "missing (expected a model class such as VLLMCustomAPIChat)");
  } else if (type === undefined) {
    c.problem(at("type"), "type", "expected a model class such as VLLMCustomAPIChat");
  } else if (AISBENCH_MODEL_CLASSES[type]) cls = AISBENCH_MODEL_CLASSES[type];
  else if (UNSUPPORTED_CLASSES[type]) {
    c.problem(
      at("type"),
      "type",
      `${type} speaks ${UNSUPPORTED_CLASSES[type]}; servebench speaks the OpenAI-compatible APIs (${
        Object.keys(AISBENCH_MODEL_CLASSES).join(", ")
      })`,
    );
  } else if (LOCAL_CLASSES.has(type)) {
    c.problem(
      at("type"),
      "type",
      `${type} is a local model backend; servebench benchmarks services`,
    );
  } else {
    c.problem(
      at("type"),
      "type",
      `unknown model class "${type}" (expected one of ${
        Object.keys(AISBENCH_MODEL_CLASSES).join(", ")
      })`,
    );
  }

  const config: Record<string, unknown> = {};
  if (cls) config.api = cls.api;
  let apiKey: string | undefined;
  let ssl = false;
  let url: string | undefined;
  for (const [key, raw] of Object.entries(d)) {
    const kl = at(key);
    switch (key) {
      case "attr":
      case "type":
        break;
      case "abbr":
      case "model":
      case "host_ip":
      case "host_port":
      case "request_rate":
      case "retry":
      case "max_out_len":
      case "batch_size":
        config[key] = plain(raw, key, kl, c);
        break;
      case "generation_kwargs": {
        const g = plain(raw, key, kl, c);
        if (g && typeof g === "object" && !Array.isArray(g) && "response_anomaly_enabled" in g) {
          // base_api.py pops it before any request is built.
          delete (g as Record<string, unknown>).response_anomaly_enabled;
          c.note(
            kl,
            `${key}.response_anomaly_enabled`,
            "accepted; msProbe anomaly detection (accuracy), never sent",
          );
        }
        config[key] = g;
        break;
      }
      case "path":
        if (typeof raw !== "string") c.problem(kl, key, "expected a string (the tokenizer folder)");
        else if (raw !== "") config.tokenizer = raw;
        break;
      case "stream":
        if (typeof raw !== "boolean") c.problem(kl, key, "expected True or False");
        else if (cls?.forcedStream !== undefined && raw !== cls.forcedStream) {
          c.note(
            kl,
            key,
            `${type} always uses stream=${cls.forcedStream ? "True" : "False"} (as in AISBench); ${
              raw ? "True" : "False"
            } is overridden`,
          );
        } else config.stream = raw;
        break;
      case "api_key":
        if (typeof raw !== "string") c.problem(kl, key, "expected a string");
        else if (raw !== "") apiKey = raw;
        break;
      case "url":
        if (typeof raw !== "string") c.problem(kl, key, "expected a string");
        else if (raw.trim() !== "") url = raw.trim();
        break;
      case "enable_ssl":
        if (typeof raw !== "boolean") c.problem(kl, key, "expected True or False");
        else ssl = raw;
        break;
      case "use_timestamp":
        if (raw === true) {
          c.problem(
            kl,
            key,
            "True schedules requests by the dataset's timestamps, which servebench model configs do not do; set it to False",
          );
        } else if (raw !== false) c.problem(kl, key, "expected True or False");
        else c.note(kl, key, "accepted; False keeps request_rate scheduling, as servebench does");
        break;
      case "traffic_cfg":
        trafficCfg(raw, kl, c);
        break;
      default:
        if (AISBENCH_NON_PERFORMANCE_FIELDS[key]) {
          c.note(
            kl,
            key,
            `accepted, does not affect performance (${AISBENCH_NON_PERFORMANCE_FIELDS[key]})`,
          );
        } else c.problem(kl, key, "unknown field");
    }
  }
  if (cls?.forcedStream !== undefined) config.stream = cls.forcedStream;
  else if (cls && config.stream === undefined) config.stream = false;
  if (url !== undefined) {
    config.url = /^https?:\/\//.test(url) ? url : `${ssl ? "https" : "http"}://${url}`;
    delete config.host_ip;
    delete config.host_port;
  } else if (ssl) {
    const host = String(config.host_ip ?? "localhost");
    config.url = `https://${host.includes(":") ? `[${host}]` : host}:${
      String(config.host_port ?? 8080)
    }`;
    delete config.host_ip;
    delete config.host_port;
  } else {
    // AISBench's defaults (base_api.py) when the file leaves them out.
    config.host_ip ??= "localhost";
    config.host_port ??= 8080;
  }
  if (!cls) return undefined;
  return apiKey === undefined ? { config, line } : { config, apiKey, line };
}

function trafficCfg(raw: PyValue, line: number, c: Collector): void {
  if (!isDict(raw)) {
    c.problem(line, "traffic_cfg", "expected dict(...)");
    return;
  }
  const off = (v: PyValue | undefined) => v === undefined || v === null || v === "" || v === 0;
  const active = Object.entries(raw).filter(([k, v]) => {
    if (k === "ramp_up_strategy" || k === "burstiness") return !off(v);
    return false;
  });
  const unknown = Object.keys(raw).filter((k) =>
    !["ramp_up_strategy", "ramp_up_start_rps", "ramp_up_end_rps", "burstiness"].includes(k)
  );
  for (const k of unknown) c.problem(lineOf(raw, k) ?? line, `traffic_cfg.${k}`, "unknown field");
  if (active.length > 0) {
    c.problem(
      line,
      "traffic_cfg",
      `${
        active.map(([k]) => k).join(", ")
      } shape the arrival rate, which servebench sets with flags: --ramp linear|exponential --ramp-from R --ramp-to R, --arrival gamma --burstiness B`,
    );
  } else if (unknown.length === 0) {
    c.note(line, "traffic_cfg", "accepted; every setting in it is off");
  }
}

const STATS_NAME = /^(Average|Min|Max|Median|P\d+(\.\d+)?)$/;

/**
 * Maps an AISBench summarizer config (`summarizer = dict(attr="performance",
 * type=DefaultPerfSummarizer, calculator=dict(type=…, stats_list=[…]))`) to
 * a summarizer config. Throws a UsageError listing every problem.
 */
export function aisbenchSummarizer(text: string, source: string): AisbenchConfig {
  const { c, d, line, at } = assignedDict(text, source, {
    name: "summarizer",
    shape: "summarizer = dict(calculator=dict(type=…, stats_list=[…]))",
    expected: "expected dict(...)",
  });
  const config: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(d)) {
    if (key === "attr") {
      if (raw !== "performance") {
        c.problem(
          at(key),
          key,
          `expected "performance" (servebench has no accuracy summarizers), got ${
            JSON.stringify(plain(raw, key, at(key), c))
          }`,
        );
      }
    } else if (key === "type") {
      const t = className(raw);
      if (t !== "DefaultPerfSummarizer") {
        c.problem(at(key), key, `expected DefaultPerfSummarizer, got ${t ?? "a value"}`);
      }
    } else if (key === "calculator") {
      if (!isDict(raw)) {
        c.problem(at(key), key, "expected dict(type=…, stats_list=[…])");
        continue;
      }
      for (const [ck, cv] of Object.entries(raw)) {
        const cl = lineOf(raw, ck) ?? at(key);
        if (ck === "type") {
          const t = className(cv);
          if (t === "DefaultPerfMetricCalculator") config.summarizer = "default_perf";
          else if (t === "StablePerfMetricCalculator") config.summarizer = "stable_stage";
          else {c.problem(
              cl,
              "calculator.type",
              `expected DefaultPerfMetricCalculator or StablePerfMetricCalculator, got ${
                t ?? "a value"
              }`,
            );}
        } else if (ck === "stats_list") {
          const list = plain(cv, "calculator.stats_list", cl, c);
          if (
            !Array.isArray(list) || list.some((x) => typeof x !== "string" || !STATS_NAME.test(x))
          ) {
            c.problem(
              cl,
              "calculator.stats_list",
              "expected a list of Average, Min, Max, Median or Pxx",
            );
          } else if (list.length > 8) {
            c.problem(
              cl,
              "calculator.stats_list",
              `at most 8 statistics (as in AISBench), got ${list.length}`,
            );
          } else config.stats_list = list;
        } else c.problem(cl, `calculator.${ck}`, "unknown field");
      }
      if (!("type" in raw)) c.problem(at(key), "calculator.type", "missing");
    } else c.problem(at(key), key, "unknown field");
  }
  if (!("calculator" in d)) {
    c.problem(line, "calculator", "missing (expected dict(type=…, stats_list=[…]))");
  }
  c.done();
  return { config, notes: c.notes };
}

const DIST_PARAMS: Record<string, string[]> = {
  uniform: ["MinValue", "MaxValue"],
  gaussian: ["Mean", "Var", "MinValue", "MaxValue"],
  zipf: ["Alpha", "MinValue", "MaxValue"],
};

/**
 * Maps AISBench's `synthetic_config.py` (`synthetic_config = {"Type": …}`)
 * to a `synthetic` dataset config (`abbr` from `options.abbr`, default
 * `synthetic`, as AISBench's `synthetic_gen` task names it). Throws a
 * UsageError listing every problem.
 */
export function aisbenchSynthetic(
  text: string,
  source: string,
  options: { abbr?: string } = {},
): AisbenchConfig {
  const { c, d, line, at } = assignedDict(text, source, {
    name: "synthetic_config",
    shape: 'synthetic_config = {"Type": …, "RequestCount": …}',
    expected: "expected a dict",
  });
  const config: Record<string, unknown> = { abbr: options.abbr ?? "synthetic", type: "synthetic" };
  const type = typeof d.Type === "string" ? d.Type.toLowerCase() : undefined;
  if (d.Type === undefined) c.problem(line, "Type", 'missing (expected "string" or "tokenid")');
  else if (type !== "string" && type !== "tokenid") {
    c.problem(
      at("Type"),
      "Type",
      `expected "string" or "tokenid", got ${JSON.stringify(plain(d.Type, "Type", at("Type"), c))}`,
    );
  } else config.data_type = type;
  const count = d.RequestCount;
  if (count === undefined) c.problem(line, "RequestCount", "missing");
  else if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 2 ** 20) {
    c.problem(at("RequestCount"), "RequestCount", "expected an integer in [1, 1048576]");
  } else config.request_count = count;
  for (const [key, raw] of Object.entries(d)) {
    const kl = at(key);
    switch (key) {
      case "Type":
      case "RequestCount":
        break;
      case "TrustRemoteCode":
        c.note(
          kl,
          key,
          "accepted, does not affect performance (servebench never runs tokenizer code)",
        );
        break;
      case "StringConfig":
        if (type === "string") stringConfig(raw, kl, config, c);
        else if (type === "tokenid") {
          c.note(kl, key, 'not used with "Type": "tokenid" (as in AISBench)');
        }
        break;
      case "TokenIdConfig":
        if (type === "tokenid") tokenIdConfig(raw, kl, config, c);
        else if (type === "string") {
          c.note(kl, key, 'not used with "Type": "string" (as in AISBench)');
        }
        break;
      default:
        c.problem(kl, key, "unknown field");
    }
  }
  if (type === "string" && d.StringConfig === undefined) {
    c.problem(line, "StringConfig", 'missing (required with "Type": "string")');
  }
  if (type === "tokenid" && d.TokenIdConfig === undefined) {
    c.problem(line, "TokenIdConfig", 'missing (required with "Type": "tokenid")');
  }
  c.done();
  return { config, notes: c.notes };
}

function stringConfig(
  raw: PyValue,
  line: number,
  config: Record<string, unknown>,
  c: Collector,
): void {
  if (!isDict(raw)) {
    c.problem(line, "StringConfig", 'expected {"Input": …, "Output": …}');
    return;
  }
  for (const k of Object.keys(raw)) {
    if (k !== "Input" && k !== "Output") {
      c.problem(lineOf(raw, k) ?? line, `StringConfig.${k}`, "unknown field");
    }
  }
  for (const side of ["Input", "Output"] as const) {
    const where = `StringConfig.${side}`;
    const v = raw[side];
    const sl = lineOf(raw, side) ?? line;
    if (v === undefined) {
      c.problem(line, where, "missing");
      continue;
    }
    if (!isDict(v)) {
      c.problem(sl, where, '{"Method": …, "Params": {…}} expected');
      continue;
    }
    for (const k of Object.keys(v)) {
      if (k !== "Method" && k !== "Params") {
        c.problem(lineOf(v, k) ?? sl, `${where}.${k}`, "unknown field");
      }
    }
    const method = v.Method;
    const params = v.Params;
    const names = typeof method === "string" ? DIST_PARAMS[method] : undefined;
    if (!names) {
      c.problem(
        lineOf(v, "Method") ?? sl,
        `${where}.Method`,
        `expected "uniform", "gaussian" or "zipf", got ${
          JSON.stringify(plain(method ?? null, "Method", sl, c))
        }`,
      );
      continue;
    }
    if (!isDict(params)) {
      c.problem(
        lineOf(v, "Params") ?? sl,
        `${where}.Params`,
        `expected {${names.map((n) => `"${n}"`).join(", ")}}`,
      );
      continue;
    }
    const pl = lineOf(v, "Params") ?? sl;
    let ok = true;
    for (const n of names) {
      if (typeof params[n] !== "number") {
        c.problem(
          lineOf(params, n) ?? pl,
          `${where}.Params.${n}`,
          params[n] === undefined ? "missing" : "expected a number",
        );
        ok = false;
      }
    }
    for (const k of Object.keys(params)) {
      if (!names.includes(k)) {
        c.problem(
          lineOf(params, k) ?? pl,
          `${where}.Params.${k}`,
          `unknown field (${method} takes ${names.join(", ")})`,
        );
        ok = false;
      }
    }
    if (!ok) continue;
    const p = params as Record<string, number>;
    const min = p.MinValue!;
    const max = p.MaxValue!;
    for (const [n, x] of [["MinValue", min], ["MaxValue", max]] as const) {
      if (!Number.isInteger(x) || x < 1 || x > 2 ** 20) {
        c.problem(
          lineOf(params, n) ?? pl,
          `${where}.Params.${n}`,
          "expected an integer in [1, 1048576]",
        );
        ok = false;
      }
    }
    if (ok && min > max) {
      c.problem(pl, `${where}.Params`, `MinValue (${min}) is greater than MaxValue (${max})`);
      continue;
    }
    const key = side === "Input" ? "input" : "output";
    if (method === "uniform") config[key] = { method: "uniform", min, max };
    else if (method === "gaussian") {
      config[key] = { method: "gaussian", mean: p.Mean, variance: p.Var, min, max };
    } else config[key] = { method: "zipf", alpha: p.Alpha, min, max };
  }
}

function tokenIdConfig(
  raw: PyValue,
  line: number,
  config: Record<string, unknown>,
  c: Collector,
): void {
  if (!isDict(raw)) {
    c.problem(line, "TokenIdConfig", 'expected {"RequestSize": …, "PrefixLen": …}');
    return;
  }
  const size = raw.RequestSize;
  const sl = lineOf(raw, "RequestSize") ?? line;
  if (size === undefined) c.problem(line, "TokenIdConfig.RequestSize", "missing");
  else if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > 2 ** 20) {
    c.problem(sl, "TokenIdConfig.RequestSize", "expected an integer in [1, 1048576]");
  } else config.input = { method: "fixed", value: size };
  for (const [k, v] of Object.entries(raw)) {
    const kl = lineOf(raw, k) ?? line;
    if (k === "RequestSize") continue;
    if (k === "PrefixLen") {
      if (!Number.isInteger(v) || (v as number) < 0) {
        c.problem(kl, "TokenIdConfig.PrefixLen", "expected an integer >= 0");
      } else if (v !== 0) {
        c.problem(
          kl,
          "TokenIdConfig.PrefixLen",
          "a shared prefix is not part of servebench's synthetic source; write a random dataset config instead (type: random, data_type: tokenid, input_len, prefix_len, output_len)",
        );
      }
    } else if (k === "VocabSize") {
      c.note(
        kl,
        "TokenIdConfig.VocabSize",
        "accepted; servebench draws ids from the tokenizer's own vocabulary",
      );
    } else c.problem(kl, `TokenIdConfig.${k}`, "unknown field");
  }
}
