import { type FlagSpec, parseFlags } from "../../src/cli/args.ts";
import { planFromFlags } from "../../src/cli/run.ts";
import { UsageError } from "../../src/errors.ts";
import { assertEquals, assertRejects } from "../helpers.ts";

const SPECS: FlagSpec[] = [
  { name: "url", type: "string", help: "" },
  { name: "n", type: "integer", min: 1, help: "" },
  { name: "list", type: "list", help: "" },
  { name: "header", type: "string", repeatable: true, help: "" },
  { name: "stream", type: "boolean", help: "" },
  { name: "api", type: "string", choices: ["a", "b"], help: "" },
];

Deno.test("parseFlags() reads values, =values, lists, repeatables and --no- booleans", () => {
  const { values } = parseFlags(
    [
      "--url",
      "http://x",
      "--n=3",
      "--list",
      "1",
      "2,3",
      "--header",
      "a:1",
      "--header=b:2",
      "--no-stream",
      "--api",
      "b",
    ],
    SPECS,
    { command: "t" },
  );
  assertEquals(values, {
    url: "http://x",
    n: 3,
    list: ["1", "2", "3"],
    header: ["a:1", "b:2"],
    stream: false,
    api: "b",
  });
});

Deno.test("parseFlags() rejects unknown flags and bad values, naming the flag", async () => {
  await assertRejects(
    () => parseFlags(["--nope"], SPECS, { command: "servebench run" }),
    /^Unknown flag "--nope" for "servebench run"/,
  );
  await assertRejects(
    () => parseFlags(["--n", "zero"], SPECS, { command: "t" }),
    /^--n: expected an integer, got "zero"$/,
  );
  await assertRejects(
    () => parseFlags(["--n", "0"], SPECS, { command: "t" }),
    /^--n: expected an integer >= 1, got "0"$/,
  );
  await assertRejects(
    () => parseFlags(["--api", "c"], SPECS, { command: "t" }),
    /^--api: expected one of a, b, got "c"$/,
  );
  await assertRejects(
    () => parseFlags(["--url"], SPECS, { command: "t" }),
    /^--url: expected a value$/,
  );
  await assertRejects(() => parseFlags(["-x"], SPECS, { command: "t" }), /^Unknown flag "-x"/);
});

Deno.test("planFromFlags() reports every problem at once", () => {
  try {
    planFromFlags({
      url: "localhost:8000",
      "extra-args": "{bad",
      concurrency: [0],
      header: ["nocolon"],
    });
    throw new Error("expected a UsageError");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    assertEquals(error.problems.length, 4);
    assertEquals(
      error.problems.includes(
        '--url: expected an http:// or https:// URL with a host, got "localhost:8000"',
      ),
      true,
      error.problems.join("\n"),
    );
  }
});

Deno.test("planFromFlags() builds one task per concurrency, pairing --num-prompts", () => {
  const plan = planFromFlags({
    url: "http://127.0.0.1:1",
    concurrency: [2, 4],
    "num-prompts": [10, 20],
  }, (name) => (name === "OPENAI_API_KEY" ? "sk-secret" : undefined));
  assertEquals(
    plan.tasks.map((
      t,
    ) => [t.load.kind === "concurrency" && t.load.concurrency, t.load.numRequests, t.outputName]),
    [
      [2, 10, "synthetic_c2"],
      [4, 20, "synthetic_c4"],
    ],
  );
  assertEquals(plan.tasks[0]!.model.apiKey, "sk-secret");
});

Deno.test("planFromFlags() with --repeat runs every task N times in rounds, each repetition named _r<i>", () => {
  const plan = planFromFlags({ url: "http://127.0.0.1:1", concurrency: [2, 4], repeat: 2 });
  assertEquals(plan.tasks.map((t) => [t.outputName, t.repetition]), [
    ["synthetic_c2_r1", { index: 1, of: 2 }],
    ["synthetic_c4_r1", { index: 1, of: 2 }],
    ["synthetic_c2_r2", { index: 2, of: 2 }],
    ["synthetic_c4_r2", { index: 2, of: 2 }],
  ]);
  // One model task shared by every repetition: one simulator or server check per model.
  assertEquals(new Set(plan.tasks.map((t) => t.model)).size, 1);
  const once = planFromFlags({ url: "http://127.0.0.1:1", concurrency: [2] });
  assertEquals(once.tasks.map((t) => [t.outputName, t.repetition ?? null]), [["synthetic", null]]);
});

