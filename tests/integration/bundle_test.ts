import { assert, assertEquals, withTempDir } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const STAMP_FILE = `${ROOT}src/build_info.ts`;

Deno.test("the bundled servebench.js (scripts/build.ts) runs the default benchmark with no access to the source tree, and --version names its commit and Deno", async () => {
  await withTempDir(async (dir) => {
    const bundle = `${dir}/servebench.js`;
    const before = Deno.readTextFileSync(STAMP_FILE);
    const built = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "scripts/build.ts",
      ]
        .concat(["bundle", "-o", bundle]),
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { SERVEBENCH_COMMIT: "" },
    }).output();
    assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
    assertEquals(Deno.readTextFileSync(STAMP_FILE), before, "the build stamp is put back");
    const head = await new Deno.Command("git", {
      args: ["rev-parse", "--short=12", "HEAD"],
      cwd: ROOT,
      stdout: "piped",
    }).output();
    const version = await new Deno.Command(Deno.execPath(), {
      args: ["run", bundle, "--version"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const line = new TextDecoder().decode(version.stdout).trim();
    assertEquals(version.code, 0, new TextDecoder().decode(version.stderr));
    assert(
      new RegExp(
        `^servebench \\d+\\.\\d+\\.\\d+ \\(commit ${
          new TextDecoder().decode(head.stdout).trim()
        }(-dirty)?, deno ${Deno.version.deno.replaceAll(".", "\\.")}, built \\S+Z\\)$`,
      ).test(line),
      line,
    );
    // Reads and writes are limited to the temporary folder: the bundle must carry every asset.
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        // The yaml package reads LOG_TOKENS and LOG_STREAM.
        "--allow-env=OPENAI_API_KEY,LOG_TOKENS,LOG_STREAM",
        bundle,
        "run",
        "--work-dir",
        `${dir}/out`,
        "--concurrency",
        "2",
        "--num-prompts",
        "4",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
    assert(stdout.includes("Common Metric"), stdout);
    const runs = [...Deno.readDirSync(`${dir}/out`)];
    assertEquals(runs.length, 1);
    // The page compiles its charts: the bundle carries the Vega-Lite build it inlines.
    const perf = `${dir}/out/${runs[0]!.name}/performances`;
    const model = [...Deno.readDirSync(perf)][0]!.name;
    const page = [...Deno.readDirSync(`${perf}/${model}`)].find((e) =>
      e.name.endsWith("_plot.html")
    );
    assert(page, "a task page");
    const html = Deno.readTextFileSync(`${perf}/${model}/${page.name}`);
    assert(
      html.includes(".vegaLite={}") && html.includes('mode: "vega-lite"'),
      "vega-lite inlined",
    );
  });
});
