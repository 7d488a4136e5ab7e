import { assert, assertEquals } from "../helpers.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { simOptionsFromFlags } from "../../src/cli/sim.ts";
import { parsePrometheusText } from "../../src/server_metrics/prometheus.ts";

/** One sample's value from the simulator's `/metrics`. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const parsed = parsePrometheusText(text);
  assertEquals(parsed.warnings, []);
  const values = new Map<string, number>();
  for (const f of parsed.families.values()) {
    for (const s of f.samples) {
      const key = s.labels.le !== undefined ? `${s.name}{le=${s.labels.le}}` : s.name;
      if (s.labels.finished_reason === undefined) values.set(key, s.value);
      else values.set(`${s.name}{${s.labels.finished_reason}}`, s.value);
    }
  }
  return values;
}

function chat(url: string, content: string, signal?: AbortSignal) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "sim-model",
      stream: true,
      max_tokens: 5,
      messages: [{ role: "user", content }],
    }),
    ...(signal ? { signal } : {}),
  });
}

Deno.test("simulator /metrics: a request cancelled while queued leaves the waiting count and never takes a decode slot", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 60, maxBatch: 1 });
  try {
    const first = await chat(sim.url, "one");
    const abort = new AbortController();
    const queued = await chat(sim.url, "two", abort.signal);
    let m = await scrape(sim.url);
    assertEquals([m.get("vllm:num_requests_running"), m.get("vllm:num_requests_waiting")], [1, 1]);
    abort.abort();
    await queued.body?.cancel().catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    m = await scrape(sim.url);
    assertEquals([m.get("vllm:num_requests_running"), m.get("vllm:num_requests_waiting")], [1, 0]);
    await first.text();
    await new Promise((r) => setTimeout(r, 20));
    m = await scrape(sim.url);
    assertEquals([m.get("vllm:num_requests_running"), m.get("vllm:num_requests_waiting")], [0, 0]);
    assertEquals(sim.stats().active, 0, "the cancelled request holds no slot");
    assertEquals(m.get("vllm:request_success_total{stop}"), 1);
    assertEquals(m.get("vllm:request_success_total{abort}"), 1);
    assertEquals(m.get("vllm:time_to_first_token_seconds_count"), 1);
    assertEquals(m.get("vllm:generation_tokens_total"), 5);
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simulator /metrics: KV usage counts the running requests' tokens, and a repeated prompt hits the prefix cache", async () => {
  const sim = await startSimulator({
    ttftMs: 5,
    itlMs: 40,
    kvCacheTokens: 1000,
    prefixCacheBlocks: 100,
  });
  try {
    const prompt = "word ".repeat(200);
    const a = await chat(sim.url, prompt);
    await new Promise((r) => setTimeout(r, 60));
    let m = await scrape(sim.url);
    const kv = m.get("vllm:kv_cache_usage_perc")!;
    // 200 words (+ the chat's role) of prompt and a token or two generated, over 1000 tokens.
    assert(kv > 0.2 && kv < 0.25, `KV usage ${kv}`);
    assertEquals(m.get("vllm:prefix_cache_hits_total"), 0);
    await a.text();
    await (await chat(sim.url, prompt)).text();
    m = await scrape(sim.url);
    // The /metrics counters are the simulator's prefix cache's: the second prompt found every
    // whole 16-token block of the first, exactly as /sim/stats counts it.
    const queries = m.get("vllm:prefix_cache_queries_total")!;
    const hits = m.get("vllm:prefix_cache_hits_total")!;
    const stats = sim.stats();
    assertEquals([queries, hits], [stats.promptTokens, stats.cachedTokens]);
    assert(hits > 0.4 * queries && hits <= queries / 2, `hits ${hits} of ${queries}`);
    assertEquals(m.get("vllm:kv_cache_usage_perc"), 0, "nothing running");
  } finally {
    await sim.shutdown();
  }
});

Deno.test("simOptionsFromFlags() takes --kv-cache-tokens, which the simulator's KV usage is counted over", () => {
  assertEquals(simOptionsFromFlags(["--kv-cache-tokens", "4096"])?.kvCacheTokens, 4096);
});
