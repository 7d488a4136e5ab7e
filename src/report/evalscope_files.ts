/**
 * EvalScope's result files, written beside servebench's own when a run is
 * started as `servebench perf` (EvalScope's `evalscope perf`):
 * `<run>/<name>/parallel_<c>_number_<n>/benchmark_summary.json` and
 * `benchmark_percentile.json` per load point, and
 * `<run>/<name>/performance_summary.txt` across them, and the console output
 * as `<run>/<name>/benchmark.log`. Times are in seconds
 * there, as EvalScope writes them (the keys and units of its perf quick-start
 * guide's "Benchmarking summary" and "Percentile results" tables,
 * `shared/seeds/002…` lines 105-150; EvalScope's
 * `evalscope/perf/utils/benchmark_util.py` for the definitions: TPOT is
 * (latency − TTFT) / (output tokens − 1), "average inter-token latency" the
 * mean of each request's mean gap).
 *
 * @module
 */

import type { Task } from "../config/plan.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import { EVALSCOPE_PERCENTILES } from "./percentiles.ts";
import { safeName } from "../safe_name.ts";
import { renderTable } from "./table.ts";

/** One finished task: what it was and its summary. */
export interface EvalscopeTask {
  task: Task;
  summary: TaskSummary;
}

const round = (x: number, digits = 4) => Number.isFinite(x) ? Number(x.toFixed(digits)) : x;

/** Mean of a sample in ms, as seconds; NaN when there is none. */
function meanS(summary: TaskSummary, key: string): number {
  const s = summary.samples[key];
  return s && s.n > 0 ? s.mean() / 1000 : NaN;
}

/** The `Benchmarking summary` of one load point, EvalScope's keys and units. */
export function evalscopeSummary(summary: TaskSummary): Record<string, number> {
  const c = summary.common;
  const ok = c.success_requests;
  const out: Record<string, number> = {
    "Time taken for tests (s)": round(c.benchmark_duration_ms / 1000),
    "Number of concurrency": c.max_concurrency,
    "Total requests": c.total_requests,
    "Succeed requests": ok,
    "Failed requests": c.failed_requests,
    "Output token throughput (tok/s)": round(c.output_token_throughput_tps),
    "Total token throughput (tok/s)": round(c.total_token_throughput_tps),
    "Request throughput (req/s)": round(c.request_throughput_rps),
    "Average latency (s)": round(meanS(summary, "e2el_ms")),
    "Average time to first token (s)": round(meanS(summary, "ttft_ms")),
    "Average time per output token (s)": round(meanS(summary, "tpot_ms")),
    "Average inter-token latency (s)": round(meanS(summary, "itl_request_mean_ms")),
    "Average input tokens per request": ok ? round(c.total_input_tokens / ok) : 0,
    "Average output tokens per request": ok ? round(c.total_output_tokens / ok) : 0,
  };
  // A non-streamed run has no TTFT, TPOT or ITL: those keys are left out, not written as NaN.
  return Object.fromEntries(Object.entries(out).filter(([, v]) => !Number.isNaN(v)));
}

/** EvalScope's percentile columns: label, metric key, and whether the value is a time in ms. */
const PERCENTILE_COLUMNS = [
  ["TTFT (s)", "ttft_ms", true],
  ["ITL (s)", "itl_ms", true],
  ["TPOT (s)", "tpot_ms", true],
  ["Latency (s)", "e2el_ms", true],
  ["Input tokens", "input_tokens", false],
  ["Output tokens", "output_tokens", false],
  ["Output (tok/s)", "output_token_throughput_tps", false],
  ["Total (tok/s)", "total_token_throughput_tps", false],
] as const;

