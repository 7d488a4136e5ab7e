import { PrefixCache } from "../../src/sim/prefix_cache.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals } from "../helpers.ts";

const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

Deno.test("PrefixCache.admit() counts the leading full blocks already held, and holds the prompt's", () => {
  const cache = new PrefixCache(100, 4);
  assertEquals(cache.admit(ids(0, 10)), 0, "cold");
  assertEquals(cache.size, 2, "two full blocks held; the partial third is not");
  assertEquals(cache.admit([...ids(0, 8), 99, 98, 97, 96]), 8, "two shared blocks");
  assertEquals(cache.admit([...ids(0, 4), 50, ...ids(5, 7)]), 4, "a changed token ends the match");
  assertEquals(cache.admit(ids(1, 12)), 0, "the same tokens shifted share no block");
});

Deno.test("PrefixCache evicts the least recently used block, a prompt's tail before its head", () => {
  const cache = new PrefixCache(3, 2);
  cache.admit(ids(0, 6)); // blocks A B C
  cache.admit(ids(100, 2)); // D evicts C, the tail of the older prompt
  assertEquals(cache.size, 3);
  assertEquals(cache.admit(ids(0, 6)), 4, "A and B are still held, C was evicted");
});

Deno.test("the simulator reports cached prompt tokens in usage and counts them in /sim/stats", async () => {
  const sim = await startSimulator({
    ttftMs: 1,
    itlMs: 1,
    prefixCacheBlocks: 64,
    prefixBlockTokens: 16,
  });
  try {
    const send = async (prompt: number[]) => {
      const r = await fetch(`${sim.url}/v1/completions`, {
        method: "POST",
        body: JSON.stringify({ prompt, max_tokens: 2, stream: false }),
      });
      return (await r.json()).usage;
    };
    const first = await send(ids(0, 40));
    const second = await send([...ids(0, 32), ...ids(500, 20)]);
    assertEquals(first.prompt_tokens_details, { cached_tokens: 0 });
    assertEquals(second.prompt_tokens_details, { cached_tokens: 32 });
    assertEquals(second.prompt_tokens, 52);
    const stats = sim.stats();
    assertEquals([stats.promptTokens, stats.cachedTokens], [92, 32]);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("without a prefix cache the simulator's usage has no prompt_tokens_details", async () => {
  const sim = await startSimulator({ ttftMs: 1, itlMs: 1 });
  try {
    const r = await fetch(`${sim.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "a b c", max_tokens: 2, stream: false }),
    });
    const usage = (await r.json()).usage;
    assert(!("prompt_tokens_details" in usage), JSON.stringify(usage));
    assertEquals(sim.stats().cachedTokens, 0);
  } finally {
    await sim.shutdown();
  }
});
