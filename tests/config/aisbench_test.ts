import {
  AISBENCH_MODEL_CLASSES,
  aisbenchModels,
  aisbenchSummarizer,
  aisbenchSynthetic,
} from "../../src/config/aisbench.ts";
import { validateConfig } from "../../src/config/load.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals } from "../helpers.ts";

const FIXTURES = new URL("./fixtures/aisbench/", import.meta.url);

function fixture(name: string): [string, string] {
  const url = new URL(name, FIXTURES);
  return [Deno.readTextFileSync(url), `fixtures/aisbench/${name}`];
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert(error instanceof UsageError, `expected a UsageError, got ${error}`);
    return [...error.problems];
  }
  throw new Error("expected a UsageError");
}

Deno.test("aisbenchModels() maps the guide's vllm_api_stream_chat.py to a streaming chat config", () => {
  const [text, source] = fixture("vllm_api_stream_chat.py");
  const { models, notes } = aisbenchModels(text, source);
  assertEquals(models.length, 1);
  assertEquals(models[0]!.config, {
    api: "openai-chat",
    stream: true,
    abbr: "vllm-api-stream-chat",
    model: "DeepSeek-R1",
    request_rate: 0,
    retry: 2,
    host_ip: "localhost",
    host_port: 8080,
    max_out_len: 512,
    batch_size: 1,
    generation_kwargs: {
      temperature: 0.5,
      top_k: 10,
      top_p: 0.95,
      seed: null,
      repetition_penalty: 1.03,
      ignore_eos: true,
    },
  });
  assertEquals(models[0]!.line, 4);
  assertEquals(notes, []);
  // The same object is what a YAML model config holds: the model schema accepts it.
  const parsed = validateConfig("models", models[0]!.config, source);
  assertEquals([parsed.api, parsed.stream, parsed.batch_size], ["openai-chat", true, 1]);
});

Deno.test("aisbenchModels() accepts non-performance fields with one note each and keeps api_key apart", () => {
  const [text, source] = fixture("vllm_api_general_chat.py");
  const { models, notes } = aisbenchModels(text, source);
  assertEquals(models.map((m) => m.config), [
    {
      api: "openai-chat",
      stream: true,
      abbr: "vllm-api-general-chat",
      tokenizer: "/weights/Qwen2.5-0.5B-Instruct",
      model: "",
      request_rate: 0,
      retry: 2,
      host_ip: "127.0.0.1",
      host_port: 8000,
      max_out_len: 512,
      batch_size: 3,
      generation_kwargs: { temperature: 0.01, ignore_eos: false },
    },
    {
      api: "openai-completions",
      stream: true,
      abbr: "vllm-api-general-stream",
      url: "http://127.0.0.1:9000/gateway/",
      max_out_len: 64,
      batch_size: 8,
    },
  ]);
  assertEquals(models[0]!.apiKey, "sk-test-secret");
  assert(!JSON.stringify(models.map((m) => m.config)).includes("sk-test"), "no key in the configs");
  assertEquals(models[1]!.apiKey, undefined);
  const fields = notes.map((n) => n.split(": ")[1]);
  assertEquals(fields, [
    "use_timestamp",
    "trust_remote_code",
    "pred_postprocessor",
    "stream",
    "verbose",
    "returns_tool_calls",
    "traffic_cfg",
  ]);
  assert(notes[0]!.startsWith(`${source}:13: use_timestamp: `), notes[0]);
  assert(/always uses stream=True/.test(notes[3]!), notes[3]);
  for (const m of models) validateConfig("models", m.config, source);
});

