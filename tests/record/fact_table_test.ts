import { BLOCK, FactTable, plainFacts } from "../../src/record/fact_table.ts";
import type { RequestFacts } from "../../src/record/record.ts";
import { assert, assertEquals } from "../helpers.ts";

const assertSame = (a: unknown, b: unknown, what: string) =>
  assert(a === b, `${what}: ${JSON.stringify(a)} is not the same as ${JSON.stringify(b)}`);

const T0 = 1_795_000_000_000.125;

/** Facts of every shape a trace line gives, and numbers the whole-number columns cannot hold. */
function variety(): RequestFacts[] {
  const bare: RequestFacts = {
    index: 0,
    scheduledMs: T0,
    startMs: T0 + 0.001,
    endMs: T0 + 12.345,
    chunks: 0,
    stream: false,
    attempts: 1,
  };
  const full: RequestFacts = {
    index: 1,
    warmup: true,
    shard: 0,
    turn: 3,
    scheduledMs: T0 + 1,
    startMs: T0 + 1.5,
    endMs: T0 + 90.75,
    chunks: 7,
    firstChunkMs: T0 + 20.001,
    lastChunkMs: T0 + 90.5,
    firstContentMs: T0 + 25,
    stream: true,
    status: 200,
    usage: { promptTokens: 0, completionTokens: 7, cachedTokens: 64 },
    inputTokens: 11,
    tokenizerOutputTokens: 6,
    attempts: 2,
    tries: [{
      startMs: T0 + 1,
      endMs: T0 + 1.2,
      error: { category: "http_5xx", message: "HTTP 503", status: 503, retryAfterMs: 1000 },
    }],
    finishReason: "length",
    serverTimings: { prompt_ms: 12.5, predicted_ms: 40 },
  };
  const failed: RequestFacts = {
    ...bare,
    index: 2,
    status: 500,
    error: { category: "http_5xx", message: "HTTP 500: boom", status: 500 },
  };
  const odd: RequestFacts = {
    ...bare,
    index: 3,
    inputTokens: 12.5,
    tokenizerOutputTokens: 2 ** 40,
    status: -3,
    usage: { promptTokens: 2 ** 31, completionTokens: 1 },
    finishReason: "stop",
  };
  return [bare, full, failed, odd];
}

Deno.test("FactTable rows read back every field a plain RequestFacts has, absent ones as undefined", () => {
  const table = new FactTable();
  const facts = variety();
  for (const f of facts) table.append(f);
  const rows = table.rows();
  assertEquals(rows.length, facts.length);
  assertEquals(rows.map(plainFacts), facts);
  assertEquals(JSON.parse(JSON.stringify(rows)), JSON.parse(JSON.stringify(facts)));
  const [bare, full, , odd] = rows;
  for (
    const key of [
      "warmup",
      "shard",
      "turn",
      "firstChunkMs",
      "lastChunkMs",
      "firstContentMs",
      "status",
      "error",
      "usage",
      "inputTokens",
      "tokenizerOutputTokens",
      "tries",
      "finishReason",
      "serverTimings",
    ] as const
  ) assertSame(bare![key], undefined, key);
  assertEquals(full!.usage, { promptTokens: 0, completionTokens: 7, cachedTokens: 64 });
  assertEquals(odd!.inputTokens, 12.5);
  assertEquals(odd!.tokenizerOutputTokens, 2 ** 40);
  assertEquals(odd!.status, -3);
  assertEquals(odd!.usage, { promptTokens: 2 ** 31, completionTokens: 1 });
});

Deno.test("FactTable keeps rows across blocks, and one object for equal errors", () => {
  const table = new FactTable();
  const n = 2 * BLOCK + 5;
  for (let i = 0; i < n; i++) {
    table.append({
      index: n - i,
      scheduledMs: T0 + i,
      startMs: T0 + i + 0.25,
      endMs: T0 + i + 3,
      chunks: i % 5,
      stream: true,
      attempts: 1,
      ...(i % 3 === 0
        ? {
          error: { category: "http_5xx", message: `HTTP ${500 + (i % 2)}`, status: 500 + (i % 2) },
        }
        : { finishReason: i % 2 ? "stop" : "length" }),
    });
  }
  const rows = table.rows();
  assertEquals(rows.length, n);
  for (const k of [0, BLOCK - 1, BLOCK, 2 * BLOCK, n - 1]) {
    const r = rows[k]!;
    assertEquals([r.index, r.startMs, r.chunks], [n - k, T0 + k + 0.25, k % 5], `row ${k}`);
    assertEquals(r.finishReason, k % 3 === 0 ? undefined : k % 2 ? "stop" : "length");
  }
  assertSame(rows[0]!.error, rows[6]!.error, "HTTP 500 twice: one object");
  assertSame(rows[3]!.error, rows[BLOCK + 1]!.error, "across blocks too (row 8193: HTTP 501)");
  assert(rows[0]!.error !== rows[3]!.error, "HTTP 500 and HTTP 501 apart");
  assertEquals(rows[3]!.error, { category: "http_5xx", message: "HTTP 501", status: 501 });
});
