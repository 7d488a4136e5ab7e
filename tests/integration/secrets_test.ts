/**
 * Secrets never reach disk, logs or reports (#15 item 12): credentials in the
 * URL (`user:pass@`, `?api-key=`), credential-looking headers (by name or by
 * value) and the API key are sent to the server, and redacted in every file of
 * the run and on the console.
 */

import { parseFlags } from "../../src/cli/args.ts";
import { planFromFlags, RUN_FLAGS } from "../../src/cli/run.ts";
import { UsageError } from "../../src/errors.ts";
import { redactHeaders, redactText, redactUrl, secretsOf } from "../../src/redact.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, runCli, runFlags, withTempDir } from "../helpers.ts";

/** Every file under `dir`, recursively: path and text. */
function filesUnder(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...filesUnder(path));
    else out.push([path, Deno.readTextFileSync(path)]);
  }
  return out;
}

/**
 * A front for the simulator that answers only requests carrying the expected
 * credentials, and records what it was sent.
 */
async function withFront(
  check: (req: Request, url: URL) => boolean,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator({ ttftMs: 2, itlMs: 1 });
  const front = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const u = new URL(req.url);
    if (!check(req, u)) return Response.json({ error: { message: "denied" } }, { status: 401 });
    return fetch(`${sim.url}${u.pathname}`, {
      method: req.method,
      headers: { "content-type": "application/json" },
      body: req.body,
    });
  });
  try {
    await fn(`127.0.0.1:${front.addr.port}`);
  } finally {
    await front.shutdown();
    await sim.shutdown();
  }
}

function assertNowhere(secrets: string[], places: Array<[string, string]>): void {
  for (const [where, text] of places) {
    for (const secret of secrets) {
      assert(!text.includes(secret), `"${secret}" written to ${where}`);
    }
  }
}

Deno.test("run: URL credentials, credential headers and the API key reach the server and no output file or console line", async () => {
  const user = "alice";
  const password = "PASSWORDSECRET1";
  const queryKey = "QUERYSECRET1";
  const secrets = [
    password,
    queryKey,
    "HEADERSECRET1",
    "VALUESECRET1",
    "COOKIESECRET1",
    "SIGSECRET1",
  ];
  const basic = `Basic ${btoa(`${user}:${password}`)}`;
  await withFront(
    (req, u) =>
      req.headers.get("authorization") === basic && u.searchParams.get("api-key") === queryKey &&
      req.headers.get("x-auth-token") === "HEADERSECRET1",
    async (host) => {
      await withTempDir(async (dir) => {
        const r = await runCli([
          "run",
          ...runFlags(`http://${user}:${password}@${host}/v1?api-key=${queryKey}`, {
            concurrency: 1,
            prompts: 2,
            maxTokens: 4,
            workDir: dir,
          }),
          "--header",
          "X-Auth-Token: HEADERSECRET1",
          "--header",
          "X-Trace: sk-VALUESECRET1",
          "--header",
          "Cookie: session=COOKIESECRET1",
          "--header",
          "X-Signature: SIGSECRET1",
          "--header",
          "X-Plain: visible-value",
        ]);
        assertEquals(r.code, 0, r.stderr);
        const files = filesUnder(dir);
        assert(files.some(([p]) => p.endsWith(".html")), "the HTML report is among them");
        assert(files.some(([p]) => p.endsWith(".log")), "the task log is among them");
        assert(files.some(([p]) => p.endsWith("_details.jsonl")), "the trace is among them");
        assertNowhere(secrets, [...files, ["stdout", r.stdout], ["stderr", r.stderr]]);
        const config = files.find(([p]) => p.includes("/configs/"))![1];
        assert(
          config.includes(`http://${host}/v1?api-key=<redacted>`),
          "the URL is kept, its key redacted",
        );
        assert(config.includes("visible-value"), "a plain header is kept");
        assertEquals((config.match(/<redacted>/g) ?? []).length, 6, config);
      });
    },
  );
});

Deno.test("run --api-key with ?key= in the URL: the key is sent as Bearer and written nowhere", async () => {
  const key = "sk-APIKEYSECRET2";
  const queryKey = "QUERYSECRET2";
  await withFront(
    (req, u) =>
      req.headers.get("authorization") === `Bearer ${key}` &&
      u.searchParams.get("key") === queryKey,
    async (host) => {
      await withTempDir(async (dir) => {
        const r = await runCli([
          "run",
          ...runFlags(`http://${host}/v1?key=${queryKey}`, {
            concurrency: 1,
            prompts: 2,
            maxTokens: 4,
            workDir: dir,
          }),
          "--api-key",
          key,
        ]);
        assertEquals(r.code, 0, r.stderr);
        assertNowhere([key, queryKey], [...filesUnder(dir), ["stdout", r.stdout], [
          "stderr",
          r.stderr,
        ]]);
      });
    },
  );
});

Deno.test("an explicit Authorization header with --api-key, or URL credentials with either, is exit 2", () => {
  const problems = (argv: string[]) => {
    try {
      planFromFlags(parseFlags(argv, RUN_FLAGS, { command: "servebench run" }).values);
    } catch (error) {
      if (error instanceof UsageError) return error.problems.join("\n");
      throw error;
    }
    return "";
  };
  assertEquals(
    problems([
      "--url",
      "http://127.0.0.1:1",
      "--model",
      "m",
      "--api-key",
      "k",
      "--header",
      "Authorization: Bearer other",
    ]),
    '--header: an explicit "Authorization" header and --api-key both authenticate; give one',
  );
  assertEquals(
    problems(["--url", "http://u:p@127.0.0.1:1", "--model", "m", "--api-key", "k"]),
    "--url: a user and password in the URL and --api-key both authenticate; give one",
  );
  assert(
    problems([
      "--url",
      "http://u:p@127.0.0.1:1",
      "--model",
      "m",
      "--header",
      "authorization: Bearer x",
    ]).includes("a user and password in the URL and an Authorization header both authenticate"),
  );
  assertEquals(problems(["--url", "http://127.0.0.1:1", "--model", "m", "--api-key", "k"]), "");
});

