import { prepareSpecs } from "../../src/dataset/mod.ts";
import { csvSpecs } from "../../src/dataset/csv.ts";
import { taskFileSpecs } from "../../src/dataset/gsm8k.ts";
import { generatePng, imageSpecs } from "../../src/dataset/images.ts";
import { jsonlSpecs } from "../../src/dataset/jsonl.ts";
import { jsonArrayElements, sharegptSpecs } from "../../src/dataset/sharegpt.ts";
import type { RequestSpec } from "../../src/dataset/mod.ts";
import { loadTokenizer } from "../../src/tokenizer/tokenizer.ts";
import { assert, assertEquals, assertRejects, withTempDir } from "../helpers.ts";

async function all(it: AsyncIterable<RequestSpec>): Promise<RequestSpec[]> {
  const out: RequestSpec[] = [];
  for await (const s of it) out.push(s);
  return out;
}

Deno.test("jsonlSpecs() reads prompt, token-id and messages lines with optional max_tokens", async () => {
  await withTempDir(async (dir) => {
    const p = `${dir}/d.jsonl`;
    await Deno.writeTextFile(
      p,
      [
        JSON.stringify({ prompt: "hello", max_tokens: 7 }),
        "",
        JSON.stringify({ prompt: [1, 2, 3] }),
        JSON.stringify({
          messages: [{ role: "system", content: "s" }, { role: "user", content: "u" }],
        }),
      ].join("\r\n") + "\n",
    );
    assertEquals(await all(jsonlSpecs(p)), [
      { prompt: "hello", maxTokens: 7 },
      { prompt: [1, 2, 3] },
      { messages: [{ role: "system", content: "s" }, { role: "user", content: "u" }] },
    ]);
  });
});

Deno.test("jsonlSpecs() names the file and line of bad input", async () => {
  await withTempDir(async (dir) => {
    const p = `${dir}/d.jsonl`;
    await Deno.writeTextFile(p, '{"prompt": "a"}\n{"prompt": \n');
    await assertRejects(
      () => all(jsonlSpecs(p)),
      new RegExp(`^Cannot read dataset "${p}": line 2 is not valid JSON$`),
    );
    await Deno.writeTextFile(p, '{"prompt": "a"}\n{"text": "b"}\n');
    await assertRejects(
      () => all(jsonlSpecs(p)),
      /line 2 has no "prompt" \(string or token ids\) or "messages" \(list\) field/,
    );
    await Deno.writeTextFile(p, '{"prompt": "a", "max_tokens": -1}\n');
    await assertRejects(
      () => all(jsonlSpecs(p)),
      /line 1 has "max_tokens" -1, expected a positive integer/,
    );
    await Deno.writeTextFile(p, "\n\n");
    await assertRejects(() => all(jsonlSpecs(p)), /the file has no records/);
    await assertRejects(() => all(jsonlSpecs(`${dir}/missing.jsonl`)), /no such file/);
  });
});

Deno.test("csvSpecs() handles quoted commas, quotes and line breaks, and a messages column", async () => {
  await withTempDir(async (dir) => {
    const p = `${dir}/d.csv`;
    await Deno.writeTextFile(
      p,
      'prompt,max_tokens,messages\r\n"Hello, ""world""\nsecond line",5,\nplain,,\n,,"[{""role"":""user"",""content"":""hi""}]"\n',
    );
    assertEquals(await all(csvSpecs(p)), [
      { prompt: 'Hello, "world"\nsecond line', maxTokens: 5 },
      { prompt: "plain" },
      { messages: [{ role: "user", content: "hi" }] },
    ]);
  });
});

Deno.test("csvSpecs() names a missing column, a short row and an empty file", async () => {
  await withTempDir(async (dir) => {
    const p = `${dir}/d.csv`;
    await Deno.writeTextFile(p, "text,max_tokens\nhello,3\n");
    await assertRejects(
      () => all(csvSpecs(p)),
      /the header has no "prompt" or "messages" column \(found: text, max_tokens\)/,
    );
    await Deno.writeTextFile(p, "prompt,max_tokens\nhello,3\nshort\n");
    await assertRejects(() => all(csvSpecs(p)), /line 3 has 1 fields, the header 2/);
    await Deno.writeTextFile(p, "");
    await assertRejects(() => all(csvSpecs(p)), /the file has no records/);
    await Deno.writeTextFile(p, 'prompt\n"never closed\n');
    await assertRejects(() => all(csvSpecs(p)), /line 2: a quoted field is not closed/);
  });
});

Deno.test("jsonArrayElements() streams elements with brackets and quotes inside strings", async () => {
  await withTempDir(async (dir) => {
    const p = `${dir}/s.json`;
    await Deno.writeTextFile(p, '[\n {"a": "]}\\"[{"},\n {"b": [1, {"c": 2}]}\n]\n');
    const els = [];
    for await (const e of jsonArrayElements(p)) els.push([JSON.parse(e.text), e.line]);
    assertEquals(els, [[{ a: ']}"[{' }, 2], [{ b: [1, { c: 2 }] }, 3]]);
    await Deno.writeTextFile(p, '[{"a": 1}, {"b":');
    await assertRejects(async () => {
      for await (const _ of jsonArrayElements(p)) { /* drain */ }
    }, /the JSON array is not closed/);
    await Deno.writeTextFile(p, '{"a": 1}');
    await assertRejects(async () => {
      for await (const _ of jsonArrayElements(p)) { /* drain */ }
    }, /line 1: expected a JSON array/);
  });
});