Deno.test("planFromFlags() takes fetch, not raw, when a proxy variable is set and --transport is not given", () => {
  const url = "http://127.0.0.1:8000";
  assertEquals(planFromFlags({ url }, () => undefined).transport, "raw");
  const proxied = (name: string) => (name === "HTTPS_PROXY" ? "http://proxy:3128" : undefined);
  assertEquals(planFromFlags({ url }, proxied).transport, "fetch");
  assertEquals(planFromFlags({ url, transport: "raw" }, proxied).transport, "raw");
});

Deno.test("parseFlags() reads a flag whose value is optional: alone, with a value, and --no-", () => {
  const specs = [
    { name: "server-metrics", type: "string", optionalValue: true, help: "h" },
    { name: "c", type: "integer", help: "h" },
  ] as const satisfies readonly FlagSpec[];
  const parse = (argv: string[]) => parseFlags(argv, specs, { command: "t" }).values;
  assertEquals(parse(["--server-metrics"]), { "server-metrics": true });
  assertEquals(parse(["--server-metrics", "--c", "2"]), { "server-metrics": true, c: 2 });
  assertEquals(parse(["--server-metrics", "http://h:1/m"]), { "server-metrics": "http://h:1/m" });
  assertEquals(parse(["--server-metrics=http://h:1/m"]), { "server-metrics": "http://h:1/m" });
  assertEquals(parse(["--no-server-metrics"]), { "server-metrics": false });
});

Deno.test("planFromFlags() scrapes server metrics by default, and checks --server-metrics and its interval", () => {
  const base = { url: "http://127.0.0.1:1/v1", concurrency: [1] };
  assertEquals(planFromFlags(base).tasks[0]!.model.serverMetrics, { intervalMs: 1000 });
  assertEquals(
    planFromFlags({
      ...base,
      "server-metrics": "http://127.0.0.1:2/m",
      "server-metrics-interval": 0.5,
    }).tasks[0]!.model.serverMetrics,
    { url: "http://127.0.0.1:2/m", intervalMs: 500 },
  );
  assertEquals(
    planFromFlags({ ...base, "server-metrics": false }).tasks[0]!.model.serverMetrics,
    undefined,
  );
  try {
    planFromFlags({ ...base, "server-metrics": "metrics", "server-metrics-interval": 5000 });
    throw new Error("expected a UsageError");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    assertEquals(error.problems, [
      "--server-metrics-interval: expected at most 3600 seconds, got 5000",
      '--server-metrics: expected an http:// or https:// URL with a host, got "metrics"',
    ]);
  }
  try {
    planFromFlags({ ...base, "server-metrics": false, "server-metrics-interval": 2 });
    throw new Error("expected a UsageError");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    assertEquals(error.problems, [
      "--server-metrics-interval: not used: server metrics are off (--no-server-metrics)",
    ]);
  }
});

Deno.test("planFromFlags() takes server_metrics and server_metrics_interval_s from a model config; flags win", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/m.yaml`;
    Deno.writeTextFileSync(
      path,
      "url: http://127.0.0.1:1\nserver_metrics: http://127.0.0.1:9/metrics\nserver_metrics_interval_s: 2\n",
    );
    assertEquals(
      planFromFlags({ models: [path], concurrency: [1] }).tasks[0]!.model.serverMetrics,
      { url: "http://127.0.0.1:9/metrics", intervalMs: 2000 },
    );
    assertEquals(
      planFromFlags({ models: [path], concurrency: [1], "server-metrics": true }).tasks[0]!.model
        .serverMetrics,
      { url: "http://127.0.0.1:9/metrics", intervalMs: 2000 },
      "--server-metrics alone keeps the config's URL",
    );
    assertEquals(
      planFromFlags({
        models: [path],
        concurrency: [1],
        "server-metrics": "http://127.0.0.1:8/m",
        "server-metrics-interval": 1,
      }).tasks[0]!.model.serverMetrics,
      { url: "http://127.0.0.1:8/m", intervalMs: 1000 },
    );
    Deno.writeTextFileSync(path, "url: http://127.0.0.1:1\nserver_metrics: false\n");
    assertEquals(
      planFromFlags({ models: [path], concurrency: [1] }).tasks[0]!.model.serverMetrics,
      undefined,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
