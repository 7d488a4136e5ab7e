import {
  compareRuns,
  deltaOf,
  estimate,
  HEADLINE_METRICS,
  t975,
  verdictOf,
} from "../../src/compare/compare.ts";
import { readRunInputs, type RunInput } from "../../src/compare/inputs.ts";
import { parseFailOnRegression } from "../../src/compare/regression.ts";
import {
  renderCompareHtml,
  renderCompareMarkdown,
  renderCompareText,
} from "../../src/compare/render.ts";
import { COMMON_METRICS, metricsIn } from "../../src/metrics/metric_table.ts";
import type { TaskResultJson } from "../../src/report/result_json.ts";
import { assert, assertClose, assertEquals, assertRejects } from "../helpers.ts";

/** A result JSON with the given TTFT median and output throughput (other metrics absent). */
function result(ttftP50: number, outTps: number, index: number): TaskResultJson {
  return {
    task: {
      model: "m",
      model_abbr: "m",
      dataset: "synthetic",
      api: "openai-chat",
      stream: true,
      load: { kind: "concurrency", concurrency: 2, numRequests: 6 },
      output_name: `synthetic_r${index}`,
      repetition: { index, of: 3 },
      summarizer: "default_perf",
      stage: "total",
    },
    common: {
      failed_requests: 0,
      success_requests: 6,
      total_requests: 6,
      output_token_throughput_tps: outTps,
    },
    metrics: { ttft_ms: { mean: ttftP50, median: ttftP50, p99: ttftP50 + 1, n: 6 } },
  } as unknown as TaskResultJson;
}

function run(label: string, ttft: number[], tps: number[] = ttft.map(() => 100)): RunInput {
  const repetitions = ttft.map((t, i) => result(t, tps[i]!, i + 1));
  return {
    label,
    path: `/runs/${label}`,
    groups: [{
      key: "k",
      model: "m",
      dataset: "synthetic",
      load: "concurrency 2",
      repetitions,
    }],
  };
}

Deno.test("HEADLINE_METRICS are the metric table's summary metrics (mean, P50, P99) and its common metrics with a better side", () => {
  const expected = [
    ...metricsIn("summary").flatMap((m) => ["mean", "p50", "p99"].map((s) => `${m.name}.${s}`)),
    ...COMMON_METRICS.filter((c) => c.better !== "neither").map((c) =>
      "gate" in c ? c.gate : c.key
    ),
  ];
  assertEquals(HEADLINE_METRICS.map((m) => m.id), expected);
  assert(expected.includes("ttft.p99") && expected.includes("output_throughput"), "ttft, tok/s");
});

Deno.test("estimate() gives the mean and a t-based 95% half-width; deltaOf() a Welch band", () => {
  const a = estimate([50, 51, 52])!;
  assertEquals(a.mean, 51);
  assertEquals(a.variance, 1);
  assertClose(a.halfWidth!, 4.303 / Math.sqrt(3), 1e-9, "t(2) * s / sqrt(n)");
  assertEquals(estimate([undefined, 7])!.halfWidth, undefined);
  assertEquals(estimate([undefined]), undefined);
  const b = estimate([65, 66, 67])!;
  const d = deltaOf(a, b);
  assertEquals(d.abs, 15);
  assertClose(d.rel, (15 / 51) * 100, 1e-9, "relative");
  // Equal variances, n = 3 each: Welch's df is 4; the band is t(4) * sqrt(1/3 + 1/3).
  assertClose(d.band!, 2.776 * Math.sqrt(2 / 3), 1e-9, "band");
  assertEquals(verdictOf(d, "lower"), "worse");
  assertEquals(verdictOf(d, "higher"), "better");
  assertEquals(verdictOf(deltaOf(a, estimate([51.5, 52, 50])!), "lower"), "noise");
  // One repetition on both sides: no band, no verdict.
  const single = deltaOf(estimate([50])!, estimate([60])!);
  assertEquals([single.band, single.beyondNoise, verdictOf(single, "lower")], [
    undefined,
    false,
    "unknown",
  ]);
  // One side repeated: its variance stands for both.
  assertClose(deltaOf(estimate([50])!, b).band!, 4.303 * Math.sqrt(1 + 1 / 3), 1e-9, "one side");
  assertEquals([t975(1), t975(11), t975(1000)], [12.706, 2.228, 1.98]);
});

