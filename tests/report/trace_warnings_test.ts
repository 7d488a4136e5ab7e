import { traceWarnings } from "../../src/report/task_report.ts";
import type { TaskIdentity } from "../../src/config/plan.ts";
import type { RequestFacts } from "../../src/record/record.ts";
import { assertEquals } from "../helpers.ts";

const identity = (load: Record<string, unknown>): TaskIdentity => ({
  model: "m",
  model_abbr: "m",
  dataset: "d",
  api: "openai-chat",
  stream: true,
  load,
  output_name: "d",
  max_concurrency: 2,
});

function facts(n: number, o: { warmup?: number; cancelled?: number } = {}): RequestFacts[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    scheduledMs: 1000 * i,
    startMs: 1000 * i,
    endMs: 1000 * i + 500,
    chunks: 1,
    stream: true,
    attempts: 1,
    ...(i < (o.warmup ?? 0) ? { warmup: true } : {}),
    ...(i >= n - (o.cancelled ?? 0)
      ? { error: { category: "cancelled" as const, message: "cancelled" } }
      : {}),
  }));
}

Deno.test("traceWarnings() of a trace without its closing line (a killed run): recorded against planned requests, warm-up apart", () => {
  const load = { kind: "concurrency", concurrency: 2, numRequests: 10 };
  assertEquals(traceWarnings({ identity: identity(load), facts: facts(5, { warmup: 2 }) }), [
    "the trace ends without its closing line: the run was killed before this task ended (SIGKILL, a crash, power?); it holds 3 of the 10 planned requests, requests in flight at the kill are missing",
  ]);
});

Deno.test("traceWarnings() of a killed run bounded by time: recorded requests over the planned duration", () => {
  const load = { kind: "rate", rate: 1, durationS: 60 };
  assertEquals(traceWarnings({ identity: identity(load), facts: facts(4) }), [
    "the trace ends without its closing line: the run was killed before this task ended (SIGKILL, a crash, power?); it holds 4 requests over 3.5 s of the planned 60 s, requests in flight at the kill are missing",
  ]);
});

Deno.test("traceWarnings() of an interrupted run says how many requests were sent and how many cut off", () => {
  const load = { kind: "concurrency", concurrency: 2, numRequests: 10 };
  assertEquals(
    traceWarnings({
      identity: identity(load),
      facts: facts(6, { cancelled: 2 }),
      footer: { interrupted: true },
    }),
    [
      "the run was interrupted: 6 of the 10 planned requests were sent, 2 of them cut off in flight (recorded as cancelled, with their partial timings, and kept out of the statistics)",
    ],
  );
});

Deno.test("traceWarnings() of a complete trace: none", () => {
  const load = { kind: "concurrency", concurrency: 2, numRequests: 10 };
  assertEquals(traceWarnings({ identity: identity(load), facts: facts(10), footer: {} }), []);
});
