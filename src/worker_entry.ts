/**
 * The worker side of servebench's Web Workers. A worker is started with the
 * name {@link WORKER_NAME} on this module (from source) or on the bundle
 * itself (bundled builds, whose single file imports this module); either way
 * this module's top level sees the name and serves requests.
 *
 * Three jobs. Tokenizer workers: `{ kind: "init", tokenizer }` → `{ kind:
 * "ready" }` or `{ kind: "error", message }`; `{ kind: "count", id, texts }` →
 * `{ kind: "counts", id, counts }`. Load workers: `{ kind: "drive", … }` →
 * `{ kind: "ready" }` once its connections are open; `{ kind: "start", t0Abs }`
 * → `{ kind: "sent" }` per send, `{ kind: "record", record }` per finished
 * request, then `{ kind: "driven", loopLags }`; `{ kind: "stop" }` ends the
 * sending, `{ kind: "cancel" }` cuts in-flight requests off. Trace readers:
 * `{ kind: "fold", spec, start, end }` → `{ kind: "facts", facts }` per batch
 * of requests read, then `{ kind: "folded", share }` (the range's counts,
 * their tables transferred).
 *
 * @module
 */

import { loadTokenizer, type TextTokenizer } from "./tokenizer/tokenizer.ts";
import { type DriveSpec, serveDrive } from "./bench/drive.ts";
import type { RequestFacts, RequestRecord } from "./record/record.ts";
import type { CountsState } from "./metrics/counts.ts";
import { type FoldedShare, type FoldSpec, serveFold } from "./report/trace_fold.ts";

/** The name every servebench worker is started with. */
export const WORKER_NAME = "servebench-worker";

/** Messages a worker accepts. */
export type WorkerRequest =
  | { kind: "init"; tokenizer: string }
  | { kind: "count"; id: number; texts: string[] }
  | {
    kind: "drive";
    spec: DriveSpec;
    worker: number;
    workers: number;
    /** An Int32 cell: the next send index, claimed atomically by every worker. */
    counter: SharedArrayBuffer;
  }
  /** When the load starts, on the shared time axis (ms). */
  | { kind: "start"; t0Abs: number }
  /** Read the lines of a trace that start in [start, end). */
  | { kind: "fold"; spec: FoldSpec; start: number; end: number }
  | { kind: "stop" }
  | { kind: "cancel" };

/** Messages a worker sends back. */
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "error"; id?: number; message: string }
  | { kind: "counts"; id: number; counts: number[] }
  | { kind: "sent" }
  | { kind: "record"; record: RequestRecord }
  | { kind: "driven"; loopLags: CountsState }
  | { kind: "facts"; facts: RequestFacts[] }
  | { kind: "folded"; share: FoldedShare };

/** True inside a servebench worker. */
export function isServebenchWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined" &&
    (globalThis as { name?: string }).name === WORKER_NAME;
}

function serve(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
    postMessage: (m: WorkerReply, transfer?: Transferable[]) => void;
  };
  let tokenizer: TextTokenizer | undefined;
  const stop = new AbortController();
  const cancel = new AbortController();
  let begin: (t0Abs: number) => void = () => {};
  const start = new Promise<number>((resolve) => (begin = resolve));
  scope.onmessage = async (e) => {
    const msg = e.data;
    try {
      if (msg.kind === "stop") stop.abort();
      else if (msg.kind === "cancel") cancel.abort();
      else if (msg.kind === "start") begin(msg.t0Abs);
      else if (msg.kind === "drive") {
        await serveDrive(
          msg,
          start,
          { stop: stop.signal, cancel: cancel.signal },
          (reply, transfer) => scope.postMessage(reply, transfer),
        );
      } else if (msg.kind === "fold") {
        await serveFold(msg.spec, msg.start, msg.end, (reply, transfer) => {
          scope.postMessage(reply, transfer);
        });
      } else if (msg.kind === "init") {
        tokenizer = await loadTokenizer(msg.tokenizer);
        scope.postMessage({ kind: "ready" });
      } else if (msg.kind === "count") {
        if (!tokenizer) throw new Error("the worker has no tokenizer yet");
        const counts = msg.texts.map((t) => tokenizer!.encode(t).length);
        scope.postMessage({ kind: "counts", id: msg.id, counts });
      }
    } catch (error) {
      scope.postMessage({
        kind: "error",
        ...(msg.kind === "count" ? { id: msg.id } : {}),
        message: (error as Error).message,
      });
    }
  };
}

if (isServebenchWorker()) serve();
