import { runCommand } from "../../src/cli/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, quiet, runCli, withTempDir } from "../helpers.ts";

function writeConfig(dir: string, kind: string, name: string, text: string): string {
  Deno.mkdirSync(`${dir}/${kind}`, { recursive: true });
  const path = `${dir}/${kind}/${name}`;
  Deno.writeTextFileSync(path, text);
  return path;
}

Deno.test("a 2 × 2 matrix runs 4 tasks, writes 4 sets of files, and the summary shows the faster model ahead", async () => {
  const fast = await startSimulator({ ttftMs: 20, itlMs: 4 });
  const slow = await startSimulator({ ttftMs: 40, itlMs: 8 });
  try {
    await withTempDir(async (dir) => {
      writeConfig(
        dir,
        "models",
        "fast.yaml",
        `abbr: fast\nurl: ${fast.url}\nbatch_size: 2\nmax_out_len: 8\n`,
      );
      writeConfig(
        dir,
        "models",
        "slow.json",
        JSON.stringify({ abbr: "slow", url: slow.url, batch_size: 2, max_out_len: 8 }),
      );
      writeConfig(
        dir,
        "datasets",
        "short.yaml",
        "type: synthetic\nrequest_count: 6\ninput: {method: fixed, value: 8}\noutput: {method: fixed, value: 6}\n",
      );
      writeConfig(
        dir,
        "datasets",
        "long.yaml",
        "type: synthetic\nrequest_count: 4\ninput: {method: uniform, min: 16, max: 32}\noutput: {method: fixed, value: 10}\n",
      );
      const result = await runCommand(
        [
          "--models",
          "fast",
          "slow",
          "--datasets",
          "short",
          "long",
          "--config-dir",
          dir,
          "--work-dir",
          `${dir}/out`,
        ],
        { print: quiet, env: () => undefined },
      );
      assert(result, "ran");
      assertEquals(result.tasks.map((t) => `${t.task.model.abbr}/${t.task.outputName}`), [
        "fast/short",
        "fast/long",
        "slow/short",
        "slow/long",
      ]);
      for (const t of result.tasks) {
        for (const f of [t.paths.csv, t.paths.json, t.paths.requestsCsv, t.paths.trace]) {
          Deno.statSync(f);
        }
      }
      const summary = JSON.parse(Deno.readTextFileSync(`${result.runDir}/summary.json`)).tasks;
      assertEquals(summary.length, 4);
      for (const dataset of ["short", "long"]) {
        const f = summary.find((r: Record<string, unknown>) =>
          r.model === "fast" && r.dataset === dataset
        );
        const s = summary.find((r: Record<string, unknown>) =>
          r.model === "slow" && r.dataset === dataset
        );
        assert(
          f.ttft_ms_mean < s.ttft_ms_mean,
          `${dataset}: fast TTFT ${f.ttft_ms_mean} < slow ${s.ttft_ms_mean}`,
        );
        assert(
          f.itl_ms_mean < s.itl_ms_mean,
          `${dataset}: fast ITL ${f.itl_ms_mean} < slow ${s.itl_ms_mean}`,
        );
        assertEquals(f.total_requests, dataset === "short" ? 6 : 4);
      }
      assertEquals(slow.stats().peakHeld, 2);
    });
  } finally {
    await fast.shutdown();
    await slow.shutdown();
  }
});

