/**
 * The task page and the run summary in real Chromium (#20): the verdict
 * block's SLO results read from the DOM against the result JSON, the
 * over-time charts and the failure tables with their marks and rows, the run
 * summary's comparison views, and a 20,000-request page that zooms to exact
 * requests. One browser for the file. Screenshots go to $SCREENSHOT_DIR
 * (default test-artifacts/screenshots), for people, never compared.
 */
import { recomputeRun } from "../../src/cli/report.ts";
import { runCommand } from "../../src/cli/run.ts";
import { parseSlo } from "../../src/metrics/goodput.ts";
import { DEFAULT_STATS, parseStats } from "../../src/metrics/stats.ts";
import { summarizeRecords } from "../../src/metrics/summarize.ts";
import { resultJson, type TaskResultJson } from "../../src/report/result_json.ts";
import { summaryPage } from "../../src/report/summary_page.ts";
import { humanValue, metricLabel } from "../../src/report/verdict.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { Browser, hasChromium } from "../browser.ts";
import {
  assert,
  assertEquals,
  createTestTrace,
  quiet,
  runFlags,
  syntheticRecords,
  withTempDir,
} from "../helpers.ts";

const SHOTS = Deno.env.get("SCREENSHOT_DIR") ??
  new URL("../../test-artifacts/screenshots/", import.meta.url).pathname;
const browserMissing = !hasChromium();
if (browserMissing && Deno.env.get("CI")) {
  throw new Error(
    "Chromium is missing (/usr/bin/chromium): install it with apt-get install -y chromium",
  );
}

let shared: Browser | undefined;
/** The file's one browser, started by the first test that needs it and closed by the last. */
async function browser(): Promise<Browser> {
  shared ??= await Browser.launch();
  return shared;
}

async function openRendered(b: Browser, path: string, timeoutMs = 30_000): Promise<void> {
  await b.open(path);
  await b.waitFor(
    `document.body.dataset.rendered === "true" || !!document.body.dataset.renderError`,
    timeoutMs,
  );
  assertEquals(await b.eval(`document.body.dataset.renderError ?? null`), null, path);
}

async function shoot(b: Browser, name: string): Promise<void> {
  Deno.mkdirSync(SHOTS, { recursive: true });
  await b.screenshot(`${SHOTS}/${name}.png`);
}

/** Marks of one kind inside a chart's container (SVG: rules are lines, the rest paths). */
const marks = (b: Browser, chart: string, kind: string) =>
  b.eval<number>(
    `document.querySelectorAll("#${chart} g.mark-${kind}.role-mark ${
      kind === "rule" ? "line" : "path"
    }").length`,
  );

/** Legends that reach past their chart's container (cut off, or only seen by scrolling it). */
const legendsOutside = (b: Browser) =>
  b.eval<string[]>(
    `[...document.querySelectorAll(".chart .role-legend")].filter((l) =>
      l.getBoundingClientRect().right > l.closest(".chart").getBoundingClientRect().right + 1
    ).map((l) => l.closest(".chart").id + ": " + l.textContent)`,
  );

