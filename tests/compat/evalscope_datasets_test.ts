/**
 * EvalScope's generated datasets `speed_benchmark` and `random_vl`, as its
 * sources define them (`evalscope/perf/plugin/datasets/speed_benchmark.py`:
 * prompts of 1, 6144, 14336 and 30720 tokens, two each, sent to
 * `/v1/completions`; `random_vl_dataset.py` with `evalscope/perf/arguments.py`:
 * the random prompt's text, then `--image-num` images of
 * `--image-width` × `--image-height`, 1 of 224 × 224 by default), and the
 * CLI running each against the simulator.
 */

import { parseFlags } from "../../src/cli/args.ts";
import { planFromFlags, RUN_FLAGS } from "../../src/cli/run.ts";
import type { Plan } from "../../src/config/plan.ts";
import { PromptBuilder } from "../../src/dataset/prompt_builder.ts";
import { randomKind, type RandomOptions } from "../../src/dataset/random.ts";
import type { RequestSpec } from "../../src/dataset/spec.ts";
import { UsageError } from "../../src/errors.ts";
import { type SimServer, startSimulator } from "../../src/sim/server.ts";
import { loadTokenizer } from "../../src/tokenizer/tokenizer.ts";
import { assert, assertEquals, CLI_PERMS, MAIN, withTempDir } from "../helpers.ts";

const tok = await loadTokenizer("qwen3");

/** `servebench perf` flags (words of one string) as a plan. */
function plan(flags: string): Plan {
  const argv = flags.split(/\s+/);
  const values = parseFlags(argv, RUN_FLAGS, { command: "servebench perf" }).values;
  return planFromFlags(values, () => undefined, { dialect: "evalscope" });
}

/** The problems `servebench perf FLAGS` is refused with. */
function refused(flags: string): readonly string[] {
  try {
    plan(flags);
  } catch (error) {
    if (error instanceof UsageError) return error.problems;
    throw error;
  }
  throw new Error(`accepted: ${flags}`);
}

/** The random options of the plan's only task. */
function randomOf(p: Plan): RandomOptions {
  const dataset = p.tasks[0]!.dataset;
  assert(dataset.type === "random", dataset.type);
  return (dataset as unknown as { random: RandomOptions }).random;
}

async function specsOf(
  random: RandomOptions,
  count: number,
  chat: boolean,
): Promise<RequestSpec[]> {
  const builder = new PromptBuilder(tok, { chat });
  const out: RequestSpec[] = [];
  for await (
    const s of randomKind.specs({ type: "random", random }, {
      count,
      seed: 0,
      builder: () => builder,
      tokenizer: tok,
    })
  ) out.push(s);
  return out;
}