Deno.test("aisbenchModels() maps every OpenAI-compatible class to its api and stream", () => {
  // class, stream= in the file, expected api, expected stream
  const cases: Array<[string, string, string, boolean]> = [
    ["VLLMCustomAPI", "True", "openai-completions", true],
    ["VLLMCustomAPI", "False", "openai-completions", false],
    ["VLLMCustomAPIStream", "False", "openai-completions", true],
    ["VLLMCustomAPIChat", "True", "openai-chat", true],
    ["VLLMCustomAPIChat", "False", "openai-chat", false],
    ["VLLMCustomAPIChatStream", "False", "openai-chat", true],
    ["VllmMultiturnAPIChatStream", "False", "openai-chat", true],
    ["VLLMFunctionCallAPIChat", "True", "openai-chat", false],
  ];
  for (const [cls, given, api, stream] of cases) {
    const text = `from ais_bench.benchmark.models import ${cls}\n` +
      `models = [dict(attr="service", type=${cls}, stream=${given})]\n`;
    const { models } = aisbenchModels(text, "m.py");
    assertEquals([models[0]!.config.api, models[0]!.config.stream], [api, stream], cls);
  }
  assertEquals(Object.keys(AISBENCH_MODEL_CLASSES).length, 6);
  // Without stream=, a class's own default applies (False, as in the constructors).
  const { models } = aisbenchModels(
    "from ais_bench.benchmark.models import VLLMCustomAPIChat\nmodels = [dict(type=VLLMCustomAPIChat)]\n",
    "m.py",
  );
  assertEquals(models[0]!.config, {
    api: "openai-chat",
    stream: false,
    host_ip: "localhost",
    host_port: 8080,
  });
});

Deno.test("aisbenchModels() builds an https URL from enable_ssl", () => {
  const text = "from m import VLLMCustomAPIChat\nmodels = [dict(type=VLLMCustomAPIChat, " +
    'host_ip="::1", host_port=8443, enable_ssl=True)]\n';
  assertEquals(aisbenchModels(text, "m.py").models[0]!.config.url, "https://[::1]:8443");
});