Deno.test({
  name:
    "with --slo the verdict block shows each target's measured P99 and pass/fail as the result JSON has them; over-time charts, failure tables and the summary's comparison render",
  ignore: browserMissing,
  async fn() {
    const sim = await startSimulator({
      ttftMs: 15,
      itlMs: 2,
      faults: { script: { 2: "http_500", 5: "http_500" } },
    });
    const b = await browser();
    try {
      await withTempDir(async (dir) => {
        // Two tasks (concurrency 1 and 3); TTFT cannot be met (the simulator waits 15 ms), E2EL always is.
        const flags = runFlags(sim.url, {
          concurrency: 1,
          prompts: 14,
          maxTokens: 8,
          workDir: dir,
        });
        flags.splice(flags.indexOf("--concurrency") + 2, 0, "3");
        const r = await runCommand(
          [...flags, "--slo", "ttft:1ms,e2el:60s"],
          { print: quiet, env: () => undefined },
        );
        const task = r!.tasks[0]!;
        const json = JSON.parse(Deno.readTextFileSync(task.paths.json)) as TaskResultJson;
        await openRendered(b, task.paths.plot);

        // The verdict is above the fold: its top is within the first screen.
        const top = await b.eval<number>(
          `document.getElementById("verdict").getBoundingClientRect().top`,
        );
        assert(top < 400, `verdict at ${top} px`);
        const targets = await b.eval<
          Array<{ metric: string; target: string; measured: string; pass: string }>
        >(
          `[...document.querySelectorAll("#verdict table.slo tr[data-metric]")].map((tr) => ({
            metric: tr.dataset.metric, target: tr.querySelector(".target").textContent,
            measured: tr.querySelector(".measured").textContent,
            pass: tr.querySelector(".badge").dataset.pass }))`,
        );
        assertEquals(targets.map((t) => t.metric), ["ttft_ms", "e2el_ms"]);
        assertEquals(targets.map((t) => t.pass), ["false", "true"]);
        assertEquals(targets.map((t) => t.target), ["≤ 1 ms", "≤ 60.00 s"]);
        const ttftP99 = json.metrics.ttft_ms!.p99!;
        assertEquals(targets[0]!.measured, `${ttftP99.toFixed(ttftP99 >= 100 ? 1 : 2)} ms`);
        assert(ttftP99 > 1, "the TTFT target is missed");
        const tiles = await b.eval<Record<string, string>>(
          `Object.fromEntries([...document.querySelectorAll("#verdict .tile")].map((t) => [t.dataset.tile, t.querySelector(".v").textContent]))`,
        );
        assertEquals(tiles["Goodput"], `${(json.goodput!.share * 100).toFixed(0)}%`);
        assertEquals(tiles["Result"], "FAIL");
        const failed = json.common.failed_requests;
        assert(failed >= 1, `failed: ${failed}`);
        assertEquals(
          tiles["Error rate"],
          `${(failed / json.common.total_requests * 100).toFixed(1)}%`,
        );
        const reason = await b.eval<string>(
          `document.querySelector("#verdict .reason").textContent`,
        );
        assert(reason.startsWith("Misses the SLO") && reason.includes("TTFT P99"), reason);
        assert(
          ["ok", "lagging"].includes(
            await b.eval<string>(`document.querySelector("#verdict .client").dataset.client`),
          ),
          "the client self-check state is shown",
        );

        // Failures: a banner, counts by category and by status + message.
        const banner = await b.eval<string>(`document.getElementById("error-banner").textContent`);
        assert(banner.includes(`(${failed} of ${json.common.total_requests}`), banner);
        const byMessage = await b.eval<string[][]>(
          `[...document.querySelectorAll("#failures-by-message tr")].slice(1).map((tr) => [...tr.cells].map((c) => c.textContent))`,
        );
        assertEquals(byMessage.length, json.error_messages!.length);
        assertEquals(byMessage[0]![0], "http_5xx");
        assertEquals(byMessage[0]![1], "500");
        assertEquals(byMessage.reduce((n, row) => n + Number(row[3]), 0), failed);
        const byCategory = await b.eval<string[][]>(
          `[...document.querySelectorAll("#failures-by-category tr")].slice(1).map((tr) => [...tr.cells].map((c) => c.textContent))`,
        );
        assertEquals(byCategory, [["http_5xx", String(failed), byCategory[0]![2]!]]);

        // On the timeline each failure has a marker coloured by its category (http_5xx: the first colour).
        const markers = await b.eval<string[]>(
          `[...document.querySelectorAll("#timeline g.mark-symbol.role-mark path")].map((p) => p.getAttribute("fill"))`,
        );
        assertEquals(markers.filter((f) => f === "#ff7f0e").length, failed, `${markers}`);
        // Over time: a point per successful request in each latency view, rolling lines, the SLO rule.
        const ok = json.common.success_requests;
        assertEquals(await marks(b, "over-time", "symbol"), 3 * ok, "TTFT, TPOT, E2EL points");
        assert(await marks(b, "over-time", "line") >= 6, "rolling P50 and P99 per view");
        assert(await marks(b, "over-time", "rule") >= 2, "the TTFT and E2EL targets");
        assert(await marks(b, "rates", "line") >= 3, "tok/s, req/s, errors/s");
        // Histograms: the TPOT one exists; P50, P99 and the target as rules; integer count axes.
        assert(await marks(b, "hist-tpot", "rect") > 0, "TPOT histogram");
        assertEquals(await marks(b, "hist-ttft", "rule"), 3, "P50, P99, SLO target");
        const ticks = await b.eval<string[]>(
          `[...document.querySelectorAll('#hist-ttft g[aria-label^="Y-axis"] text')].map((t) => t.textContent).filter((t) => /^[0-9.]+$/.test(t))`,
        );
        assert(ticks.length > 1 && ticks.every((t) => /^\d+$/.test(t)), `count ticks ${ticks}`);
        // The concurrency cap is drawn; the tables are collapsed below the charts.
        assert(await marks(b, "timeline", "rule") >= 1, "the cap line");
        assertEquals(await b.eval(`document.getElementById("tables").open`), false);
        const statNames = await b.eval<string[]>(
          `[...document.querySelectorAll("#metric-stats tr td:first-child")].map((td) => td.textContent)`,
        );
        assert(statNames.includes("TTFT (ms)") && !statNames.includes("ttft_ms"), `${statNames}`);
        // Every legend is in view, the failure categories' too (it once sat past the right edge).
        assertEquals(await legendsOutside(b), []);
        await shoot(b, "task_page_slo");
        // At 800 px the page fits: the wide charts are fitted to it, nothing scrolls sideways.
        await b.send("Emulation.setDeviceMetricsOverride", {
          width: 800,
          height: 1200,
          deviceScaleFactor: 1,
          mobile: false,
        });
        await openRendered(b, task.paths.plot);
        const wide = await b.eval<number>(`document.documentElement.scrollWidth`);
        assert(wide <= 800, `page width at 800 px: ${wide}`);
        assertEquals(await legendsOutside(b), [], "legends in view at 800 px");
        await shoot(b, "task_page_800px");
        await b.send("Emulation.clearDeviceMetricsOverride");

        // The run summary: the recommendation, a row per task with links that exist, comparison charts.
        await openRendered(b, `${r!.runDir}/summary.html`);
        const rec = await b.eval<string>(`document.getElementById("recommendation").textContent`);
        assert(rec.startsWith("Recommendation: no point met"), rec);
        const rows = await b.eval<Array<{ task: string; href: string; result: string }>>(
          `[...document.querySelectorAll("#run-verdict tr[data-task]")].map((tr) => ({ task: tr.dataset.task,
            href: tr.querySelector("a").getAttribute("href"), result: tr.querySelector(".badge").textContent }))`,
        );
        assertEquals(rows.length, 2);
        for (const row of rows) {
          assertEquals(row.result, "FAIL");
          assert(Deno.statSync(`${r!.runDir}/${row.href}`).isFile, row.href);
        }
        assertEquals(await marks(b, "knee-ttft", "symbol"), 2, "a point per task");
        assert(await marks(b, "knee-ttft", "rule") >= 1, "the TTFT target on the knee chart");
        assertEquals(await marks(b, "ecdf", "line"), 6, "TTFT, TPOT, E2EL per task");
        await shoot(b, "summary_slo");
        assertEquals(b.consoleErrors, []);
        assert(b.requests.every((u) => u.startsWith("file://")), `network: ${b.requests}`);
      });
    } finally {
      await sim.shutdown();
    }
  },
});

