import { DOMParser, type Element } from "@xmldom/xmldom";
import { parseFailOn } from "../../src/metrics/gates.ts";
import { junitXml } from "../../src/report/reporters/junit.ts";
import { memorySink } from "../../src/report/reporter.ts";
import { chooseReporters, reportRun } from "../../src/bench/run_benchmark.ts";
import { summarizeRecords } from "../../src/metrics/summarize.ts";
import { checkGates } from "../../src/metrics/gates.ts";
import { parseStats } from "../../src/metrics/stats.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { RequestRecord } from "../../src/record/record.ts";
import type { TaskOutcomeView } from "../../src/report/reporter.ts";
import { assert, assertEquals, runCli, runFlags, withTempDir } from "../helpers.ts";

/** Parses XML strictly: any well-formedness problem throws. */
function parseXml(text: string) {
  return new DOMParser({
    onError: (level: string, message: string) => {
      if (level !== "warning") throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(text, "text/xml");
}

const children = (e: Element, tag: string) =>
  Array.from(e.childNodes).filter((n): n is Element => n.nodeType === 1 && n.nodeName === tag);

function record(index: number, startMs: number, ttftMs: number, endMs: number): RequestRecord {
  return {
    index,
    scheduledMs: startMs,
    startMs,
    endMs,
    chunkMs: [startMs + ttftMs, endMs - 1],
    stream: true,
    attempts: 1,
    usage: { promptTokens: 4, completionTokens: 2 },
  };
}

const identity = (abbr: string, name: string) => ({
  model: "m",
  model_abbr: abbr,
  dataset: "d",
  api: "openai-chat",
  stream: true,
  load: {},
  output_name: name,
  max_concurrency: 1,
});

Deno.test("junitXml() writes a case per gate and task, failures with observed and threshold, escaped", () => {
  const gates = parseFailOn("ttft.p99>100ms,failed>0,goodput>1");
  const summary = summarizeRecords([record(0, 0, 150, 200), record(1, 200, 50, 300)], {
    stats: parseStats(["Average"]),
    summarizer: "default_perf",
    maxConcurrency: 1,
  });
  const tasks: TaskOutcomeView[] = [
    { identity: identity(`a<b>&"c'\u0001`, "t1"), checks: checkGates(gates, summary) },
    { identity: identity("m", "t2"), checks: [], error: "No stable stage: <none>" },
  ];
  const doc = parseXml(junitXml(tasks, gates));
  const root = doc.documentElement!;
  assertEquals(root.nodeName, "testsuites");
  assertEquals(
    ["tests", "failures", "errors"].map((a) => root.getAttribute(a)),
    ["6", "2", "3"],
  );
  const [s1, s2] = children(root, "testsuite");
  assertEquals(s1!.getAttribute("name"), `a<b>&"c'\uFFFD/t1`);
  const cases = children(s1!, "testcase");
  assertEquals(cases.map((c) => c.getAttribute("name")), [
    "ttft.p99>100ms",
    "failed>0",
    "goodput>1",
  ]);
  // TTFT 150 and 50 ms: p99 = 149 ms holds; nothing failed; goodput has no data (no --slo), so it holds.
  const failure = children(cases[0]!, "failure")[0]!;
  assertEquals(
    failure.getAttribute("message"),
    '"ttft.p99>100ms" holds: observed 149, threshold > 100',
  );
  assertEquals(children(cases[1]!, "failure").length, 0);
  assertEquals(
    children(cases[1]!, "system-out")[0]!.textContent,
    "observed 0, threshold > 0",
  );
  assertEquals(
    children(cases[2]!, "failure")[0]!.textContent,
    '"goodput>1" holds: no data, threshold > 1',
  );
  const errors = children(s2!, "testcase").map((c) => children(c, "error")[0]!);
  assertEquals(errors.length, 3);
  assertEquals(errors[0]!.getAttribute("message"), "No summary: No stable stage: <none>");
});

Deno.test("chooseReporters() runs the JUnit reporter only when settings.outputs asks for it", () => {
  const base = { stats: parseStats(["Average"]), summarizer: "default_perf" as const };
  assert(!chooseReporters(base).run.some((r) => r.key === "junit"), "not asked for");
  const settings = { ...base, outputs: { junit: "/x/gates.xml" }, failOn: parseFailOn("failed>0") };
  const chosen = chooseReporters(settings);
  assert(chosen.run.some((r) => r.key === "junit"), "asked for");
  const sink = memorySink();
  const written = reportRun(
    { runDir: "/run", settings, tasks: [] },
    { reporters: chosen.run, sink },
  );
  assertEquals(written.junit, "/x/gates.xml");
  assertEquals(
    [...sink.files.keys()].sort(),
    ["/run/summary.csv", "/run/summary.html", "/run/summary.json", "/x/gates.xml"],
  );
  parseXml(sink.files.get("/x/gates.xml")!);
});

Deno.test("run --fail-on --junit writes valid JUnit XML of the gates; report --reuse --junit rewrites it", async () => {
  const sim = await startSimulator({ ttftMs: 40, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      const junit = `${dir}/gates.xml`;
      const args = [
        "run",
        ...runFlags(sim.url, { concurrency: 2, prompts: 4, maxTokens: 4, workDir: `${dir}/out` }),
        "--fail-on",
        "ttft.min<1ms,failed>0",
        "--junit",
        junit,
      ];
      const r = await runCli(args);
      assertEquals(r.code, 0, r.stderr);
      const root = parseXml(Deno.readTextFileSync(junit)).documentElement!;
      assertEquals(root.getAttribute("tests"), "2");
      assertEquals(root.getAttribute("failures"), "0");
      const cases = children(children(root, "testsuite")[0]!, "testcase");
      assertEquals(cases.map((c) => c.getAttribute("name")), ["ttft.min<1ms", "failed>0"]);
      assertEquals(children(cases[0]!, "failure").length, 0);
      assertEquals(children(cases[1]!, "failure").length, 0);
      const runDir = `${dir}/out/${[...Deno.readDirSync(`${dir}/out`)][0]!.name}`;
      const again = await runCli([
        "report",
        "--reuse",
        runDir,
        "--fail-on",
        "ttft.min>1ms",
        "--junit",
        junit,
      ]);
      assertEquals(again.code, 3, again.stderr);
      const re = parseXml(Deno.readTextFileSync(junit)).documentElement!;
      const failure = children(children(children(re, "testsuite")[0]!, "testcase")[0]!, "failure");
      assert(
        /^"ttft\.min>1ms" holds: observed \d+(\.\d+)?, threshold > 1$/.test(
          failure[0]!.getAttribute("message")!,
        ),
        failure[0]!.getAttribute("message") ?? "",
      );
    });
    const sent = sim.stats().requests;
    const bad = await runCli(["run", "--url", sim.url, "--junit", "/no/such/folder/x.xml"]);
    assertEquals(bad.code, 2, bad.stderr);
    assert(bad.stderr.includes('--junit: cannot write "/no/such/folder/x.xml"'), bad.stderr);
    assertEquals(sim.stats().requests, sent, "nothing was sent");
  } finally {
    await sim.shutdown();
  }
});
