/**
 * A comparison as text: console tables, Markdown (the GitHub step summary)
 * and a self-contained HTML page (inline style, no script, no external URL).
 * All three show the same cells.
 *
 * @module
 */

import { formatValue, renderTable } from "../report/table.ts";
import type {
  ComparedRow,
  ComparedTask,
  Comparison,
  Delta,
  DeltaVerdict,
  Estimate,
  RegressionCheck,
} from "./compare.ts";
import { verdictOf } from "./compare.ts";

/** How the numbers were made, one sentence each (every output says it). */
export const METHOD_NOTE =
  "Each value is the mean over a run's repetitions (run --repeat N) ± the half-width of its t-based 95% confidence interval. " +
  "Δ is against the baseline (the first run); noise is the half-width of the 95% confidence interval of the difference (Welch), " +
  "and a Δ counts as a change only beyond it. With one repetition on both sides there is no noise estimate.";

const VERDICT_TEXT: Record<DeltaVerdict, string> = {
  worse: "worse",
  better: "better",
  changed: "changed",
  noise: "within noise",
  unknown: "no noise estimate",
};

function num(value: number): string {
  return Math.abs(value) >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(2);
}

/** A run's value of a metric: `52.10 ms ± 0.40`, or `-` where it has none. */
export function valueCell(e: Estimate | undefined, unit: string): string {
  if (!e) return "-";
  const text = formatValue(e.mean, unit);
  return e.halfWidth === undefined ? text : `${text} ± ${num(e.halfWidth)}`;
}

function signed(value: number, unit: string): string {
  return `${value >= 0 ? "+" : "−"}${formatValue(Math.abs(value), unit)}`;
}

/** A delta: `+25.3% (+13.20 ms)`; the absolute change alone from a baseline of 0. */
export function deltaCell(d: Delta | undefined, unit: string): string {
  if (!d) return "-";
  if (!Number.isFinite(d.rel)) return signed(d.abs, unit);
  const rel = `${d.rel >= 0 ? "+" : "−"}${Math.abs(d.rel).toFixed(1)}%`;
  return `${rel} (${signed(d.abs, unit)})`;
}

/** The noise band of a delta: `±1.20 ms`, or `n/a`. */
export function noiseCell(d: Delta | undefined, unit: string): string {
  if (!d || d.band === undefined) return "n/a";
  return `±${formatValue(d.band, unit)}`;
}

/** The header of a task's table. */
function header(c: Comparison): string[] {
  const [base, ...others] = c.runs;
  return [
    "Metric",
    `${base!.label} (baseline)`,
    ...others.flatMap((r) => [r.label, `Δ ${r.label}`, "noise", "verdict"]),
  ];
}

/** A row's cells, the verdict of each delta alongside. */
function cells(
  row: ComparedRow,
  runs: number,
): { text: string[]; verdicts: (DeltaVerdict | undefined)[] } {
  const { metric, estimates, deltas } = row;
  const unit = metric.unit;
  const label = unit ? `${metric.label} (${unit})` : metric.label;
  const text = [label, valueCell(estimates[0], "")];
  const verdicts: (DeltaVerdict | undefined)[] = [];
  for (let i = 1; i < runs; i++) {
    const d = deltas[i];
    const verdict = d ? verdictOf(d, metric.better) : undefined;
    verdicts.push(verdict);
    text.push(
      valueCell(estimates[i], ""),
      deltaCell(d, unit),
      noiseCell(d, unit),
      verdict ? VERDICT_TEXT[verdict] : "-",
    );
  }
  return { text, verdicts };
}

function taskTitle(t: ComparedTask, c: Comparison): string {
  const reps = t.repetitions.map((n, i) => `${c.runs[i]!.label}: ${n}`).join(", ");
  return `${t.model} × ${t.dataset} — ${t.load} (repetitions ${reps})`;
}

/** One line per regression condition that held, naming task, run and change. */
export function regressionLines(checks: readonly RegressionCheck[]): string[] {
  return checks.filter((r) => r.holds).map((r) => {
    const unit = r.gate.metric.unit;
    const change = r.delta
      ? `${deltaCell(r.delta, unit)}, noise ${noiseCell(r.delta, unit)}`
      : "no value in this run";
    return `--fail-on-regression: ${r.run}: ${r.task}: "${r.gate.text}" holds (${change})`;
  });
}

/** The comparison for the console: a table per matched task, then what did not match. */
export function renderCompareText(c: Comparison): string {
  const parts = [`Baseline: ${c.runs[0]!.label} (${c.runs[0]!.path})`];
  for (const t of c.tasks) {
    parts.push(
      `\n${taskTitle(t, c)}\n${
        renderTable(header(c), t.rows.map((r) => cells(r, c.runs.length).text))
      }`,
    );
  }
  if (!c.tasks.length) parts.push("\nNo task of the baseline is in another run.");
  for (const u of c.unmatched) parts.push(`not matched: ${u}`);
  parts.push(METHOD_NOTE);
  return parts.join("\n");
}

function mdCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

const MD_MARK: Record<DeltaVerdict, string> = {
  worse: "🔴 worse",
  better: "🟢 better",
  changed: "🟡 changed",
  noise: "within noise",
  unknown: "no noise estimate",
};

/** The comparison as Markdown (GitHub-flavoured tables), for `$GITHUB_STEP_SUMMARY` and `compare.md`. */
export function renderCompareMarkdown(c: Comparison): string {
  const out = ["## servebench compare", ""];
  const [base, ...others] = c.runs;
  out.push(
    `Baseline: \`${mdCell(base!.label)}\` · compared: ${
      others.map((r) => `\`${mdCell(r.label)}\``).join(", ")
    }`,
    "",
  );
  if (c.regressions.length) {
    const held = regressionLines(c.regressions);
    out.push(
      held.length
        ? `**❌ ${held.length} regression${held.length > 1 ? "s" : ""}** beyond the noise band:`
        : `**✅ No regression** beyond the noise band (${c.regressions.length} condition check${
          c.regressions.length > 1 ? "s" : ""
        }).`,
    );
    for (const line of held) out.push(`- ${mdCell(line.replace(/^--fail-on-regression: /, ""))}`);
    out.push("");
  }
  const head = header(c);
  for (const t of c.tasks) {
    out.push(`### ${mdCell(taskTitle(t, c))}`, "");
    out.push(`| ${head.map(mdCell).join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`);
    for (const row of t.rows) {
      const { text, verdicts } = cells(row, c.runs.length);
      // Each run's verdict column is the fourth of its four.
      verdicts.forEach((v, i) => {
        if (v) text[1 + i * 4 + 4] = MD_MARK[v];
      });
      out.push(`| ${text.map(mdCell).join(" | ")} |`);
    }
    out.push("");
  }
  if (!c.tasks.length) out.push("No task of the baseline is in another run.", "");
  for (const u of c.unmatched) out.push(`- not matched: ${mdCell(u)}`);
  if (c.unmatched.length) out.push("");
  out.push(`<sub>${METHOD_NOTE}</sub>`, "");
  return out.join("\n");
}

function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f6f8fa; }
td.worse { background: #ffebe9; color: #a40e26; font-weight: 600; }
td.better { background: #dafbe1; color: #116329; }
td.changed { background: #fff8c5; }
td.noise, td.unknown { color: #57606a; }
.verdict { padding: 8px 12px; border-radius: 6px; display: inline-block; }
.verdict.fail { background: #ffebe9; color: #a40e26; }
.verdict.pass { background: #dafbe1; color: #116329; }
.note { color: #57606a; max-width: 900px; }
`;

/** The comparison as a self-contained HTML page (`compare.html`). */
export function renderCompareHtml(c: Comparison): string {
  const [base, ...others] = c.runs;
  const body: string[] = [
    `<h1>servebench compare</h1>`,
    `<p>Baseline: <code>${esc(base!.label)}</code> (${esc(base!.path)}) · compared: ${
      others.map((r) => `<code>${esc(r.label)}</code>`).join(", ")
    }</p>`,
  ];
  if (c.regressions.length) {
    const held = regressionLines(c.regressions);
    body.push(
      held.length
        ? `<div class="verdict fail" id="regressions"><b>${held.length} regression${
          held.length > 1 ? "s" : ""
        }</b> beyond the noise band<ul>${
          held.map((l) => `<li>${esc(l.replace(/^--fail-on-regression: /, ""))}</li>`).join("")
        }</ul></div>`
        : `<div class="verdict pass" id="regressions"><b>No regression</b> beyond the noise band</div>`,
    );
  }
  const head = header(c);
  for (const t of c.tasks) {
    body.push(`<h2>${esc(taskTitle(t, c))}</h2>`);
    const rows = t.rows.map((row) => {
      const { text, verdicts } = cells(row, c.runs.length);
      const tds = text.map((cell, i) => {
        const run = i >= 2 ? Math.floor((i - 2) / 4) : -1;
        const v = run >= 0 ? verdicts[run] : undefined;
        const cls = v && (i - 2) % 4 !== 0 ? ` class="${v}"` : "";
        return `<td${cls}>${esc(cell)}</td>`;
      });
      return `<tr data-metric="${esc(row.metric.id)}">${tds.join("")}</tr>`;
    });
    body.push(
      `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${
        rows.join("")
      }</tbody></table>`,
    );
  }
  if (!c.tasks.length) body.push("<p>No task of the baseline is in another run.</p>");
  if (c.unmatched.length) {
    body.push(
      `<p>Not matched:</p><ul>${c.unmatched.map((u) => `<li>${esc(u)}</li>`).join("")}</ul>`,
    );
  }
  body.push(`<p class="note">${esc(METHOD_NOTE)}</p>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>servebench compare</title><style>${STYLE}</style></head>
<body>
${body.join("\n")}
</body></html>
`;
}
