/**
 * The worker side of servebench's Web Workers. A worker is started with the
 * name {@link WORKER_NAME} on this module (from source) or on the bundle
 * itself (bundled builds, whose single file imports this module); either way
 * this module's top level sees the name and serves requests.
 *
 * Messages: `{ kind: "init", tokenizer }` → `{ kind: "ready" }` or
 * `{ kind: "error", message }`; `{ kind: "count", id, texts }` →
 * `{ kind: "counts", id, counts }`.
 *
 * @module
 */

import { loadTokenizer, type TextTokenizer } from "./tokenizer/tokenizer.ts";

/** The name every servebench worker is started with. */
export const WORKER_NAME = "servebench-worker";

/** Messages a worker accepts. */
export type WorkerRequest =
  | { kind: "init"; tokenizer: string }
  | { kind: "count"; id: number; texts: string[] };

/** Messages a worker sends back. */
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "error"; id?: number; message: string }
  | { kind: "counts"; id: number; counts: number[] };

/** True inside a servebench worker. */
export function isServebenchWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined" &&
    (globalThis as { name?: string }).name === WORKER_NAME;
}

function serve(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
    postMessage: (m: WorkerReply) => void;
  };
  let tokenizer: TextTokenizer | undefined;
  scope.onmessage = async (e) => {
    const msg = e.data;
    try {
      if (msg.kind === "init") {
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
