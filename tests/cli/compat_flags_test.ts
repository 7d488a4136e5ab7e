import { parseFlags } from "../../src/cli/args.ts";
import { llmEvalTests, RUN_FLAGS, runCommand } from "../../src/cli/run.ts";
import { extraHeaders } from "../../src/cli/_compat_flags.ts";
import { UsageError } from "../../src/errors.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, withTempDir } from "../helpers.ts";

/** The UsageError `fn` rejects with (anything else fails the test). */
async function rejects(fn: () => Promise<unknown>): Promise<UsageError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("no error");
}

const parse = (argv: string[]) => parseFlags(argv, RUN_FLAGS, { command: "servebench run" }).values;

Deno.test("-m perf after --datasets ends the list and is --mode (AISBench's short flag)", () => {
  const v = parse(["--models", "a", "--datasets", "d1", "d2", "-m", "perf", "-n", "5"]);
  assertEquals([v.datasets, v.mode, v["num-prompts"]], [["d1", "d2"], "perf", [5]]);
  // A negative number still belongs to the list before it.
  assertEquals(parse(["--request-rate-list", "-1,0.5", "inf"])["request-rate"], [
    "-1",
    "0.5",
    "inf",
  ]);
});

Deno.test("--mode all|infer|eval|viz is refused in one line naming perf and perf_viz, before any request", async () => {
  for (const mode of ["all", "infer", "eval", "viz"]) {
    const error = await rejects(
      () =>
        runCommand(["--mode", mode, "--url", "http://127.0.0.1:9"], {
          print: () => {},
          env: () => undefined,
        }),
    );
    assert(error instanceof UsageError && error.problems.length === 1, mode);
    assert(
      /accuracy evaluation is not part of servebench.*perf_viz/.test(error.problems[0]!),
      error.problems[0],
    );
  }
});

Deno.test("upload flags are refused in one line naming the local files, never echoing the key, nothing sent", async () => {
  const sim = await startSimulator({ ttftMs: 1, itlMs: 0 });
  try {
    for (
      const flags of [["--visualizer", "wandb"], ["--wandb-api-key", "wk-SECRET-1"], [
        "--swanlab-api-key",
        "sk-SECRET-2",
      ]]
    ) {
      const error = await rejects(
        () =>
          runCommand(["--url", sim.url, "--num-prompts", "2", ...flags], {
            print: () => {},
            env: () => undefined,
          }),
      );
      assert(error instanceof UsageError && error.problems.length === 1, flags.join(" "));
      const line = error.problems[0]!;
      assert(line.includes("not supported") && line.includes("_requests.csv"), line);
      assert(!line.includes("SECRET"), "the key is not echoed");
    }
    assertEquals(sim.stats().requests, 0);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a model id not in the local Hugging Face cache: one line naming where it looked, nothing downloaded", async () => {
  await withTempDir(async (dir) => {
    const env = (name: string) =>
      ({ HF_HUB_CACHE: `${dir}/hub`, HOME: `${dir}/home` } as Record<string, string>)[name];
    const error = await rejects(
      () =>
        runCommand([
          "--url",
          "http://127.0.0.1:9",
          "--dataset",
          "random",
          "--tokenizer-path",
          "Org/Missing-Model",
        ], {
          print: () => {},
          env,
          dialect: "evalscope",
        }),
    );
    assert(error instanceof UsageError);
    const lines = error.problems.filter((p) => p.includes("Org/Missing-Model"));
    assertEquals(lines.length, 1);
    assert(
      lines[0]!.includes(`${dir}/hub/models--Org--Missing-Model`) &&
        lines[0]!.includes("huggingface-cli download"),
      lines[0],
    );
  });
});

Deno.test("LLM-Eval's tests: one per list value, -1 a closed loop at --concurrency; lists need multiple", () => {
  const tests = (argv: string[]) => llmEvalTests(parse(argv)).map((t) => t.label);
  assertEquals(tests([]), ["c1_rinf"]);
  assertEquals(
    tests([
      "--concurrency",
      "4",
      "--request-rate-list",
      "-1,0.5,inf",
      "--perf-test-type",
      "multiple",
    ]),
    ["c4", "c4_r0.5", "c4_rinf"],
  );
  assertEquals(
    tests(["--concurrency-list", "1,2", "--request-rate", "1.0", "--perf-test-type", "multiple"]),
    ["c1_r1.0", "c2_r1.0"],
  );
  let refused = false;
  try {
    tests(["--concurrency-list", "1,2"]);
  } catch (error) {
    refused = error instanceof UsageError &&
      error.problems[0]!.includes("--perf-test-type multiple");
  }
  assert(refused, "a list without --perf-test-type multiple");
});

Deno.test("--extra-headers takes K=V,K:V or a JSON object", () => {
  const problems: string[] = [];
  assertEquals(extraHeaders("X-A=1, X-B: two", problems), ["X-A: 1", "X-B: two"]);
  assertEquals(extraHeaders('{"X-C": "3"}', problems), ["X-C: 3"]);
  assertEquals(problems, []);
  extraHeaders("novalue", problems);
  assertEquals(problems.length, 1);
});

Deno.test("a tool's own flag given to another command is an error, not ignored", async () => {
  const io = { print: () => {}, env: () => undefined };
  const save = await rejects(() => runCommand(["--url", "http://127.0.0.1:9", "--save-data"], io));
  assertEquals(save.problems, [
    "--save-data: LLM-Eval's flag, used with servebench serving_perf_eval",
  ]);
  const name = await rejects(() =>
    runCommand(["--url", "http://127.0.0.1:9", "--name", "x"], { ...io, dialect: "llm-eval" })
  );
  assertEquals(name.problems, ["--name: EvalScope's flag, used with servebench perf"]);
});