Deno.test("aisbenchModels() reports every unknown or unsupported field with file, line and field", () => {
  const text = [
    "from ais_bench.benchmark.models import VLLMCustomAPIChat, TritonCustomAPI, HuggingFace",
    "models = [",
    "    dict(",
    '        attr="service",',
    "        type=VLLMCustomAPIChat,",
    "        temprature=0.5,",
    "        use_timestamp=True,",
    '        traffic_cfg=dict(ramp_up_strategy="linear", ramp_up_start_rps=1, ramp_up_end_rps=8),',
    "        model=VLLMCustomAPIChat,",
    "    ),",
    '    dict(attr="service", type=TritonCustomAPI),',
    '    dict(attr="local", type=HuggingFace),',
    '    dict(type="NoSuchClass"),',
    "]",
  ].join("\n");
  const p = problems(() => aisbenchModels(text, "cfg/m.py"));
  const expect: Array<[string, RegExp]> = [
    ["cfg/m.py:6: temprature: ", /unknown field/],
    ["cfg/m.py:7: use_timestamp: ", /timestamps/],
    ["cfg/m.py:8: traffic_cfg: ", /--ramp/],
    ["cfg/m.py:9: model: ", /class "VLLMCustomAPIChat"/],
    ["cfg/m.py:11: type: ", /Triton's v2 generate protocol/],
    ["cfg/m.py:12: attr: ", /servebench benchmarks services/],
    ["cfg/m.py:12: type: ", /local model backend/],
    ["cfg/m.py:13: type: ", /unknown model class "NoSuchClass"/],
  ];
  assertEquals(p.length, expect.length, p.join("\n"));
  for (const [prefix, pattern] of expect) {
    assert(p.some((line) => line.startsWith(prefix) && pattern.test(line)), `${prefix}: ${p}`);
  }
});

Deno.test("aisbenchModels() refuses a config with code in it, naming the line, before mapping", () => {
  const text = "from ais_bench.benchmark.models import VLLMCustomAPIChat\nimport os\n" +
    "models = [dict(type=VLLMCustomAPIChat,\n  path=os.environ.get('MODEL_PATH'))]\n";
  const p = problems(() => aisbenchModels(text, "cfg/m.py"));
  assertEquals(p.length, 1);
  assert(p[0]!.startsWith("cfg/m.py:4: ") && /a call of "get"/.test(p[0]!), p[0]);
});

Deno.test("aisbenchSummarizer() maps default_perf and stable_stage, with their stats lists", () => {
  const [d, ds] = fixture("default_perf.py");
  const def = aisbenchSummarizer(d, ds);
  assertEquals(def, {
    config: { summarizer: "default_perf", stats_list: ["Average", "Min", "Max", "Median", "P95"] },
    notes: [],
  });
  const [s, ss] = fixture("stable_stage.py");
  const stable = aisbenchSummarizer(s, ss);
  assertEquals(stable.config, {
    summarizer: "stable_stage",
    stats_list: ["Average", "Min", "Max", "Median", "P75", "P90", "P99"],
  });
  for (const c of [def.config, stable.config]) validateConfig("summarizers", c, ds);
});

Deno.test("aisbenchSummarizer() refuses accuracy summarizers, unknown calculators and long stats lists", () => {
  const text = [
    "from ais_bench.benchmark.summarizers import DefaultSummarizer",
    "from x import OtherCalculator",
    'summarizer = dict(attr="accuracy", type=DefaultSummarizer,',
    "  calculator=dict(type=OtherCalculator,",
    '    stats_list=["Average","Min","Max","Median","P1","P2","P3","P4","P5"], extra=1))',
  ].join("\n");
  const p = problems(() => aisbenchSummarizer(text, "s.py"));
  assertEquals(p.map((l) => l.split(": ").slice(0, 2).join(": ")), [
    "s.py:3: attr",
    "s.py:3: type",
    "s.py:4: calculator.type",
    "s.py:5: calculator.stats_list",
    "s.py:5: calculator.extra",
  ]);
});

Deno.test("aisbenchSynthetic() maps the guide's string config to a synthetic dataset config", () => {
  const [text, source] = fixture("synthetic_config.py");
  const { config, notes } = aisbenchSynthetic(text, source);
  assertEquals(config, {
    abbr: "synthetic",
    type: "synthetic",
    data_type: "string",
    request_count: 1000,
    input: { method: "uniform", min: 50, max: 500 },
    output: { method: "uniform", min: 20, max: 200 },
  });
  assertEquals(notes, []);
  const parsed = validateConfig("datasets", config, source);
  assertEquals(parsed.type, "synthetic");
});

Deno.test("aisbenchSynthetic() maps gaussian and zipf parameters", () => {
  const text = `synthetic_config = {"Type": "String", "RequestCount": 5, "StringConfig": {
  "Input": {"Method": "gaussian", "Params": {"Mean": 100, "Var": 200, "MinValue": 1, "MaxValue": 300}},
  "Output": {"Method": "zipf", "Params": {"Alpha": 1.5, "MinValue": 4, "MaxValue": 64}}}}`;
  const { config } = aisbenchSynthetic(text, "s.py", { abbr: "syn" });
  assertEquals(config, {
    abbr: "syn",
    type: "synthetic",
    data_type: "string",
    request_count: 5,
    input: { method: "gaussian", mean: 100, variance: 200, min: 1, max: 300 },
    output: { method: "zipf", alpha: 1.5, min: 4, max: 64 },
  });
  validateConfig("datasets", config, "s.py");
});

Deno.test("aisbenchSynthetic() maps AISBench's own tokenid config, noting the unused parts", () => {
  const [text, source] = fixture("synthetic_config_tokenid.py");
  const { config, notes } = aisbenchSynthetic(text, source);
  assertEquals(config, {
    abbr: "synthetic",
    type: "synthetic",
    data_type: "tokenid",
    request_count: 10,
    input: { method: "fixed", value: 10 },
  });
  assertEquals(notes.map((n) => n.split(": ").slice(0, 2).join(": ")), [
    `${source}:8: TrustRemoteCode`,
    `${source}:9: StringConfig`,
  ]);
  validateConfig("datasets", config, source);
});

Deno.test("aisbenchSynthetic() reports every problem with its line", () => {
  const text = [
    "synthetic_config = {",
    '  "Type": "string",',
    '  "RequestCount": 0,',
    '  "Extra": 1,',
    '  "StringConfig": {',
    '    "Input": {"Method": "poisson", "Params": {}},',
    '    "Output": {"Method": "uniform", "Params": {"MinValue": 9, "MaxValue": 3}},',
    "  },",
    "}",
  ].join("\n");
  const p = problems(() => aisbenchSynthetic(text, "s.py"));
  assertEquals(p.map((l) => l.split(": ").slice(0, 2).join(": ")), [
    "s.py:3: RequestCount",
    "s.py:4: Extra",
    "s.py:6: StringConfig.Input.Method",
    "s.py:7: StringConfig.Output.Params",
  ]);
  const prefix = problems(() =>
    aisbenchSynthetic(
      'synthetic_config = {"Type": "tokenid", "RequestCount": 2,\n "TokenIdConfig": {"RequestSize": 8, "PrefixLen": 4}}',
      "t.py",
    )
  );
  assert(
    prefix.length === 1 && prefix[0]!.startsWith("t.py:2: TokenIdConfig.PrefixLen: "),
    prefix[0],
  );
});
