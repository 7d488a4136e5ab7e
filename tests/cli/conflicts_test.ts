import { parseFlags } from "../../src/cli/args.ts";
import { planFromFlags, RUN_FLAGS, SHAPE_FLAGS } from "../../src/cli/run.ts";
import { resolvePlan } from "../../src/config/resolve.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals, withTempDir } from "../helpers.ts";

const URL = "http://127.0.0.1:1";

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error.problems;
    throw error;
  }
  throw new Error("expected a UsageError");
}

/** Parses argv as `run` does and plans it; the UsageError's problems. */
function argvProblems(argv: string[]): readonly string[] {
  return problemsOf(() => {
    const { values, extra } = parseFlags(argv, RUN_FLAGS, {
      command: "servebench run",
      extra: SHAPE_FLAGS,
    });
    planFromFlags(values, undefined, { extra });
  });
}

Deno.test("parseFlags() suggests the nearest flag for a typo", () => {
  assertEquals(argvProblems(["--concurency", "4"]), [
    'Unknown flag "--concurency" for "servebench run": did you mean --concurrency? (see servebench run --help)',
  ]);
  assertEquals(argvProblems(["--zzzzzz"]), [
    'Unknown flag "--zzzzzz" for "servebench run" (see servebench run --help)',
  ]);
});

Deno.test("never silently dropped: every flag pair that one mode ignores is one line naming the flags", () => {
  const cases: Array<[string[], string]> = [
    // Aliases with their main flag, or with another alias of it.
    [
      ["--parallel", "4", "--concurrency", "8"],
      "--parallel: give either --parallel or --concurrency, not both",
    ],
    [
      ["--concurrency", "8", "--concurrency-list", "8,16"],
      "--concurrency-list: give either --concurrency-list or --concurrency, not both",
    ],
    [
      ["--parallel", "4", "--concurrency-list", "8,16"],
      "--parallel: give either --parallel or --concurrency-list, not both",
    ],
    [
      ["--number", "4", "--num-prompts", "8"],
      "--number: give either --number or --num-prompts, not both",
    ],
    [
      ["--request-rate", "1", "--request-rate-list", "2,3"],
      "--request-rate-list: give either --request-rate-list or --request-rate, not both",
    ],
    // Lists the chosen mode reads one value of.
    [
      ["--url", URL, "--pressure", "--pressure-time", "5", "--concurrency", "4", "8"],
      "--concurrency: give one value with --pressure, not a list",
    ],
    [
      ["--url", URL, "--pressure", "--pressure-time", "5", "--request-rate", "1", "2"],
      "--request-rate: give one value with --pressure, not a list",
    ],
    [
      ["--url", URL, "--request-rate", "1", "--concurrency", "4", "8"],
      "--concurrency: give one value with --request-rate, not a list",
    ],
    [[
      "--url",
      URL,
      "--ramp",
      "linear",
      "--ramp-from",
      "1",
      "--ramp-to",
      "2",
      "--concurrency",
      "4",
      "8",
    ], "--concurrency: give one value with --ramp linear, not a list"],
    // Flags the chosen mode does not read.
    [[
      "--url",
      URL,
      "--ramp",
      "linear",
      "--ramp-from",
      "1",
      "--ramp-to",
      "2",
      "--request-rate",
      "3",
    ], "--request-rate: not used with --ramp linear"],
    [[
      "--url",
      URL,
      "--ramp",
      "exponential",
      "--ramp-from",
      "1",
      "--ramp-to",
      "2",
      "--arrival",
      "gamma",
    ], "--arrival: not used with --ramp exponential (it needs --request-rate)"],
    [
      ["--url", URL, "--pressure", "--pressure-time", "5", "--arrival", "constant"],
      "--arrival: not used with --pressure (it needs --request-rate)",
    ],
    [
      ["--url", URL, "--concurrency", "4", "--burstiness", "0.5"],
      "--burstiness: not used with --concurrency (it needs --request-rate)",
    ],
    [["--url", URL, "--arrival", "gamma"], "--arrival: needs --request-rate"],
    [
      ["--url", URL, "--request-rate", "2", "--burstiness", "0.5"],
      "--burstiness: applies to --arrival gamma only (arrival is poisson)",
    ],
    [
      ["--url", URL, "--ramp-from", "1"],
      "--ramp-from: needs --ramp linear|exponential or --ramp step",
    ],
    [["--url", URL, "--pressure-time", "5"], "--pressure-time: needs --pressure"],
    [
      ["--url", URL, "--concurrency", "2", "--pressure-time", "5"],
      "--pressure-time: not used with --concurrency (it needs --pressure)",
    ],
    [["--url", URL, "--ramp-step", "1"], "--ramp-step: needs --ramp step"],
    [
      ["--url", URL, "--pressure", "--pressure-time", "5", "--duration", "3"],
      "--duration: not used with --pressure (it sets its own time)",
    ],
    // Dataset flags that another one overrides.
    [
      ["--url", URL, "--datasets", "synthetic", "--dataset-path", "x.jsonl"],
      "--dataset-path: not used with builtin:configs/datasets/synthetic.yaml (type synthetic reads no file)",
    ],
    [
      ["--url", URL, "--prompt", "hi", "--dataset-path", "x.jsonl"],
      "--dataset-path: not used with --prompt; give one of them",
    ],
    [
      ["--url", URL, "--prompt", "hi", "--input-len", "64"],
      "--input-len: not used with --prompt; give one of them",
    ],
    [
      ["--url", URL, "--dataset-path", "x.jsonl", "--input-len", "64", "--num-prompts", "4"],
      "--input-len: not used with --dataset-path (the file gives the prompts)",
    ],
    [
      ["--url", URL, "--datasets", "synthetic", "--prompt", "hi"],
      "--prompt: applies to the default synthetic dataset only, not with --datasets; set it in the dataset config",
    ],
    [
      ["--url", URL, "--quiet", "--progress-interval", "2"],
      "--progress-interval: not used with --quiet (no progress line is printed)",
    ],
  ];
  for (const [argv, line] of cases) {
    assertEquals(argvProblems(argv), [line], argv.join(" "));
  }
});

