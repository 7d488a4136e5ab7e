/**
 * Every example command in the five seed documents of issue #19
 * (`shared/seeds/000…004`), extracted verbatim: the program as written, the
 * arguments as the shell would split them (quotes removed), the seed file and
 * line, and the task layout the document says the command produces. A data
 * module, not a test: the compatibility test runs each against the simulator
 * (program name replaced by `servebench`, URLs pointed at the simulator, the
 * listed `needs` prepared) once the CLI accepts them.
 *
 * @module
 */

/** Which tool's document a command comes from. */
export type SeedTool = "ais_bench" | "evalscope" | "llm-eval" | "platform";

/** What the document says a command produces. */
export interface SeedLayout {
  /**
   * Files under the run folder (`outputs/default/<YYYYMMDD_HHMMSS>/` for
   * AISBench; see `root` otherwise), as the document names them.
   */
  files: readonly string[];
  /** Where the run folder is, when not AISBench's `outputs/default/<ts>/`. */
  root?: string;
  /** Console lines or tables the document shows. */
  console?: readonly string[];
  /** The (model abbr, dataset) tasks, for AISBench runs. */
  tasks?: ReadonlyArray<readonly [string, string]>;
}

/** One example command. */
export interface SeedCommand {
  /** Seed file name in `shared/seeds/`. */
  seed: string;
  /** 1-based line of the command's first line in that file. */
  line: number;
  tool: SeedTool;
  /** The program as written (`ais_bench`, `evalscope`, `llm-eval`). */
  program: string;
  /** The arguments, verbatim, as the shell splits them. */
  args: readonly string[];
  /**
   * `run`: a complete command; `fragment`: flags the document says to add to
   * another command (`appendsTo`); `synopsis`: a usage line, not runnable;
   * `server`: starts the service under test (the simulator replaces it).
   */
  kind: "run" | "fragment" | "synopsis" | "server";
  /** For a fragment: the `seed:line` of the command it is added to. */
  appendsTo?: string;
  /** What the test must prepare (dataset files, edited configs). */
  needs?: readonly string[];
  layout: SeedLayout;
  /** What the document says besides, or where it contradicts itself. */
  notes?: string;
}

const AIS_000 = "000_cec1d4810addfd6f.txt";
const AIS_001 = "001_2bf39155e9c7390e.txt";
const EVALSCOPE = "002_f67d96aa20d6f718.txt";
const LLM_EVAL = "003_e9030d8680f76c39.txt";
const PLATFORM = "004_f57cec9951626205.txt";

/** AISBench's per-task files (seed 000 lines 189-200, 001 lines 198-204). */
function aisFiles(tasks: ReadonlyArray<readonly [string, string]>): string[] {
  const out = ["configs/", "logs/performance/"];
  for (const [abbr, ds] of tasks) {
    for (const ext of [".csv", ".json", "_details.json", "_plot.html"]) {
      out.push(`performances/${abbr}/${ds}${ext}`);
    }
  }
  return out;
}

function aisLayout(
  tasks: ReadonlyArray<readonly [string, string]>,
  extra: { debug?: boolean; stage?: "total" | "stable" } = {},
): SeedLayout {
  const files = aisFiles(tasks).filter((f) => !(extra.debug && f.startsWith("logs/")));
  return {
    files,
    tasks,
    console: [
      "MM/DD hh:mm:ss - AISBench - INFO - Current exp folder: outputs/default/<ts>",
      ...tasks.map(([a, d]) => `Performance Results of task: ${a}/${d}:`),
      `Performance Parameters table (Stage ${extra.stage ?? "total"}) and Common Metric table`,
      ...[...new Set(tasks.map(([a]) => a))].map((a) =>
        `Performance Result files locate in outputs/default/<ts>/performances/${a}.`
      ),
    ],
  };
}

