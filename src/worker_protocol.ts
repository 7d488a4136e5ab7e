/**
 * The boundary between servebench's threads: the name every worker is started
 * with, the module it runs, and the messages crossing in each direction. A
 * leaf: it imports only types of leaf modules, so the jobs' modules (load
 * driving, trace folding, token counting) and the worker entry that serves
 * them all import it without importing each other.
 *
 * The load and trace-reading jobs' specs are type parameters: their types
 * live in the modules that define the jobs (`DriveSpec` in bench/drive.ts,
 * `FoldSpec` and `FoldedShare` in report/trace_fold.ts), which fill them in.
 *
 * Four jobs. Tokenizer workers: `{ kind: "init", tokenizer }` → `{ kind:
 * "ready" }` or `{ kind: "error", message }`; `{ kind: "count", id, texts }` →
 * `{ kind: "counts", id, counts }`. Load workers: `{ kind: "drive", … }` →
 * `{ kind: "ready" }` once its connections are open; `{ kind: "start", t0Abs }`
 * → `{ kind: "sent" }` per send, `{ kind: "record", record }` per request
 * that ended (one cut off by the cancel included, as `cancelled`), then `{
 * kind: "driven", loopLags }` once every record is posted (and `{ kind:
 * "heap", sample }` every `spec.heapSampleMs` when set); `{ kind: "stop" }`
 * ends the sending, `{ kind: "cancel" }` cuts in-flight requests off. Trace readers:
 * `{ kind: "fold", spec, start, end }` → `{ kind: "facts", facts }` per batch
 * of requests read, then `{ kind: "folded", share }` (the range's counts,
 * their tables transferred). Server-metrics scrapers (one per task, off the
 * stamping thread): `{ kind: "scrape", options }` → `{ kind: "scrape-started",
 * active }` after the first scrape, `{ kind: "scrape-event", event }` per
 * info or warning; `{ kind: "stop" }` → `{ kind: "scrape-stopped", result }`
 * (or `{ kind: "scrape-error", message }`); the job's types are
 * `ScrapeWorkerRequest` and `ScrapeWorkerReply` in server_metrics/scrape.ts.
 *
 * @module
 */

import type { RequestFacts, RequestRecord } from "./record/record.ts";
import type { CountsState } from "./metrics/counts.ts";
import type { HeapSample } from "./bench/heap_sample.ts";

/** The name every servebench worker is started with. */
export const WORKER_NAME = "servebench-worker";

/**
 * The module a worker runs: the worker entry beside this file when running
 * from source (or a compiled binary, which embeds it), else the bundle itself,
 * which imports the worker entry.
 */
export function workerModuleUrl(): URL {
  const here = import.meta.url;
  return here.endsWith("/src/worker_protocol.ts")
    ? new URL("./worker_entry.ts", here)
    : new URL(here);
}

/**
 * Messages a worker accepts. `Drive` is the load job's spec, `Fold` the
 * trace-reading job's, `Scrape` the scraper's options; a sender of other jobs
 * leaves them `unknown`.
 */
export type WorkerRequest<Drive = unknown, Fold = unknown, Scrape = unknown> =
  | { kind: "init"; tokenizer: string }
  | { kind: "count"; id: number; texts: string[] }
  | {
    kind: "drive";
    spec: Drive;
    worker: number;
    workers: number;
    /** An Int32 cell: the next send index, claimed atomically by every worker. */
    counter: SharedArrayBuffer;
  }
  /** When the load starts, on the shared time axis (ms). */
  | { kind: "start"; t0Abs: number }
  /** Read the lines of a trace that start in [start, end). */
  | { kind: "fold"; spec: Fold; start: number; end: number }
  /** Scrape a server's `/metrics` until `stop`. */
  | { kind: "scrape"; options: Scrape }
  | { kind: "stop" }
  | { kind: "cancel" };

/**
 * Messages a worker sends back. `Share` is a trace reader's folded range,
 * `ScrapeReply` the scraper's replies (`{ kind: "scrape-…" }`).
 */
export type WorkerReply<Share = unknown, ScrapeReply = never> =
  | { kind: "ready" }
  | { kind: "error"; id?: number; message: string }
  | { kind: "counts"; id: number; counts: number[] }
  | { kind: "sent" }
  | { kind: "record"; record: RequestRecord }
  | { kind: "driven"; loopLags: CountsState }
  | { kind: "heap"; sample: HeapSample }
  | { kind: "facts"; facts: RequestFacts[] }
  | { kind: "folded"; share: Share }
  | ScrapeReply;
