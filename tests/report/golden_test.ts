/**
 * A fixed run, recorded by servebench before the metric table and the reporter
 * registry existed (tests/fixtures/golden_run: two tasks' traces against the
 * simulator — one with reasoning before content, an HTTP 500 and a reset
 * mid-stream; one with two tokens per chunk — and the files that run wrote).
 * `report --reuse` must reproduce those files byte for byte (the result JSON
 * apart from `generated_at`), with the default summarizer and the stable one.
 */
import { recomputeRun } from "../../src/cli/report.ts";
import { parseSlo } from "../../src/metrics/goodput.ts";
import { DEFAULT_STATS, parseStats } from "../../src/metrics/stats.ts";
import type { ReportSettings } from "../../src/report/task_report.ts";
import { assertEquals, quiet, withTempDir } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/golden_run/", import.meta.url).pathname;
const STABLE = new URL("../fixtures/golden_stable/", import.meta.url).pathname;
const TASKS = ["reasoner/synthetic", "plain/c3"];
const OUTPUTS = [".json", ".csv", "_requests.csv"];
const FILES = [
  ...TASKS.flatMap((t) => OUTPUTS.map((s) => `performances/${t}${s}`)),
  "summary.json",
  "summary.csv",
];

function copyTraces(to: string): void {
  for (const t of TASKS) {
    Deno.mkdirSync(`${to}/performances/${t.split("/")[0]}`, { recursive: true });
    Deno.copyFileSync(
      `${FIXTURE}/performances/${t}_details.jsonl`,
      `${to}/performances/${t}_details.jsonl`,
    );
  }
}

/** The file's text; a result JSON's without `generated_at`, keys in their written order. */
function comparable(path: string, text: string): string {
  if (!path.endsWith(".json") || path.endsWith("summary.json")) return text;
  const json = JSON.parse(text);
  delete json.generated_at;
  return JSON.stringify(json, null, 2);
}

async function assertRecomputes(settings: ReportSettings, expectedDir: string): Promise<void> {
  await withTempDir(async (dir) => {
    copyTraces(dir);
    await recomputeRun(dir, settings, quiet);
    for (const f of FILES) {
      const expected = Deno.readTextFileSync(`${expectedDir}/${f}`);
      const actual = Deno.readTextFileSync(`${dir}/${f}`);
      assertEquals(comparable(f, actual), comparable(f, expected), f);
    }
  });
}

Deno.test("report --reuse of the golden run reproduces the files the run wrote", async () => {
  await assertRecomputes({
    stats: parseStats(DEFAULT_STATS),
    summarizer: "default_perf",
    slo: parseSlo("ttft:20ms,tpot:5ms"),
    percentiles: true,
  }, FIXTURE);
});

Deno.test("report --reuse of the golden run with stable_stage reproduces the recorded stable report", async () => {
  await assertRecomputes({
    stats: parseStats([...DEFAULT_STATS, "P99.9"]),
    summarizer: "stable_stage",
    tokenCount: "server",
  }, STABLE);
});
