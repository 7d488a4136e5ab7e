import { findConfig } from "../../src/config/registry.ts";
import { loadConfig, loadConfigs } from "../../src/config/load.ts";
import { resolvePlan } from "../../src/config/resolve.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals, withTempDir } from "../helpers.ts";

const FIXTURES = new URL("./fixtures/aisbench/", import.meta.url);
const fixture = (name: string) => Deno.readTextFileSync(new URL(name, FIXTURES));

/** Runs `fn` with the working directory set to a fresh folder (AISBench's tree lives under it). */
async function inDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const before = Deno.cwd();
  await withTempDir(async (dir) => {
    Deno.chdir(dir);
    try {
      await fn(dir);
    } finally {
      Deno.chdir(before);
    }
  });
}

function write(path: string, text: string): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

Deno.test("findConfig() finds AISBench .py model and summarizer configs where AISBench keeps them", async () => {
  await inDir(() => {
    write(
      "ais_bench/benchmark/configs/models/vllm_api/vllm_api_stream_chat.py",
      fixture("vllm_api_stream_chat.py"),
    );
    write(
      "ais_bench/benchmark/configs/summarizers/perf/stable_stage.py",
      fixture("stable_stage.py"),
    );
    const model = findConfig("models", "vllm_api_stream_chat");
    assertEquals(
      model.source,
      "ais_bench/benchmark/configs/models/vllm_api/vllm_api_stream_chat.py",
    );
    const cfg = loadConfig("models", model.text, model.source);
    assertEquals([cfg.api, cfg.stream, cfg.abbr, cfg.max_out_len], [
      "openai-chat",
      true,
      "vllm-api-stream-chat",
      512,
    ]);
    const sum = findConfig("summarizers", "stable_stage");
    assertEquals(loadConfig("summarizers", sum.text, sum.source).summarizer, "stable_stage");
    // Without the tree, the names fall back to the built-ins.
    assert(findConfig("summarizers", "default_perf").source.startsWith("builtin:"));
  });
});

Deno.test("loadConfigs() loads every model of an AISBench list, one note per non-performance field, keys kept apart", () => {
  const source = "vllm_api_general_chat.py";
  const loaded = loadConfigs("models", fixture(source), { source });
  assertEquals(loaded.configs.length, 2);
  assertEquals(loaded.configs.map((c) => [c.cfg.abbr, c.cfg.api, c.cfg.stream]), [
    ["vllm-api-general-chat", "openai-chat", true],
    ["vllm-api-general-stream", "openai-completions", true],
  ]);
  assertEquals(loaded.configs[0]!.apiKey, "sk-test-secret");
  assert(!JSON.stringify(loaded.configs.map((c) => c.cfg)).includes("sk-test-secret"));
  for (const field of ["trust_remote_code", "pred_postprocessor", "use_timestamp", "verbose"]) {
    const notes = loaded.notes.filter((n) => n.includes(`: ${field}: `));
    assertEquals(notes.length, 1, field);
    assert(/^vllm_api_general_chat\.py:\d+: /.test(notes[0]!), notes[0]);
  }
});

Deno.test("an AISBench model config with an unknown field is refused naming file, line and field", () => {
  const text = fixture("vllm_api_stream_chat.py").replace(
    "retry = 2,",
    "retry = 2,\n        warp_speed = 9,",
  );
  try {
    loadConfigs("models", text, { source: "m.py" });
    throw new Error("accepted");
  } catch (error) {
    assert(error instanceof UsageError);
    assertEquals(error.problems, ["m.py:12: warp_speed: unknown field"]);
  }
});

Deno.test("a .py config with code beyond the literal subset is refused with its line, and nothing in it runs", async () => {
  await inDir((dir) => {
    const marker = `${dir}/ran`;
    for (
      const [code, line] of [
        [`import os\nmodels = [dict(type=os.system("touch ${marker}"))]\n`, 2],
        ["base = 8000\nmodels = [dict(host_port=base + 1)]\n", 2],
      ] as const
    ) {
      try {
        loadConfigs("models", code, { source: "evil.py" });
        throw new Error("accepted");
      } catch (error) {
        assert(error instanceof UsageError, String(error));
        assert(error.problems[0]!.startsWith(`evil.py:${line}: `), error.problems[0]);
      }
    }
    let ran = true;
    try {
      Deno.statSync(marker);
    } catch {
      ran = false;
    }
    assert(!ran, "nothing ran");
  });
});

Deno.test("synthetic_gen reads ais_bench/datasets/synthetic/synthetic_config.py into the run's plan", async () => {
  await inDir(() => {
    write("ais_bench/datasets/synthetic/synthetic_config.py", fixture("synthetic_config.py"));
    const plan = resolvePlan(
      { models: ["openai_chat_stream"], datasets: ["synthetic_gen"], url: "http://127.0.0.1:9" },
      () => undefined,
    );
    const d = plan.tasks[0]!.dataset;
    assertEquals([d.abbr, d.requestCount, d.source], [
      "syntheticdataset",
      1000,
      "ais_bench/datasets/synthetic/synthetic_config.py",
    ]);
  });
});

Deno.test("AISBench's GSM8K and AIME task names read their files from ais_bench/datasets", async () => {
  await inDir(() => {
    const q = JSON.stringify({ question: "1+1?", answer: "#### 2" });
    write("ais_bench/datasets/gsm8k/test.jsonl", `${q}\n`.repeat(12));
    write("ais_bench/datasets/gsm8k/train.jsonl", `${q}\n`.repeat(5));
    write("ais_bench/datasets/aime/aime.jsonl", `${q}\n`.repeat(3));
    const plan = resolvePlan({
      models: ["openai_chat_stream"],
      datasets: ["demo_gsm8k_gen_4_shot_cot_chat_prompt", "aime2024_gen_0_shot_str"],
      url: "http://127.0.0.1:9",
    }, () => undefined);
    assertEquals(plan.tasks.map((t) => [t.outputName, t.dataset.requestCount]), [
      ["gsm8kdataset", 8],
      ["aime2024dataset", 3],
    ]);
  });
});
