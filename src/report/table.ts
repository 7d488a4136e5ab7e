/**
 * Console tables in the AISBench layout: "Performance Parameters" (one row per
 * metric, one column per statistic) and "Common Metric" (one value each).
 *
 * @module
 */

import type { StatSpec } from "../metrics/stats.ts";
import { COMMON_METRICS, metricsIn, RESULT_ORDER } from "../metrics/metric_table.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import { csvLine } from "./csv.ts";

/** Console tables show at most this many statistic columns; the JSON holds all. */
export const MAX_TABLE_STATS = 8;

/** Formats a value with its unit, as the tables and the AISBench CSV show it. */
export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  const digits = unit === "" ? (Number.isInteger(value) ? 0 : 2) : unit === "ms" ? 2 : 2;
  const text = value.toFixed(digits);
  return unit ? `${text} ${unit}` : text;
}

/** Renders rows as a box-drawn table. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (l: string, m: string, r: string) =>
    l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const row = (cells: readonly string[]) =>
    "│" + widths.map((w, i) => ` ${(cells[i] ?? "").padEnd(w)} `).join("│") + "│";
  return [
    line("╭", "┬", "╮"),
    row(header),
    line("├", "┼", "┤"),
    ...rows.map(row),
    line("╰", "┴", "╯"),
  ].join("\n");
}

/** The Performance Parameters rows: label, stage, one value per statistic, N. */
export function performanceRows(
  summary: TaskSummary,
  stats: readonly StatSpec[],
): { header: string[]; rows: string[][] } {
  const header = ["Performance Parameters", "Stage", ...stats.map((s) => s.label), "N"];
  const rows: string[][] = [];
  for (const m of metricsIn("table", RESULT_ORDER)) {
    const values = summary.metrics[m.key];
    if (!values) continue;
    rows.push([
      m.label,
      summary.stage,
      ...stats.map((s) => formatValue(values[s.key], m.unit)),
      String(values.n ?? 0),
    ]);
  }
  return { header, rows };
}

/** The Performance Parameters table as AISBench writes it (values with units). */
export function performanceCsv(summary: TaskSummary, stats: readonly StatSpec[]): string {
  const { header, rows } = performanceRows(summary, stats);
  return csvLine(header) + rows.map((r) => csvLine(r)).join("");
}

/** Labels and units of the common metrics, in table order (the metric table's). */
export const COMMON_ROWS = COMMON_METRICS;

/** The common metrics a task's tables show: every row, but those absent that are shown only when present. */
export function commonRows(summary: TaskSummary): typeof COMMON_ROWS[number][] {
  return COMMON_ROWS.filter((c) =>
    !("onlyWhenPresent" in c && c.onlyWhenPresent) || summary.common[c.key] !== undefined
  );
}

/** Longest error message the console's table shows (the result JSON keeps it whole). */
const MESSAGE_WIDTH = 100;

/** The columns of the per-turn table (console and task page). */
export const TURN_HEADER = [
  "Turn",
  "Requests",
  "TTFT mean",
  "TTFT P50",
  "TTFT P99",
  "E2EL mean",
  "InputTokens mean",
  "CachedTokens mean",
];

/** The rows of the per-turn table: one per turn index, values with units. */
export function turnRows(turns: NonNullable<TaskSummary["turns"]>): string[][] {
  const ms = (v: number | undefined) => formatValue(v, "ms");
  const n = (v: number | undefined) => formatValue(v, "");
  return turns.map((t) => [
    String(t.turn),
    String(t.requests),
    ms(t.ttft_ms?.mean),
    ms(t.ttft_ms?.p50),
    ms(t.ttft_ms?.p99),
    ms(t.e2el_ms.mean),
    n(t.input_tokens_mean),
    n(t.cached_tokens_mean),
  ]);
}

/** Renders both tables of a task for the console, plus the error breakdown when any failed. */
export function renderTaskTables(summary: TaskSummary, stats: readonly StatSpec[]): string {
  const shown = stats.slice(0, MAX_TABLE_STATS);
  const perf = performanceRows(summary, shown);
  const common = renderTable(
    ["Common Metric", "Stage", "Value"],
    commonRows(summary).map((c) => [
      c.label,
      summary.stage,
      formatValue(summary.common[c.key], c.unit),
    ]),
  );
  const parts = [renderTable(perf.header, perf.rows), common];
  if (summary.goodput) {
    const g = summary.goodput;
    parts.push(renderTable(["Goodput", "Stage", "Value"], [
      [
        "SLO",
        summary.stage,
        Object.entries(g.slo).map(([k, v]) => `${k.replace("_ms", "")}<=${v}ms`).join(" "),
      ],
      ["Good Requests", summary.stage, `${g.good_requests} (${(g.share * 100).toFixed(1)}%)`],
      ["Goodput", summary.stage, formatValue(g.rate_rps, "req/s")],
    ]));
  }
  const tc = summary.tokenCounts;
  if (tc && (tc.output_mismatches || tc.input_mismatches)) {
    parts.push(
      renderTable(["Token Counts (server vs tokenizer)", "Compared", "Disagreed", "Max |diff|"], [
        [
          "Output tokens",
          String(tc.compared_output),
          String(tc.output_mismatches),
          String(tc.output_max_abs_diff),
        ],
        [
          "Input tokens",
          String(tc.compared_input),
          String(tc.input_mismatches),
          String(tc.input_max_abs_diff),
        ],
      ]),
    );
  }
  if (summary.turns) parts.push(renderTable(TURN_HEADER, turnRows(summary.turns)));
  const errors = Object.entries(summary.errors);
  if (errors.length) {
    parts.push(renderTable(["Failure", "Requests"], errors.map(([k, v]) => [k, String(v)])));
    parts.push(renderTable(
      ["Most Common Errors", "Status", "Requests", "Message"],
      summary.errorMessages.map((e) => [
        e.category,
        e.status === undefined ? "" : String(e.status),
        String(e.count),
        e.message.length > MESSAGE_WIDTH ? `${e.message.slice(0, MESSAGE_WIDTH - 1)}…` : e.message,
      ]),
    ));
  }
  return parts.join("\n");
}