Deno.test("parseFailOnRegression() reads --fail-on names with relative and absolute changes", async () => {
  const gates = parseFailOnRegression("ttft.p99>+10%, output_throughput<-5%, e2el.mean>=20ms");
  assertEquals(
    gates.map((g) => [g.text, g.metric.id, g.op, g.amount, g.relative]),
    [
      ["ttft.p99>+10%", "ttft.p99", ">", 10, true],
      ["output_throughput<-5%", "output_throughput", "<", -5, true],
      ["e2el.mean>=20ms", "e2el.mean", ">=", 20, false],
    ],
  );
  assertEquals(parseFailOnRegression("e2el.p50>+2s")[0]!.amount, 2000);
  const error = await assertRejects(
    () => parseFailOnRegression("ttfx.p99>+10%,ttft.p99>fast,failed"),
    /unknown name "ttfx.p99"/,
  );
  assertEquals((error as unknown as { problems: string[] }).problems, [
    '--fail-on-regression: unknown name "ttfx.p99" in "ttfx.p99>+10%": expected <metric>.<stat> with metric one of ttft, ttfo, itl, tpot, e2el, input_tokens, output_tokens, output_token_throughput, prefill_token_throughput and stat mean, min, max, median or pNN',
    '--fail-on-regression: "ttft.p99>fast": expected a change such as +10% or +20ms (relative to the baseline, or absolute) after ">"',
    '--fail-on-regression: cannot parse "failed": expected <name><op><value>, e.g. ttft.p99>500ms',
  ]);
});

Deno.test("compareRuns() holds a regression only when the change passes the threshold and the noise band", () => {
  const gates = parseFailOnRegression("ttft.p50>+10%");
  const base = run("base", [50, 51, 52]);
  // +30%, far beyond the noise: a regression.
  const slow = compareRuns([base, run("slow", [65, 66, 67])], { regressions: gates });
  assertEquals(slow.regressions.map((r) => [r.run, r.holds]), [["slow", true]]);
  // +12% on average, but one repetition is way off: within the noise, no regression.
  const noisy = compareRuns([base, run("noisy", [51, 52, 68])], { regressions: gates });
  assertEquals(noisy.regressions.map((r) => r.holds), [false]);
  assert(!noisy.regressions[0]!.delta!.beyondNoise, "within noise");
  // Beyond the noise but under the threshold: no regression either.
  const bit = compareRuns([base, run("bit", [54, 54.2, 54.1])], { regressions: gates });
  assert(bit.regressions[0]!.delta!.beyondNoise && !bit.regressions[0]!.holds, "under threshold");
  // A decrease of throughput, named with <.
  const tps = compareRuns([
    run("a", [50, 50, 50], [100, 101, 99]),
    run("b", [50, 50, 50], [80, 81, 79]),
  ], {
    regressions: parseFailOnRegression("output_throughput<-5%"),
  });
  assertEquals(tps.regressions.map((r) => r.holds), [true]);
});

Deno.test("compareRuns() lists tasks that only one run has, and checks a condition the headline lacks", () => {
  const base = run("base", [50, 51, 52]);
  const other: RunInput = {
    ...run("other", [50, 51, 52]),
    groups: [{ ...run("x", [50]).groups[0]!, key: "k2", load: "concurrency 4" }],
  };
  const c = compareRuns([base, other], { regressions: parseFailOnRegression("ttft.p99>+10%") });
  assertEquals(c.tasks.length, 0);
  assertEquals(c.unmatched, [
    "m × synthetic — concurrency 2 (only in base)",
    "m × synthetic — concurrency 4 (only in other)",
  ]);
  const p90 = compareRuns([base, run("b", [60, 61, 62])], {
    regressions: parseFailOnRegression("itl.p90>+1%"),
  });
  assert(p90.tasks[0]!.rows.some((r) => r.metric.id === "itl.p90"), "the row is added");
  assertEquals(p90.regressions.length, 0, "a baseline without the metric is not checked");
});