Deno.test("redactUrl() and redactHeaders() hide credentials by name and by value, nothing else", () => {
  assertEquals(
    redactUrl("https://u:p@h.example:8443/v1?api-version=1&api_key=s&Key=t&x=key#f"),
    "https://<redacted>@h.example:8443/v1?api-version=1&api_key=<redacted>&Key=<redacted>&x=key#f",
  );
  assertEquals(redactUrl("http://h/v1"), "http://h/v1");
  assertEquals(
    redactHeaders({
      Authorization: "Bearer a",
      "X-API-Key": "b",
      "X-Goog-Signature": "c",
      "X-Session-Token": "d",
      "X-Forwarded": "Bearer e",
      "X-Other": "sk-f",
      Accept: "text/event-stream",
    }),
    {
      Authorization: "<redacted>",
      "X-API-Key": "<redacted>",
      "X-Goog-Signature": "<redacted>",
      "X-Session-Token": "<redacted>",
      "X-Forwarded": "<redacted>",
      "X-Other": "<redacted>",
      Accept: "text/event-stream",
    },
  );
});

/** A port nothing listens on (bound, then let go). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("run --debug: an error's cause chain and a server's echo name no URL key, header value or API key", async () => {
  // fetch's own error quotes the URL it was given, key and all: the cause chain printed raw leaked it.
  await withTempDir(async (dir) => {
    const r = await runCli([
      "run",
      ...runFlags(`http://127.0.0.1:${closedPort()}/v1?key=QUERYSECRET3`, {
        concurrency: 1,
        prompts: 1,
        maxTokens: 4,
        workDir: dir,
      }),
      "--transport",
      "fetch",
      "--header",
      "X-Auth-Token: HEADERSECRET3",
      "--debug",
    ]);
    assertEquals(r.code, 1, r.stderr);
    assert(r.stderr.includes("Caused by:"), `the cause chain is printed: ${r.stderr}`);
    assert(r.stderr.includes("?key=<redacted>"), r.stderr);
    assertNowhere(["QUERYSECRET3", "HEADERSECRET3"], [["stdout", r.stdout], ["stderr", r.stderr]]);
  });
  // A server that echoes the credential it was sent in its error (as hosted APIs do, in part).
  const echo = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      Response.json({
        error: { message: `Incorrect API key provided: ${req.headers.get("authorization")}` },
      }, { status: 401 }),
  );
  try {
    /** A run against the echo with the key and --debug (and `extra`). */
    const echoRun = (dir: string, prompts: number, extra: string[] = []) =>
      runCli([
        "run",
        ...runFlags(`http://127.0.0.1:${echo.addr.port}/v1`, {
          concurrency: 1,
          prompts,
          maxTokens: 4,
          workDir: dir,
        }),
        "--api-key",
        "APIKEYSECRET3",
        "--debug",
        ...extra,
      ]);
    await withTempDir(async (dir) => {
      const r = await echoRun(dir, 1);
      assertEquals(r.code, 1, r.stderr);
      assert(r.stderr.includes("answered HTTP 401"), r.stderr);
      assertNowhere(["APIKEYSECRET3"], [["stdout", r.stdout], ["stderr", r.stderr]]);
    });
    // The same echo in every request's error: kept out of the trace, CSVs, page and console.
    await withTempDir(async (dir) => {
      const r = await echoRun(dir, 2, ["--model", "m", "--no-model-check"]);
      assertEquals(r.code, 4, r.stderr);
      assert(r.stdout.includes("Incorrect API key provided: <redacted>"), r.stdout);
      assertNowhere(["APIKEYSECRET3"], [...filesUnder(dir), ["stdout", r.stdout], [
        "stderr",
        r.stderr,
      ]]);
    });
  } finally {
    await echo.shutdown();
  }
});

Deno.test("redactText() hides URLs' credentials, credential words and the secrets given", () => {
  assertEquals(
    redactText("for url (http://h/v1?key=abc): Bearer tok.1234 and sk-abcdef and MYSECRET and ab", [
      "MYSECRET",
      "ab", // too short to replace
    ]),
    "for url (http://h/v1?key=<redacted>): <redacted> and <redacted> and <redacted> and ab",
  );
  assertEquals(redactText('"http://h/v1?key=<redacted>"'), '"http://h/v1?key=<redacted>"');
  assertEquals(
    redactText("Basic auth or a Bearer token required"),
    "Basic auth or a Bearer token required",
  );
  assertEquals(
    secretsOf(
      ["--api-key", "K1", "--api-key=K2", "--header", "X-Token: T1", "--header", "Accept: a/b"],
      { MY_API_KEY: "ENVSECRET", HOME: "/home/x", SOME_TOKEN: "short" },
    ),
    ["K1", "K2", "T1", "ENVSECRET"],
  );
  assertEquals(secretsOf(["--url", "http://u:p%40ss@h/"], {}), ["p@ss"]);
});
