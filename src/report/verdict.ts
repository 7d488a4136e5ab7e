/**
 * The verdict the pages open with: per SLO target its measured P99 and
 * pass/fail, goodput, error rate, a recommendation with its reason, and the
 * client's self-check; and the failures explained (by category, by HTTP
 * status and server message). Values are shown with the metric table's
 * labels and units, integers as integers, long durations in seconds.
 *
 * @module
 */

import { LOOP_LAG_WARN_MS } from "../bench/self_check.ts";
import { REQUEST_METRICS } from "../metrics/metric_table.ts";
import type { Distribution } from "../metrics/stats.ts";
import { escapeHtml } from "./html.ts";
import type { TaskResultJson } from "./result_json.ts";
import { type Recommendation, SLO_SHARE } from "./summary.ts";

/** A metric's human name with its unit: `TTFT (ms)`; the key itself when the table has no row. */
export function metricLabel(key: string): string {
  const m = REQUEST_METRICS.find((r) => r.key === key);
  if (!m) return key;
  return m.unit ? `${m.label} (${m.unit})` : m.label;
}

/** A value for people: integers as integers, ms from 10 s up in seconds, else 1–2 decimals. */
export function humanValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (unit === "ms" && Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(2)} s`;
  const text = Number.isInteger(value)
    ? value.toLocaleString("en-US")
    : value.toFixed(Math.abs(value) >= 100 ? 1 : 2);
  return unit ? `${text} ${unit}` : text;
}

/** One SLO target as measured. */
export interface TargetResult {
  key: string;
  label: string;
  targetMs: number;
  /** The measured P99 (absent when no request had the metric). */
  p99Ms?: number;
  /** Share of the requests with the metric that were within the target (when the sample is at hand). */
  within?: number;
  pass: boolean;
}

/** A task's verdict. */
export interface TaskVerdict {
  targets: TargetResult[];
  /** Share of requests that met every target (with an SLO). */
  goodput?: number;
  /** Failed / total counted requests. */
  errorRate: number;
  /** Met the SLO (goodput ≥ SLO_SHARE); undefined without an SLO. */
  pass?: boolean;
  reason: string;
  client: { state: "ok" | "lagging" | "unknown"; text: string };
}

/** How a task did against its SLO; `samples` (the summary's) give exact P99s and shares. */
export function taskVerdict(
  json: TaskResultJson,
  samples?: Readonly<Record<string, Distribution>>,
): TaskVerdict {
  const targets: TargetResult[] = Object.entries(json.goodput?.slo ?? {}).map(([key, max]) => {
    const sample = samples?.[key];
    const p99 = sample && sample.n ? sample.percentile(99) : json.metrics[key]?.p99;
    const t: TargetResult = {
      key,
      label: metricLabel(key),
      targetMs: max,
      pass: p99 === undefined || p99 <= max,
    };
    if (p99 !== undefined) t.p99Ms = p99;
    if (sample && sample.n) {
      let ok = 0;
      sample.forEach((v, n) => {
        if (v <= max) ok += n;
      });
      t.within = ok / sample.n;
    }
    return t;
  });
  const c = json.common;
  const errorRate = c.total_requests ? c.failed_requests / c.total_requests : 0;
  const verdict: TaskVerdict = {
    targets,
    errorRate,
    reason: "",
    client: clientState(json),
  };
  const errors = errorRate > 0
    ? `; ${c.failed_requests} of ${c.total_requests} requests failed (${pct(errorRate)})`
    : "";
  if (json.goodput) {
    verdict.goodput = json.goodput.share;
    verdict.pass = json.goodput.share >= SLO_SHARE;
    const missed = targets.filter((t) => !t.pass).map((t) =>
      `${t.label.replace(/ \(.*/, "")} P99 ${humanValue(t.p99Ms, "ms")} > ${
        humanValue(t.targetMs, "ms")
      }`
    );
    verdict.reason = verdict.pass
      ? `Meets the SLO: ${pct(json.goodput.share)} of requests met every target (${
        pct(SLO_SHARE)
      } needed)${errors}.`
      : `Misses the SLO: ${pct(json.goodput.share)} of requests met every target, ${
        pct(SLO_SHARE)
      } needed${missed.length ? ` (${missed.join(", ")})` : ""}${errors}.`;
  } else {
    verdict.reason = `No SLO given: give --slo (e.g. ttft:500ms,tpot:50ms) for pass/fail${errors}.`;
  }
  return verdict;
}

function clientState(json: TaskResultJson): TaskVerdict["client"] {
  const check = json.client;
  if (!check) return { state: "unknown", text: "client self-check: not recorded" };
  const lag = `event-loop lag P99 ${check.loop_lag_ms.p99.toFixed(1)} ms, ${
    check.cpu_cores.toFixed(2)
  } of ${check.machine_cores} cores busy`;
  return check.loop_lag_ms.p99 > LOOP_LAG_WARN_MS
    ? { state: "lagging", text: `client fell behind (${lag}): timings may be late` }
    : { state: "ok", text: `client kept up (${lag})` };
}

const pct = (share: number) => `${(share * 100).toFixed(share >= 0.9995 || share === 0 ? 0 : 1)}%`;

const badge = (pass: boolean | undefined) =>
  pass === undefined
    ? `<span class="badge none">no SLO</span>`
    : pass
    ? `<span class="badge pass" data-pass="true">PASS</span>`
    : `<span class="badge fail" data-pass="false">FAIL</span>`;

/** The verdict block of a task page. */
export function taskVerdictHtml(v: TaskVerdict, json: TaskResultJson): string {
  const rows = v.targets.map((t) =>
    `<tr data-metric="${escapeHtml(t.key)}"><td>${escapeHtml(t.label)}</td><td class="target">≤ ${
      escapeHtml(humanValue(t.targetMs, "ms"))
    }</td><td class="measured">${escapeHtml(humanValue(t.p99Ms, "ms"))}</td><td>${
      t.within === undefined ? "–" : pct(t.within)
    }</td><td>${badge(t.pass)}</td></tr>`
  ).join("");
  const slo = v.targets.length
    ? `<table class="metrics slo"><tr><th>SLO target</th><th>target</th><th>measured P99</th><th>requests within</th><th>result</th></tr>${rows}</table>`
    : "";
  const c = json.common;
  const tiles = [
    ["Result", badge(v.pass)],
    ["Goodput", v.goodput === undefined ? "–" : escapeHtml(pct(v.goodput))],
    ["Error rate", escapeHtml(pct(v.errorRate))],
    ["Output tok/s", escapeHtml(humanValue(c.output_token_throughput_tps, ""))],
    ["Requests/s", escapeHtml(humanValue(c.request_throughput_rps, ""))],
    [
      "Requests",
      `${c.success_requests.toLocaleString("en-US")} ok / ${
        c.total_requests.toLocaleString("en-US")
      }`,
    ],
  ].map(([k, val]) =>
    `<div class="tile" data-tile="${
      escapeHtml(k!)
    }"><div class="k">${k}</div><div class="v">${val}</div></div>`
  ).join("");
  return `<section id="verdict" class="verdict ${
    v.pass === false ? "failing" : v.pass ? "passing" : ""
  }"><div class="tiles">${tiles}</div><p class="reason">${escapeHtml(v.reason)}</p>${slo}
<p class="client ${v.client.state}" data-client="${v.client.state}">${
    escapeHtml(v.client.text)
  }</p></section>`;
}

