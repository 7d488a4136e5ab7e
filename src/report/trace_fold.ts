/**
 * One pass over a task's trace: every request's facts, and the chunk gaps of
 * the requests a summary counts folded into exact counts. A large trace is
 * cut into ranges of whole lines, folded by Web Workers in parallel, and the
 * results merged (facts are sorted by index afterwards, counts add up), so the
 * result does not depend on how many workers read it. The facts kept are rows
 * of a FactTable (../record/fact_table.ts): columns off the V8 heap.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";
import { ChunkGaps, type ChunkGapsState } from "../metrics/summarize.ts";
import type { TokenCountMode } from "../metrics/request.ts";
import type { RequestFacts } from "../record/record.ts";
import { FactTable } from "../record/fact_table.ts";
import { lineStartFrom, readTraceEntries, type TraceFooter } from "../record/trace.ts";
import {
  WORKER_NAME,
  workerModuleUrl,
  type WorkerReply as AnyWorkerReply,
  type WorkerRequest,
} from "../worker_protocol.ts";

type WorkerReply = AnyWorkerReply<FoldedShare>;

/** What a pass over a trace folds. */
export interface FoldSpec {
  path: string;
  anchorMs: number;
  tokenCount?: TokenCountMode;
  /** Keep every request's facts. */
  facts: boolean;
  /** Whose chunk gaps to fold: every measured request, or the requests with these indices. */
  gapsOf: "measured" | readonly number[];
}

/** What a pass produced. */
export interface Folded {
  /** In trace order (completion order), when asked for. */
  facts: RequestFacts[];
  gaps: ChunkGaps;
  footer?: TraceFooter;
}

/** A worker's share of a pass, as posted back at its end (its facts came before, in batches). */
export interface FoldedShare {
  gaps: ChunkGapsState;
  footer?: TraceFooter;
}

/** Traces smaller than this are read in this thread: starting workers would cost more. */
export const PARALLEL_FOLD_BYTES = 64 << 20;

/** Facts a worker posts at a time, so it never holds a whole range's facts besides the main thread's copy. */
const FACTS_BATCH = 8192;

/**
 * Folds the lines of the trace that start in `[start, end)`, in this thread.
 * With `onFacts`, the facts are handed over in batches of plain objects (to
 * post to another thread) instead of returned as table rows.
 */
export async function foldRange(
  spec: FoldSpec,
  range: { start?: number; end?: number; onFacts?: (batch: RequestFacts[]) => void } = {},
): Promise<Folded> {
  const { start = 0, end = Infinity, onFacts } = range;
  const table = new FactTable();
  let batch: RequestFacts[] = [];
  const gaps = new ChunkGaps(spec.tokenCount);
  const only = spec.gapsOf === "measured" ? undefined : new Set(spec.gapsOf);
  let footer: TraceFooter | undefined;
  const entries = readTraceEntries(spec.path, spec.anchorMs, start, end, (f) => (footer = f));
  for await (const { facts: f, deltasUs } of entries) {
    if (!f.warmup && (!only || only.has(f.index))) gaps.add(f, deltasUs);
    if (!spec.facts) continue;
    if (!onFacts) table.append(f);
    else if (batch.push(f) >= FACTS_BATCH) {
      onFacts(batch);
      batch = [];
    }
  }
  if (onFacts && batch.length) onFacts(batch);
  return { facts: table.rows(), gaps, ...(footer ? { footer } : {}) };
}

/** How many workers fold a trace of `bytes`: one per core up to 4, none for a small trace. */
export function foldWorkers(bytes: number): number {
  if (bytes < PARALLEL_FOLD_BYTES) return 0;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/**
 * Folds a whole trace with `workers` Web Workers (0: in this thread), by
 * default as many as {@link foldWorkers} says for its size.
 */
export async function foldTrace(spec: FoldSpec, workers?: number): Promise<Folded> {
  const size = (await Deno.stat(spec.path)).size;
  const n = workers ?? foldWorkers(size);
  if (n === 0) return await foldRange(spec);
  const bounds = [0];
  for (let k = 1; k < n; k++) bounds.push(await lineStartFrom(spec.path, Math.floor(size * k / n)));
  bounds.push(Infinity);
  const shares = await Promise.all(
    Array.from({ length: n }, (_, k) => foldInWorker(spec, bounds[k]!, bounds[k + 1]!)),
  );
  const gaps = new ChunkGaps(spec.tokenCount);
  const facts: RequestFacts[] = [];
  let footer: TraceFooter | undefined;
  for (const share of shares) {
    gaps.merge(share.gaps);
    for (const f of share.facts) facts.push(f);
    footer ??= share.footer;
  }
  return { facts, gaps, ...(footer ? { footer } : {}) };
}

/** Folds a range in a worker; its facts, posted in batches, become rows of a table here. */
function foldInWorker(
  spec: FoldSpec,
  start: number,
  end: number,
): Promise<FoldedShare & { facts: RequestFacts[] }> {
  const worker = new Worker(workerModuleUrl(), { type: "module", name: WORKER_NAME });
  const table = new FactTable();
  return new Promise<FoldedShare & { facts: RequestFacts[] }>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      if (e.data.kind === "facts") { for (const f of e.data.facts) table.append(f); }
      else if (e.data.kind === "folded") resolve({ ...e.data.share, facts: table.rows() });
      else if (e.data.kind === "error") reject(new RuntimeError(e.data.message));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new RuntimeError(`A trace-reading worker failed: ${e.message}`));
    };
    const request: WorkerRequest = { kind: "fold", spec, start, end };
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

/**
 * The worker side: folds a range, posting its facts in batches as they are
 * read, then the counts (their tables transferred).
 */
export async function serveFold(
  spec: FoldSpec,
  start: number,
  end: number,
  post: (reply: WorkerReply, transfer: Transferable[]) => void,
): Promise<void> {
  const folded = await foldRange(spec, {
    start,
    end,
    onFacts: (facts) => post({ kind: "facts", facts }, []),
  });
  const gaps = folded.gaps.state();
  const transfer = [gaps.single, gaps.other, gaps.split].flatMap((c) =>
    c.dense ? [c.dense.buffer as ArrayBuffer] : []
  );
  const share: FoldedShare = {
    gaps,
    ...(folded.footer ? { footer: folded.footer } : {}),
  };
  post({ kind: "folded", share }, transfer);
}
