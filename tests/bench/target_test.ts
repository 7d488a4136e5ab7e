/**
 * URLs are parsed, never concatenated (#15 item 11): the endpoint and model
 * list of a base URL keep its query string, and an endpoint path of another
 * API than `--api` is refused, naming both.
 */

import { parseFlags } from "../../src/cli/args.ts";
import { planFromFlags, RUN_FLAGS, runCommand } from "../../src/cli/run.ts";
import { endpointUrl, modelsUrl } from "../../src/bench/target.ts";
import { UsageError } from "../../src/errors.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, runFlags, withTempDir } from "../helpers.ts";

Deno.test("endpointUrl() and modelsUrl() keep the query string where it was (?api-version=…)", () => {
  const chat = "/v1/chat/completions";
  assertEquals(
    endpointUrl("https://h.example/v1?api-version=2024-06-01", chat),
    "https://h.example/v1/chat/completions?api-version=2024-06-01",
  );
  assertEquals(
    endpointUrl("https://h.example/v1/chat/completions?api-version=2024-06-01", chat),
    "https://h.example/v1/chat/completions?api-version=2024-06-01",
  );
  assertEquals(
    endpointUrl("http://127.0.0.1:8000/proxy/?a=1&b=2", chat),
    "http://127.0.0.1:8000/proxy/v1/chat/completions?a=1&b=2",
  );
  assertEquals(
    endpointUrl("http://127.0.0.1:8000", chat),
    "http://127.0.0.1:8000/v1/chat/completions",
  );
  assertEquals(
    modelsUrl("https://h.example/v1/chat/completions?api-version=2024-06-01", "openai-chat"),
    "https://h.example/v1/models?api-version=2024-06-01",
  );
});

function problems(argv: string[]): string {
  try {
    const plan = planFromFlags(parseFlags(argv, RUN_FLAGS, { command: "servebench run" }).values);
    return `api ${plan.tasks[0]!.model.api}`;
  } catch (error) {
    if (error instanceof UsageError) return error.problems.join("\n");
    throw error;
  }
}

Deno.test("--url with another API's endpoint path: an error naming both with --api, that API without", () => {
  assertEquals(
    problems([
      "--url",
      "http://127.0.0.1:1/v1/completions",
      "--api",
      "openai-chat",
      "--model",
      "m",
    ]),
    '--url: "/v1/completions" is the endpoint of API "openai-completions", not of --api "openai-chat"; give the server\'s base URL, or --api openai-completions',
  );
  assertEquals(
    problems(["--url", "http://127.0.0.1:1/v1/completions?x=1", "--model", "m"]),
    "api openai-completions",
  );
  assertEquals(
    problems(["--url", "http://127.0.0.1:1/v1/chat/completions", "--api", "openai-chat"]),
    "api openai-chat",
  );
  assertEquals(
    problems(["--url", "http://127.0.0.1:1/v1", "--api", "openai-completions"]),
    "api openai-completions",
  );
});

Deno.test("run --url …/v1?api-version=…: requests go to the endpoint with the query string kept", async () => {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  // A front that answers only when the query string is on the request, as hosted endpoints do.
  const seen: string[] = [];
  const front = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const u = new URL(req.url);
    seen.push(`${req.method} ${u.pathname}${u.search}`);
    if (u.searchParams.get("api-version") !== "2024-06-01") {
      return Response.json({ error: { message: "missing api-version" } }, { status: 400 });
    }
    return fetch(`${sim.url}${u.pathname}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
  });
  try {
    await withTempDir(async (dir) => {
      const url = `http://127.0.0.1:${front.addr.port}/v1?api-version=2024-06-01`;
      const r = await runCommand(
        runFlags(url, { concurrency: 1, prompts: 2, maxTokens: 4, workDir: dir }),
        { print: () => {}, env: () => undefined },
      );
      assertEquals(r!.tasks[0]!.report.json!.common.success_requests, 2);
      assert(seen.includes("GET /v1/models?api-version=2024-06-01"), seen.join("\n"));
      assert(seen.includes("POST /v1/chat/completions?api-version=2024-06-01"), seen.join("\n"));
    });
  } finally {
    await front.shutdown();
    await sim.shutdown();
  }
});
