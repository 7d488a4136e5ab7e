/**
 * Scrapes a server's Prometheus `/metrics` at a fixed interval during a task
 * and appends every scrape to a samples file next to the trace, one JSON line
 * per scrape written with one direct write as it comes (a killed run keeps
 * every scrape but the one being written), so `report --reuse` can redraw
 * the server panels.
 *
 * Off the measured path: {@link startScrapeWorker} runs the scraper in its
 * own Web Worker, so the fetch, the parse and the write never run on the
 * thread that stamps stream events. Measured (`scripts/bench_server_metrics.ts
 * cost`, 2026-12-01, 2 cores at load 7–10, the ~300-line vLLM exposition):
 * on the stamping thread one scrape costs 2.7–2.8 ms of that thread's CPU,
 * in one slice that delays any event arriving meanwhile; in a worker, that
 * thread's CPU per scrape is 1.7–2.0 ms lower — the same as with no scraper
 * (what remains, 0.8–1.0 ms, is the probe timer the benchmark runs in both).
 * The end-to-end view (`stamping`: stamp delays of 32 streams with and
 * without scraping) could not separate the modes at that load: two runs with
 * no scraper at all differed more (p99 5.4 vs 11.0 ms) than any mode did. So:
 * the worker, as the default for runs. {@link startScraper} runs it in the
 * calling thread (tests, and the worker itself).
 *
 * Every scrape is stamped on the shared time axis (`performance.timeOrigin +
 * performance.now()`) when its response arrived: the instant the server's
 * gauges describe, within the round trip (`rtt`, also stored).
 *
 * A server without `/metrics` (404, any other status, a refused connection,
 * or a body with no metric in it, on the first scrape) gives one `info` event
 * and the scraper stops; later failures are warnings and scraping goes on. A
 * malformed line gives one warning naming its line number and content (once
 * per distinct line) and the rest of the exposition is still used.
 *
 * File format (`<dataset>_server_metrics.jsonl`):
 * - line 1: `{"servebench_server_metrics":1,"url":…,"interval_ms":…,"created":…}`
 *   (the URL without user, password or query: secrets never reach disk);
 * - a scrape: `{"t":ms,"rtt":ms,"new":[[sample,labels,type],…],"v":[…]}` —
 *   `new` appends series to the file's dictionary (ids count up from 0 in the
 *   order defined), `v[id]` is each series' value at this scrape (`null`
 *   when absent, `"NaN"`, `"+Inf"`, `"-Inf"` as strings);
 * - `{"t":ms,"info":text}`, `{"t":ms,"warning":text}`, `{"t":ms,"failed":text}`.
 *
 * @module
 */

import { errorMessage, RuntimeError } from "../errors.ts";
import {
  labelKey,
  type Labels,
  type MetricType,
  parsePrometheusText,
  warningText,
} from "./prometheus.ts";

/** Current samples-file format version. */
export const SERVER_METRICS_VERSION = 1;

/** Default scrape interval. */
export const DEFAULT_SCRAPE_INTERVAL_MS = 1000;

/** What to scrape and where the samples go. */
export interface ScrapeOptions {
  /** The metrics URL (e.g. `http://127.0.0.1:8000/metrics`). */
  url: string;
  /** The samples file; created new, never overwritten. */
  file: string;
  /** Time between scrapes; default {@link DEFAULT_SCRAPE_INTERVAL_MS}. */
  intervalMs?: number;
  /** Give up on one scrape after this long; default the larger of the interval and 2 s. */
  timeoutMs?: number;
  /** Request headers (e.g. authorization); sent, never written anywhere. */
  headers?: Record<string, string>;
}

/** Something a person should see in the run's log. */
export interface ScrapeEvent {
  /** `info`: no server metrics for this task (scraping stopped); `warning`: scraping goes on. */
  level: "info" | "warning";
  message: string;
}

/** How a scraper's work ended. */
export interface ScrapeResult {
  file: string;
  /** Scrapes written. */
  scrapes: number;
  /** Scrapes that failed after the first success. */
  failures: number;
  /** Intervals skipped because the scrape before was still running. */
  skipped: number;
  /** Why scraping stopped before `stop()`, when it did (the info message). */
  unavailable?: string;
}

/** A running scraper, in this thread or its own worker. */
export interface Scraper {
  /** False once the server turned out to have no metrics endpoint. */
  readonly active: boolean;
  /** Takes one last scrape (when active), closes the file and reports. */
  stop(): Promise<ScrapeResult>;
}

