import { prepareSpecs } from "../../src/dataset/mod.ts";
import { conversationsOf, withReplies } from "../../src/bench/drive.ts";
import { loadTokenizer } from "../../src/tokenizer/tokenizer.ts";
import { assertEquals, withTempDir } from "../helpers.ts";

const tokenizer = await loadTokenizer("qwen3");

Deno.test("sharegpt turns: all: every human turn is a spec of its conversation, with the turns before it", async () => {
  await withTempDir(async (dir) => {
    const conv = (tag: string, n: number) => ({
      conversations: Array.from({ length: n }, (_, k) => [
        { from: "human", value: `${tag} question ${k}` },
        { from: "gpt", value: `${tag} answer ${k} is here` },
      ]).flat(),
    });
    Deno.writeTextFileSync(`${dir}/s.json`, JSON.stringify([conv("a", 3), conv("b", 1)], null, 1));
    const specs = await prepareSpecs(
      { type: "sharegpt", path: `${dir}/s.json`, useOutputLen: true, allTurns: true },
      { needed: 100, seed: 0, shuffle: false, api: "openai-chat", tokenizer },
    );
    assertEquals(specs.map((s) => [s.session?.turn, s.messages!.length]), [
      [0, 1],
      [1, 3],
      [2, 5],
      [0, 1],
    ]);
    assertEquals(specs[2]!.messages!.map((m) => m.content), [
      "a question 0",
      "a answer 0 is here",
      "a question 1",
      "a answer 1 is here",
      "a question 2",
    ]);
    assertEquals(specs[2]!.maxTokens, tokenizer.encode("a answer 2 is here").length);
    assertEquals(new Set(specs.map((s) => s.session!.id)).size, 2);
    assertEquals(conversationsOf(specs), [[0, 1, 2], [3]]);
  });
});

Deno.test("withReplies() puts the server's replies in the assistant turns, keeping the dataset's where one is missing", () => {
  const spec = {
    messages: [
      { role: "system" as const, content: "sys" },
      { role: "user" as const, content: "q0" },
      { role: "assistant" as const, content: "d0" },
      { role: "user" as const, content: "q1" },
      { role: "assistant" as const, content: "d1" },
      { role: "user" as const, content: "q2" },
    ],
  };
  assertEquals(
    withReplies(spec, { replies: ["r0", undefined] }).messages!.map((m) => m.content),
    ["sys", "q0", "r0", "q1", "d1", "q2"],
  );
});

Deno.test("conversationsOf() orders each session's turns and keeps a spec without a session alone", () => {
  const s = (id: string, turn: number) => ({ prompt: "x", session: { id, turn } });
  assertEquals(conversationsOf([s("a", 1), { prompt: "y" }, s("a", 0), s("b", 0)]), [
    [2, 0],
    [1],
    [3],
  ]);
});