const GSM8K = "the GSM8K files at ais_bench/datasets/gsm8k/ (test.jsonl, train.jsonl)";
const AIME = "the AIME 2024 file at ais_bench/datasets/aime/ (aime.jsonl)";
const STREAM_CHAT: readonly [string, string] = ["vllm-api-stream-chat", "gsm8kdataset"];
const SEARCH: SeedLayout = {
  files: [],
  console: [
    "MM/DD hh:mm:ss - AISBench - INFO - Searching configs...",
    "a Task Type | Task Name | Config File Path table, one row per selected config; nothing is sent",
  ],
};

/** Every example command of the five seed documents, in document order. */
export const SEED_COMMANDS: readonly SeedCommand[] = [
  {
    seed: AIS_000,
    line: 12,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--summarizer",
      "default_perf",
      "--mode",
      "perf",
    ],
    kind: "run",
    needs: [GSM8K],
    layout: aisLayout([STREAM_CHAT]),
  },
  {
    seed: AIS_000,
    line: 33,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--mode",
      "perf",
      "--search",
    ],
    kind: "run",
    layout: SEARCH,
    notes: "Lines 39-46: rows for --models vllm_api_stream_chat and --datasets " +
      "demo_gsm8k_gen_4_shot_cot_chat_prompt with their config paths",
  },
  {
    seed: AIS_000,
    line: 84,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "-m",
      "perf",
      "--debug",
    ],
    kind: "run",
    needs: [GSM8K, "the model config edited as in lines 53-77 (host_ip, host_port, model)"],
    layout: aisLayout([STREAM_CHAT], { debug: true }),
    notes: "With --debug logs go to the screen, none to logs/ (line 50)",
  },
  {
    seed: AIS_000,
    line: 186,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_general_stream",
      "vllm_api_stream_chat",
      "--datasets",
      "gsm8k_gen_4_shot_cot_str",
      "aime2024_gen_0_shot_str",
      "--mode",
      "perf",
    ],
    kind: "run",
    needs: [GSM8K, AIME],
    layout: aisLayout([
      ["vllm-api-general-stream", "gsm8kdataset"],
      ["vllm-api-general-stream", "aime2024dataset"],
      ["vllm-api-stream-chat", "gsm8kdataset"],
      ["vllm-api-stream-chat", "aime2024dataset"],
    ]),
    notes: "4 tasks = 2 models x 2 datasets (lines 188-192); layout at lines 278-306",
  },
  {
    seed: AIS_000,
    line: 197,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_general_stream",
      "vllm_api_stream_chat",
      "--datasets",
      "gsm8k_gen_4_shot_cot_str",
      "aime2024_gen_0_shot_str",
      "--mode",
      "perf",
      "--search",
    ],
    kind: "run",
    layout: SEARCH,
    notes: "Lines 200-213: four rows (two --models, two --datasets)",
  },
  {
    seed: AIS_000,
    line: 221,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_general_stream",
      "vllm_api_stream_chat",
      "--datasets",
      "gsm8k_gen_4_shot_cot_str",
      "aime2024_gen_0_shot_str",
      "--mode",
      "perf",
      "--debug",
    ],
    kind: "run",
    needs: [GSM8K, AIME],
    layout: aisLayout([
      ["vllm-api-general-stream", "gsm8kdataset"],
      ["vllm-api-general-stream", "aime2024dataset"],
      ["vllm-api-stream-chat", "gsm8kdataset"],
      ["vllm-api-stream-chat", "aime2024dataset"],
    ], { debug: true }),
  },
  {
    seed: AIS_000,
    line: 315,
    tool: "ais_bench",
    program: "ais_bench",
    args: ["--models", "vllm_api_stream_chat", "--datasets", "synthetic_gen", "-m", "perf"],
    kind: "run",
    needs: [
      "ais_bench/datasets/synthetic/synthetic_config.py as in lines 319-332 (optional: " +
      "AISBench ships a default)",
    ],
    layout: aisLayout([["vllm-api-stream-chat", "syntheticdataset"]]),
    notes: 'Line 361: "performance/vllm-api-stream-chat/syntheticdataset*"',
  },
  {
    seed: AIS_000,
    line: 359,
    tool: "ais_bench",
    program: "ais_bench",
    args: ["--models", "vllm_api_stream_chat", "--datasets", "synthetic_gen", "-m", "perf"],
    kind: "run",
    needs: [
      "ais_bench/datasets/synthetic/synthetic_config.py as in lines 319-332",
      "generation_kwargs ignore_eos = True in the model config (lines 341-353)",
    ],
    layout: aisLayout([["vllm-api-stream-chat", "syntheticdataset"]]),
  },
  {
    seed: AIS_000,
    line: 370,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "-m",
      "perf",
      "--num-prompts",
      "1",
    ],
    kind: "run",
    needs: [GSM8K],
    layout: aisLayout([STREAM_CHAT]),
    notes: "Only the first record is sent (lines 372-373): N = 1",
  },
  {
    seed: AIS_000,
    line: 391,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--mode",
      "perf",
    ],
    kind: "run",
    needs: [GSM8K],
    layout: aisLayout([STREAM_CHAT]),
    notes: "The run the perf_viz example (line 431) recomputes",
  },
  {
    seed: AIS_000,
    line: 431,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--summarizer",
      "default_perf",
      "--mode",
      "perf_viz",
      "--pressure",
      "--debug",
      "--reuse",
      "20250628_151326",
    ],
    kind: "run",
    needs: [
      "an earlier run folder outputs/default/20250628_151326 (the line 391 command)",
      'default_perf.py with stats_list=["Average", "Min", "Max", "Median", "P95"] (lines 414-425)',
    ],
    layout: {
      files: [
        "performances/vllm-api-stream-chat/gsm8kdataset.csv",
        "performances/vllm-api-stream-chat/gsm8kdataset_details.json",
        "performances/vllm-api-stream-chat/gsm8kdataset_plot.html",
      ],
      tasks: [STREAM_CHAT],
      console: [
        "Performance Parameters table with columns Average Min Max Median P95 N (lines 436-439)",
        "Performance Result files locate in outputs/default/<ts>/performances/vllm-api-stream-chat.",
      ],
    },
    notes: "Nothing is sent. Line 448 says the files under 20250628_151326/ are regenerated " +
      "(overwritten); line 446 prints a new folder (20250701_160106): the document contradicts " +
      "itself",
  },
  {
    seed: AIS_001,
    line: 43,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_general_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--summarizer",
      "stable_stage",
      "--mode",
      "perf",
    ],
    kind: "run",
    needs: [GSM8K],
    layout: aisLayout([["vllm-api-general-chat", "gsm8kdataset"]], { stage: "stable" }),
    notes: "The text after it (line 47) says vllm_api_stream_chat; the command names the " +
      "non-streaming vllm_api_general_chat (no TTFT/ITL/TPOT)",
  },
  {
    seed: AIS_001,
    line: 62,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--summarizer",
      "stable_stage",
      "--mode",
      "perf",
      "--pressure",
      "--search",
    ],
    kind: "run",
    layout: SEARCH,
    notes: "Lines 71-80: three rows (--models, --datasets, --summarizer stable_stage)",
  },
  {
    seed: AIS_001,
    line: 122,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--summarizer",
      "stable_stage",
      "--mode",
      "perf",
      "--debug",
    ],
    kind: "run",
    needs: [GSM8K, "batch_size=3 in the model config (lines 89-114)"],
    layout: aisLayout([STREAM_CHAT], { debug: true, stage: "stable" }),
    notes: "Files at lines 194-205 also list gsm8kdataset_details.h5",
  },
  {
    seed: AIS_001,
    line: 244,
    tool: "ais_bench",
    program: "ais_bench",
    args: [
      "--models",
      "vllm_api_stream_chat",
      "--datasets",
      "demo_gsm8k_gen_4_shot_cot_chat_prompt",
      "--summarizer",
      "stable_stage",
      "--mode",
      "perf",
      "--pressure",
      "--pressure-time",
      "30",
    ],
    kind: "run",
    needs: [GSM8K, "request_rate in the model config: clients added per second (line 236)"],
    layout: aisLayout([STREAM_CHAT], { stage: "stable" }),
    notes: "Clients loop over the dataset for 30 s, then in-flight requests drain (line 227)",
  },
  {
    seed: EVALSCOPE,
    line: 33,
    tool: "evalscope",
    program: "evalscope",
    args: [
      "perf",
      "--parallel",
      "1",
      "10",
      "50",
      "100",
      "200",
      "--number",
      "10",
      "20",
      "100",
      "200",
      "400",
      "--model",
      "Qwen2.5-0.5B-Instruct",
      "--url",
      "http://127.0.0.1:8801/v1/chat/completions",
      "--api",
      "openai",
      "--dataset",
      "random",
      "--max-tokens",
      "1024",
      "--min-tokens",
      "1024",
      "--prefix-length",
      "0",
      "--min-prompt-length",
      "1024",
      "--max-prompt-length",
      "1024",
      "--tokenizer-path",
      "Qwen/Qwen2.5-0.5B-Instruct",
      "--extra-args",
      '{"ignore_eos": true}',
    ],
    kind: "run",
    needs: [
      "the tokenizer Qwen/Qwen2.5-0.5B-Instruct in the local Hugging Face cache (a fake cache " +
      "with a test tokenizer.json)",
    ],
    layout: {
      root: "outputs/<timestamp>/<model>/",
      files: ["performance_summary.txt", "benchmark.log"],
      console: [
        "Benchmarking summary: table per parallel level (lines 105-134), times in seconds",
        "Percentile results: 10% … 99% of TTFT, ITL, TPOT, Latency, tokens, tok/s (lines 136-150)",
        "a summary across the five parallel levels (lines 92-98)",
      ],
    },
    notes: "Five runs: (parallel, number) = (1,10) (10,20) (50,100) (100,200) (200,400), " +
      "paired one to one (line 78)",
  },
  ...(["wandb", "swanlab", "clearml"] as const).map((v, i): SeedCommand => ({
    seed: EVALSCOPE,
    line: [201, 220, 255][i]!,
    tool: "evalscope",
    program: "evalscope",
    args: ["--visualizer", v, "--name", `name_of_${v}_${v === "clearml" ? "task" : "log"}`],
    kind: "fragment",
    appendsTo: `${EVALSCOPE}:33`,
    layout: {
      root: "outputs/<timestamp>/<model>/",
      files: [],
      console: [`results uploaded to ${v} (a hosted service: unreachable here)`],
    },
    notes: "Added to the perf command (the document shows `# ...` before it)",
  })),
  {
    seed: EVALSCOPE,
    line: 236,
    tool: "evalscope",
    program: "evalscope",
    args: ["--swanlab-api-key", "local"],
    kind: "fragment",
    appendsTo: `${EVALSCOPE}:220`,
    layout: { root: "outputs/<timestamp>/<model>/", files: [], console: ["a local SwanLab log"] },
    notes: "Instead of the hosted SwanLab: a local dashboard (`swanlab watch <log_path>`)",
  },
  {
    seed: LLM_EVAL,
    line: 32,
    tool: "llm-eval",
    program: "llm-eval",
    args: ["serving_perf_eval", "[OPTIONS]"],
    kind: "synopsis",
    layout: { files: [] },
  },
  {
    seed: LLM_EVAL,
    line: 73,
    tool: "llm-eval",
    program: "llm-eval",
    args: [
      "serving_perf_eval",
      "--backend",
      "openai",
      "--url",
      "http://localhost:8000/v1/chat/completions",
      "--model",
      "my-model",
      "--tokenizer",
      "my-tokenizer",
      "--dataset-name",
      "random",
      "--num-prompts",
      "100",
      "--concurrency",
      "10",
      "--request-rate",
      "1.0",
      "--save-data",
    ],
    kind: "run",
    needs: ['a tokenizer folder named "my-tokenizer" (or a cached model id)'],
    layout: {
      root: "~/.cache/llm_eval/serving_perf_eval_result/ (--result-data-path)",
      files: ["an Excel file with the summary metrics", "JSON process data (--save-data)"],
    },
    notes: "One test: random 1024-in/128-out (the defaults, lines 52-53), 10 in flight, 1 req/s",
  },
  {
    seed: LLM_EVAL,
    line: 87,
    tool: "llm-eval",
    program: "llm-eval",
    args: [
      "serving_perf_eval",
      "--backend",
      "vllm",
      "--url",
      "http://localhost:8000/v1/chat/completions",
      "--model",
      "my-model",
      "--tokenizer",
      "my-tokenizer",
      "--dataset-name",
      "sharegpt",
      "--dataset-path",
      "/path/to/sharegpt.json",
      "--num-prompts",
      "100",
      "--perf-test-type",
      "multiple",
      "--concurrency-list",
      "1,2,4,8",
      "--request-rate",
      "1.0",
      "--save-data",
    ],
    kind: "run",
    needs: ['a tokenizer folder named "my-tokenizer"', "a ShareGPT JSON file for --dataset-path"],
    layout: {
      root: "~/.cache/llm_eval/serving_perf_eval_result/ (--result-data-path)",
      files: ["an Excel file, one summary row per concurrency", "JSON process data (--save-data)"],
    },
    notes: "Four tests: concurrency 1, 2, 4, 8, each at 1 req/s",
  },
  {
    seed: LLM_EVAL,
    line: 103,
    tool: "llm-eval",
    program: "llm-eval",
    args: [
      "serving_perf_eval",
      "--backend",
      "maas",
      "--url",
      "http://my-maas-service.com/api/v1/chat/completions",
      "--model",
      "my-model",
      "--api-key",
      "my-api-key",
      "--dataset-name",
      "random",
      "--tokenizer",
      "my-tokenizer",
      "--num-prompts",
      "100",
      "--perf-test-type",
      "multiple",
      "--concurrency",
      "4",
      "--request-rate-list",
      "-1,0.5,1,2,4,inf",
      "--save-data",
    ],
    kind: "run",
    needs: [
      'a tokenizer folder named "my-tokenizer"',
      "the URL pointed at the simulator (the example host is not loopback)",
    ],
    layout: {
      root: "~/.cache/llm_eval/serving_perf_eval_result/ (--result-data-path)",
      files: ["an Excel file, one summary row per request rate", "JSON process data (--save-data)"],
    },
    notes: "Six tests at concurrency 4: rates -1, 0.5, 1, 2, 4, inf; the document does not " +
      "define -1 (its --request-rate-list help, line 61, lists it before 4, 8, 16, inf)",
  },
  {
    seed: PLATFORM,
    line: 36,
    tool: "platform",
    program: "vllm",
    args: [
      "serve",
      "$MODEL_PATH",
      "--trust-remote-code",
      "--tensor-parallel-size",
      "1",
      "--dtype",
      "float16",
      "--max-num-seqs",
      "4",
      "--gpu-memory-utilization",
      "0.95",
    ],
    kind: "server",
    layout: {
      root: "<job id>/ (the downloaded report, lines 60-71)",
      files: [
        "configs/",
        "logs/performance/",
        "performance/vllm-api-stream-chat/gsm8kdataset.csv",
        "performance/vllm-api-stream-chat/gsm8kdataset.json",
        "performance/vllm-api-stream-chat/gsm8kdataset_details.json",
        "performance/vllm-api-stream-chat/gsm8kdataset_plot.html",
      ],
      tasks: [STREAM_CHAT],
      console: ["AISBench's Performance Parameters and Common Metric tables (lines 74-121)"],
    },
    notes: "The platform starts the service (port 8000, at most 4 sequences) and runs an " +
      "AISBench vllm_api_stream_chat x gsm8k performance task against it; the document names no " +
      "client command. The same line is repeated in deploy.sh at line 56; line 33 is a pip install",
  },
];
