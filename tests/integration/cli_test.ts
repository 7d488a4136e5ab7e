import { startSimulator } from "../../src/sim/server.ts";
import { VERSION } from "../../src/build_info.ts";
import { assert, assertEquals, runCli, withTempDir } from "../helpers.ts";

/** Runs the real CLI in a child process. */

Deno.test("servebench --help exits 0 and lists the commands", async () => {
  const r = await runCli(["--help"]);
  assertEquals(r.code, 0);
  for (const c of ["run", "sim", "report", "merge", "help", "version"]) {
    assert(r.stdout.includes(`\n  ${c} `), `lists ${c}`);
  }
  const v = await runCli(["--version"]);
  assertEquals(v.code, 0);
  assertEquals(
    v.stdout.trim(),
    `servebench ${VERSION} (commit unknown: run from source, deno ${Deno.version.deno})`,
  );
  const merge = await runCli(["merge", "--help"]);
  assertEquals(merge.code, 0);
  assert(merge.stdout.includes("Usage: servebench merge DIR [DIR …] -o OUT"), merge.stdout);
  const run = await runCli(["run", "--help"]);
  assertEquals(run.code, 0);
  for (const f of ["--url", "--concurrency", "--num-prompts", "--api-key", "--extra-args"]) {
    assert(run.stdout.includes(f), `run --help lists ${f}`);
  }
});

Deno.test("servebench run rejects bad flags with one clear line, exit 2, and sends nothing", async () => {
  const sim = await startSimulator();
  try {
    const cases: Array<[string[], RegExp]> = [
      [
        ["run", "--url", sim.url, "--bogus"],
        /^servebench: Unknown flag "--bogus" for "servebench run"/,
      ],
      [
        ["run", "--url", sim.url, "--concurrency", "abc"],
        /^servebench: --concurrency: expected an integer, got "abc"$/,
      ],
      [
        ["run", "--url", sim.url, "--num-prompts", "0"],
        /^servebench: --num-prompts: expected an integer >= 1, got "0"$/,
      ],
      [
        ["run", "--url", "localhost:8000"],
        /^servebench: --url: expected an http:\/\/ or https:\/\/ URL with a host/,
      ],
      [
        ["run", "--url", sim.url, "--api", "grpc"],
        /^servebench: --api: expected one of openai-chat, openai-completions/,
      ],
      [["frobnicate"], /^servebench: Unknown command "frobnicate"/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args);
      assertEquals(r.code, 2, `exit code of ${args.join(" ")}`);
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 1, `one line for ${args.join(" ")}: ${r.stderr}`);
      assert(pattern.test(lines[0]!), `${args.join(" ")}: ${lines[0]}`);
      assert(!r.stderr.includes("    at "), "no stack trace");
    }
    assertEquals(sim.stats().requests, 0, "no request reached the simulator");
  } finally {
    await sim.shutdown();
  }
});

Deno.test("servebench run on the built-in simulator prints both tables and writes consistent files", async () => {
  await withTempDir(async (dir) => {
    const r = await runCli([
      "run",
      "--work-dir",
      `${dir}/out`,
      "--concurrency",
      "2",
      "--num-prompts",
      "6",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(
      r.stdout.includes("Performance Parameters") && r.stdout.includes("Common Metric"),
      "both tables",
    );
    const json = r.stdout.match(/\S+\/performances\/sim\/synthetic\.json/)?.[0];
    assert(json, `prints the JSON path:\n${r.stdout}`);
    const result = JSON.parse(await Deno.readTextFile(json));
    const csv = await Deno.readTextFile(json.replace(".json", "_requests.csv"));
    const rows = csv.trim().split("\n").slice(1);
    assertEquals(rows.length, 6);
    assertEquals(result.common.total_requests, 6);
    assertEquals(
      result.common.success_requests,
      rows.filter((l) => l.split(",")[2] === "ok").length,
    );
    const trace = await Deno.readTextFile(json.replace(".json", "_details.jsonl"));
    const lines = trace.trim().split("\n");
    assertEquals(lines.length, 8, "header + one line per request + the self-check footer");
    assert(lines[7]!.startsWith('{"footer":{"self_check":'), lines[7]);
    const perf = await Deno.readTextFile(json.replace(".json", ".csv"));
    assert(
      perf.startsWith("Performance Parameters,Stage,Average,Min,Max,Median,P75,P90,P99,N\n"),
      perf,
    );
  });
});

Deno.test("servebench --mode perf_viz --reuse <timestamp> recomputes a run (AISBench's spelling)", async () => {
  await withTempDir(async (dir) => {
    const r = await runCli(["run", "--work-dir", dir, "--concurrency", "2", "--num-prompts", "4"]);
    assertEquals(r.code, 0, r.stderr);
    const stamp = [...Deno.readDirSync(dir)][0]!.name;
    const re = await runCli([
      "--mode",
      "perf_viz",
      "--reuse",
      stamp,
      "--work-dir",
      dir,
      "--stats",
      "P50",
      "P99.9",
    ]);
    assertEquals(re.code, 0, re.stderr);
    assert(re.stdout.includes("Recomputed 1 task(s)"), re.stdout);
    // Other stats than the run's: a set beside the originals, which keep the run's own.
    const json = (name: string) =>
      JSON.parse(Deno.readTextFileSync(`${dir}/${stamp}/performances/sim/${name}.json`));
    const suffixed = [...Deno.readDirSync(`${dir}/${stamp}/performances/sim`)]
      .map((e) => e.name).find((n) => /^synthetic@\d{8}_\d{6}\.json$/.test(n));
    assert(suffixed, "a suffixed set (the recompute's time)");
    assertEquals(Object.keys(json(suffixed.slice(0, -5)).metrics.ttft_ms), ["p50", "p99_9", "n"]);
    assertEquals(Object.keys(json("synthetic").metrics.ttft_ms).length, 8);
    const missing = await runCli(["report", "--reuse", "19990101_000000", "--work-dir", dir]);
    assertEquals(missing.code, 2);
    assert(missing.stderr.includes('--reuse: no run folder "19990101_000000"'), missing.stderr);
  });
});