Deno.test("bad configs give clear lines naming file and field, exit 2, and send nothing", async () => {
  const sim = await startSimulator();
  try {
    await withTempDir(async (dir) => {
      const m = (name: string, text: string) => writeConfig(dir, "models", name, text);
      m("unknown_key.yaml", `url: ${sim.url}\nbatch_sise: 4\n`);
      m("wrong_type.yaml", `url: ${sim.url}\ngeneration_kwargs: hot\nmax_out_len: "many"\n`);
      m("no_url.yaml", "batch_size: 2\n");
      m("bad_url.yaml", "url: localhost:8000\n");
      m("zero.yaml", `url: ${sim.url}\nbatch_size: 0\n`);
      m("broken.yaml", `url: ${sim.url}\nheaders: [a, b\n`);
      m("twin_a.yaml", `abbr: twin\nurl: ${sim.url}\n`);
      m("twin_b.yaml", `abbr: twin\nurl: ${sim.url}\n`);
      const cases: Array<[string[], RegExp[]]> = [
        [["--models", "unknown_key"], [/models\/unknown_key\.yaml: batch_sise: unknown key$/]],
        [["--models", "wrong_type"], [
          /models\/wrong_type\.yaml: max_out_len: expected a number, got "many"$/,
          /models\/wrong_type\.yaml: generation_kwargs: expected an object \(mapping\), got "hot"$/,
        ]],
        [["--models", "no_url"], [
          /models\/no_url\.yaml: url: missing \(expected url, or host_ip and host_port/,
        ]],
        [["--models", "bad_url"], [
          /models\/bad_url\.yaml: url: expected an http:\/\/ or https:\/\/ URL with a host, got "localhost:8000"/,
        ]],
        [["--models", "zero"], [/models\/zero\.yaml: batch_size: expected > 0, got 0$/]],
        [["--models", "broken"], [/models\/broken\.yaml:\d+:\d+: invalid YAML\/JSON: /]],
        [["--models", "nope"], [
          /^servebench: Unknown model "nope": available: .*openai_chat_stream.*vllm_api_stream_chat/,
        ]],
        [["--models", "twin_a", "twin_b", "--datasets", "synthetic"], [
          /Two tasks would write performances\/twin\/synthetic\.\*/,
        ]],
        [["--concurrency", "-3"], [/--concurrency: expected an integer >= 1, got "-3"/]],
      ];
      for (const [args, patterns] of cases) {
        const r = await runCli([...args, "--config-dir", dir, "--work-dir", `${dir}/out`]);
        assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        const lines = r.stderr.trim().split("\n");
        assertEquals(lines.length, patterns.length, `${args.join(" ")}:\n${r.stderr}`);
        patterns.forEach((p, i) =>
          assert(p.test(lines[i]!), `${args.join(" ")}: line ${i + 1}: ${lines[i]}`)
        );
      }
      assertEquals(sim.stats().requests, 0, "no request reached the simulator");
      assertEquals(
        [...Deno.readDirSync(dir)].some((e) => e.name === "out"),
        false,
        "no run folder",
      );
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("no file or output line contains the API key, given by env var or by --api-key", async () => {
  const sim = await startSimulator();
  try {
    await withTempDir(async (dir) => {
      const viaEnv = "sk-env-0123456789abcdef";
      const viaFlag = "sk-flag-fedcba9876543210";
      const viaHeader = "hdr-secret-55555";
      writeConfig(
        dir,
        "models",
        "keyed.yaml",
        `url: ${sim.url}\napi_key_env: MY_KEY\nbatch_size: 2\nmax_out_len: 4\n`,
      );
      const runs = [
        await runCli([
          "--models",
          "keyed",
          "--dataset",
          "synthetic",
          "--num-prompts",
          "4",
          "--config-dir",
          dir,
          "--work-dir",
          `${dir}/out`,
          "--debug",
        ], { env: { MY_KEY: viaEnv } }),
        await runCli([
          "run",
          "--url",
          sim.url,
          "--api-key",
          viaFlag,
          "--header",
          `X-Api-Token: ${viaHeader}`,
          "--concurrency",
          "2",
          "--num-prompts",
          "4",
          "--work-dir",
          `${dir}/out`,
        ]),
      ];
      for (const r of runs) assertEquals(r.code, 0, r.stderr);
      const printed = runs.map((r) => r.stdout + r.stderr).join("\n");
      const files: string[] = [];
      const walk = (p: string) => {
        for (const e of Deno.readDirSync(p)) {
          if (e.isDirectory) walk(`${p}/${e.name}`);
          else files.push(`${p}/${e.name}`);
        }
      };
      walk(`${dir}/out`);
      assert(files.length > 10, `${files.length} files written`);
      for (const secret of [viaEnv, viaFlag, viaHeader]) {
        assert(!printed.includes(secret), `printed output leaks ${secret}`);
        for (const f of files) {
          assert(!Deno.readTextFileSync(f).includes(secret), `${f} leaks ${secret}`);
        }
      }
      const config = files.find((f) =>
        f.includes("/configs/") && f.includes(runs.length ? "" : "")
      )!;
      assert(
        Deno.readTextFileSync(config).includes("<redacted>"),
        "the dumped config marks redactions",
      );
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("--search lists every selected task with its source and contacts no server", async () => {
  await withTempDir(async (dir) => {
    const path = writeConfig(dir, "models", "remote.yaml", "url: http://127.0.0.1:9\n");
    const r = await runCli([
      "--models",
      path,
      "vllm_api_stream_chat",
      "--datasets",
      "synthetic_zipf",
      "--summarizer",
      "stable_stage",
      "--search",
    ]);
    assertEquals(r.code, 0, r.stderr);
    for (
      const expected of [
        `│ model      │ remote               │ ${path}`,
        "│ model      │ vllm_api_stream_chat │ builtin:configs/models/openai_chat_stream.yaml",
        "│ dataset    │ synthetic_zipf       │ builtin:configs/datasets/synthetic_zipf.yaml",
        "│ summarizer │ stable_stage         │ builtin:configs/summarizers/stable_stage.yaml",
      ]
    ) assert(r.stdout.includes(expected), `missing ${expected}\n${r.stdout}`);
  });
});
