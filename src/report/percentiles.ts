/**
 * EvalScope's percentile view: one row per percentile (10, 25, 50, 66, 75,
 * 80, 90, 95, 98, 99), one column per metric. Shown with `--percentiles`.
 *
 * @module
 */

import { metricsIn } from "../metrics/metric_table.ts";
import type { TaskSummary } from "../metrics/summarize.ts";
import { renderTable } from "./table.ts";

/** The percentiles EvalScope prints. */
export const EVALSCOPE_PERCENTILES = [10, 25, 50, 66, 75, 80, 90, 95, 98, 99] as const;

/** The metric table's `percentiles` view: key and column label. */
const COLUMNS: ReadonlyArray<{ key: string; label: string }> = metricsIn("percentiles").map((
  m,
) => ({
  key: m.key,
  label: m.views.percentiles!,
}));

/** Percentile values by metric key, then `p10`…`p99`; metrics without data are absent. */
export function percentileView(summary: TaskSummary): Record<string, Record<string, number>> {
  const samples = summary.samples;
  const out: Record<string, Record<string, number>> = {};
  for (const c of COLUMNS) {
    const sample = samples[c.key];
    if (!sample || sample.n === 0) continue;
    out[c.key] = Object.fromEntries(
      EVALSCOPE_PERCENTILES.map((p) => [`p${p}`, sample.percentile(p)]),
    );
  }
  return out;
}

/** Renders the percentile view as a console table. */
export function renderPercentileTable(view: Record<string, Record<string, number>>): string {
  const cols = COLUMNS.filter((c) => view[c.key]);
  return renderTable(
    ["Percentile", ...cols.map((c) => c.label)],
    EVALSCOPE_PERCENTILES.map((p) => [
      `${p}%`,
      ...cols.map((c) => {
        const v = view[c.key]![`p${p}`]!;
        return c.key.endsWith("tokens") ? String(Math.round(v * 100) / 100) : v.toFixed(2);
      }),
    ]),
  );
}
