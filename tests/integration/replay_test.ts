import { runCommand } from "../../src/cli/run.ts";
import { readTraceRecords } from "../../src/record/trace.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { Random } from "../../src/random.ts";
import { assert, assertEquals, quiet, withTempDir } from "../helpers.ts";

const env = () => undefined;

/** A generic trace of `n` records over `spanMs` (sorted, some at the same instant), with lengths. */
function writeTrace(path: string, n: number, spanMs: number) {
  const random = new Random(7);
  const stamps = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : random.next() * spanMs)).sort(
    (a, b) => a - b,
  );
  // A few ties: records that arrived at the same instant.
  for (let i = 10; i < n; i += 97) stamps[i] = stamps[i - 1]!;
  const rows = stamps.map((t, i) => ({
    timestamp: Math.round(t * 1000) / 1000,
    input_length: 8 + (i % 23),
    output_length: 1 + (i % 5),
  }));
  Deno.writeTextFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return rows;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

for (const speed of [1, 2]) {
  Deno.test(`replay at speed ${speed}: a 1,000-record, 10 s trace reaches the simulator at its due times, each record once, lengths exact`, async () => {
    const arrivals: number[] = [];
    const sim = await startSimulator({ ttftMs: 2, itlMs: 1 }, {
      onArrival: (ms) => arrivals.push(ms),
    });
    try {
      await withTempDir(async (dir) => {
        const rows = writeTrace(`${dir}/trace.jsonl`, 1000, 10_000);
        Deno.writeTextFileSync(`${dir}/t.yaml`, `type: trace\npath: ${dir}/trace.jsonl\n`);
        const r = await runCommand([
          "--url",
          sim.url,
          "--api",
          "openai-completions",
          "--dataset",
          `${dir}/t.yaml`,
          "--replay",
          "--replay-speed",
          String(speed),
          "--work-dir",
          `${dir}/out`,
        ], { print: quiet, env });
        const task = r!.tasks[0]!;
        const records = (await readTraceRecords(task.paths.trace)).sort((a, b) =>
          a.index - b.index
        );
        assertEquals(records.length, 1000, "records");
        assertEquals(records.map((x) => x.index), rows.map((_, i) => i), "each record once");
        assertEquals(sim.stats().requests, 1000, "requests the simulator saw");
        const t0 = records[0]!.scheduledMs;
        for (const [i, rec] of records.entries()) {
          const due = rows[i]!.timestamp / speed;
          assert(
            Math.abs(rec.scheduledMs - t0 - due) < 0.01,
            `record ${i} scheduled at +${rec.scheduledMs - t0} ms, due +${due}`,
          );
          assertEquals(rec.error, undefined, `record ${i}`);
          assertEquals(
            [rec.usage?.promptTokens, rec.usage?.completionTokens],
            [rows[i]!.input_length, rows[i]!.output_length],
            `lengths of record ${i}`,
          );
        }
        // The simulator's receive stamps against the due times, matched in time order.
        const due = records.map((x) => x.scheduledMs).sort((a, b) => a - b);
        const got = [...arrivals].sort((a, b) => a - b);
        const diffs = got.map((t, k) => t - due[k]!);
        const abs = diffs.map(Math.abs).sort((a, b) => a - b);
        const lag = task.report.json!.delivery.send_lag_ms!;
        console.log(
          `speed ${speed}: receive − due p50 ${percentile(abs, 50).toFixed(2)} ms, p95 ${
            percentile(abs, 95).toFixed(2)
          } ms, p99 ${percentile(abs, 99).toFixed(2)} ms, max ${
            abs.at(-1)!.toFixed(2)
          } ms; send lag p50 ${lag.p50.toFixed(2)} p99 ${lag.p99.toFixed(2)} ms; late sends ${
            task.report.json!.delivery.late_sends
          }`,
        );
        assert(Math.min(...diffs) > -1, `a request arrived ${-Math.min(...diffs)} ms early`);
        // Within a few ms at the median. A loaded 2-core machine stalls the odd send by tens of
        // ms: the client's own start stamps then show the delay (reported as send lag and late
        // sends, not hidden), and the simulator received each request right after its stamp.
        assert(percentile(abs, 50) < 5, `median receive − due ${percentile(abs, 50)} ms`);
        const starts = records.map((x) => x.startMs).sort((a, b) => a - b);
        const transit = got.map((t, k) => Math.abs(t - starts[k]!)).sort((a, b) => a - b);
        assert(percentile(transit, 90) < 10, `p90 |receive − start| ${percentile(transit, 90)} ms`);
        const late = records.filter((x) => x.startMs - x.scheduledMs > 10).length;
        assertEquals(task.report.json!.delivery.late_sends, late, "late sends counted");
        assertEquals(task.task.load.kind, "replay");
      });
    } finally {
      await sim.shutdown();
    }
  });
}