/** A trace of `n` synthetic requests (tests/helpers.ts), every 1000th failing; reported as a run. */
async function syntheticRun(dir: string, n: number): Promise<string> {
  const anchor = 1_795_000_000_000;
  Deno.mkdirSync(`${dir}/performances/m`, { recursive: true });
  const w = createTestTrace(`${dir}/performances/m/d_details.jsonl`, anchor, {
    maxConcurrency: 100,
    task: { kind: "concurrency" },
  });
  for (const record of syntheticRecords(n, { startMs: anchor + 500, tokens: 3 })) w.append(record);
  w.finish({
    self_check: {
      loop_lag_ms: { p50: 1, p99: 2, max: 3 },
      cpu_cores: 0.5,
      machine_cores: 2,
      load_workers: 0,
      samples: 9,
    },
  });
  w.close();
  // A trace written here keeps no run settings: the report goes to a suffixed set.
  await recomputeRun(dir, { print: quiet, suffix: "page" });
  return `${dir}/performances/m/d@page_plot.html`;
}

Deno.test({
  name:
    "a 20,000-request page draws bins with some failures as partly failed, and zooming re-bins to exact requests with y following; tooltips have no null fields",
  ignore: browserMissing,
  async fn() {
    const b = await browser();
    try {
      await withTempDir(async (dir) => {
        const page = await syntheticRun(dir, 20_000);
        await openRendered(b, page);
        const fills = await b.eval<Record<string, number>>(
          `[...document.querySelectorAll("#timeline g.mark-rect.role-mark path")].reduce((m, p) => { const f = p.getAttribute("fill"); m[f] = (m[f] || 0) + 1; return m; }, {})`,
        );
        // 2,000 bins of 10: 20 hold one failure each, none failed wholly.
        assertEquals(fills["#fdae6b"], 20, JSON.stringify(fills));
        assertEquals(fills["#ff7f0e"] ?? 0, 0, JSON.stringify(fills));
        // The per-request over-time points (20,000 each) are drawn on a canvas.
        assert(await b.eval<boolean>(`!!document.querySelector("#over-time canvas")`), "canvas");
        // Zoom in with the wheel over the requests' plot until few enough are in view.
        const at = await b.eval<{ x: number; y: number }>(
          `(() => { const g = document.querySelector("#timeline g.mark-rect.role-mark"); g.scrollIntoView({ block: "center" }); const r = g.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`,
        );
        for (let k = 0; k < 4; k++) {
          await b.send("Input.dispatchMouseEvent", {
            type: "mouseWheel",
            x: at.x,
            y: at.y,
            deltaX: 0,
            deltaY: -1000,
          });
        }
        // Settled: the latest redraw is exact, its data is what the view holds, and no wheel event
        // still in the queue changes it within half a second.
        const settled =
          `document.body.dataset.timelinePerBin === "1" && window.servebenchViews.timeline.data("requests").length === Number(document.body.dataset.timelineShown)`;
        let shown = -1;
        for (let k = 0; k < 30; k++) {
          await b.waitFor(settled, 15_000);
          const now = Number(await b.eval<string>(`document.body.dataset.timelineShown`));
          if (now === shown) break;
          shown = now;
          await new Promise((r) => setTimeout(r, 500));
        }
        assert(shown > 0 && shown <= 5000, `in view: ${shown}`);
        const data = await b.eval<Array<{ n: number; i: number; tip: Record<string, unknown> }>>(
          `window.servebenchViews.timeline.data("requests")`,
        );
        assertEquals(data.length, shown);
        assert(data.every((d) => d.n === 1 && !("to request" in d.tip)), "exact requests");
        assert(
          data.every((d) => Object.values(d.tip).every((v) => v !== null && v !== undefined)),
          "no null tooltip fields",
        );
        // y follows: the domain spans the requests in view, not all 20,000.
        const yTicks = await b.eval<number[]>(
          `[...document.querySelector('#timeline g[aria-label^="Y-axis"]').querySelectorAll("text")].map((t) => Number(t.textContent.replace(/,/g, ""))).filter((v) => Number.isFinite(v))`,
        );
        assert(yTicks.length > 1, `y ticks ${yTicks}`);
        assert(
          Math.max(...yTicks) - Math.min(...yTicks) <= shown,
          `y ticks ${yTicks} for ${shown}`,
        );
        const bars = await b.eval<number>(
          `document.querySelectorAll("#timeline g.mark-rect.role-mark path").length`,
        );
        assert(bars >= shown, `bars ${bars} for ${shown} requests`);
        // Hover a bar: its tooltip is one request's, with no null or undefined text. The bar is
        // found afresh on each attempt (the page may still be settling its scroll), and the pointer
        // moves off, next to and onto it, as a pointer does.
        let tip = "";
        let under = "";
        for (let attempt = 0; attempt < 4 && !tip; attempt++) {
          const box = await b.eval<{ x: number; y: number }>(
            `(() => { for (const p of document.querySelectorAll("#timeline g.mark-rect.role-mark path")) { const r = p.getBoundingClientRect(); const x = r.x + r.width / 2, y = r.y + r.height / 2; if (r.width > 2 && y > 0 && y < innerHeight && document.elementFromPoint(x, y) === p) return { x, y }; } return null; })()`,
          );
          assert(box, "a bar in view");
          await b.hover(1, 1);
          await b.hover(box.x - 1, box.y);
          await b.hover(box.x, box.y);
          await b.waitFor(`!!document.querySelector("#vg-tooltip-element.visible")`, 2000)
            .catch(() => {});
          tip = await b.eval<string>(
            `document.querySelector("#vg-tooltip-element.visible")?.textContent ?? ""`,
          );
          under = await b.eval<string>(
            `document.elementFromPoint(${box.x}, ${box.y})?.outerHTML.slice(0, 160) ?? "nothing"`,
          );
        }
        assert(
          tip.includes("request") && !tip.includes("to request"),
          `tooltip "${tip}" over ${under}`,
        );
        await shoot(b, "task_page_20k_zoomed");
        assert(!/null|undefined|NaN/.test(tip), tip);
        assertEquals(b.consoleErrors, []);
        assert(b.requests.every((u) => u.startsWith("file://")), `network: ${b.requests}`);
      });
    } finally {
      await shared?.close();
      shared = undefined;
    }
  },
});

