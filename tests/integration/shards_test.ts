import { mergeCommand } from "../../src/cli/merge.ts";
import { findTraces, reportCommand } from "../../src/cli/report.ts";
import { TRACE_SUFFIX } from "../../src/report/paths.ts";
import { runCommand } from "../../src/cli/run.ts";
import { readTraceHeader, readTraceRecords } from "../../src/record/trace.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { arrivalOffsets } from "../../src/load/mod.ts";
import type { TaskResultJson } from "../../src/report/task_report.ts";
import {
  assert,
  assertClose,
  assertEquals,
  assertRejects,
  quiet,
  runCli,
  withTempDir,
} from "../helpers.ts";

/** A rate plan: `prompts` requests at `rate` req/s (Poisson), at most 6 in flight. */
function plan(o: { rate: number; prompts: number }): string[] {
  return [
    ...["--request-rate", String(o.rate), "--concurrency", "6", "--num-prompts", String(o.prompts)],
    ...["--prompt", "Say something.", "--max-tokens", "8", "--workers", "0", "--quiet"],
  ];
}
const PLAN = plan({ rate: 30, prompts: 90 });
const SIM = { ttftMs: 20, itlMs: 10 };
const SHARDS = 3;

/** The one run folder under `workDir`. */
function runDir(workDir: string): string {
  const runs = [...Deno.readDirSync(workDir)].map((e) => e.name);
  assertEquals(runs.length, 1, `run folders under ${workDir}`);
  return `${workDir}/${runs[0]}`;
}

/** A task's result JSON without its generation time. */
function resultOf(json: TaskResultJson | undefined): Omit<TaskResultJson, "generated_at"> {
  assert(json, "the task has a result");
  const { generated_at: _, ...rest } = json;
  return rest;
}

Deno.test("3 shard processes started --start-at one instant and merged: every index once, due at the instant + its global offset, totals as one process, the rate within 5%, the sim never past the cap, the merged report = report --reuse", async () => {
  const sim = await startSimulator(SIM);
  const single = await startSimulator(SIM);
  try {
    await withTempDir(async (dir) => {
      // Far enough ahead for three CLI processes to start on a loaded 2-core machine.
      const startAt = new Date(Date.now() + 12_000).toISOString();
      // The last shard takes its index from JOB_COMPLETION_INDEX, as in a Kubernetes Indexed Job.
      const shards = await Promise.all(
        Array.from({ length: SHARDS }, (_, i) => {
          const which = i < SHARDS - 1 ? ["--shard", `${i}/${SHARDS}`] : ["--shards", `${SHARDS}`];
          return runCli(
            ["run", "--url", sim.url, ...PLAN, ...which, "--start-at", startAt]
              .concat(["--work-dir", `${dir}/shard${i}`]),
            { env: { JOB_COMPLETION_INDEX: String(i) } },
          );
        }),
      );
      for (const [i, s] of shards.entries()) assertEquals(s.code, 0, `shard ${i}: ${s.stderr}`);
      const folders = Array.from({ length: SHARDS }, (_, i) => runDir(`${dir}/shard${i}`));
      for (const [i, f] of folders.entries()) {
        const file = JSON.parse(Deno.readTextFileSync(`${f}/shard.json`));
        assertEquals([file.shard.index, file.shard.count], [i, SHARDS]);
        assertEquals(file.shard.start_at, startAt);
        assert(file.shard.clock_source.includes("NTP"), file.shard.clock_source);
        assertEquals(typeof file.shard.wall_offset_ms, "number");
        assertEquals(file.plan_hash.length, 64);
        assertEquals(
          file.plan_hash,
          JSON.parse(Deno.readTextFileSync(`${folders[0]}/shard.json`)).plan_hash,
        );
        const header = await readTraceHeader(findTraces(f)[0]!);
        assertEquals(header.plan_hash, file.plan_hash, "the trace header records the plan hash");
        // The header's offset is estimated again at the task's start.
        assertEquals([header.shard?.index, header.shard?.count], [i, SHARDS]);
        assertEquals(typeof header.shard?.wall_offset_ms, "number");
        assertEquals(header.identity.max_concurrency, 2, "a shard's cap is its share of 6");
      }

      // Each shard's work folder is given: merge finds the run folder in it.
      const workDirs = folders.map((f) => f.slice(0, f.lastIndexOf("/")));
      const merged = await mergeCommand([...workDirs, "-o", `${dir}/merged`], quiet);
      const trace = findTraces(`${dir}/merged`);
      assertEquals(trace.length, 1);
      const records = await readTraceRecords(trace[0]!);
      assertEquals(records.map((r) => r.index), Array.from({ length: 90 }, (_, i) => i));
      assertEquals(
        records.filter((r) => r.shard !== r.index % SHARDS).length,
        0,
        "shard = i mod 3",
      );
      // Every send was due at the one start instant plus its offset in the one global schedule
      // (on the wall clock, whichever process sent it).
      const offsets = [
        ...arrivalOffsets(
          { kind: "rate", rate: 30, arrival: "poisson", burstiness: 1, seed: 0 },
          90,
        ),
      ];
      for (const r of records) {
        assertClose(
          r.scheduledMs - Date.parse(startAt),
          offsets[r.index]!,
          2,
          `due time of ${r.index}`,
        );
      }
      // The sends of the three shards together never had more than the cap at the server.
      assert(sim.stats().peakHeld <= 6, `simulator peak ${sim.stats().peakHeld} > cap 6`);
      assertEquals(sim.stats().requests, 90, "the simulator got every request once");

      const one = await runCommand(
        ["--url", single.url, ...PLAN, "--work-dir", `${dir}/single`],
        { print: quiet, env: () => undefined },
      );
      const m = merged!.reports[0]!.json!;
      const s = one!.tasks[0]!.report.json!;
      for (
        const key of [
          "total_requests",
          "success_requests",
          "failed_requests",
          "total_input_tokens",
          "total_output_tokens",
        ] as const
      ) {
        assertEquals(m.common[key], s.common[key], `common.${key}`);
      }
      assertEquals(m.common.total_requests, 90);
      assertEquals(m.common.max_concurrency, 6, "the shards' caps (2 + 2 + 2) sum to the run's");
      assertEquals(m.delivery.target_rate_rps, 30);
      assertClose(m.delivery.achieved_rate_rps!, 30, 1.5, "achieved rate of the merged run");
      assertEquals(m.shards?.map((x) => x.index), [0, 1, 2]);

      const again = await reportCommand(["--reuse", `${dir}/merged`], quiet);
      assertEquals(resultOf(again!.reports[0]!.json), resultOf(m));
      const written = JSON.parse(
        Deno.readTextFileSync(trace[0]!.replace(TRACE_SUFFIX, ".json")),
      );
      assertEquals(resultOf(written), resultOf(m));
    });
  } finally {
    await sim.shutdown();
    await single.shutdown();
  }
});

