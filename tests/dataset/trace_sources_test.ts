import { prepareSpecs } from "../../src/dataset/mod.ts";
import { azureStampMs } from "../../src/dataset/azure_trace.ts";
import { loadTokenizer } from "../../src/tokenizer/tokenizer.ts";
import { assertClose, assertEquals, withTempDir } from "../helpers.ts";

const tokenizer = await loadTokenizer("qwen3");
const base = {
  needed: 100,
  seed: 1,
  shuffle: false,
  api: "openai-completions",
  tokenizer,
} as const;

Deno.test("azureStampMs() reads seven fractional digits as UTC milliseconds", () => {
  const a = azureStampMs("2023-11-16 18:17:03.9799600")!;
  const b = azureStampMs("2023-11-16 18:17:04.0319600")!;
  assertClose(b - a, 52, 1e-6, "gap");
  assertEquals(azureStampMs("2023-11-16 18:17:04"), Date.UTC(2023, 10, 16, 18, 17, 4));
  assertEquals(azureStampMs("16/11/2023"), undefined);
});

Deno.test("azure_trace: prompts of exactly ContextTokens, max_tokens GeneratedTokens, offsets from the first row", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(
      `${dir}/a.csv`,
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,48,10\n2023-11-16 18:17:04.0319600,31,8\n",
    );
    const specs = await prepareSpecs(
      { type: "azure_trace", path: `${dir}/a.csv`, dataType: "string" },
      base,
    );
    assertEquals(specs.map((s) => tokenizer.encode(s.prompt as string).length), [48, 31]);
    assertEquals(specs.map((s) => s.maxTokens), [10, 8]);
    assertEquals(specs[0]!.arrivalOffsetMs, 0);
    assertClose(specs[1]!.arrivalOffsetMs!, 52, 1e-6, "offset");
  });
});

Deno.test("burstgpt: model and log type filters keep matching rows; zero-token rows are skipped; seconds become ms", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(
      `${dir}/b.csv`,
      [
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
        "5,ChatGPT,20,4,24,Conversation log",
        "6,GPT-4,21,5,26,Conversation log",
        "7,ChatGPT,22,0,22,Conversation log",
        "8.5,ChatGPT,23,6,29,API log",
        "9,ChatGPT,24,7,31,Conversation log",
      ].join("\n") + "\n",
    );
    const source = (f: Record<string, unknown>) => ({
      type: "burstgpt" as const,
      burstgpt: { path: `${dir}/b.csv`, dataType: "string" as const, ...f },
    });
    const chat = await prepareSpecs(source({ models: ["ChatGPT"] }), base);
    assertEquals(chat.map((s) => [s.arrivalOffsetMs, s.expectedInputTokens, s.maxTokens]), [
      [0, 20, 4],
      [3500, 23, 6],
      [4000, 24, 7],
    ]);
    const conv = await prepareSpecs(
      source({ models: ["ChatGPT"], logTypes: ["Conversation log"] }),
      base,
    );
    assertEquals(conv.map((s) => s.maxTokens), [4, 7]);
  });
});

Deno.test("prepareSpecs() with a replay window keeps the records in [from, to), in order, and a count cuts it", async () => {
  await withTempDir(async (dir) => {
    const rows = [0, 500, 1000, 1500, 2000, 2500].map((t, i) =>
      JSON.stringify({ timestamp: t / 1000, prompt: `record ${i}` })
    );
    Deno.writeTextFileSync(`${dir}/t.jsonl`, rows.join("\n") + "\n");
    const source = {
      type: "trace" as const,
      trace: {
        path: `${dir}/t.jsonl`,
        timestampField: "timestamp",
        timestampUnit: "s" as const,
        fields: { prompt: "prompt", messages: "messages", maxTokens: "max_tokens" },
        inputLengthField: "input_length",
        outputLengthField: "output_length",
        dataType: "string" as const,
      },
    };
    const window = { fromMs: 1000, toMs: 2500 };
    const specs = await prepareSpecs(source, { ...base, window });
    assertEquals(specs.map((s) => [s.prompt, s.arrivalOffsetMs]), [
      ["record 2", 1000],
      ["record 3", 1500],
      ["record 4", 2000],
    ]);
    const two = await prepareSpecs(source, { ...base, window, requestCount: 2, needed: 2 });
    assertEquals(two.map((s) => s.prompt), ["record 2", "record 3"]);
  });
});