/** Injectable pieces, for tests. */
export interface ScraperHooks {
  /** Called for each info/warning; default none. */
  onEvent?: (event: ScrapeEvent) => void;
  /** The shared time axis, ms; default `performance.timeOrigin + performance.now()`. */
  now?: () => number;
}

/** The URL as it may be written down: without user, password or query values. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return "(unparseable URL)";
  }
}

const encoder = new TextEncoder();

function writeAll(file: Deno.FsFile, text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** A value as the file stores it. */
function stored(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** The series dictionary of one file, and the encoding of scrape lines against it. */
class SeriesTable {
  readonly #ids = new Map<string, number>();

  /** The scrape line for an exposition parsed at `tMs`. */
  line(text: string, tMs: number, rttMs: number): { line: string; warnings: string[] } {
    const parsed = parsePrometheusText(text);
    const added: Array<[string, Labels, MetricType]> = [];
    const values: Array<number | string | null> = new Array(this.#ids.size).fill(null);
    for (const family of parsed.families.values()) {
      for (const s of family.samples) {
        const key = `${s.name}\u0000${labelKey(s.labels)}`;
        let id = this.#ids.get(key);
        if (id === undefined) {
          id = this.#ids.size;
          this.#ids.set(key, id);
          added.push([s.name, s.labels, family.type]);
        }
        values[id] = stored(s.value);
      }
    }
    const record: Record<string, unknown> = { t: round3(tMs), rtt: round3(rttMs) };
    if (added.length > 0) record.new = added;
    record.v = values;
    return { line: JSON.stringify(record) + "\n", warnings: parsed.warnings.map(warningText) };
  }

  get size(): number {
    return this.#ids.size;
  }
}

class InThreadScraper implements Scraper {
  readonly #options: Required<Omit<ScrapeOptions, "headers">> & { headers: Record<string, string> };
  readonly #now: () => number;
  readonly #onEvent: (event: ScrapeEvent) => void;
  readonly #file: Deno.FsFile;
  readonly #table = new SeriesTable();
  readonly #warned = new Set<string>();
  #active = true;
  #succeeded = false;
  #stopping = false;
  #closed = false;
  #scrapes = 0;
  #failures = 0;
  #skipped = 0;
  #unavailable: string | undefined;
  #dueMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped: Promise<ScrapeResult> | undefined;

  constructor(options: ScrapeOptions, hooks: ScraperHooks) {
    const intervalMs = options.intervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
    this.#options = {
      url: options.url,
      file: options.file,
      intervalMs,
      timeoutMs: options.timeoutMs ?? Math.max(intervalMs, 2000),
      headers: options.headers ?? {},
    };
    this.#now = hooks.now ?? (() => performance.timeOrigin + performance.now());
    this.#onEvent = hooks.onEvent ?? (() => {});
    try {
      this.#file = Deno.openSync(options.file, { write: true, createNew: true });
    } catch (error) {
      throw new RuntimeError(
        `Cannot create the server metrics file "${options.file}": ${errorMessage(error)}`,
        { cause: error },
      );
    }
    writeAll(
      this.#file,
      JSON.stringify({
        servebench_server_metrics: SERVER_METRICS_VERSION,
        url: shownUrl(options.url),
        interval_ms: intervalMs,
        created: new Date().toISOString(),
      }) + "\n",
    );
  }

  get active(): boolean {
    return this.#active;
  }

  /** The first scrape, then the schedule. */
  async begin(): Promise<void> {
    this.#dueMs = this.#now();
    await this.#scrape();
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#active || this.#stopping) return;
    const interval = this.#options.intervalMs;
    const now = this.#now();
    // Absolute schedule: slots at due + k·interval; slots already past are skipped, not queued.
    this.#dueMs += interval;
    if (this.#dueMs <= now) {
      const behind = Math.floor((now - this.#dueMs) / interval) + 1;
      this.#skipped += behind;
      this.#dueMs += behind * interval;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.#scrape().finally(() => {
        this.#inFlight = undefined;
        this.#schedule();
      });
    }, Math.max(0, this.#dueMs - now));
  }

  #event(level: ScrapeEvent["level"], message: string): void {
    const t = round3(this.#now());
    writeAll(this.#file, JSON.stringify({ t, [level]: message }) + "\n");
    this.#onEvent({ level, message });
  }

  #warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.#event("warning", message);
  }

  /** The endpoint is not there: one info, and no more scrapes. */
  #giveUp(reason: string): void {
    this.#active = false;
    this.#unavailable = `No server metrics from ${
      shownUrl(this.#options.url)
    }: ${reason}; the run goes on without them`;
    this.#event("info", this.#unavailable);
  }

  #failed(reason: string): void {
    this.#failures++;
    writeAll(this.#file, JSON.stringify({ t: round3(this.#now()), failed: reason }) + "\n");
    this.#warnOnce(`Server metrics scrape of ${shownUrl(this.#options.url)} failed: ${reason}`);
  }

  async #scrape(): Promise<void> {
    if (!this.#active || this.#closed) return;
    const { url, headers, timeoutMs } = this.#options;
    const sent = this.#now();
    let text: string;
    let arrived: number;
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      arrived = this.#now();
      if (!response.ok) {
        await response.body?.cancel();
        const reason = `it answered HTTP ${response.status}`;
        if (!this.#succeeded) this.#giveUp(reason);
        else this.#failed(reason);
        return;
      }
      text = await response.text();
    } catch (error) {
      const reason = `the request failed: ${errorMessage(error)}`;
      if (!this.#succeeded) this.#giveUp(reason);
      else this.#failed(reason);
      return;
    }
    if (this.#closed) return;
    const { line, warnings } = this.#table.line(text, arrived, arrived - sent);
    if (!this.#succeeded && this.#table.size === 0) {
      this.#giveUp("its answer holds no Prometheus metric");
      return;
    }
    this.#succeeded = true;
    writeAll(this.#file, line);
    this.#scrapes++;
    for (const w of warnings) {
      this.#warnOnce(`Server metrics from ${shownUrl(url)}, ${w}`);
    }
  }

  stop(): Promise<ScrapeResult> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<ScrapeResult> {
    this.#stopping = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight) await this.#inFlight;
    // One last scrape: the window's end needs a sample at or after it.
    await this.#scrape();
    this.#closed = true;
    this.#file.close();
    const result: ScrapeResult = {
      file: this.#options.file,
      scrapes: this.#scrapes,
      failures: this.#failures,
      skipped: this.#skipped,
    };
    if (this.#unavailable !== undefined) result.unavailable = this.#unavailable;
    return result;
  }
}

/**
 * Starts scraping in the calling thread. Resolves after the first scrape, so
 * the samples file holds a baseline before the task's first request; check
 * {@link Scraper.active} to know whether the server has metrics at all.
 */
export async function startScraper(
  options: ScrapeOptions,
  hooks: ScraperHooks = {},
): Promise<Scraper> {
  const scraper = new InThreadScraper(options, hooks);
  await scraper.begin();
  return scraper;
}

/** The message that starts a scraper in a worker. */
export interface ScrapeWorkerRequest {
  kind: "scrape";
  options: ScrapeOptions;
}

/** What a scraping worker posts back. */
export type ScrapeWorkerReply =
  | { kind: "scrape-event"; event: ScrapeEvent }
  | { kind: "scrape-started"; active: boolean }
  | { kind: "scrape-stopped"; result: ScrapeResult }
  | { kind: "scrape-error"; message: string };

/** How the worker side is wired: `signal` aborts (the worker's "stop" message), `post` replies. */
export interface ServeScrapeContext {
  signal: AbortSignal;
  post: (reply: ScrapeWorkerReply) => void;
}

/**
 * The worker side: runs a scraper until `signal` aborts, then stops it and
 * posts the result. The worker entry calls this for a `scrape` message and
 * aborts `signal` on `stop`.
 */
export async function serveScrape(
  request: ScrapeWorkerRequest,
  context: ServeScrapeContext,
): Promise<void> {
  const { signal, post } = context;
  let scraper: Scraper;
  try {
    scraper = await startScraper(request.options, {
      onEvent: (event) => post({ kind: "scrape-event", event }),
    });
  } catch (error) {
    // The error's own message: it names the file (its cause is only the OS error).
    post({ kind: "scrape-error", message: error instanceof Error ? error.message : String(error) });
    return;
  }
  post({ kind: "scrape-started", active: scraper.active });
  if (!signal.aborted) {
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
  }
  post({ kind: "scrape-stopped", result: await scraper.stop() });
}

/** How to start the worker and where its events go. */
export interface ScrapeWorkerHooks {
  /** Creates the worker (servebench's worker entry, which serves `scrape` messages). */
  spawn: () => Worker;
  /** Called for each info/warning, on the calling thread. */
  onEvent?: (event: ScrapeEvent) => void;
}

/**
 * Starts scraping in a worker of its own. Resolves after the worker's first
 * scrape (like {@link startScraper}); rejects when the samples file cannot
 * be created.
 */
export function startScrapeWorker(
  options: ScrapeOptions,
  hooks: ScrapeWorkerHooks,
): Promise<Scraper> {
  const worker = hooks.spawn();
  let active = true;
  let onStopped: ((result: ScrapeResult) => void) | undefined;
  let onFailed: ((error: Error) => void) | undefined;
  return new Promise<Scraper>((resolve, reject) => {
    onFailed = reject;
    worker.onmessage = (e: MessageEvent<ScrapeWorkerReply>) => {
      const m = e.data;
      if (m.kind === "scrape-event") {
        if (m.event.level === "info") active = false;
        hooks.onEvent?.(m.event);
      } else if (m.kind === "scrape-started") {
        active = m.active;
        resolve(scraper);
      } else if (m.kind === "scrape-stopped") {
        worker.terminate();
        onStopped?.(m.result);
      } else if (m.kind === "scrape-error") {
        worker.terminate();
        onFailed?.(new RuntimeError(`Cannot scrape server metrics: ${m.message}`));
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      onFailed?.(new RuntimeError(`The server metrics worker failed: ${e.message}`));
    };
    const scraper: Scraper = {
      get active() {
        return active;
      },
      stop() {
        return new Promise<ScrapeResult>((done, fail) => {
          onStopped = done;
          onFailed = fail;
          worker.postMessage({ kind: "stop" });
        });
      },
    };
    worker.postMessage({ kind: "scrape", options } satisfies ScrapeWorkerRequest);
  });
}

/** The first line of a samples file. */
export interface ServerMetricsHeader {
  servebench_server_metrics: number;
  url: string;
  interval_ms: number;
  created: string;
}

/** One series of a samples file. */
export interface SeriesInfo {
  /** Index into every scrape's values. */
  readonly id: number;
  /** Sample name as exposed. */
  readonly name: string;
  readonly labels: Labels;
  /** Type of its family. */
  readonly type: MetricType;
}

/** One line of a samples file, decoded. */
export type ServerMetricsEntry =
  | { kind: "header"; header: ServerMetricsHeader }
  | {
    kind: "scrape";
    /** When the response arrived, shared time axis (ms). */
    tMs: number;
    rttMs: number;
    /** The file's series so far (grows; the same array each time). */
    series: readonly SeriesInfo[];
    /** Value per series id; `undefined` where the series was absent. */
    values: readonly (number | undefined)[];
  }
  | { kind: "note"; tMs: number; level: "info" | "warning"; message: string }
  | { kind: "failed"; tMs: number; message: string };

function loaded(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  return undefined;
}

async function* lines(path: string): AsyncGenerator<string> {
  // Reading `readable` to its end (or cancelling it) closes the file.
  const file = await Deno.open(path);
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of file.readable) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}

/**
 * Streams a samples file back. Never throws on content: a line cut short by a
 * kill, or otherwise unreadable, comes back as a warning note and is skipped.
 * Throws a `Deno.errors.NotFound` when the file does not exist.
 */
export async function* readServerMetrics(path: string): AsyncGenerator<ServerMetricsEntry> {
  const series: SeriesInfo[] = [];
  let n = 0;
  for await (const text of lines(path)) {
    n++;
    if (text === "") continue;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      yield {
        kind: "note",
        tMs: NaN,
        level: "warning",
        message: `Server metrics file "${path}": line ${n} is not valid JSON (cut short?); skipped`,
      };
      continue;
    }
    if (n === 1 && typeof line.servebench_server_metrics === "number") {
      yield { kind: "header", header: line as unknown as ServerMetricsHeader };
      continue;
    }
    const tMs = typeof line.t === "number" ? line.t : NaN;
    if (Array.isArray(line.v)) {
      for (const def of (line.new ?? []) as Array<[string, Labels, MetricType]>) {
        series.push({ id: series.length, name: def[0], labels: def[1], type: def[2] });
      }
      yield {
        kind: "scrape",
        tMs,
        rttMs: typeof line.rtt === "number" ? line.rtt : NaN,
        series,
        values: (line.v as unknown[]).map(loaded),
      };
    } else if (typeof line.info === "string") {
      yield { kind: "note", tMs, level: "info", message: line.info };
    } else if (typeof line.warning === "string") {
      yield { kind: "note", tMs, level: "warning", message: line.warning };
    } else if (typeof line.failed === "string") {
      yield { kind: "failed", tMs, message: line.failed };
    } else {
      yield {
        kind: "note",
        tMs,
        level: "warning",
        message: `Server metrics file "${path}": line ${n} is of no known kind; skipped`,
      };
    }
  }
}