/** The error-rate banner: present whenever a request failed. */
export function errorBanner(json: TaskResultJson): string {
  const c = json.common;
  if (!c.failed_requests) return "";
  const top = Object.entries(json.errors).sort((a, b) => b[1]! - a[1]!).map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return `<div class="note warn" id="error-banner"><b>${
    pct(c.failed_requests / c.total_requests)
  } of requests failed</b> (${c.failed_requests} of ${c.total_requests}: ${
    escapeHtml(top)
  }). See <a href="#failures">Failures</a>.</div>`;
}

/** Failures by category, and by category, HTTP status and server message. */
export function failuresHtml(json: TaskResultJson): string {
  const cats = Object.entries(json.errors);
  if (!cats.length) return "";
  const total = json.common.total_requests || 1;
  const byCat = cats.sort((a, b) => b[1]! - a[1]!).map(([k, n]) =>
    `<tr><td>${escapeHtml(k)}</td><td>${n}</td><td>${pct(n! / total)}</td></tr>`
  ).join("");
  const byMsg = (json.error_messages ?? []).map((m) =>
    `<tr><td>${escapeHtml(m.category)}</td><td>${m.status ?? "–"}</td><td class="msg">${
      escapeHtml(m.message)
    }</td><td>${m.count}</td></tr>`
  ).join("");
  return `<h2 id="failures">Failures</h2><div class="row">
<table class="metrics" id="failures-by-category"><tr><th>Category</th><th>Requests</th><th>Share</th></tr>${byCat}</table>
${
    byMsg
      ? `<table class="metrics" id="failures-by-message"><tr><th>Category</th><th>HTTP status</th><th>Server message</th><th>Requests</th></tr>${byMsg}</table>`
      : ""
  }</div>`;
}

