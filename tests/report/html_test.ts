import { runCommand } from "../../src/cli/run.ts";
import { summarizeRecords } from "../../src/metrics/summarize.ts";
import { parseStats, Sample } from "../../src/metrics/stats.ts";
import { factsOf } from "../../src/record/record.ts";
import { escapeHtml, scriptJson } from "../../src/report/html.ts";
import { histogram, taskPage } from "../../src/report/plots.ts";
import { concurrencyRows, requestsView, timelineRows } from "../../src/report/timeline.ts";
import { resultJson } from "../../src/report/task_report.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { compile, type TopLevelSpec } from "vega-lite";
import { Browser, hasChromium } from "../browser.ts";
import {
  assert,
  assertEquals,
  quiet,
  runFlags,
  syntheticRecords,
  withTempDir,
} from "../helpers.ts";

// Screenshots for people (CI keeps them), never compared; as tests/report/pages_test.ts.
const ARTIFACTS = `${
  Deno.env.get("SCREENSHOT_DIR") ??
    new URL("../../test-artifacts/screenshots", import.meta.url).pathname
}/`;
// In CI a missing Chromium fails the browser tests; elsewhere they are skipped with a note.
const browserMissing = !hasChromium();
if (browserMissing && Deno.env.get("CI")) {
  throw new Error(
    "Chromium is missing (/usr/bin/chromium): install it with apt-get install -y chromium",
  );
}
if (browserMissing) console.warn("note: browser tests skipped: /usr/bin/chromium is not installed");

const XSS_MODEL = "</script><script>window.pwned=1</script>";
const XSS_ERROR = '<img src=x onerror="window.pwned=2">';

Deno.test("escapeHtml() and scriptJson() leave nothing that can close an element or start markup", () => {
  assertEquals(
    escapeHtml(`<a href="x">'&'</a>`),
    "&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;",
  );
  const json = scriptJson({ s: "</script><!-- \u2028" });
  assert(!json.includes("<") && !json.includes(">") && !json.includes("\u2028"), json);
  assertEquals(JSON.parse(json), { s: "</script><!-- \u2028" });
});

Deno.test("timelineRows() and concurrencyRows() aggregate above their limits, keeping exact extremes", () => {
  const records = syntheticRecords(12_000, { startMs: 1000, tokens: 4096 });
  const { rows, perBin } = timelineRows(records.map(factsOf), 1000);
  assertEquals(perBin, 6);
  assertEquals(rows.length, 2000);
  assertEquals(rows[0]!.i, 1);
  assertEquals(rows[0]!.i2, 6);
  const conc = concurrencyRows(records.map(factsOf), 1000);
  assert(conc.binned, "binned");
  // 100 requests start per 400 ms, each lasting 400 ms: 100 in flight at most (and at least 99 mid-run).
  const his = conc.rows.map((r) => ("hi" in r ? r.hi : 0));
  assertEquals(Math.max(...his), 100);
  const exact = concurrencyRows(
    syntheticRecords(10, { startMs: 1000, tokens: 4096 }).map(factsOf),
    1000,
  );
  assertEquals(exact.binned, false);
  assertEquals(Math.max(...exact.rows.map((r) => ("c" in r ? r.c : 0))), 10);
  assertEquals(histogram(new Sample([1, 2, 3, 4])).reduce((n, b) => n + b.count, 0), 4);
});

/** The charts a page carries (its `servebench-charts` element), as written. */
function chartsOf(html: string): Array<{ id: string; spec: TopLevelSpec }> {
  const m = html.match(/<script type="application\/json" id="servebench-charts">(.*?)<\/script>/s);
  assert(m, "the page has no charts element");
  return JSON.parse(m[1]!);
}