Deno.test("sharegptSpecs() takes the first human turn and the first gpt turn's token length", async () => {
  const tok = await loadTokenizer("qwen3");
  await withTempDir(async (dir) => {
    const p = `${dir}/s.json`;
    const answer = "The answer is forty two.";
    await Deno.writeTextFile(
      p,
      JSON.stringify([
        {
          id: "1",
          conversations: [{ from: "human", value: "Question?" }, { from: "gpt", value: answer }],
        },
        { id: "2", conversations: [{ from: "gpt", value: "no human" }] },
        { id: "3", conversations: [{ from: "human", value: "no answer" }] },
      ]),
    );
    const specs = await all(sharegptSpecs(p, { useOutputLen: true, tokenizer: tok }));
    const n = tok.encode(answer).length;
    assertEquals(specs, [{
      messages: [{ role: "user", content: "Question?" }],
      maxTokens: n,
      expectedOutputTokens: n,
    }]);
    assertEquals((await all(sharegptSpecs(p, { useOutputLen: false }))).length, 2);
  });
});

Deno.test("taskFileSpecs() builds k-shot chats from training examples, never the question itself", async () => {
  await withTempDir(async (dir) => {
    const p = `${dir}/test.jsonl`;
    const lines = Array.from(
      { length: 6 },
      (_, i) => JSON.stringify({ question: `Q${i}`, answer: `A${i} #### ${i}` }),
    );
    lines.push(JSON.stringify({ problem: "P6", solution: 6 }));
    await Deno.writeTextFile(p, lines.join("\n"));
    const specs = await all(taskFileSpecs({ path: p, shots: 3 }, 7));
    assertEquals(specs.length, 7);
    for (const [i, s] of specs.entries()) {
      const m = s.messages!;
      assertEquals(m.length, 1 + 3 * 2 + 1);
      assertEquals(m[0]!.role, "system");
      const last = m[m.length - 1]!;
      assertEquals(last, { role: "user", content: i < 6 ? `Q${i}` : "P6" });
      const shots = m.slice(1, -1).filter((x) => x.role === "user").map((x) => x.content);
      assert(!shots.includes(last.content), `shots of ${last.content} include itself`);
      assertEquals(new Set(shots).size, 3);
    }
    await assertRejects(
      () =>
        all(
          taskFileSpecs({
            path: `${dir}/gsm8k/test.jsonl`,
            shots: 2,
            hint: "put it at datasets/gsm8k/test.jsonl",
          }, 0),
        ),
      /no such file \(put it at datasets\/gsm8k\/test\.jsonl\)/,
    );
    await Deno.writeTextFile(p, JSON.stringify({ question: "Q" }));
    await assertRejects(
      () => all(taskFileSpecs({ path: p, shots: 0 }, 0)),
      /line 1 has no "answer" \(or "solution"\)/,
    );
  });
});

Deno.test("imageSpecs() sends generated PNGs, or local files, as data URLs in image parts", async () => {
  const png = await generatePng(4, 3, 1);
  assertEquals([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assertEquals(new DataView(png.buffer).getUint32(16), 4);
  const specs = await all(
    imageSpecs({ prompt: "What is this?", width: 4, height: 3, perRequest: 2 }, 2, 0),
  );
  assertEquals(specs.length, 2);
  const parts = specs[0]!.messages![0]!.content as Array<Record<string, unknown>>;
  assertEquals(parts[0], { type: "text", text: "What is this?" });
  assertEquals(parts.length, 3);
  const url = (parts[1]!.image_url as { url: string }).url;
  assert(url.startsWith("data:image/png;base64,iVBORw0KGgo"), url.slice(0, 40));
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/x.png`, png);
    const fromFile = await all(
      imageSpecs({ prompt: "p", files: [`${dir}/x.png`], perRequest: 1 }, 1, 0),
    );
    const filePart = (fromFile[0]!.messages![0]!.content as Array<Record<string, unknown>>)[1]!;
    assertEquals(filePart.image_url, {
      url: `data:image/png;base64,${btoa(String.fromCharCode(...png))}`,
    });
    await assertRejects(
      () => all(imageSpecs({ prompt: "p", files: [`${dir}/x.bmp`], perRequest: 1 }, 1, 0)),
      /expected a \.png/,
    );
  });
});

Deno.test("prepareSpecs() takes the first N, or a seeded random sample with shuffle, and counts inputs", async () => {
  const tok = await loadTokenizer("qwen3");
  await withTempDir(async (dir) => {
    const p = `${dir}/d.jsonl`;
    await Deno.writeTextFile(
      p,
      Array.from({ length: 50 }, (_, i) => JSON.stringify({ prompt: `item ${i}` })).join("\n"),
    );
    const base = {
      type: "jsonl" as const,
      path: p,
      fields: { prompt: "prompt", messages: "messages", maxTokens: "max_tokens" },
    };
    const first = await prepareSpecs(base, {
      needed: 5,
      seed: 0,
      shuffle: false,
      api: "openai-completions",
      tokenizer: tok,
    });
    assertEquals(first.map((s) => s.prompt), ["item 0", "item 1", "item 2", "item 3", "item 4"]);
    assertEquals(first[0]!.expectedInputTokens, tok.encode("item 0").length);
    const a = await prepareSpecs(base, {
      needed: 5,
      seed: 3,
      shuffle: true,
      api: "openai-completions",
    });
    const b = await prepareSpecs(base, {
      needed: 5,
      seed: 3,
      shuffle: true,
      api: "openai-completions",
    });
    assertEquals(a, b);
    assert(
      a.map((s) => s.prompt).join() !== first.map((s) => s.prompt).join(),
      "shuffled sample differs",
    );
    const repeated = await prepareSpecs({ type: "prompt", prompt: "same" }, {
      needed: 3,
      seed: 0,
      shuffle: false,
      api: "openai-chat",
    });
    assertEquals(repeated, [{ prompt: "same" }, { prompt: "same" }, { prompt: "same" }]);
  });
});