/** The run's verdict: the recommendation, and per task its SLO results, goodput, errors, warnings and page. */
export function runVerdictHtml(
  tasks: readonly TaskResultJson[],
  rec: Recommendation | undefined,
  pageOf: (t: TaskResultJson) => string,
): string {
  const keys = [...new Set(tasks.flatMap((t) => Object.keys(t.goodput?.slo ?? {})))];
  const head = `<tr><th>Task</th><th>Load</th>${
    keys.map((k) => `<th>${escapeHtml(metricLabel(k).replace(" (ms)", ""))} P99</th>`).join("")
  }<th>Goodput</th><th>Result</th><th>Errors</th><th>Warnings</th><th>Client</th><th>Out tok/s</th></tr>`;
  const body = tasks.map((t) => {
    const v = taskVerdict(t);
    const cells = keys.map((k) => {
      const target = v.targets.find((x) => x.key === k);
      return target
        ? `<td class="${target.pass ? "ok" : "bad"}" title="target ≤ ${
          escapeHtml(humanValue(target.targetMs, "ms"))
        }">${escapeHtml(humanValue(target.p99Ms, "ms"))}</td>`
        : "<td>–</td>";
    }).join("");
    const name = `${t.task.model_abbr}/${t.task.output_name}`;
    return `<tr data-task="${escapeHtml(name)}"><td><a href="${escapeHtml(pageOf(t))}">${
      escapeHtml(name)
    }</a></td><td>${escapeHtml(loadLabel(t))}</td>${cells}<td>${
      v.goodput === undefined ? "–" : pct(v.goodput)
    }</td><td>${badge(v.pass)}</td><td class="${v.errorRate > 0 ? "bad" : ""}">${
      pct(v.errorRate)
    }</td><td class="${t.warnings?.length ? "bad" : ""}" title="${
      escapeHtml((t.warnings ?? []).join("\n"))
    }">${t.warnings?.length ?? 0}</td><td class="${
      v.client.state === "lagging" ? "bad" : ""
    }">${v.client.state}</td><td>${
      escapeHtml(humanValue(t.common.output_token_throughput_tps, ""))
    }</td></tr>`;
  }).join("");
  const recText = rec ? `<p class="reason" id="recommendation">${escapeHtml(rec.text)}</p>` : "";
  return `<section id="verdict" class="verdict">${recText}<table class="metrics" id="run-verdict">${head}${body}</table></section>`;
}

/** A task's load as a short label: `c=4`, `8 req/s`. */
export function loadLabel(t: TaskResultJson): string {
  const l = t.task.load;
  return String(
    l.kind === "concurrency"
      ? `c=${l.concurrency}`
      : l.kind === "rate"
      ? `${l.rate ?? "inf"} req/s`
      : l.kind ?? "–",
  );
}
