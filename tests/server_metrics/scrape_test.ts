import { assert, assertClose, assertEquals, assertRejects, withTempDir } from "../helpers.ts";
import {
  readServerMetrics,
  type ScrapeEvent,
  type ServerMetricsEntry,
  shownUrl,
  startScraper,
  startScrapeWorker,
} from "../../src/server_metrics/scrape.ts";
import { renderVllmMetrics } from "../../src/sim/metrics_exposition.ts";
import { summarizeServerMetrics } from "../../src/server_metrics/summary.ts";

/** A loopback server answering `/metrics` with `respond(n)` for its n-th request (from 1). */
function metricsServer(respond: (n: number) => Response) {
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    if (new URL(req.url).pathname !== "/metrics") return new Response("no", { status: 404 });
    return respond(++n);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/metrics`,
    get requests() {
      return n;
    },
    stop: () => server.shutdown(),
  };
}

const text = (body: string) =>
  new Response(body, { headers: { "content-type": "text/plain; version=0.0.4" } });

async function readAll(path: string): Promise<ServerMetricsEntry[]> {
  const out: ServerMetricsEntry[] = [];
  for await (const e of readServerMetrics(path)) out.push(e);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

/** The n-th exposition: running = n, a TTFT observation of n · 10 ms per scrape. */
function vllmAt(n: number): Response {
  return text(renderVllmMetrics({
    model: "sim-model",
    running: n,
    waiting: 2 * n,
    kvUsage: n / 100,
    prefixQueries: 100 * n,
    prefixHits: 25 * n,
    ttftSeconds: Array.from({ length: n }, (_, i) => (i + 1) / 100),
  }));
}

Deno.test("startScraper() appends one stamped line per scrape of a changing exposition, and the reader streams them back", async () => {
  const server = metricsServer(vllmAt);
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/task_server_metrics.jsonl`;
      const events: ScrapeEvent[] = [];
      const before = now();
      const scraper = await startScraper(
        { url: server.url, file, intervalMs: 40 },
        { onEvent: (e) => events.push(e) },
      );
      assert(scraper.active);
      while (server.requests < 4) await sleep(10);
      const result = await scraper.stop();
      const after = now();
      assertEquals(events, []);
      assertEquals(result.scrapes, server.requests, "every answer is written, the final one too");

      const entries = await readAll(file);
      const header = entries[0]!;
      assert(header.kind === "header");
      assertEquals(header.header.url, server.url);
      assertEquals(header.header.interval_ms, 40);
      const scrapes = entries.filter((e) => e.kind === "scrape");
      assertEquals(scrapes.length, result.scrapes);
      const running = scrapes[0]!.series.find((s) => s.name === "vllm:num_requests_running")!;
      // The k-th scrape saw the server's k-th answer.
      assertEquals(scrapes.map((s) => s.values[running.id]), scrapes.map((_, i) => i + 1));
      for (let i = 0; i < scrapes.length; i++) {
        const t = scrapes[i]!.tMs;
        assert(t >= before && t <= after, "stamps are on the shared time axis");
        if (i > 0) assert(t > scrapes[i - 1]!.tMs, "stamps increase");
      }

      // The file feeds the summary: peak running is the last scrape's (all inside the window).
      const { server: block } = await summarizeServerMetrics(entries, {
        startMs: before,
        endMs: after,
      });
      assertEquals(block.family, "vllm");
      assertEquals(block.peak_running_requests, scrapes.length);
      // TTFT increments from the first scrape (1 observation) to the last (k observations):
      // the new ones are 0.02 … k/100 s, whose mean is (k + 2)/200 s.
      const k = scrapes.length;
      assertEquals(block.ttft_ms!.n, k - 1);
      assertClose(block.ttft_ms!.mean, 5 * (k + 2), 1e-6, "server TTFT mean (ms)");
    });
  } finally {
    await server.stop();
  }
});

