/**
 * The self-check does not cry wolf (#15 item 16): the lag where requests are
 * stamped is judged against the task's own time scale, an info line below
 * LAG_SHARE_WARN of it and a warning above, worded for the loop it ran.
 */

import {
  judgeClientLag,
  LAG_SHARE_WARN,
  type SelfCheck,
  startSelfCheck,
} from "../../src/bench/self_check.ts";
import { ValueCounts } from "../../src/metrics/counts.ts";
import type { TaskSummary } from "../../src/metrics/summarize.ts";
import { deliveryWarnings } from "../../src/report/task_report.ts";
import { assert, assertEquals } from "../helpers.ts";

/** A self-check with this stamp lag (p99, max) and CPU use. */
function check(p99: number, o: { cpu?: number; workers?: number; old?: boolean } = {}): SelfCheck {
  const lag = { p50: 1, p99, max: p99 + 1 };
  return {
    loop_lag_ms: o.old ? lag : { p50: 1, p99: 80, max: 90 },
    ...(o.old ? {} : { stamp_lag_ms: lag }),
    cpu_cores: o.cpu ?? 0.2,
    machine_cores: 2,
    load_workers: o.workers ?? 1,
    samples: 100,
  };
}

const ttft = (ms: number) => ({ name: "median TTFT", ms });

Deno.test("judgeClientLag(): below the share of the median TTFT it is an info line, however large the main thread's lag", () => {
  // The main thread lagged 80 ms (the in-process simulator, the reporting); the workers 4 ms.
  const j = judgeClientLag(check(4), { scale: ttft(40), closedLoop: true });
  assertEquals(j.level, "info");
  assertEquals(j.share, 0.1);
  assertEquals(
    j.text,
    "client self-check: event-loop lag in the load workers, where requests are stamped: 4.0 ms at P99 (max 5.0 ms), 10% of the median TTFT (40 ms); under 25% of it: no sign the client fell behind",
  );
});

Deno.test("judgeClientLag(): at or above the share it is a warning, worded for a closed or an open loop", () => {
  const at = 40 * LAG_SHARE_WARN;
  assertEquals(
    judgeClientLag(check(at - 0.1), { scale: ttft(40), closedLoop: true }).level,
    "info",
  );
  const closed = judgeClientLag(check(at), { scale: ttft(40), closedLoop: true });
  const open = judgeClientLag(check(at), { scale: ttft(40), closedLoop: false });
  assertEquals([closed.level, open.level], ["warning", "warning"]);
  assert(closed.text.includes("25% of the median TTFT (40 ms)"), closed.text);
  assert(closed.text.includes("each next request may start late after a stream comes free"));
  assert(!closed.text.includes("due time"), `a closed loop has no due times: ${closed.text}`);
  assert(open.text.includes("sends may go out after their due times"), open.text);
  assert(!open.text.includes("stream comes free"), open.text);
});

Deno.test("judgeClientLag(): the warning names the cause: the client's own threads busy, or other work", () => {
  const idle = judgeClientLag(check(30, { cpu: 0.2 }), { scale: ttft(40), closedLoop: true });
  assert(idle.text.includes("the client used only 0.20 of 2 cores, so other work"), idle.text);
  const busy = judgeClientLag(check(30, { cpu: 1.9 }), { scale: ttft(40), closedLoop: true });
  assert(busy.text.includes("the client kept 1.90 of 2 cores busy"), busy.text);
  assert(busy.text.includes("--workers"), busy.text);
});

Deno.test("judgeClientLag(): a lag within the timers' granularity, no scale, an older trace", () => {
  // 1.8 ms is 90% of a 2 ms TTFT, but within the floor: timers are no finer.
  const fine = judgeClientLag(check(1.8), { scale: ttft(2), closedLoop: true });
  assertEquals(fine.level, "info");
  assert(
    fine.text.includes(
      "90% of the median TTFT (2.0 ms); at most 2 ms, the timers' own granularity",
    ),
    fine.text,
  );
  // No successful request: the absolute bound decides.
  assertEquals(judgeClientLag(check(8), { closedLoop: true }).level, "info");
  assertEquals(judgeClientLag(check(12), { closedLoop: true }).level, "warning");
  // A trace of an older build has only the pooled lag, says so, and warns only above 10 ms.
  const old = judgeClientLag(check(30, { old: true }), { scale: ttft(40), closedLoop: true });
  assertEquals([old.level, old.lag_p99_ms], ["warning", 30]);
  assert(old.text.includes("event-loop lag in the client: 30 ms at P99"), old.text);
  const oldSmall = judgeClientLag(check(6, { old: true }), { scale: ttft(10), closedLoop: true });
  assertEquals(oldSmall.level, "info", "60% of the TTFT, but maybe the main thread's");
  assert(
    oldSmall.text.endsWith(
      "at most 10 ms, pooled over every thread: no sign the client fell behind",
    ),
    oldSmall.text,
  );
  // The main thread stamps when no load worker drives.
  const main = judgeClientLag(check(1, { workers: 0 }), { scale: ttft(40), closedLoop: true });
  assert(main.text.includes("on the main thread, where requests are stamped"), main.text);
});

Deno.test("startSelfCheck().stop() judges the load workers' lag apart from the main thread's", () => {
  const workers = new ValueCounts(1000);
  for (let ms = 1; ms <= 100; ms++) workers.add(ms * 1000);
  const driven = startSelfCheck().stop(workers, 2);
  assertEquals(driven.stamp_lag_ms!.max, 100);
  assertEquals(driven.loop_lag_ms.max, 100);
  // No load worker: the main thread stamps, and its lag (no tick yet) is what counts.
  const other = new ValueCounts(1000);
  other.add(50_000);
  const main = startSelfCheck().stop(other, 0);
  assertEquals(main.stamp_lag_ms, { p50: 0, p99: 0, max: 0 });
  assertEquals(main.loop_lag_ms.max, 50);
});

Deno.test("deliveryWarnings(): late sends are worded for the loop: due times only in an open loop", () => {
  const summary = {
    common: { total_requests: 8 },
    delivery: { late_sends: 2, send_lag_ms: { p50: 1, p99: 12.5, max: 14 } },
  } as unknown as TaskSummary;
  const [closed] = deliveryWarnings(summary, { closedLoop: true });
  const [open] = deliveryWarnings(summary, { closedLoop: false });
  assertEquals(
    closed,
    "2 of 8 requests started more than 10 ms after their stream came free (send lag p99 12.5 ms, max 14.0 ms): the client was slow to send the next request",
  );
  assertEquals(
    open,
    "2 of 8 requests were sent more than 10 ms after their due time (send lag p99 12.5 ms, max 14.0 ms): the concurrency cap held them back, or the client fell behind",
  );
});