Deno.test("humanValue() shows integers as integers, long durations in seconds, and a dash for nothing", () => {
  assertEquals(humanValue(12_000, ""), "12,000");
  assertEquals(humanValue(12_345.6, "ms"), "12.35 s");
  assertEquals(humanValue(9_999, "ms"), "9,999 ms");
  assertEquals(humanValue(17.294, "ms"), "17.29 ms");
  assertEquals(humanValue(242.61, "token/s"), "242.6 token/s");
  assertEquals(humanValue(undefined, "ms"), "–");
  assertEquals(metricLabel("ttft_ms"), "TTFT (ms)");
  assertEquals(metricLabel("output_tokens"), "OutputTokens");
});

/** A task's result JSON over synthetic requests, as model `model` at concurrency `c`. */
function syntheticJson(model: string, c: number, tokens: number): TaskResultJson {
  const identity = {
    model,
    model_abbr: model,
    dataset: "d",
    api: "openai-chat",
    stream: true,
    load: { kind: "concurrency", concurrency: c, numRequests: 50 },
    output_name: `d_c${c}`,
    max_concurrency: c,
  };
  const settings = { stats: parseStats(DEFAULT_STATS), summarizer: "default_perf" as const };
  const summary = summarizeRecords(syntheticRecords(50, { startMs: 1000, tokens }), {
    ...settings,
    maxConcurrency: c,
    slo: parseSlo("ttft:100ms"),
  });
  return resultJson(summary, { identity, settings, anchorMs: 1000, generatedAt: new Date(0) });
}

