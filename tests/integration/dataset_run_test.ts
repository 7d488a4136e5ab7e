import { runCommand } from "../../src/cli/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, withTempDir } from "../helpers.ts";

function rows(csv: string): Array<Record<string, string>> {
  const [head, ...lines] = csv.trim().split("\n");
  const cols = head!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

Deno.test("a tokenid synthetic dataset sends token ids, and the simulator's usage agrees with the spec", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      Deno.mkdirSync(`${dir}/datasets`);
      Deno.writeTextFileSync(
        `${dir}/datasets/ids.yaml`,
        "type: synthetic\ndata_type: tokenid\nrequest_count: 12\ninput: {method: uniform, min: 30, max: 90}\noutput: {method: fixed, value: 5}\n",
      );
      const out: string[] = [];
      const result = await runCommand(
        [
          "--url",
          sim.url,
          "--api",
          "openai-completions",
          "--dataset",
          "ids",
          "--config-dir",
          dir,
          "--concurrency",
          "3",
          "--work-dir",
          `${dir}/out`,
        ],
        { print: (t) => out.push(t), env: () => undefined },
      );
      const task = result!.tasks[0]!;
      const requests = rows(Deno.readTextFileSync(task.paths.requestsCsv));
      assertEquals(requests.length, 12);
      for (const r of requests) {
        assertEquals(r.server_prompt_tokens, r.input_tokens, `request ${r.index}`);
        assert(Number(r.input_tokens) >= 30 && Number(r.input_tokens) <= 90, r.input_tokens!);
        assertEquals(r.server_completion_tokens, "5");
      }
      assertEquals(task.report.json!.token_counts?.input_mismatches, 0);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a server that misreports usage shows up as token-count disagreements in the summary", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1, usageScale: 1.5, tokenizer: "qwen3" });
  try {
    await withTempDir(async (dir) => {
      const out: string[] = [];
      const args = [
        "--url",
        sim.url,
        "--tokenizer",
        "qwen3",
        "--concurrency",
        "2",
        "--num-prompts",
        "6",
        "--max-tokens",
        "8",
        "--input-len",
        "40",
        "--work-dir",
        `${dir}/out`,
      ];
      const result = await runCommand(args, { print: (t) => out.push(t), env: () => undefined });
      const json = result!.tasks[0]!.report.json!;
      assertEquals(json.token_counts, {
        compared_output: 6,
        output_mismatches: 6,
        output_max_abs_diff: 4,
        output_mean_abs_diff: 4,
        tokenizer_text: "content+reasoning",
        compared_input: 6,
        input_mismatches: 0,
        input_max_abs_diff: 0,
      });
      // Server counts drive the metrics by default; --token-count tokenizer switches to the true 8.
      assertEquals(json.metrics.output_tokens!.mean, 12);
      assert(
        out.join("\n").includes("Token Counts (server vs tokenizer)"),
        "console shows the disagreement",
      );
      const again = await runCommand([...args, "--token-count", "tokenizer"], {
        print: () => {},
        env: () => undefined,
      });
      assertEquals(again!.tasks[0]!.report.json!.metrics.output_tokens!.mean, 8);
    });
  } finally {
    await sim.shutdown();
  }
});
