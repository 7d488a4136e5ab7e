import { runCommand } from "../../src/cli/run.ts";
import { countInput, prepareSpecs } from "../../src/dataset/mod.ts";
import { loadTokenizer } from "../../src/tokenizer/tokenizer.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertClose, assertEquals, quiet, withTempDir } from "../helpers.ts";

const BLOCK = 512;

/**
 * A Mooncake fixture: shared system prefixes (ids 0, 1), a conversation that
 * grows (10 → 10 11 → 10 11 12), prompts cut inside their last block, and ids
 * that reappear only as full blocks.
 */
const FIXTURE = [
  { timestamp: 0, input_length: 1300, output_length: 4, hash_ids: [0, 1, 2] },
  { timestamp: 40, input_length: 1100, output_length: 3, hash_ids: [0, 1, 3] },
  { timestamp: 80, input_length: 700, output_length: 2, hash_ids: [0, 4] },
  { timestamp: 120, input_length: 512, output_length: 5, hash_ids: [10] },
  { timestamp: 160, input_length: 1024, output_length: 5, hash_ids: [10, 11] },
  { timestamp: 200, input_length: 1400, output_length: 5, hash_ids: [10, 11, 12] },
  { timestamp: 240, input_length: 1536, output_length: 1, hash_ids: [0, 1, 5] },
  { timestamp: 280, input_length: 300, output_length: 1, hash_ids: [6] },
];

/** The trace's own reuse: prompt tokens in leading blocks whose ids came before, over all prompt tokens. */
function traceReuse(rows: typeof FIXTURE): number {
  const seen = new Set<number>();
  let reused = 0;
  let total = 0;
  for (const r of rows) {
    total += r.input_length;
    let k = 0;
    while (k < r.hash_ids.length && seen.has(r.hash_ids[k]!)) {
      reused += Math.min(BLOCK, r.input_length - k * BLOCK);
      k++;
    }
    for (const id of r.hash_ids) seen.add(id);
  }
  return reused / total;
}

function writeFixture(dir: string): string {
  const path = `${dir}/mooncake.jsonl`;
  Deno.writeTextFileSync(path, FIXTURE.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

Deno.test("mooncake: equal hash ids give identical 512-token blocks and different ids different ones, on token ids", async () => {
  await withTempDir(async (dir) => {
    const path = writeFixture(dir);
    const tokenizer = await loadTokenizer("qwen3");
    const specs = await prepareSpecs({
      type: "mooncake",
      mooncake: { path, blockSize: BLOCK, dataType: "string" },
    }, { needed: 100, seed: 3, shuffle: false, api: "openai-completions", tokenizer });
    assertEquals(specs.length, FIXTURE.length);
    const blocks = new Map<number, string>();
    for (const [i, spec] of specs.entries()) {
      const row = FIXTURE[i]!;
      const ids = tokenizer.encode(spec.prompt as string);
      assertEquals(ids.length, row.input_length, `tokens of record ${i}`);
      assertEquals(spec.maxTokens, row.output_length);
      assertEquals(spec.arrivalOffsetMs, row.timestamp);
      row.hash_ids.forEach((id, k) => {
        const block = ids.slice(k * BLOCK, (k + 1) * BLOCK);
        const known = blocks.get(id);
        if (known === undefined) blocks.set(id, JSON.stringify(block));
        // A shorter last block is the start of the same block.
        else {assert(
            known.startsWith(JSON.stringify(block).slice(0, -1)),
            `id ${id} in record ${i}`,
          );}
      });
    }
    const firsts = [...blocks.values()].map((b) => b.slice(0, 200));
    assertEquals(new Set(firsts).size, blocks.size, "different ids, different blocks");
    // For the chat API the templated prompt has exactly input_length tokens too.
    const chat = await prepareSpecs({
      type: "mooncake",
      mooncake: { path, blockSize: BLOCK, dataType: "string" },
    }, { needed: 100, seed: 3, shuffle: false, api: "openai-chat", tokenizer });
    assertEquals(
      chat.map((s) => countInput(s, { tokenizer, api: "openai-chat" })),
      FIXTURE.map((r) => r.input_length),
    );
    // A prefix is the same tokens wherever it appears: record 6 starts with record 0's 1,024.
    const a = tokenizer.encode(specs[0]!.prompt as string).slice(0, 2 * BLOCK);
    const b = tokenizer.encode(specs[6]!.prompt as string).slice(0, 2 * BLOCK);
    assertEquals(a, b);
  });
});

Deno.test("mooncake replay: the simulator's prefix-cache hit rate equals the trace's reuse, and the report says so", async () => {
  const sim = await startSimulator({
    ttftMs: 2,
    itlMs: 1,
    tokenizer: "qwen3",
    prefixCacheBlocks: 10_000,
    prefixBlockTokens: 16,
  });
  try {
    await withTempDir(async (dir) => {
      const path = writeFixture(dir);
      Deno.writeTextFileSync(`${dir}/m.yaml`, `type: mooncake\npath: ${path}\n`);
      const r = await runCommand([
        "--url",
        sim.url,
        "--api",
        "openai-completions",
        "--dataset",
        `${dir}/m.yaml`,
        "--replay",
        "--work-dir",
        `${dir}/out`,
      ], { print: quiet, env: () => undefined });
      const expected = traceReuse(FIXTURE);
      const stats = sim.stats();
      assertEquals(stats.requests, FIXTURE.length);
      assertEquals(stats.promptTokens, FIXTURE.reduce((n, x) => n + x.input_length, 0));
      assertClose(stats.cachedTokens / stats.promptTokens, expected, 1e-12, "simulator hit rate");
      const common = r!.tasks[0]!.report.json!.common;
      assertClose(common.prefix_cache_hit_rate!, expected, 1e-12, "reported hit rate");
      assertEquals(common.total_cached_tokens, stats.cachedTokens);
      assert(expected > 0.3, `the fixture reuses ${expected}`);
    });
  } finally {
    await sim.shutdown();
  }
});