Deno.test("renderCompareMarkdown() and renderCompareHtml() show values, deltas, noise and the regression", () => {
  const c = compareRuns([run("base", [50, 51, 52]), run("pr", [65, 66, 67])], {
    regressions: parseFailOnRegression("ttft.p50>+10%"),
  });
  const md = renderCompareMarkdown(c);
  assert(md.startsWith("## servebench compare\n"), md);
  assert(md.includes("Baseline: `base` · compared: `pr`"), md);
  assert(md.includes("**❌ 1 regression** beyond the noise band:"), md);
  assert(
    md.includes(
      '- pr: m × synthetic — concurrency 2: "ttft.p50>+10%" holds (+29.4% (+15.00 ms), noise ±2.27 ms)',
    ),
    md,
  );
  assert(md.includes("### m × synthetic — concurrency 2 (repetitions base: 3, pr: 3)"), md);
  assert(
    md.includes(
      "| TTFT P50 (ms) | 51 ± 2.48 | 66 ± 2.48 | +29.4% (+15.00 ms) | ±2.27 ms | 🔴 worse |",
    ),
    md,
  );
  assert(md.includes("| Failed Requests | 0 ± 0 | 0 ± 0 | +0.0% (+0) | ±0 | within noise |"), md);
  assert(md.includes("| TPOT mean (ms) | - | - | - | n/a | - |"), "absent metrics are dashes");
  const html = renderCompareHtml(c);
  assert(!/(https?:)?\/\/[a-z]/i.test(html), "no external URL");
  assert(!html.includes("<script"), "no script");
  assert(html.includes('<div class="verdict fail" id="regressions"><b>1 regression</b>'), html);
  const row = /<tr data-metric="ttft.p50">(.*?)<\/tr>/.exec(html)?.[1] ?? "";
  assertEquals(
    [...row.matchAll(/<td( class="(\w+)")?>([^<]*)<\/td>/g)].map((m) => [m[2] ?? "", m[3]]),
    [
      ["", "TTFT P50 (ms)"],
      ["", "51 ± 2.48"],
      ["", "66 ± 2.48"],
      ["worse", "+29.4% (+15.00 ms)"],
      ["worse", "±2.27 ms"],
      ["worse", "worse"],
    ],
  );
  const pass = renderCompareHtml(
    compareRuns([run("base", [50, 51, 52]), run("same", [51, 50, 52])], {
      regressions: parseFailOnRegression("ttft.p50>+10%"),
    }),
  );
  assert(pass.includes('<div class="verdict pass" id="regressions"><b>No regression</b>'), pass);
  const text = renderCompareText(c);
  assert(text.includes("TTFT P50 (ms)") && text.includes("worse"), text);
});

Deno.test("readRunInputs() reads a run folder, a result JSON and a summary.json's folder; compare matches their tasks", () => {
  const fixture = new URL("../fixtures/golden_run", import.meta.url).pathname;
  const [folder, json, summary] = readRunInputs([
    fixture,
    `${fixture}/performances/plain/c3.json`,
    `${fixture}/summary.json`,
  ]);
  assertEquals(
    folder!.groups.map((g) => [g.model, g.dataset, g.load, g.repetitions.length]),
    [["plain", "synthetic", "concurrency 3", 1], ["reasoner", "synthetic", "concurrency 2", 1]],
  );
  assertEquals(json!.groups.map((g) => g.key), [folder!.groups[0]!.key]);
  assertEquals(summary!.groups.length, 2);
  // Labels that repeat (the folder, and the summary.json's folder) become the paths given.
  assertEquals([folder!.label, json!.label, summary!.label], [
    fixture,
    "c3.json",
    `${fixture}/summary.json`,
  ]);
  const c = compareRuns([json!, folder!]);
  assertEquals(c.tasks.map((t) => [t.model, t.repetitions]), [["plain", [1, 1]]]);
  assertEquals(c.unmatched, ["reasoner × synthetic — concurrency 2 (only in " + fixture + ")"]);
  const ttft = c.tasks[0]!.rows.find((r) => r.metric.id === "ttft.p99")!;
  assertEquals(ttft.estimates[0]!.mean, 10.749094238281252);
  assertEquals(ttft.deltas[1], { abs: 0, rel: 0, beyondNoise: false });
  assert(renderCompareText(c).includes("no noise estimate"), "one repetition each");
});