/** Width and height from a PNG data URL's IHDR chunk. */
function pngSize(url: string): [number, number] {
  assert(url.startsWith("data:image/png;base64,"), url.slice(0, 30));
  const bytes = Uint8Array.from(atob(url.slice(22)), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  return [view.getUint32(16), view.getUint32(20)];
}

const URL_BASE = "http://127.0.0.1:9/v1";

Deno.test("speed_benchmark: 1, 6144, 14336, 30720 tokens twice each, cycled, --max-tokens each, on /v1/completions", async () => {
  const p = plan(
    `--url ${URL_BASE}/chat/completions --api openai --dataset speed_benchmark --number 10 --max-tokens 300`,
  );
  const task = p.tasks[0]!;
  assertEquals([task.model.api, task.model.baseUrl], [
    "openai-completions",
    `${URL_BASE}/completions`,
  ]);
  assert(p.notes?.some((n) => n.includes("speed_benchmark") && n.includes("/v1/completions")));
  const specs = await specsOf(randomOf(p), 10, false);
  const lengths = specs.map((s) => tok.encode(String(s.prompt)).length);
  assertEquals(lengths, [1, 1, 6144, 6144, 14336, 14336, 30720, 30720, 1, 1]);
  assertEquals(specs.map((s) => s.maxTokens), Array(10).fill(300));
  // Without --max-tokens: EvalScope's default, 2048; without --number, its 1000.
  const defaults = plan(`--url ${URL_BASE}/completions --dataset speed_benchmark`);
  assertEquals(randomOf(defaults).outputLen, 2048);
  assertEquals(defaults.tasks[0]!.load.numRequests, 1000);
  assertEquals(defaults.notes?.filter((n) => n.includes("speed_benchmark")) ?? [], []);
});

Deno.test("speed_benchmark refuses the random-length flags; image flags need random_vl", () => {
  const base = `--url ${URL_BASE}/completions --dataset`;
  const lengths = refused(`${base} speed_benchmark --min-prompt-length 3 --max-prompt-length 9`);
  assert(
    lengths.some((l) => /--min-prompt-length, --max-prompt-length: .*fixed/.test(l)),
    lengths.join("\n"),
  );
  const images = refused(`${base} random --image-num 2`);
  assertEquals(images, ['--image-num: the generated images of --dataset random_vl, not "random"']);
  const format = refused(`${base} random_vl --image-format L`);
  assert(format.some((l) => l.includes("--image-format") && l.includes("RGB")), format.join("\n"));
});

Deno.test("random_vl: EvalScope's random prompts, then --image-num PNGs of the given size (224 × 224, 1 by default)", async () => {
  const p = plan(
    `--url ${URL_BASE}/chat/completions --api openai --dataset random_vl --min-prompt-length 100 ` +
      "--max-prompt-length 100 --max-tokens 16 --image-width 64 --image-height 48 " +
      "--image-format RGB --image-num 2",
  );
  assertEquals(p.tasks[0]!.model.api, "openai-chat");
  const random = randomOf(p);
  assertEquals(random.images, { perRequest: 2, width: 64, height: 48 });
  const specs = await specsOf(random, 3, true);
  const builder = new PromptBuilder(tok, { chat: true });
  const urls = new Set<string>();
  for (const s of specs) {
    assertEquals(s.maxTokens, 16);
    const parts = s.messages![0]!.content as Array<Record<string, unknown>>;
    assertEquals(parts.map((x) => x.type), ["text", "image_url", "image_url"]);
    assertEquals(builder.count(String(parts[0]!.text)), 100);
    for (const part of parts.slice(1)) {
      const url = (part.image_url as { url: string }).url;
      assertEquals(pngSize(url), [64, 48]);
      urls.add(url);
    }
  }
  assertEquals(urls.size, 6, "every image its own");
  const defaults = randomOf(plan(`--url ${URL_BASE} --dataset random_vl`));
  assertEquals(defaults.images, { perRequest: 1, width: 224, height: 224 });
  const [one] = await specsOf({ ...defaults, inputLen: 8, rangeRatio: 0 }, 1, true);
  const url = ((one!.messages![0]!.content as Array<Record<string, unknown>>)[1]!.image_url as {
    url: string;
  }).url;
  assertEquals(pngSize(url), [224, 224]);
});

/**
 * `servebench perf ARGS --url <sim>/v1/chat/completions --model MODEL` by the
 * CLI against a fast simulator, in a temporary folder; `check` gets the
 * simulator, the run folder and the console output.
 */
async function perfRun(
  model: string,
  args: string,
  check: (sim: SimServer, run: string, stdout: string) => void,
): Promise<void> {
  const sim = await startSimulator({ ttftMs: 1, itlMs: 0, tokensPerChunk: 64, model });
  try {
    await withTempDir(async (cwd) => {
      const url = `${sim.url}/v1/chat/completions`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...CLI_PERMS,
          "--allow-sys",
          MAIN,
          "perf",
          ...`${args} --url ${url} --model ${model}`.split(/\s+/),
        ],
        cwd,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1", OPENAI_API_KEY: "" },
      }).output();
      const dec = new TextDecoder();
      assert(out.code === 0, `exit ${out.code}\n${dec.decode(out.stderr)}`);
      const runs = [...Deno.readDirSync(`${cwd}/outputs`)].map((e) => e.name);
      assertEquals(runs.length, 1);
      check(sim, `${cwd}/outputs/${runs[0]}`, dec.decode(out.stdout));
    });
  } finally {
    await sim.shutdown();
  }
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(path));
}

Deno.test("servebench perf --dataset speed_benchmark against the simulator: 8 requests of its lengths on /v1/completions", async () => {
  // EvalScope's guide (docs/en/user_guides/stress_test/speed_benchmark.md), 64 output tokens
  // for 2048, and the chat URL its plugin rewrites.
  const args = "--parallel 1 --number 8 --connect-timeout 6000 --read-timeout 6000 " +
    "--max-tokens 64 --min-tokens 64 --api openai --dataset speed_benchmark";
  await perfRun("qwen2.5", args, (sim, run, stdout) => {
    assert(stdout.includes("note: --dataset speed_benchmark: sending to /v1/completions"));
    const stats = sim.stats();
    assertEquals([stats.requests, stats.completed], [8, 8]);
    const lengths = 1 + 6144 + 14336 + 30720;
    assertEquals(stats.promptTokens, 2 * lengths, "the sim's own prompt count");
    const summary = readJson(`${run}/qwen2.5/parallel_1_number_8/benchmark_summary.json`);
    assertEquals(summary["Succeed requests"], 8);
    assertEquals(summary["Average input tokens per request"], lengths / 4);
    assertEquals(summary["Average output tokens per request"], 64);
    const trace = Deno.readTextFileSync(`${run}/performances/model/speed_benchmark_details.jsonl`);
    assert(trace.includes('"api":"openai-completions"'), "sent to the completions API");
  });
});

Deno.test("servebench perf --dataset random_vl against the simulator: EvalScope's example with small counts", async () => {
  // EvalScope's example (docs/en/user_guides/stress_test/examples.md), --parallel and --number made small.
  const args = "--parallel 2 --api openai --dataset random_vl --min-tokens 128 --max-tokens 128 " +
    "--prefix-length 0 --min-prompt-length 100 --max-prompt-length 100 --image-width 512 " +
    "--image-height 512 --image-format RGB --image-num 1 --number 4";
  await perfRun("qwen-vl", args, (sim, run) => {
    assertEquals(sim.stats().completed, 4);
    const summary = readJson(`${run}/qwen-vl/parallel_2_number_4/benchmark_summary.json`);
    assertEquals(summary["Succeed requests"], 4);
    assertEquals(summary["Average output tokens per request"], 128);
    const header = Deno.readTextFileSync(`${run}/performances/model/random_vl_details.jsonl`)
      .split("\n")[0]!;
    assert(header.includes('"images":{"perRequest":1,"width":512,"height":512}'), header);
  });
});
