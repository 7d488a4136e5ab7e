import { runCommand } from "../../src/cli/run.ts";
import { FAULT_KINDS, startSimulator } from "../../src/sim/server.ts";
import { readTraceRecords } from "../../src/record/trace.ts";
import { TRANSPORTS } from "../../src/protocol/transport.ts";
import { assert, assertEquals, runCli, runFlags, withTempDir } from "../helpers.ts";

for (const transport of TRANSPORTS) {
  Deno.test(`every fault kind in one benchmark (${transport} transport): each a row with its category, totals add up, the run completes`, async () => {
    // Requests 0..19 get one fault each; the rest (4) are clean.
    const script = Object.fromEntries(FAULT_KINDS.map((k, i) => [i, k]));
    const sim = await startSimulator({ ttftMs: 5, itlMs: 2, faults: { script } });
    try {
      await withTempDir(async (dir) => {
        const out: string[] = [];
        const r = await runCommand(
          [
            ...runFlags(sim.url, { concurrency: 1, prompts: FAULT_KINDS.length + 4, maxTokens: 6 }),
            "--timeout",
            "1",
            "--work-dir",
            dir,
            "--transport",
            transport,
          ],
          { print: (t) => out.push(t), env: () => undefined },
        );
        const task = r!.tasks[0]!;
        const json = task.report.json!;
        assertEquals(json.errors, {
          stream_error: 3, // reset mid-stream, error event, error: field line
          http_4xx: 4, // 400, 401, 404, 429
          http_5xx: 3, // 500, 503, proxy's 502 HTML page
          truncated: 1, // EOF before any finish reason
          bad_event: 1, // invalid JSON
          timeout: 2, // headers never come, stall mid-stream
          not_streamed: 1, // a JSON body to a streaming request
          empty_stream: 1, // [DONE] with no output
        });
        const n = FAULT_KINDS.length + 4;
        assertEquals(json.common.total_requests, n);
        assertEquals(sim.stats().requests, n, "no request reached the server twice");
        assertEquals(json.common.success_requests + json.common.failed_requests, n);
        // huge event, empty choices, split UTF-8, EOF right after the finish (no [DONE]), 4 clean
        assertEquals(json.common.success_requests, 8);
        const records = await readTraceRecords(task.paths.trace);
        const byIndex = new Map(records.map((x) => [x.index, x]));
        const reset = byIndex.get(FAULT_KINDS.indexOf("reset"))!;
        assertEquals(reset.chunkMs.length, 2, "a mid-stream failure keeps its partial timings");
        const rows = Deno.readTextFileSync(task.paths.requestsCsv).split("\n");
        assert(
          rows[FAULT_KINDS.indexOf("reset") + 1]!.includes(",failed_partial,stream_error,"),
          "partial rows are marked",
        );
        assert(
          rows[FAULT_KINDS.indexOf("http_429") + 1]!.includes(
            ",failed,http_4xx,simulated: too many requests,429,",
          ),
          "status and message",
        );
        const text = out.join("\n");
        assert(
          /│ Failure +│ Requests │/.test(text) && /│ timeout +│ 2 +│/.test(text),
          "the console shows the error breakdown",
        );
        assertEquals(
          byIndex.get(FAULT_KINDS.indexOf("split_utf8"))!.error,
          undefined,
        );
      });
    } finally {
      await sim.shutdown();
    }
  });
}

Deno.test("bad input stops early with one line naming the culprit, exit 2, nothing sent", async () => {
  const sim = await startSimulator();
  try {
    await withTempDir(async (dir) => {
      Deno.mkdirSync(`${dir}/datasets`);
      Deno.writeTextFileSync(`${dir}/datasets/bad.jsonl`, '{"prompt": "ok"}\n{"prompt": "cut\n');
      Deno.writeTextFileSync(
        `${dir}/datasets/lines.yaml`,
        "type: jsonl\npath: missing.jsonl\nrequest_count: 3\n",
      );
      const cases: Array<[string[], RegExp]> = [
        [
          ["--url", sim.url, "--dataset-path", `${dir}/datasets/bad.jsonl`, "--num-prompts", "2"],
          /bad\.jsonl": line 2 is not valid JSON$/,
        ],
        [
          ["--url", sim.url, "--dataset", "lines", "--config-dir", dir],
          /Cannot read dataset "missing\.jsonl": no such file$/,
        ],
        [
          ["--url", "http://:8000"],
          /--url: expected an http:\/\/ or https:\/\/ URL with a host, got "http:\/\/:8000"/,
        ],
        [
          ["--url", "ftp://x:1"],
          /--url: expected an http:\/\/ or https:\/\/ URL with a host, got "ftp:\/\/x:1"/,
        ],
        [
          ["--url", sim.url, "--ramp", "linear", "--request-rate", "3"],
          /--ramp: needs --ramp-from and --ramp-to/,
        ],
        [["--url", sim.url, "--pressure"], /--pressure: needs --pressure-time/],
        [
          ["--url", sim.url, "--parallel", "2", "--concurrency", "3"],
          /--parallel: give either --parallel or --concurrency, not both/,
        ],
        [
          ["--url", sim.url, "--ca-cert", `${dir}/nope.pem`],
          /--ca-cert: cannot read ".*nope\.pem"/,
        ],
      ];
      for (const [args, pattern] of cases) {
        const r = await runCli([...args, "--work-dir", `${dir}/out`]);
        assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        const lines = r.stderr.trim().split("\n");
        assertEquals(lines.length, 1, `${args.join(" ")}:\n${r.stderr}`);
        assert(pattern.test(lines[0]!), `${args.join(" ")}: ${lines[0]}`);
        assert(!r.stderr.includes("    at "), "no stack trace");
      }
      assertEquals(sim.stats().requests, 0, "nothing sent");
    });
  } finally {
    await sim.shutdown();
  }
});

Deno.test("a model abbr like ../../etc/x cannot write outside the run folder, and the mapping is printed", async () => {
  const sim = await startSimulator({ ttftMs: 1, itlMs: 1 });
  try {
    await withTempDir(async (dir) => {
      Deno.mkdirSync(`${dir}/cfg/models`, { recursive: true });
      Deno.writeTextFileSync(
        `${dir}/cfg/models/evil.yaml`,
        `abbr: ../../etc/x\nurl: ${sim.url}\nmax_out_len: 2\n`,
      );
      Deno.mkdirSync(`${dir}/work`);
      const r = await runCli([
        "--models",
        "evil",
        "--config-dir",
        `${dir}/cfg`,
        "--num-prompts",
        "2",
        "--work-dir",
        `${dir}/work/out`,
      ]);
      assertEquals(r.code, 0, r.stderr);
      assert(
        r.stdout.includes('note: model abbr "../../etc/x" is written as "__.._etc_x"'),
        r.stdout,
      );
      const entries = [...Deno.readDirSync(`${dir}/work`)].map((e) => e.name);
      assertEquals(entries, ["out"], "nothing written beside the work folder");
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["cfg", "work"]);
      const run = [...Deno.readDirSync(`${dir}/work/out`)][0]!.name;
      Deno.statSync(`${dir}/work/out/${run}/performances/__.._etc_x/synthetic.json`);
    });
  } finally {
    await sim.shutdown();
  }
});