Deno.test("resolvePlan() reads a model config's load: block through the shape's schema, naming file and field", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/models`);
    const write = (name: string, load: string) =>
      Deno.writeTextFile(`${dir}/models/${name}.yaml`, `url: ${URL}\nload: ${load}\n`);
    await write("rates", "{kind: rate, rate: [1, inf], arrival: constant, max_concurrency: 4}");
    await write("bad", "{kind: ramp, from: 0, curve: cubic, extra: 1}");
    await write("nokind", "{kind: wave}");
    const plan = resolvePlan(
      { models: ["rates"], configDir: dir, numPrompts: [10] },
      () => undefined,
    );
    assertEquals(plan.tasks.map((t) => [t.outputName, t.load]), [
      ["synthetic_r1", {
        kind: "rate",
        rate: 1,
        arrival: "constant",
        burstiness: 1,
        seed: 0,
        maxConcurrency: 4,
        numRequests: 10,
      }],
      ["synthetic_rinf", {
        kind: "rate",
        rate: Infinity,
        arrival: "constant",
        burstiness: 1,
        seed: 0,
        maxConcurrency: 4,
        numRequests: 10,
      }],
    ]);
    const bad = problemsOf(() =>
      resolvePlan({ models: ["bad", "nokind"], configDir: dir }, () => undefined)
    );
    const src = `${dir}/models/bad.yaml`;
    for (
      const expected of [
        `${src}: load.curve: expected one of "linear", "exponential", got "cubic"`,
        `${src}: load.from: expected >= 0.001, got 0`,
      ]
    ) {
      assert(bad.includes(expected), `${expected}\n in:\n${bad.join("\n")}`);
    }
    assert(
      bad.some((p) => p.startsWith(`${src}: load`) && p.includes("extra: unknown key")),
      bad.join("\n"),
    );
    assert(
      bad.some((p) =>
        p.includes(
          'load.kind: unknown load shape "wave": expected one of concurrency, rate, ramp, pressure, step',
        )
      ),
      bad.join("\n"),
    );
  });
});
