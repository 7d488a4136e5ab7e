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
import { assert, assertEquals, quiet, withTempDir } from "../helpers.ts";
import { fileExists } from "../../src/fs.ts";

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

/** `performances/plain/c3.json` as the suffixed file beside it: `performances/plain/c3@s.json`. */
function suffixedFile(file: string, suffix: string): string {
  return file.replace(/^(.*?)(_requests\.csv|\.json|\.csv)$/, `$1@${suffix}$2`);
}

async function assertRecomputes(settings: ReportSettings, expectedDir: string): Promise<void> {
  await withTempDir(async (dir) => {
    copyTraces(dir);
    // Traces of a build that kept no settings in them: the report is a suffixed set.
    const { suffix } = await recomputeRun(dir, { settings, print: quiet });
    assertEquals(typeof suffix, "string");
    for (const f of FILES) {
      const expected = Deno.readTextFileSync(`${expectedDir}/${f}`);
      const actual = Deno.readTextFileSync(`${dir}/${suffixedFile(f, suffix!)}`);
      assertEquals(comparable(f, actual), comparable(f, expected), f);
      assert(!fileExists(`${dir}/${f}`), `nothing written as the original ${f}`);
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
