import { assert, assertEquals, withTempDir } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("the bundled servebench.js runs the default benchmark with no access to the source tree", async () => {
  await withTempDir(async (dir) => {
    const bundle = `${dir}/servebench.js`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "deno", "-o", bundle, "main.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
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
  });
});