Deno.test("the run summary's grid gives each model's change against the first, green where better", () => {
  // Model b makes twice the output tokens in the same time: +100% output tok/s, the same TTFT.
  const tasks = [syntheticJson("a", 4, 10), syntheticJson("b", 4, 20)].map((json) => ({ json }));
  const html = summaryPage(tasks);
  const grid = /<table class="metrics" id="delta-grid">(.*?)<\/table>/s.exec(html)?.[1] ?? "";
  const row = (metric: string) =>
    new RegExp(`<td>${metric.replace(/[()/]/g, "\\$&")}</td>(.*?)</tr>`).exec(grid)?.[1] ?? "";
  assert(row("Output tok/s").includes(`<span class="ok">+100.0%</span>`), row("Output tok/s"));
  assert(row("TTFT P99 (ms)").includes(`<span class="">+0.0%</span>`), row("TTFT P99 (ms)"));
  assert(grid.includes("<th>a (base)</th><th>b</th>"), grid.slice(0, 300));
  // Each task's row links to its page and shows its SLO result.
  assert(html.includes(`href="performances/b/d_c4_plot.html"`), "link to b's page");
  // TTFT 50 ms meets its 100 ms target, but 1 of 50 requests failed: 98% good, under 99%.
  assertEquals(
    (html.match(/<td class="ok" title="target ≤ 100 ms">50 ms<\/td>/g) ?? []).length,
    2,
  );
  assertEquals((html.match(/data-pass="false">FAIL/g) ?? []).length, 2, "2 tasks fail");
  // One model: no grid.
  assert(!summaryPage([tasks[0]!]).includes("delta-grid"), "no grid with one model");
});
