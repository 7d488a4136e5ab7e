import { textLineSpecs } from "../../src/dataset/text_lines.ts";
import { jsonlSpecs } from "../../src/dataset/jsonl.ts";
import { resolvePlan } from "../../src/config/resolve.ts";
import { assertEquals, withTempDir } from "../helpers.ts";

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

Deno.test("textLineSpecs() makes one prompt per non-blank line, stripped (EvalScope's line_by_line)", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/p.txt`, "  Hello there \n\nWhat is 2+2?\r\n");
    assertEquals(await all(textLineSpecs(`${dir}/p.txt`)), [
      { prompt: "Hello there" },
      { prompt: "What is 2+2?" },
    ]);
  });
});

Deno.test("jsonlSpecs() reads a file that is one JSON list of records (EvalScope's longalpaca)", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/la.json`, '[{"instruction": "A"},\n {"instruction": "B"}]\n');
    const specs = await all(
      jsonlSpecs(`${dir}/la.json`, { prompt: "instruction", messages: "m", maxTokens: "x" }),
    );
    assertEquals(specs, [{ prompt: "A" }, { prompt: "B" }]);
  });
});

Deno.test("EvalScope's dataset names read the --dataset-path file (speed_benchmark and random_vl: tests/compat/evalscope_datasets_test.ts)", () => {
  const url = "http://127.0.0.1:9";
  const plan = (dataset: string) =>
    resolvePlan({ datasets: [dataset], datasetPath: "f", url, numPrompts: [2] }, () => undefined);
  const openqa = plan("openqa").tasks[0]!.dataset;
  assertEquals([openqa.type, openqa.abbr], ["jsonl", "openqa"]);
  assertEquals(plan("line_by_line").tasks[0]!.dataset.type, "text_lines");
  assertEquals(plan("custom").tasks[0]!.dataset.type, "text_lines");
  assertEquals(plan("longalpaca").tasks[0]!.dataset.type, "jsonl");
});
