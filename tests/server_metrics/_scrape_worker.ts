/**
 * Test worker: serves `scrape` messages the way servebench's worker entry
 * does once it routes them (`stop` aborts the scraper).
 *
 * @module
 */

import { type ScrapeWorkerRequest, serveScrape } from "../../src/server_metrics/scrape.ts";

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ScrapeWorkerRequest | { kind: "stop" }>) => void) | null;
  postMessage: (m: unknown) => void;
};
const stop = new AbortController();
scope.onmessage = (e) => {
  if (e.data.kind === "stop") stop.abort();
  else if (e.data.kind === "scrape") {
    serveScrape(e.data, { signal: stop.signal, post: (m) => scope.postMessage(m) });
  }
};
