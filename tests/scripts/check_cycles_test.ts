import { assertEquals } from "../helpers.ts";
import { findCycles, moduleGraph } from "../../scripts/check_cycles.ts";

Deno.test("findCycles() finds every group of modules that import each other, with a closed chain", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts", "d.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", []],
    ["e.ts", ["f.ts"]],
    ["f.ts", ["e.ts", "d.ts"]],
  ]);
  assertEquals(findCycles(graph), [
    { members: ["a.ts", "b.ts", "c.ts"], chain: ["a.ts", "b.ts", "c.ts", "a.ts"] },
    { members: ["e.ts", "f.ts"], chain: ["e.ts", "f.ts", "e.ts"] },
  ]);
  assertEquals(findCycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]])), []);
});

Deno.test("check_cycles fails on a deliberately introduced cycle, type imports included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, 'import { b } from "./b.ts";\nconsole.log(b);\n');
    await Deno.writeTextFile(
      `${dir}/b.ts`,
      'import type { C } from "./c.ts";\nexport const b: C = 1;\n',
    );
    await Deno.writeTextFile(
      `${dir}/c.ts`,
      'import { b } from "./b.ts";\nexport type C = 1;\nb;\n',
    );
    assertEquals(findCycles(await moduleGraph(["main.ts"], dir)).map((c) => c.chain), [
      ["b.ts", "c.ts", "b.ts"],
    ]);
    const script = new URL("../../scripts/check_cycles.ts", import.meta.url).pathname;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-run", "--allow-read", script, "main.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(run.code, 1);
    const stderr = new TextDecoder().decode(run.stderr);
    assertEquals(stderr.includes("b.ts → c.ts → b.ts"), true, stderr);
    // Breaking the cycle makes it pass.
    await Deno.writeTextFile(`${dir}/c.ts`, "export type C = 1;\n");
    const ok = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-run", "--allow-read", script, "main.ts"],
      cwd: dir,
      stdout: "null",
      stderr: "null",
    }).output();
    assertEquals(ok.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
