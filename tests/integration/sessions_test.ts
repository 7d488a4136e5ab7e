import { runCommand } from "../../src/cli/run.ts";
import { readTraceRecords } from "../../src/record/trace.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, quiet, withTempDir } from "../helpers.ts";

type Message = { role: string; content: string };
type Body = { messages: Message[]; max_tokens: number };

const SESSIONS = 3;
const TURNS = 4;
const THINK_S = 0.15;

/** Runs synthetic conversations against a simulator; returns its bodies, the trace and the result. */
async function runSessions(options: { cache: boolean; history?: "dataset" }) {
  const bodies: Body[] = [];
  const sim = await startSimulator({
    ttftMs: 5,
    itlMs: 1,
    prefillMsPerToken: 0.4,
    ...(options.cache ? { prefixCacheBlocks: 100_000, prefixBlockTokens: 16 } : {}),
  }, { onArrival: (_, body) => bodies.push(body as unknown as Body) });
  try {
    return await withTempDir(async (dir) => {
      Deno.writeTextFileSync(
        `${dir}/chat.yaml`,
        [
          "type: multiturn",
          `sessions: ${SESSIONS}`,
          `turns: ${TURNS}`,
          "system_prompt_len: 300",
          "input: {method: uniform, min: 40, max: 60}",
          "output: {method: fixed, value: 12}",
        ].join("\n") + "\n",
      );
      const r = await runCommand([
        "--url",
        sim.url,
        "--dataset",
        `${dir}/chat.yaml`,
        "--sessions",
        "2",
        "--think-time",
        String(THINK_S),
        ...(options.history ? ["--session-history", options.history] : []),
        "--work-dir",
        `${dir}/out`,
      ], { print: quiet, env: () => undefined });
      const task = r!.tasks[0]!;
      const records = (await readTraceRecords(task.paths.trace)).sort((a, b) => a.index - b.index);
      const sent = bodies.length;
      // The simulator's reply to a request of 12 tokens, as it writes it.
      const res = await fetch(`${sim.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ messages: [{ role: "user", content: "x" }], max_tokens: 12 }),
      });
      const simReply = (await res.json()).choices[0].message.content as string;
      return {
        bodies: bodies.slice(0, sent),
        records,
        json: task.report.json!,
        text: task.report.text,
        simReply,
      };
    });
  } finally {
    await sim.shutdown();
  }
}

/** The bodies of each conversation (told apart by their first user message), in turn order. */
function conversations(bodies: readonly Body[]): Body[][] {
  const byFirst = new Map<string, Body[]>();
  for (const b of bodies) {
    const first = b.messages.find((m) => m.role === "user")!.content;
    byFirst.set(first, [...(byFirst.get(first) ?? []), b]);
  }
  return [...byFirst.values()].map((c) => c.sort((a, b) => a.messages.length - b.messages.length));
}

Deno.test("sessions: each turn's prompt holds the earlier turns exactly, with the server's replies; think time is honoured", async () => {
  const run = await runSessions({ cache: true });
  assertEquals(run.bodies.length, SESSIONS * TURNS, "each turn once");
  const convs = conversations(run.bodies);
  assertEquals(convs.length, SESSIONS);
  for (const conv of convs) {
    assertEquals(conv.length, TURNS);
    for (let k = 1; k < TURNS; k++) {
      const before = conv[k - 1]!.messages;
      const now = conv[k]!.messages;
      assertEquals(now.slice(0, before.length), before, `turn ${k} starts with turn ${k - 1}`);
      assertEquals(now.length, before.length + 2);
      assertEquals(now[before.length]!.role, "assistant");
      assertEquals(
        now[before.length]!.content,
        run.simReply,
        "the server's reply, not the dataset's",
      );
      assertEquals(now.at(-1)!.role, "user");
    }
  }
  // Turn k of a conversation is spec index session × TURNS + k, sent a think time after k − 1 ended.
  const gaps: number[] = [];
  for (let s = 0; s < SESSIONS; s++) {
    for (let k = 1; k < TURNS; k++) {
      const prev = run.records[s * TURNS + k - 1]!;
      const rec = run.records[s * TURNS + k]!;
      assertEquals(rec.turn, k);
      const wait = rec.scheduledMs - prev.endMs;
      assert(wait >= THINK_S * 1000 - 1, `turn ${k} of session ${s} scheduled ${wait} ms after`);
      gaps.push(rec.startMs - prev.endMs);
    }
  }
  gaps.sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)]!;
  assert(
    median < THINK_S * 1000 + 30,
    `median pause ${median} ms for a ${THINK_S * 1000} ms think`,
  );
});

Deno.test("sessions: TTFT by turn is reported, and falls with a warm prefix cache but not without one", async () => {
  const warm = await runSessions({ cache: true });
  const cold = await runSessions({ cache: false });
  for (const run of [warm, cold]) {
    assertEquals(run.json.turns!.map((t) => [t.turn, t.requests]), [[0, 3], [1, 3], [2, 3], [
      3,
      3,
    ]]);
    assert(run.text.includes("TTFT P99"), "the console shows the per-turn table");
  }
  // The median of each turn's three requests: one request held up by a loaded machine moves a
  // mean of three by tens of ms, not the median.
  const ttft = (run: typeof warm) => run.json.turns!.map((t) => t.ttft_ms!.p50);
  const [w, c] = [ttft(warm), ttft(cold)];
  console.log(
    `TTFT by turn, warm cache: ${w.map((x) => x.toFixed(0))}; cold: ${c.map((x) => x.toFixed(0))}`,
  );
  // Cold, each turn prefills the whole conversation: the last turn is the slowest.
  assert(c[3]! > c[0]! + 50, `cold TTFT ${c}`);
  // Warm, a later turn prefills only what is new since the previous turn: far below the same
  // turn cold, which prefills the whole conversation again.
  for (let k = 1; k < TURNS; k++) assert(w[k]! < c[k]! - 50, `warm TTFT ${w}, cold ${c}`);
  assert(warm.json.turns![3]!.cached_tokens_mean! > 300, "later turns are mostly cached");
  assertEquals(cold.json.turns![0]!.cached_tokens_mean, undefined);
});

Deno.test("sessions --session-history dataset: the dataset's replies are the assistant turns", async () => {
  const run = await runSessions({ cache: false, history: "dataset" });
  for (const conv of conversations(run.bodies)) {
    const assistant = conv.at(-1)!.messages.filter((m) => m.role === "assistant");
    assertEquals(assistant.length, TURNS - 1);
    for (const m of assistant) assert(m.content !== run.simReply, "a dataset reply");
  }
});
