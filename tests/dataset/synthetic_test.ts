import { PromptBuilder } from "../../src/dataset/prompt_builder.ts";
import { randomSpecs } from "../../src/dataset/random.ts";
import { lengthSampler, syntheticSpecs } from "../../src/dataset/synthetic.ts";
import { mean } from "../../src/metrics/stats.ts";
import { Random } from "../../src/random.ts";
import { loadTokenizer } from "../../src/tokenizer/tokenizer.ts";
import { assert, assertClose, assertEquals } from "../helpers.ts";

const tok = await loadTokenizer("qwen3");

Deno.test("syntheticSpecs(): 1,000 uniform prompts of 50..500 tokens each re-encode to exactly their drawn length", () => {
  const builder = new PromptBuilder(tok, { chat: false });
  const specs = [
    ...syntheticSpecs(
      { input: { kind: "uniform", min: 50, max: 500 }, dataType: "string" },
      1000,
      42,
      builder,
    ),
  ];
  const lengths: number[] = [];
  for (const s of specs) {
    const n = tok.encode(s.prompt as string).length;
    assertEquals(n, s.expectedInputTokens, "re-encoded length");
    lengths.push(n);
  }
  assert(Math.min(...lengths) >= 50 && Math.max(...lengths) <= 500, "within bounds");
  // Chi-square over 9 bins of 50 tokens (the last bin 450..500 holds 51 values): uniform within sampling error.
  const bins = new Array(9).fill(0);
  for (const n of lengths) bins[Math.min(8, Math.floor((n - 50) / 50))]++;
  const expected = bins.map((_, i) => (1000 * (i === 8 ? 51 : 50)) / 451);
  const chi2 = bins.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);
  // 8 degrees of freedom: P(chi2 > 26.1) = 0.001.
  assert(chi2 < 26.1, `chi-square ${chi2.toFixed(2)} (bins ${bins})`);
});

Deno.test("syntheticSpecs() counts chat prompts through the chat template", () => {
  const builder = new PromptBuilder(tok, { chat: true });
  for (
    const s of syntheticSpecs(
      { input: { kind: "uniform", min: 20, max: 200 }, dataType: "string" },
      50,
      1,
      builder,
    )
  ) {
    const templated = tok.chatPrompt([{ role: "user", content: s.prompt as string }])!;
    assertEquals(tok.encode(templated).length, s.expectedInputTokens);
  }
});

Deno.test("lengthSampler() gaussian and zipf draws match their parameters", () => {
  const random = new Random(9);
  const g = lengthSampler(
    { kind: "gaussian", mean: 300, variance: 400, min: 1, max: 10_000 },
    random,
  );
  const gs = Array.from({ length: 10_000 }, g);
  const m = mean(gs);
  const v = mean(gs.map((x) => (x - m) ** 2));
  assertClose(m, 300, 1, "gaussian mean");
  assertClose(v, 400 + 1 / 12, 25, "gaussian variance (plus rounding's 1/12)");
  assertEquals(
    Math.min(
      ...Array.from(
        { length: 2000 },
        lengthSampler({ kind: "gaussian", mean: 10, variance: 100, min: 5, max: 15 }, random),
      ),
    ),
    5,
  );
  // Zipf over 1..50 with alpha 2: P(k) = k^-2 / H, H = Σ k^-2.
  const z = lengthSampler({ kind: "zipf", alpha: 2, min: 1, max: 50 }, random);
  const counts = new Array(51).fill(0);
  for (let i = 0; i < 20_000; i++) counts[z()]++;
  let h = 0;
  for (let k = 1; k <= 50; k++) h += k ** -2;
  for (const k of [1, 2, 3]) assertClose(counts[k] / 20_000, k ** -2 / h, 0.015, `zipf P(${k})`);
});

Deno.test("syntheticSpecs() with tokenid sends exactly n token ids and draws output lengths", () => {
  const builder = new PromptBuilder(tok, { chat: false });
  const specs = [...syntheticSpecs(
    {
      input: { kind: "fixed", value: 77 },
      output: { kind: "uniform", min: 3, max: 9 },
      dataType: "tokenid",
    },
    20,
    5,
    builder,
  )];
  for (const s of specs) {
    assertEquals((s.prompt as number[]).length, 77);
    assert(
      s.maxTokens! >= 3 && s.maxTokens! <= 9 && s.maxTokens === s.expectedOutputTokens,
      "output length",
    );
  }
});

Deno.test("randomSpecs() shares an exact prefix and keeps lengths within the range ratio", () => {
  const builder = new PromptBuilder(tok, { chat: false });
  const specs = [
    ...randomSpecs(
      { inputLen: 200, outputLen: 40, rangeRatio: 0.25, prefixLen: 64, dataType: "tokenid" },
      30,
      3,
      builder,
    ),
  ];
  const prefix = (specs[0]!.prompt as number[]).slice(0, 64);
  for (const s of specs) {
    const ids = s.prompt as number[];
    assertEquals(ids.slice(0, 64), prefix);
    assert(ids.length >= 150 && ids.length <= 250, `input ${ids.length}`);
    assert(s.maxTokens! >= 30 && s.maxTokens! <= 50, `output ${s.maxTokens}`);
  }
  const text = [
    ...randomSpecs(
      { inputLen: 120, outputLen: 8, rangeRatio: 0, prefixLen: 32, dataType: "string" },
      5,
      3,
      builder,
    ),
  ];
  for (const s of text) assertEquals(tok.encode(s.prompt as string).length, 120);
});
