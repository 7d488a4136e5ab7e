/**
 * The worker side of servebench's Web Workers. A worker is started with the
 * name {@link WORKER_NAME} on this module (from source) or on the bundle
 * itself (bundled builds, whose single file imports this module); either way
 * this module's top level sees the name and serves requests.
 *
 * The messages and the jobs are described in worker_protocol.ts.
 *
 * @module
 */

import { loadTokenizer, type TextTokenizer } from "./tokenizer/tokenizer.ts";
import { type DriveSpec, serveDrive } from "./bench/drive.ts";
import { type FoldSpec, serveFold } from "./report/trace_fold.ts";
import {
  type ScrapeOptions,
  type ScrapeWorkerReply,
  serveScrape,
} from "./server_metrics/scrape.ts";
import { WORKER_NAME, type WorkerReply, type WorkerRequest } from "./worker_protocol.ts";

/** True inside a servebench worker. */
export function isServebenchWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined" &&
    (globalThis as { name?: string }).name === WORKER_NAME;
}

function serve(): void {
  const scope = globalThis as unknown as {
    onmessage:
      | ((e: MessageEvent<WorkerRequest<DriveSpec, FoldSpec, ScrapeOptions>>) => void)
      | null;
    postMessage: (m: WorkerReply<unknown, ScrapeWorkerReply>, transfer?: Transferable[]) => void;
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
        await serveDrive(msg, (reply, transfer) => scope.postMessage(reply, transfer), {
          start,
          stop: stop.signal,
          cancel: cancel.signal,
        });
      } else if (msg.kind === "fold") {
        await serveFold(msg.spec, msg.start, msg.end, (reply, transfer) => {
          scope.postMessage(reply, transfer);
        });
      } else if (msg.kind === "scrape") {
        await serveScrape(msg, { signal: stop.signal, post: (reply) => scope.postMessage(reply) });
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
