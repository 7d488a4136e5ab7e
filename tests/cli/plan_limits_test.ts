/**
 * Plans beyond reason are refused before any request (#15 item 13): an empty
 * --work-dir, a task of more than a million requests, more than 100,000 in
 * flight — each named with its numbers and how to override.
 */

import { parseFlags } from "../../src/cli/args.ts";
import { planFromFlags, RUN_FLAGS, SHAPE_FLAGS } from "../../src/cli/run.ts";
import { PLAN_LIMITS } from "../../src/config/resolve.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals, runCli } from "../helpers.ts";

const URL = "http://127.0.0.1:1";

/** Parses argv as `run` does and plans it; the UsageError's problems, or [] when it plans. */
function problems(argv: string[]): readonly string[] {
  try {
    const { values, extra } = parseFlags(argv, RUN_FLAGS, {
      command: "servebench run",
      extra: SHAPE_FLAGS,
    });
    planFromFlags(values, undefined, { extra });
    return [];
  } catch (error) {
    if (error instanceof UsageError) return error.problems;
    throw error;
  }
}

Deno.test("planFromFlags(): an empty --work-dir is a problem naming the flag", () => {
  assertEquals(problems(["--url", URL, "--work-dir", ""]), [
    "--work-dir: expected a folder, got an empty value (the default is outputs/default)",
  ]);
  assertEquals(problems(["--url", URL, "--work-dir", " "]).length, 1);
  assertEquals(problems(["--url", URL, "--work-dir", "out"]), []);
});

Deno.test("planFromFlags(): --concurrency 1e9 without --num-prompts is refused with the requests planned and how to override", () => {
  const p = problems(["--url", URL, "--concurrency", "1e9"]);
  assertEquals(p, [
    'Task "model/synthetic" (concurrency 1000000000) plans 4,000,000,000 requests (4 per stream in flight, as --num-prompts was not given), above the limit of 1,000,000 per task: set --num-prompts, or pass --allow-huge-plan to send it anyway',
    'Task "model/synthetic" (concurrency 1000000000) plans 1,000,000,000 requests in flight, above the limit of 100,000 streams: lower --concurrency, or pass --allow-huge-plan to send it anyway',
  ]);
  assertEquals(problems(["--url", URL, "--concurrency", "1e9", "--allow-huge-plan"]), []);
});

Deno.test("planFromFlags(): the request limit counts warm-up, a rate × --duration, and each task of a sweep", () => {
  const at = PLAN_LIMITS.requests;
  assertEquals(problems(["--url", URL, "--concurrency", "1", "--num-prompts", String(at)]), []);
  const warm = problems([
    "--url",
    URL,
    "--concurrency",
    "1",
    "--num-prompts",
    String(at),
    "--warmup",
    "1",
  ]);
  assertEquals(warm.length, 1);
  assert(
    warm[0]!.includes("plans 1,000,001 requests (--num-prompts, warm-up 1 included)"),
    warm[0],
  );
  assert(warm[0]!.includes("lower --num-prompts"), warm[0]);
  const timed = problems(["--url", URL, "--request-rate", "20000", "--duration", "60"]);
  assertEquals(timed.length, 1);
  assert(timed[0]!.includes("plans 1,200,000 requests (20000 req/s for 60 s)"), timed[0]);
  assert(timed[0]!.includes("lower --request-rate or --duration"), timed[0]);
  assertEquals(problems(["--url", URL, "--request-rate", "100", "--duration", "60"]), []);
  const sweep = problems(["--url", URL, "--concurrency", "8", "300000", "1000000"]);
  // c8 is within both limits; c300000 and c1000000 are beyond both.
  assertEquals(sweep.length, 4, sweep.join("\n"));
  assert(sweep[0]!.includes('"model/synthetic_c300000"'), sweep[0]);
  assert(sweep[0]!.includes("plans 1,200,000 requests"), sweep[0]);
  assert(sweep[1]!.includes("plans 300,000 requests in flight"), sweep[1]);
  assert(sweep.slice(2).every((p) => p.includes('"model/synthetic_c1000000"')), sweep.join("\n"));
});

Deno.test("planFromFlags(): more than 100,000 in flight is refused only when that many can be", () => {
  // A cap above the requests sent puts no more than the requests in flight.
  assertEquals(problems(["--url", URL, "--concurrency", "2000000", "--num-prompts", "10"]), []);
  const lanes = problems(["--url", URL, "--concurrency", "200000", "--duration", "10"]);
  assertEquals(lanes, [
    'Task "model/synthetic" (concurrency 200000) plans 200,000 requests in flight, above the limit of 100,000 streams: lower --concurrency, or pass --allow-huge-plan to send it anyway',
  ]);
});

Deno.test("servebench run and report: --work-dir '' and a huge plan exit 2 before anything is sent or written", async () => {
  const empty = await runCli(["run", "--work-dir", ""]);
  assertEquals(empty.code, 2, empty.stderr);
  assert(empty.stderr.includes("servebench: --work-dir: expected a folder"), empty.stderr);
  assert(!empty.stdout.includes("Started the built-in simulator"), empty.stdout);
  const huge = await runCli(["run", "--concurrency", "1e9"]);
  assertEquals(huge.code, 2, huge.stderr);
  assert(huge.stderr.includes("plans 4,000,000,000 requests"), huge.stderr);
  assert(huge.stderr.includes("--allow-huge-plan"), huge.stderr);
  assertEquals(huge.stdout, "");
  const report = await runCli(["report", "--reuse", "20260101_000000", "--work-dir", ""]);
  assertEquals(report.code, 2, report.stderr);
  assert(report.stderr.includes("servebench: --work-dir: expected a folder"), report.stderr);
});