/** The `Percentile results`: one row per percentile (10% … 99%), EvalScope's columns. */
export function evalscopePercentiles(summary: TaskSummary): Array<Record<string, string | number>> {
  const cols = PERCENTILE_COLUMNS.filter(([, key]) => (summary.samples[key]?.n ?? 0) > 0);
  return EVALSCOPE_PERCENTILES.map((p) => {
    const row: Record<string, string | number> = { Percentiles: `${p}%` };
    for (const [label, key, ms] of cols) {
      const v = summary.samples[key]!.percentile(p);
      row[label] = round(ms ? v / 1000 : v);
    }
    return row;
  });
}

/** The folder of one load point: `parallel_<c>_number_<n>`, as EvalScope names it. */
function pointDir(t: EvalscopeTask): string {
  return `parallel_${t.summary.common.max_concurrency}_number_${t.summary.common.total_requests}`;
}

/** The `performance_summary.txt` table: one row per load point. */
export function performanceSummaryText(tasks: readonly EvalscopeTask[]): string {
  const p99 = (s: TaskSummary, key: string) => {
    const d = s.samples[key];
    return d && d.n > 0 ? (d.percentile(99) / 1000).toFixed(3) : "-";
  };
  const avg = (s: TaskSummary, key: string) => {
    const v = meanS(s, key);
    return Number.isNaN(v) ? "-" : v.toFixed(3);
  };
  const rows = tasks.map(({ summary: s }) => [
    String(s.common.max_concurrency),
    s.common.request_throughput_rps.toFixed(2),
    avg(s, "e2el_ms"),
    p99(s, "e2el_ms"),
    avg(s, "ttft_ms"),
    p99(s, "ttft_ms"),
    avg(s, "tpot_ms"),
    p99(s, "tpot_ms"),
    s.common.output_token_throughput_tps.toFixed(2),
    `${
      s.common.total_requests
        ? ((100 * s.common.success_requests) / s.common.total_requests).toFixed(1)
        : "0.0"
    }%`,
  ]);
  return `Performance Test Summary Report (times in seconds)\n${
    renderTable(
      [
        "Conc.",
        "RPS",
        "Avg Lat.(s)",
        "P99 Lat.(s)",
        "Avg TTFT(s)",
        "P99 TTFT(s)",
        "Avg TPOT(s)",
        "P99 TPOT(s)",
        "Gen. toks/s",
        "Success Rate",
      ],
      rows,
    )
  }\n`;
}

/**
 * Writes EvalScope's files for a run's tasks under `runDir/<name>/`
 * (`name`: EvalScope's `--name`, else the model). Returns the paths written.
 */
export function writeEvalscopeFiles(
  runDir: string,
  options: { name: string; tasks: readonly EvalscopeTask[]; log?: readonly string[] },
): string[] {
  const root = `${runDir}/${safeName(options.name)}`;
  const written: string[] = [];
  const used = new Set<string>();
  for (const t of options.tasks) {
    // Two tasks at the same point (two datasets or models) get their task names added.
    let name = pointDir(t);
    if (used.has(name)) {
      name = `${name}_${safeName(t.task.model.abbr)}_${safeName(t.task.outputName)}`;
    }
    used.add(name);
    const dir = `${root}/${name}`;
    Deno.mkdirSync(dir, { recursive: true });
    const summary = `${dir}/benchmark_summary.json`;
    Deno.writeTextFileSync(summary, JSON.stringify(evalscopeSummary(t.summary), null, 2) + "\n");
    const percentile = `${dir}/benchmark_percentile.json`;
    Deno.writeTextFileSync(
      percentile,
      JSON.stringify(evalscopePercentiles(t.summary), null, 2) + "\n",
    );
    written.push(summary, percentile);
  }
  Deno.mkdirSync(root, { recursive: true });
  const text = `${root}/performance_summary.txt`;
  Deno.writeTextFileSync(text, performanceSummaryText(options.tasks));
  written.push(text);
  if (options.log) {
    const log = `${root}/benchmark.log`;
    Deno.writeTextFileSync(log, options.log.join("\n") + "\n");
    written.push(log);
  }
  return written;
}
