import { runCommand } from "../../src/cli/run.ts";
import { readTraceRecords } from "../../src/record/trace.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertClose, assertEquals, quiet, withTempDir } from "../helpers.ts";

const GROUPS = 4;
const PREFIX = 256;
const SUFFIX = 32;
const REQUESTS = 40;

function config(name: string, options: { prime: boolean; seed: number }): string {
  return [
    `abbr: ${name}`,
    "type: prefix_groups",
    `groups: ${GROUPS}`,
    `prefix_len: ${PREFIX}`,
    `suffix: {method: fixed, value: ${SUFFIX}}`,
    "output: {method: fixed, value: 3}",
    `prime: ${options.prime}`,
    `seed: ${options.seed}`,
    `request_count: ${REQUESTS}`,
  ].join("\n") + "\n";
}

Deno.test("prefix_groups: priming sends each prefix once, out of the metrics; warm hits every prefix, cold misses each group once", async () => {
  const sim = await startSimulator({
    ttftMs: 2,
    itlMs: 1,
    prefillMsPerToken: 0.2,
    prefixCacheBlocks: 100_000,
    prefixBlockTokens: 16,
  });
  try {
    await withTempDir(async (dir) => {
      // Different seeds: the two tasks' prefixes differ, so the first cannot warm the second.
      Deno.writeTextFileSync(`${dir}/cold.yaml`, config("cold", { prime: false, seed: 1 }));
      Deno.writeTextFileSync(`${dir}/warm.yaml`, config("warm", { prime: true, seed: 2 }));
      const r = await runCommand([
        "--url",
        sim.url,
        "--api",
        "openai-completions",
        "--datasets",
        `${dir}/cold.yaml`,
        `${dir}/warm.yaml`,
        "--concurrency",
        "4",
        "--work-dir",
        `${dir}/out`,
      ], { print: quiet, env: () => undefined });
      const [cold, warm] = r!.tasks;
      assertEquals(sim.stats().requests, 2 * REQUESTS + GROUPS, "requests the simulator saw");
      const warmRecords = await readTraceRecords(warm!.paths.trace);
      const primed = warmRecords.filter((x) => x.warmup);
      assertEquals(primed.length, GROUPS, "one priming request per group, as warm-up");
      assertEquals(primed.map((x) => x.usage?.promptTokens), Array(GROUPS).fill(PREFIX));
      const firstMeasured = Math.min(...warmRecords.filter((x) => !x.warmup).map((x) => x.startMs));
      assert(
        primed.every((x) => x.endMs <= firstMeasured),
        "priming completes before the load starts",
      );
      const cj = cold!.report.json!;
      const wj = warm!.report.json!;
      assertEquals([cj.common.total_requests, wj.common.total_requests], [REQUESTS, REQUESTS]);
      assertEquals(wj.delivery.warmup_requests, GROUPS);
      const per = PREFIX + SUFFIX;
      assertClose(wj.common.prefix_cache_hit_rate!, PREFIX / per, 1e-12, "warm hit rate");
      assertClose(
        cj.common.prefix_cache_hit_rate!,
        ((REQUESTS - GROUPS) * PREFIX) / (REQUESTS * per),
        1e-12,
        "cold hit rate",
      );
      // A miss pays the whole prompt's prefill (the simulator never answers early); a hit only
      // its suffix's. Bounds that a loaded machine's late timers cannot break: the cold task's
      // GROUPS slowest requests (its misses) at least the full prefill, the warm task's median
      // (all hits) below it.
      const fullPrefillMs = 2 + (PREFIX + SUFFIX) * 0.2;
      const coldRecords = await readTraceRecords(cold!.paths.trace);
      const coldTtft = coldRecords.filter((x) => !x.warmup).map((x) => x.chunkMs[0]! - x.startMs)
        .sort((a, b) => b - a);
      assert(
        // (A hit's prefill is a ninth of it: 10 ms of margin for the timers' granularity.)
        coldTtft.slice(0, GROUPS).every((t) => t >= fullPrefillMs - 10),
        `cold misses: ${coldTtft.slice(0, GROUPS)} ms, each at least ${fullPrefillMs}`,
      );
      const warmMedian = wj.metrics.ttft_ms!.median!;
      assert(warmMedian < fullPrefillMs, `warm TTFT median ${warmMedian} vs ${fullPrefillMs} ms`);
    });
  } finally {
    await sim.shutdown();
  }
});
