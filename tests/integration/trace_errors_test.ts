import { runCommand } from "../../src/cli/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assertEquals, assertRejects, quiet, withTempDir } from "../helpers.ts";

const MOONCAKE_OK = `{"timestamp": 0, "input_length": 20, "output_length": 2, "hash_ids": [1]}`;
const AZURE_HEAD = "TIMESTAMP,ContextTokens,GeneratedTokens";
const BURST_HEAD = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type";

/** Per format: the dataset config (PATH is the file), the file's text, and the error expected. */
const CASES: Array<{ name: string; file: string; config: string; text: string; error: RegExp }> = [
  {
    name: "mooncake: a line that is not JSON",
    file: "m.jsonl",
    config: "type: mooncake",
    text: `${MOONCAKE_OK}\n${MOONCAKE_OK}\n{"timestamp": 5,\n`,
    error: /m\.jsonl": line 3 is not valid JSON/,
  },
  {
    name: "mooncake: hash_ids that do not cover input_length",
    file: "m.jsonl",
    config: "type: mooncake",
    text:
      `${MOONCAKE_OK}\n{"timestamp": 9, "input_length": 600, "output_length": 2, "hash_ids": [1]}\n`,
    error: /m\.jsonl": line 2 has 1 "hash_ids" for "input_length" 600: expected 2/,
  },
  {
    name: "mooncake: a timestamp that goes back",
    file: "m.jsonl",
    config: "type: mooncake",
    text:
      `{"timestamp": 50, "input_length": 20, "output_length": 2, "hash_ids": [1]}\n${MOONCAKE_OK}\n`,
    error: /m\.jsonl": line 2 has a timestamp before the previous record's/,
  },
  {
    name: "azure_trace: a timestamp that is not one",
    file: "a.csv",
    config: "type: azure_trace",
    text:
      `${AZURE_HEAD}\n2023-11-16 18:17:03.9799600,40,3\n2023-11-16 18:17:04,41,3\nyesterday,40,3\n`,
    error: /a\.csv": line 4 has "TIMESTAMP" "yesterday", expected YYYY-MM-DD HH:MM:SS/,
  },
  {
    name: "azure_trace: a missing column",
    file: "a.csv",
    config: "type: azure_trace",
    text: `TIMESTAMP,ContextTokens\n2023-11-16 18:17:03,40\n`,
    error: /a\.csv": the header has no "GeneratedTokens" column/,
  },
  {
    name: "burstgpt: token counts that are not numbers",
    file: "b.csv",
    config: "type: burstgpt",
    text: `${BURST_HEAD}\n0,ChatGPT,40,3,43,Conversation log\n1.5,GPT-4,many,3,3,API log\n`,
    error: /b\.csv": line 3 has "Request tokens" "many", expected an integer/,
  },
  {
    name: "burstgpt: a row with too few fields",
    file: "b.csv",
    config: "type: burstgpt",
    text: `${BURST_HEAD}\n0,ChatGPT,40,3,43,Conversation log\n1,ChatGPT,40\n`,
    error: /b\.csv": line 3 has 3 fields, the header 6/,
  },
  {
    name: "trace (JSONL): a record without a timestamp",
    file: "t.jsonl",
    config: "type: trace",
    text: `{"timestamp": 0, "prompt": "hello there"}\n\n{"prompt": "again"}\n`,
    error: /t\.jsonl": line 3 has "timestamp" null, expected a number/,
  },
  {
    name: "trace (CSV, seconds): a record with neither prompt nor lengths",
    file: "t.csv",
    config: "type: trace\ntimestamp_unit: s\ntimestamp_field: ts",
    text: `ts,prompt,other\n0,hello,x\n0.5,,y\n`,
    error: /t\.csv": line 3 has no "prompt", "messages" or "input_length" field/,
  },
];

for (const c of CASES) {
  Deno.test(`replay sources: ${c.name} is an error naming file and line, before any request`, async () => {
    const sim = await startSimulator({ ttftMs: 1, itlMs: 1 });
    try {
      await withTempDir(async (dir) => {
        Deno.writeTextFileSync(`${dir}/${c.file}`, c.text);
        Deno.writeTextFileSync(`${dir}/d.yaml`, `${c.config}\npath: ${dir}/${c.file}\n`);
        await assertRejects(
          () =>
            runCommand([
              "--url",
              sim.url,
              "--dataset",
              `${dir}/d.yaml`,
              "--replay",
              "--work-dir",
              `${dir}/out`,
            ], { print: quiet, env: () => undefined }),
          c.error,
        );
        assertEquals(sim.stats().requests, 0, "requests sent");
      });
    } finally {
      await sim.shutdown();
    }
  });
}

Deno.test("--replay with a dataset without timestamps is an error before any request", async () => {
  const sim = await startSimulator({ ttftMs: 1, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      Deno.writeTextFileSync(`${dir}/p.jsonl`, `{"prompt": "hi"}\n`);
      await assertRejects(
        () =>
          runCommand(
            ["--url", sim.url, "--dataset-path", `${dir}/p.jsonl`, "--replay", "--work-dir", dir],
            { print: quiet, env: () => undefined },
          ),
        /A replay needs a timestamped dataset \(mooncake, azure_trace, burstgpt or trace\): "jsonl" gives no arrival times/,
      );
      assertEquals(sim.stats().requests, 0);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("--replay-from after --replay-to, and a shuffled replay, are usage errors", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/m.jsonl`, `${MOONCAKE_OK}\n`);
    Deno.writeTextFileSync(`${dir}/d.yaml`, `type: mooncake\npath: ${dir}/m.jsonl\n`);
    const run = (...extra: string[]) =>
      runCommand(["--dataset", `${dir}/d.yaml`, "--replay", "--work-dir", dir, ...extra], {
        print: quiet,
        env: () => undefined,
      });
    await assertRejects(
      () => run("--replay-from", "20", "--replay-to", "10"),
      /--replay-to: must be after --replay-from \(20\)/,
    );
    await assertRejects(() => run("--shuffle"), /shuffle does not apply to a replay load/);
  });
});
