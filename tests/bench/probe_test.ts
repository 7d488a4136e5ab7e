import { pageUrl, probeApi, serverRoot } from "../../src/bench/probe.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { type SimServerKind, startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals, assertRejects } from "../helpers.ts";

const transport = createTransport("fetch");
const headers = {};

Deno.test("probeApi() picks each simulated server's native streaming API", async () => {
  const cases: Array<[SimServerKind, string]> = [
    ["tgi", "tgi-generate-stream"],
    ["llamacpp", "llamacpp-completion"],
    ["sglang", "sglang-generate"],
    ["vllm", "openai-chat"],
  ];
  for (const [server, api] of cases) {
    const sim = await startSimulator({ server, model: "m1" });
    try {
      const result = await probeApi(sim.url, { transport, headers });
      assertEquals(result.api, api, server);
      assertEquals(result.model, "m1", `${server}: model named`);
      assert(result.found.some((f) => f.startsWith("OpenAI-compatible")), "/v1/models found too");
    } finally {
      await sim.shutdown();
    }
  }
});

Deno.test("probeApi() settles a shared route among its candidates", async () => {
  for (const [server, api] of [["tgi", "tgi-generate"], ["sglang", "sglang-generate"]] as const) {
    const sim = await startSimulator({ server });
    try {
      const among = ["tgi-generate", "sglang-generate"] as const;
      assertEquals((await probeApi(sim.url, { transport, headers, among: [...among] })).api, api);
    } finally {
      await sim.shutdown();
    }
  }
});

Deno.test("probeApi() fails with one error listing every page tried", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("nope", { status: 404 }),
  );
  try {
    const root = `http://127.0.0.1:${server.addr.port}`;
    const error = await assertRejects(() => probeApi(root, { transport, headers }), /No known API/);
    for (const path of ["/info", "/props", "/get_model_info", "/v1/models"]) {
      assert(error.message.includes(`GET ${root}${path}`), `lists ${path}: ${error.message}`);
    }
    assert(error.message.includes("HTTP 404"));
  } finally {
    await server.shutdown();
  }
});

Deno.test("serverRoot() strips /v1… and a known route", () => {
  assertEquals(serverRoot("http://h:1/v1/chat/completions", []), "http://h:1");
  assertEquals(
    serverRoot("http://h:1/p/generate_stream", ["/generate", "/generate_stream"]),
    "http://h:1/p",
  );
  assertEquals(serverRoot("http://h:1/", []), "http://h:1");
  assertEquals(serverRoot("http://h:1/v1/models?api-version=1", []), "http://h:1?api-version=1");
});

Deno.test("probeApi() keeps the endpoint's query string on every page it asks", async () => {
  const asked: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    asked.push(url.pathname + url.search);
    if (url.pathname !== "/v1/models" || url.searchParams.get("api-version") !== "2024-06-01") {
      return new Response("nope", { status: 404 });
    }
    return Response.json({ object: "list", data: [{ id: "m1", object: "model" }] });
  });
  try {
    const endpoint =
      `http://127.0.0.1:${server.addr.port}/v1/chat/completions?api-version=2024-06-01`;
    const root = serverRoot(endpoint, ["/v1/chat/completions"]);
    const result = await probeApi(root, { transport, headers });
    assertEquals(result.api, "openai-chat");
    assertEquals(result.model, "m1");
    assert(asked.length >= 2, asked.join(", "));
    for (const a of asked) assert(a.endsWith("?api-version=2024-06-01"), `query kept: ${a}`);
    assert(asked.includes("/info?api-version=2024-06-01"), asked.join(", "));
  } finally {
    await server.shutdown();
  }
});

Deno.test("probeApi() redacts a credential in the query string of its error", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("nope", { status: 404 }),
  );
  try {
    const root = `http://127.0.0.1:${server.addr.port}?key=s3cr3t-value`;
    const error = await assertRejects(() => probeApi(root, { transport, headers }), /No known API/);
    assert(!error.message.includes("s3cr3t-value"), error.message);
    assert(error.message.includes("/info?key=<redacted>"), error.message);
  } finally {
    await server.shutdown();
  }
});

Deno.test("pageUrl() of serverRoot() puts a page before the query string, any API's route stripped", () => {
  assertEquals(
    pageUrl(serverRoot("http://h:1/v1/chat/completions?api-version=1"), "/metrics"),
    "http://h:1/metrics?api-version=1",
  );
  assertEquals(
    pageUrl(serverRoot("http://h:1/p/generate_stream"), "/metrics"),
    "http://h:1/p/metrics",
  );
});