Deno.test("merge refuses shards of different plans, naming the field that differs", async () => {
  const sim = await startSimulator(SIM);
  try {
    await withTempDir(async (dir) => {
      const folders: string[] = [];
      for (const [i, rate] of [[0, 30], [1, 31]] as const) {
        await runCommand(
          [
            ...["--url", sim.url, ...plan({ rate, prompts: 4 })],
            ...["--shard", `${i}/2`, "--work-dir", `${dir}/s${i}`],
          ],
          { print: quiet, env: () => undefined },
        );
        folders.push(runDir(`${dir}/s${i}`));
      }
      const error = await assertRejects(
        () => mergeCommand([...folders, "-o", `${dir}/merged`], quiet),
        /not shards of one run: their plans differ at "tasks\[0\]\.load\.rate" \(30 vs 31\)/,
      );
      assertEquals(error.name, "UsageError");
      // Nothing is written for folders that do not belong together.
      assert(
        !(() => {
          try {
            return Deno.statSync(`${dir}/merged`).isDirectory;
          } catch {
            return false;
          }
        })(),
      );
      // A shard missing is refused too, by the CLI with exit code 2.
      const cli = await runCli(["merge", folders[0]!, "-o", `${dir}/m2`]);
      assertEquals(cli.code, 2, cli.stderr);
      assert(cli.stderr.includes("shard 1/2 missing"), cli.stderr);
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("conversations (--sessions) over 2 shard processes: each conversation whole in shard c mod 2, every turn once in the merge, totals as one process", async () => {
  const sim = await startSimulator({ ttftMs: 5, itlMs: 2 });
  const single = await startSimulator({ ttftMs: 5, itlMs: 2 });
  const CONVERSATIONS = 6;
  const TURNS = 3;
  try {
    await withTempDir(async (dir) => {
      Deno.writeTextFileSync(
        `${dir}/chat.yaml`,
        `type: multiturn\nsessions: ${CONVERSATIONS}\nturns: ${TURNS}\n` +
          "input: {method: fixed, value: 16}\noutput: {method: fixed, value: 4}\n",
      );
      const flags = ["--dataset", `${dir}/chat.yaml`, "--sessions", "4", "--quiet"];
      const shards = await Promise.all(
        [0, 1].map((i) =>
          runCli([
            "run",
            "--url",
            sim.url,
            ...flags,
            "--shard",
            `${i}/2`,
            "--work-dir",
            `${dir}/s${i}`,
          ])
        ),
      );
      for (const [i, s] of shards.entries()) assertEquals(s.code, 0, `shard ${i}: ${s.stderr}`);
      for (const i of [0, 1]) {
        const records = await readTraceRecords(findTraces(runDir(`${dir}/s${i}`))[0]!);
        // Turn k of conversation c is the dataset's spec c × TURNS + k.
        const conversations = new Set(records.map((r) => Math.floor(r.index / TURNS)));
        assertEquals([...conversations].sort(), [i, i + 2, i + 4], `shard ${i}'s conversations`);
        assertEquals(records.length, 3 * TURNS, `shard ${i} sent every turn of its own`);
        assertEquals(records.map((r) => r.turn).sort(), [0, 0, 0, 1, 1, 1, 2, 2, 2]);
      }
      const merged = await mergeCommand([`${dir}/s0`, `${dir}/s1`, "-o", `${dir}/merged`], quiet);
      const records = await readTraceRecords(findTraces(`${dir}/merged`)[0]!);
      const total = CONVERSATIONS * TURNS;
      assertEquals(records.map((r) => r.index), Array.from({ length: total }, (_, i) => i));
      assertEquals(records.filter((r) => r.shard !== Math.floor(r.index / TURNS) % 2).length, 0);
      assertEquals(sim.stats().requests, total, "the simulator got every turn once");
      const one = await runCommand(
        ["--url", single.url, ...flags, "--work-dir", `${dir}/single`],
        { print: quiet, env: () => undefined },
      );
      const m = merged!.reports[0]!.json!;
      const s = one!.tasks[0]!.report.json!;
      for (const key of ["total_requests", "success_requests", "total_output_tokens"] as const) {
        assertEquals(m.common[key], s.common[key], `common.${key}`);
      }
      assertEquals(m.common.max_concurrency, 4, "the shards' users (2 + 2)");
      const byTurn = (j: typeof m) =>
        j.turns?.map((t) => [t.turn, t.requests, t.ttft_ms !== undefined]);
      assertEquals(byTurn(m), [[0, 6, true], [1, 6, true], [2, 6, true]], "TTFT by turn, merged");
      assertEquals(byTurn(m), byTurn(s), "TTFT by turn, as one process");
    });
  } finally {
    await sim.shutdown();
    await single.shutdown();
  }
});

Deno.test("merge refuses a conversation's turn in two shards' traces", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      Deno.writeTextFileSync(
        `${dir}/chat.yaml`,
        "type: multiturn\nsessions: 2\nturns: 2\ninput: {method: fixed, value: 8}\noutput: {method: fixed, value: 2}\n",
      );
      const flags = ["--dataset", `${dir}/chat.yaml`, "--sessions", "2", "--quiet"];
      for (const i of [0, 1]) {
        const r = await runCli(
          ["run", "--url", sim.url, ...flags, "--shard", `${i}/2`, "--work-dir", `${dir}/s${i}`],
        );
        assertEquals(r.code, 0, r.stderr);
      }
      // Shard 1's trace, its records swapped for shard 0's: conversation 0 in both.
      const t0 = findTraces(runDir(`${dir}/s0`))[0]!;
      const t1 = findTraces(runDir(`${dir}/s1`))[0]!;
      const lines0 = Deno.readTextFileSync(t0).split("\n");
      const lines1 = Deno.readTextFileSync(t1).split("\n");
      Deno.writeTextFileSync(t1, [lines1[0], ...lines0.slice(1)].join("\n"));
      await assertRejects(
        () => mergeCommand([`${dir}/s0`, `${dir}/s1`, "-o", `${dir}/merged`], quiet),
        /request 0 is in shard 0's trace too \(a conversation belongs to one shard\)/,
      );
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a primed prefix_groups task over 2 shard processes: each primes every prefix before its load, indices stay once and mod 2 in the merge, every measured request a cache hit", async () => {
  const GROUPS = 3;
  const PREFIX = 128;
  const SUFFIX = 16;
  const REQUESTS = 12;
  const sim = await startSimulator({
    ttftMs: 2,
    itlMs: 1,
    prefixCacheBlocks: 100_000,
    prefixBlockTokens: 16,
  });
  try {
    await withTempDir(async (dir) => {
      Deno.writeTextFileSync(
        `${dir}/primed.yaml`,
        [
          "abbr: primed",
          "type: prefix_groups",
          `groups: ${GROUPS}`,
          `prefix_len: ${PREFIX}`,
          `suffix: {method: fixed, value: ${SUFFIX}}`,
          "output: {method: fixed, value: 2}",
          "prime: true",
          `request_count: ${REQUESTS}`,
        ].join("\n") + "\n",
      );
      const flags = ["--api", "openai-completions", "--datasets", `${dir}/primed.yaml`];
      const shards = await Promise.all([0, 1].map((i) =>
        runCli(
          ["run", "--url", sim.url, ...flags, "--concurrency", "4", "--shard", `${i}/2`]
            .concat(["--quiet", "--work-dir", `${dir}/s${i}`]),
        )
      ));
      for (const [i, s] of shards.entries()) assertEquals(s.code, 0, `shard ${i}: ${s.stderr}`);
      for (const i of [0, 1]) {
        const records = await readTraceRecords(findTraces(runDir(`${dir}/s${i}`))[0]!);
        const primed = records.filter((r) => r.warmup);
        // Priming request g of shard i is index g·2 + i; its sends follow at GROUPS·2 + g.
        assertEquals(primed.map((r) => r.index), [0, 1, 2].map((g) => g * 2 + i), `shard ${i}`);
        const measured = records.filter((r) => !r.warmup);
        assertEquals(measured.length, REQUESTS / 2);
        assert(measured.every((r) => r.index >= GROUPS * 2 && r.index % 2 === i), `shard ${i}`);
        const firstSend = Math.min(...measured.map((r) => r.startMs));
        assert(primed.every((r) => r.endMs <= firstSend), `shard ${i} primed before its load`);
      }
      const merged = await mergeCommand([`${dir}/s0`, `${dir}/s1`, "-o", `${dir}/merged`], quiet);
      const records = await readTraceRecords(findTraces(`${dir}/merged`)[0]!);
      assertEquals(records.length, 2 * GROUPS + REQUESTS, "both shards' priming and every send");
      assertEquals(new Set(records.map((r) => r.index)).size, records.length, "each index once");
      assertEquals(records.filter((r) => r.shard !== r.index % 2).length, 0);
      const m = merged!.reports[0]!.json!;
      assertEquals(m.common.total_requests, REQUESTS);
      assertEquals(m.delivery.warmup_requests, 2 * GROUPS);
      assertClose(m.common.prefix_cache_hit_rate!, PREFIX / (PREFIX + SUFFIX), 1e-12, "hit rate");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("--shard with --sessions refuses --num-prompts (shards cannot split a count of turns) and fewer conversations than shards, before any request", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      Deno.writeTextFileSync(
        `${dir}/chat.yaml`,
        "type: multiturn\nsessions: 2\nturns: 3\ninput: {method: fixed, value: 8}\noutput: {method: fixed, value: 2}\n",
      );
      const base = ["run", "--url", sim.url, "--dataset", `${dir}/chat.yaml`, "--sessions", "3"];
      const counted = await runCli([...base, "--num-prompts", "5", "--shard", "0/2"]
        .concat(["--work-dir", `${dir}/a`]));
      assertEquals(counted.code, 2, counted.stderr);
      assert(
        /with --num-prompts 5, which shards cannot split exactly/.test(counted.stderr),
        counted.stderr,
      );
      const few = await runCli([...base, "--shard", "0/3", "--work-dir", `${dir}/b`]);
      assertEquals(few.code, 2, few.stderr);
      assert(
        /has 2 conversations \(dataset "chat"\), fewer than the 3 shards; use at most 2 shards/
          .test(few.stderr),
        few.stderr,
      );
      assertEquals(sim.stats().requests, 0, "no request was sent");
    });
  } finally {
    await sim.shutdown();
  }
});