Deno.test("startScraper() gives one info and stops when the server has no /metrics", async () => {
  const server = metricsServer(() => new Response("Not Found", { status: 404 }));
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/m.jsonl`;
      const events: ScrapeEvent[] = [];
      const scraper = await startScraper(
        { url: server.url, file, intervalMs: 20 },
        { onEvent: (e) => events.push(e) },
      );
      assert(!scraper.active);
      await sleep(100);
      const result = await scraper.stop();
      assertEquals(server.requests, 1, "no scrape after the first answer");
      assertEquals(events.length, 1);
      assertEquals(events[0]!.level, "info");
      assert(events[0]!.message.includes("HTTP 404"), events[0]!.message);
      assertEquals(result.scrapes, 0);
      assertEquals(result.unavailable, events[0]!.message);
      const notes = (await readAll(file)).filter((e) => e.kind === "note");
      assertEquals(notes.map((n) => n.kind === "note" && n.level), ["info"]);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("startScraper() gives one info and stops when the connection is refused", async () => {
  const server = metricsServer(vllmAt);
  const url = server.url;
  await server.stop();
  await withTempDir(async (dir) => {
    const events: ScrapeEvent[] = [];
    const scraper = await startScraper(
      { url, file: `${dir}/m.jsonl`, intervalMs: 20 },
      { onEvent: (e) => events.push(e) },
    );
    assert(!scraper.active);
    await sleep(60);
    await scraper.stop();
    assertEquals(events.map((e) => e.level), ["info"]);
    assert(events[0]!.message.includes("the request failed"), events[0]!.message);
  });
});

Deno.test("startScraper() warns once per malformed line, naming it, and goes on scraping", async () => {
  const server = metricsServer((n) =>
    text(`vllm:num_requests_running ${n}\nvllm:num_requests_waiting{a=1} 3\n`)
  );
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/m.jsonl`;
      const events: ScrapeEvent[] = [];
      const scraper = await startScraper(
        { url: server.url, file, intervalMs: 20 },
        { onEvent: (e) => events.push(e) },
      );
      while (server.requests < 3) await sleep(10);
      const result = await scraper.stop();
      assert(result.scrapes >= 3);
      assertEquals(events.length, 1, "the same bad line warns once");
      assertEquals(events[0]!.level, "warning");
      assert(events[0]!.message.includes("line 2"), events[0]!.message);
      assert(events[0]!.message.includes("vllm:num_requests_waiting{a=1} 3"), events[0]!.message);
      const scrapes = (await readAll(file)).filter((e) => e.kind === "scrape");
      assertEquals(scrapes.length, result.scrapes);
      assertEquals(scrapes[0]!.series.map((s) => s.name), ["vllm:num_requests_running"]);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("startScraper() records failures after a first success as warnings and keeps scraping", async () => {
  const server = metricsServer((n) =>
    n === 2 || n === 3 ? new Response("boom", { status: 500 }) : text(`up ${n}\n`)
  );
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/m.jsonl`;
      const events: ScrapeEvent[] = [];
      const scraper = await startScraper(
        { url: server.url, file, intervalMs: 20 },
        { onEvent: (e) => events.push(e) },
      );
      while (server.requests < 5) await sleep(10);
      const result = await scraper.stop();
      assertEquals(result.failures, 2);
      assert(scraper.active);
      assertEquals(events.map((e) => e.level), ["warning"]);
      const failed = (await readAll(file)).filter((e) => e.kind === "failed");
      assertEquals(failed.map((f) => f.kind === "failed" && f.message), [
        "it answered HTTP 500",
        "it answered HTTP 500",
      ]);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("startScrapeWorker() scrapes in its own worker and reports events to the caller", async () => {
  const server = metricsServer(vllmAt);
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/m.jsonl`;
      const spawn = () =>
        new Worker(new URL("./_scrape_worker.ts", import.meta.url), { type: "module" });
      const scraper = await startScrapeWorker({ url: server.url, file, intervalMs: 20 }, { spawn });
      assert(scraper.active);
      while (server.requests < 3) await sleep(10);
      const result = await scraper.stop();
      assert(result.scrapes >= 3);
      const scrapes = (await readAll(file)).filter((e) => e.kind === "scrape");
      assertEquals(scrapes.length, result.scrapes);

      const events: ScrapeEvent[] = [];
      const missing = await startScrapeWorker(
        { url: server.url.replace("/metrics", "/nothing"), file: `${dir}/n.jsonl` },
        { spawn, onEvent: (e) => events.push(e) },
      );
      assert(!missing.active);
      await missing.stop();
      assertEquals(events.map((e) => e.level), ["info"]);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("startScraper() refuses to overwrite a samples file", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/m.jsonl`;
    Deno.writeTextFileSync(file, "x\n");
    await assertRejects(
      () => startScraper({ url: "http://127.0.0.1:9/metrics", file }),
      /Cannot create the server metrics file ".*m\.jsonl": /,
    );
    assertEquals(Deno.readTextFileSync(file), "x\n");
  });
});

Deno.test("readServerMetrics() skips a line cut short by a kill with a warning, keeping the rest", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/m.jsonl`;
    Deno.writeTextFileSync(
      file,
      [
        '{"servebench_server_metrics":1,"url":"u","interval_ms":1000,"created":"c"}',
        '{"t":1,"rtt":0.5,"new":[["a",{},"gauge"],["b",{"x":"y"},"counter"]],"v":[1,"NaN"]}',
        '{"t":2,"rtt":0.5,"new":[["c",{},"gauge"]],"v":[2,null,"+Inf"]}',
        '{"t":3,"rtt":0.5,"v":[3,',
      ].join("\n"),
    );
    const entries = await readAll(file);
    const scrapes = entries.filter((e) => e.kind === "scrape");
    assertEquals(scrapes.length, 2);
    assertEquals(scrapes[1]!.series.map((s) => s.name), ["a", "b", "c"]);
    assertEquals(scrapes[1]!.values, [2, undefined, Infinity]);
    assert(Number.isNaN(scrapes[0]!.values[1]!));
    const notes = entries.filter((e) => e.kind === "note");
    assertEquals(notes.length, 1);
    assert(notes[0]!.kind === "note" && notes[0]!.message.includes("line 4"));
  });
});

Deno.test("shownUrl() drops user, password and query values", () => {
  assertEquals(
    shownUrl("http://user:secret@127.0.0.1:8000/metrics?token=abc"),
    "http://127.0.0.1:8000/metrics?…",
  );
  assertEquals(shownUrl("http://127.0.0.1:8000/metrics"), "http://127.0.0.1:8000/metrics");
});

Deno.test("startScrapeWorker() rejects, naming the file, when the samples file cannot be created", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/taken.jsonl`;
    Deno.writeTextFileSync(file, "");
    const spawn = () =>
      new Worker(new URL("./_scrape_worker.ts", import.meta.url), { type: "module" });
    await assertRejects(
      () => startScrapeWorker({ url: "http://127.0.0.1:9/metrics", file }, { spawn }),
      /Cannot scrape server metrics: Cannot create the server metrics file ".*taken\.jsonl"/,
    );
  });
});
