/**
 * Numbers that looked fine but were wrong (#15 item 4): prefill throughput of
 * a task without TTFT, the max concurrency of a task with fewer requests than
 * its cap, and tokenizer counts that left out the reasoning text.
 */

import { runCommand } from "../../src/cli/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, runFlags, withTempDir } from "../helpers.ts";

Deno.test("run --no-stream: prefill token throughput is absent, not 0 (no TTFT to divide by)", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const out: string[] = [];
      const r = await runCommand(
        [
          ...runFlags(sim.url, { concurrency: 2, prompts: 4, maxTokens: 4, workDir: dir }),
          "--no-stream",
        ],
        { print: (t) => out.push(t), env: () => undefined },
      );
      const task = r!.tasks[0]!;
      const json = task.report.json!;
      assertEquals(json.common.success_requests, 4);
      assert(json.common.total_input_tokens > 0, "input tokens are known");
      assert(!("prefill_token_throughput_tps" in json.common), "absent from the result JSON");
      const written = JSON.parse(Deno.readTextFileSync(task.paths.json));
      assert(!("prefill_token_throughput_tps" in written.common), "absent from the file too");
      assert(/│ Prefill Token Throughput +│ total +│ - +│/.test(out.join("\n")), "shown as -");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("run: Max Concurrency is the configured cap, not lowered to the request count; the peak in flight beside it", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 2 });
  try {
    await withTempDir(async (dir) => {
      const out: string[] = [];
      const r = await runCommand(
        runFlags(sim.url, { concurrency: 64, prompts: 6, maxTokens: 4, workDir: dir }),
        { print: (t) => out.push(t), env: () => undefined },
      );
      const common = r!.tasks[0]!.report.json!.common;
      assertEquals(common.max_concurrency, 64);
      assertEquals(common.peak_in_flight, 6, "all 6 were in flight at once");
      const text = out.join("\n");
      assert(
        /│ Max Concurrency +│ total +│ 64 +│\n│ Peak In Flight +│ total +│ 6 +│/.test(text),
        "the console shows both, one under the other",
      );
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("run --tokenizer: the tokenizer counts reasoning text too, so it agrees with the chunk count", async () => {
  // 3 of 8 tokens streamed as reasoning; --token-count tokenizer makes the tokenizer's counts
  // drive the metrics (the server's usage is still there to compare with).
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1, reasoningTokens: 3, outputTokens: 8 });
  try {
    await withTempDir(async (dir) => {
      const r = await runCommand(
        [
          ...runFlags(sim.url, { concurrency: 2, prompts: 4, maxTokens: 8, workDir: dir }),
          "--tokenizer",
          "qwen3",
          "--token-count",
          "tokenizer",
        ],
        { print: () => {}, env: () => undefined },
      );
      const json = r!.tasks[0]!.report.json!;
      assertEquals(json.common.total_output_tokens, 4 * 8, "8 tokens each, reasoning included");
      assertEquals(json.token_counts?.output_mismatches, 0, "the server's usage agrees");
      assertEquals(json.token_counts?.tokenizer_text, "content+reasoning", "labelled");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("run --summarizer stable_stage: a window too short for a steady state is a warning on the console and in the JSON", async () => {
  const sim = await startSimulator({ ttftMs: 20, itlMs: 2 });
  try {
    await withTempDir(async (dir) => {
      const out: string[] = [];
      const r = await runCommand(
        [
          ...runFlags(sim.url, { concurrency: 2, prompts: 6, maxTokens: 4, workDir: dir }),
          "--summarizer",
          "stable_stage",
        ],
        { print: (t) => out.push(t), env: () => undefined },
      );
      const json = r!.tasks[0]!.report.json!;
      assertEquals(json.task.stage, "stable");
      const warning = json.warnings?.find((w) => w.startsWith("the stable window is "));
      assert(warning?.includes("too few requests for a steady state"), String(json.warnings));
      assert(out.join("\n").includes(`warning: ${warning}`), "on the console too");
    });
  } finally {
    await sim.shutdown();
  }
});