// The pages compile their specs as they open; this compiles them here, with the same Vega-Lite,
// so a spec Vega-Lite rejects or warns about fails without a browser too.
Deno.test("every chart of a task page and of the run page is a Vega-Lite spec that compiles without a warning", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1, faults: { script: { 3: "http_500" } } });
  try {
    await withTempDir(async (dir) => {
      const r = await runCommand(
        [
          ...["--url", sim.url, "--concurrency", "2", "4", "--num-prompts", "12"],
          ...["--max-tokens", "8", "--slo", "ttft:500ms,tpot:50ms", "--work-dir", dir],
        ],
        { print: quiet, env: () => undefined },
      );
      const pages = [...r!.tasks.map((t) => t.paths.plot), `${r!.runDir}/summary.html`];
      const ids: string[] = [];
      for (const page of pages) {
        for (const chart of chartsOf(Deno.readTextFileSync(page))) {
          const warnings: string[] = [];
          const note = (...m: unknown[]) => warnings.push(m.join(" "));
          const logger = {
            level: () => logger,
            warn: note,
            info: () => logger,
            debug: () => logger,
            error: note,
          };
          const vega = compile(chart.spec, { logger: logger as never }).spec;
          assertEquals(warnings, [], `${chart.id} in ${page}`);
          assert(Array.isArray(vega.marks) && vega.marks.length > 0, `${chart.id} has marks`);
          ids.push(chart.id);
        }
      }
      for (const id of ["timeline", "over-time", "rates", "hist-ttft", "knee-ttft", "ecdf"]) {
        assert(ids.includes(id), `${id} among ${ids.join(", ")}`);
      }
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("the requests view grows with its failure categories, so their legend (under the bars' one) ends inside it", () => {
  const rows =
    timelineRows(syntheticRecords(10, { startMs: 1000, tokens: 8 }).map(factsOf), 1000).rows;
  for (const n of [0, 1, 4, 11]) {
    const categories = Array.from({ length: n }, (_, k) => `cat${k}`);
    const view = requestsView(rows, undefined, { width: 720, categories });
    const marker = view.layer.at(-1)! as {
      encoding?: { fill?: { legend?: { legendY?: number } } };
    };
    const legendY = marker.encoding?.fill?.legend?.legendY ?? 0;
    assertEquals(legendY, n ? 76 : 0, "the failure legend's place");
    // A title row and ~16 px an entry below legendY.
    assert(legendY + 16 * (n + 1) <= view.height, `${n} categories: ${view.height} px`);
  }
});

Deno.test({
  name:
    "the task report and the summary render in Chromium offline, with marks, tooltips and no errors",
  ignore: browserMissing,
  async fn() {
    const sim = await startSimulator({
      ttftMs: 10,
      itlMs: 3,
      faults: { script: { 3: "http_500" } },
    });
    const browser = await Browser.launch();
    try {
      await withTempDir(async (dir) => {
        const r = await runCommand(
          [
            "--url",
            sim.url,
            "--concurrency",
            "2",
            "4",
            "--num-prompts",
            "12",
            "--max-tokens",
            "8",
            "--work-dir",
            dir,
          ],
          { print: quiet, env: () => undefined },
        );
        const page = r!.tasks[0]!.paths.plot;
        await browser.open(page);
        await browser.waitFor(
          `document.body.dataset.rendered === "true" || !!document.body.dataset.renderError`,
        );
        assertEquals(await browser.eval(`document.body.dataset.renderError ?? null`), null);
        const marks = await browser.eval<number>(
          `document.querySelectorAll("#timeline g.mark-rect path").length`,
        );
        assert(marks >= 12, `timeline bars: ${marks}`);
        const lines = await browser.eval<number>(
          `document.querySelectorAll("#timeline g.mark-line path").length`,
        );
        assert(lines >= 1, "the concurrency line is drawn");
        const box = await browser.eval<{ x: number; y: number }>(
          `(() => { const p = document.querySelector("#timeline g.mark-rect path"); p.scrollIntoView({ block: "center" }); const b = p.getBoundingClientRect(); return { x: b.x + b.width / 2, y: b.y + b.height / 2 }; })()`,
        );
        await browser.hover(box.x, box.y);
        await browser.waitFor(`!!document.querySelector("#vg-tooltip-element.visible")`, 5000);
        const tip = await browser.eval<string>(
          `document.querySelector("#vg-tooltip-element").textContent`,
        );
        assert(tip.includes("request") && tip.includes("TTFT (ms)") && tip.includes("status"), tip);
        Deno.mkdirSync(ARTIFACTS, { recursive: true });
        await browser.screenshot(`${ARTIFACTS}task_report.png`);

        await browser.open(`${r!.runDir}/summary.html`);
        await browser.waitFor(
          `document.body.dataset.rendered === "true" || !!document.body.dataset.renderError`,
        );
        assertEquals(await browser.eval(`document.body.dataset.renderError ?? null`), null);
        assert(
          await browser.eval<number>(
            `document.querySelectorAll("#cells g.mark-rect path").length`,
          ) > 0,
          "cell bars",
        );
        await browser.screenshot(`${ARTIFACTS}summary.png`);
        assertEquals(browser.consoleErrors, []);
        assert(
          browser.requests.every((u) => u.startsWith("file://")),
          `network requests: ${browser.requests}`,
        );
      });
    } finally {
      await browser.close();
      await sim.shutdown();
    }
  },
});

Deno.test({
  name: "a model name and a server error that carry markup show literally and execute nothing",
  ignore: browserMissing,
  async fn() {
    const sim = await startSimulator({
      ttftMs: 2,
      itlMs: 1,
      model: XSS_MODEL,
      faults: { script: { 1: "http_400" }, message: XSS_ERROR },
    });
    const browser = await Browser.launch();
    try {
      await withTempDir(async (dir) => {
        const r = await runCommand(
          [
            ...runFlags(sim.url, { concurrency: 1, prompts: 3, maxTokens: 4, workDir: dir }),
          ],
          { print: quiet, env: () => undefined },
        );
        const html = Deno.readTextFileSync(r!.tasks[0]!.paths.plot);
        assert(
          !html.includes(XSS_MODEL) && !html.includes(XSS_ERROR),
          "raw markup is not in the page",
        );
        await browser.open(r!.tasks[0]!.paths.plot);
        await browser.waitFor(
          `document.body.dataset.rendered === "true" || !!document.body.dataset.renderError`,
        );
        assertEquals(await browser.eval(`window.pwned ?? null`), null);
        const text = await browser.eval<string>(`document.querySelector(".meta").textContent`);
        assert(text.includes(XSS_MODEL), `the model name shows literally: ${text}`);
        // Hover the failed request's bar: its status shows the message as text.
        const box = await browser.eval<{ x: number; y: number }>(
          `(() => { const ps = [...document.querySelectorAll("#timeline g.mark-symbol path")].filter((p) => p.getAttribute("fill") === "#ff7f0e"); ps[0].scrollIntoView({ block: "center" }); const b = ps[0].getBoundingClientRect(); return { x: b.x + b.width / 2, y: b.y + b.height / 2 }; })()`,
        );
        await browser.hover(box.x, box.y);
        await browser.waitFor(`!!document.querySelector("#vg-tooltip-element.visible")`, 5000);
        const tip = await browser.eval<string>(
          `document.querySelector("#vg-tooltip-element").textContent`,
        );
        assert(tip.includes(XSS_ERROR), `the error shows literally: ${tip}`);
        assertEquals(await browser.eval(`window.pwned ?? null`), null);
        assertEquals(await browser.eval(`document.querySelectorAll("img").length`), 0);
      });
    } finally {
      await browser.close();
      await sim.shutdown();
    }
  },
});

Deno.test({
  name:
    "a 250,000-request trace renders a page under 5 MB that loads, with the aggregation note visible",
  ignore: browserMissing,
  async fn() {
    const records = syntheticRecords(250_000, { startMs: 1000, tokens: 4096 });
    const summary = summarizeRecords(records, {
      stats: parseStats(["Average", "P99"]),
      summarizer: "default_perf",
      maxConcurrency: 100,
    });
    const identity = {
      model: "big",
      model_abbr: "big",
      dataset: "synthetic",
      api: "openai-chat",
      stream: true,
      load: { kind: "concurrency", concurrency: 100, numRequests: 250_000 },
      output_name: "synthetic",
      max_concurrency: 100,
    };
    const json = resultJson(summary, {
      identity,
      settings: { stats: parseStats(["Average", "P99"]), summarizer: "default_perf" },
      anchorMs: 1000,
      generatedAt: new Date(),
    });
    const page = taskPage(identity, { facts: records.map(factsOf), anchorMs: 1000, summary, json });
    assert(page.length < 5 * 1024 * 1024, `page is ${(page.length / 1048576).toFixed(2)} MB`);
    const browser = await Browser.launch();
    try {
      await withTempDir(async (dir) => {
        await Deno.writeTextFile(`${dir}/big_plot.html`, page);
        await browser.open(`${dir}/big_plot.html`);
        await browser.waitFor(
          `document.body.dataset.rendered === "true" || !!document.body.dataset.renderError`,
          30_000,
        );
        assertEquals(await browser.eval(`document.body.dataset.renderError ?? null`), null);
        const note = await browser.eval<string>(
          `[...document.querySelectorAll(".note")].map((n) => n.textContent).join(" ")`,
        );
        assert(
          note.includes(
            "The timeline is aggregated: each bar is a bin of 125 consecutive requests (250000 in all)",
          ),
          note,
        );
        assert(note.includes("The concurrency curve is aggregated"), note);
        assert(
          await browser.eval<number>(
            `document.querySelectorAll("#timeline g.mark-rect path").length`,
          ) >= 1000,
          "bars",
        );
        assertEquals(browser.consoleErrors, []);
      });
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  name:
    "the task page draws the server's panels under the timeline in Chromium: one mark per scrape, the client's in-flight line, the latency table",
  ignore: browserMissing,
  async fn() {
    const sim = await startSimulator({ ttftMs: 20, itlMs: 5, maxBatch: 2 });
    const browser = await Browser.launch();
    try {
      await withTempDir(async (dir) => {
        const r = await runCommand(
          [
            "--url",
            sim.url,
            "--concurrency",
            "4",
            "--num-prompts",
            "16",
            "--max-tokens",
            "12",
            "--server-metrics-interval",
            "0.05",
            "--work-dir",
            dir,
          ],
          { print: quiet, env: () => undefined },
        );
        const paths = r!.tasks[0]!.paths;
        const scrapes = Deno.readTextFileSync(paths.serverMetrics).split("\n")
          .filter((l) => l.startsWith('{"t"') && l.includes('"v":')).length;
        assert(scrapes >= 3, `scrapes: ${scrapes}`);
        await browser.open(paths.plot);
        await browser.waitFor(
          `document.body.dataset.rendered === "true" || !!document.body.dataset.renderError`,
        );
        assertEquals(await browser.eval(`document.body.dataset.renderError ?? null`), null);
        // Per concatenated view of the timeline: its title, its points and its lines.
        const views = await browser.eval<
          Array<{ title: string; points: number; lines: number; x: string | null }>
        >(
          `[...document.querySelectorAll("#timeline g.mark-group.role-scope")].map((g) => ({
            title: g.querySelector("g.role-title text")?.textContent ?? "",
            points: g.querySelectorAll("g.mark-symbol.role-mark path").length,
            lines: g.querySelectorAll("g.mark-line.role-mark path").length,
            x: g.querySelector('g[aria-label^="X-axis"]')?.getAttribute("aria-label") ?? null,
          })).filter((v) => v.title)`,
        );
        const load = views.find((v) => v.title.startsWith("Server: requests running"));
        const kv = views.find((v) => v.title.startsWith("Server: KV-cache usage"));
        assert(load && kv, JSON.stringify(views));
        assertEquals(load.points, 2 * scrapes, "a running and a waiting mark per scrape");
        assertEquals(load.lines, 3, "client in flight, running, waiting");
        assertEquals(kv.points, scrapes, "a KV mark per scrape");
        const titles = views.map((v) => v.title);
        assert(
          titles.indexOf(load.title) > titles.findIndex((t) => t.startsWith("Requests")),
          `under the timeline: ${titles}`,
        );
        // One x scale for all: every view's x axis describes the same domain.
        const axes = new Set(views.map((v) => v.x));
        assertEquals(axes.size, 1, JSON.stringify(views.map((v) => v.x)));
        assert([...axes][0]?.includes("seconds since the task started"), String([...axes][0]));
        const table = await browser.eval<string[]>(
          `[...document.querySelectorAll("#server-latency tr td:first-child")].map((td) => td.textContent)`,
        );
        assert(
          table.includes("ttft_ms") && table.some((t) => t.startsWith("vllm:time_to_first_token")),
          JSON.stringify(table),
        );
        assert(
          await browser.eval<boolean>(
            `document.body.textContent.includes("Method: client statistics are exact")`,
          ),
          "the table states its method",
        );
        Deno.mkdirSync(ARTIFACTS, { recursive: true });
        await browser.screenshot(`${ARTIFACTS}task_report_server.png`);
        assertEquals(browser.consoleErrors, []);
      });
    } finally {
      await browser.close();
      await sim.shutdown();
    }
  },
});
