import { assert, assertEquals, withTempDir } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Copies the project's files (tracked and new, not ignored) as a fresh clone would have them. */
async function freshCopy(to: string): Promise<void> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assertEquals(listed.code, 0);
  for (const file of new TextDecoder().decode(listed.stdout).split("\0")) {
    if (!file) continue;
    try {
      const target = `${to}/${file}`;
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(`${ROOT}${file}`, target);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // deleted but not yet committed
    }
  }
}

async function deno(args: string[], cwd: string, denoDir: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test("every entry point works on the first try in a fresh clone with an empty DENO_DIR", async () => {
  await withTempDir(async (dir) => {
    // One cache, empty at the start: the first command fills it. Each entry point then runs in a
    // copy of its own with no node_modules/, which is what made the first run fail (the cache
    // alone does not: node_modules/ is filled while the module graph loads).
    const denoDir = `${dir}/deno_dir`;
    const entries: Array<{ name: string; args: string[]; check?: (copy: string) => void }> = [
      {
        name: "deno run main.ts run",
        args: ["run", "-A", "main.ts", "run", "--concurrency", "1", "--num-prompts", "2"],
        check: (copy) => assert([...Deno.readDirSync(`${copy}/outputs/default`)].length === 1),
      },
      {
        name: "deno task perf",
        args: ["task", "perf", "--concurrency", "1", "--num-prompts", "2"],
        check: (copy) => assert([...Deno.readDirSync(`${copy}/outputs/default`)].length === 1),
      },
      {
        name: "import mod.ts",
        args: [
          "eval",
          'const m = await import("./mod.ts"); if (typeof m.runBenchmark !== "function") Deno.exit(9);',
        ],
      },
      { name: "deno task bundle", args: ["task", "bundle"] },
    ];
    for (const [i, entry] of entries.entries()) {
      const copy = `${dir}/clone${i}`;
      await freshCopy(copy);
      const { code, text } = await deno(entry.args, copy, denoDir);
      assertEquals(code, 0, `${entry.name} failed on its first try:\n${text.slice(-2000)}`);
      entry.check?.(copy);
      if (entry.name === "deno task bundle") {
        const run = await deno(
          [
            "run",
            "-A",
            `${copy}/dist/servebench.js`,
            "run",
            "--concurrency",
            "1",
            "--num-prompts",
            "2",
          ],
          dir,
          denoDir,
        );
        assertEquals(run.code, 0, run.text.slice(-2000));
      }
    }
  });
});
