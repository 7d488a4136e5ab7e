/**
 * Heap sampling of a load worker, for long-run memory benchmarks (`deno task
 * bench soak`): a timer posts the worker's own V8 heap in use every
 * `intervalMs`, after a full collection when the process runs with
 * `--v8-flags=--expose-gc` (so the number is what is retained, not what the
 * collector has not reached yet). Off unless a run asks for it.
 *
 * @module
 */

/** What a worker reports per sample. */
export interface HeapSample {
  /** V8 heap in use of this worker's isolate, bytes. */
  heapUsedBytes: number;
}

/** Heap in use of this isolate, after a full GC when `gc` is exposed. */
export function heapUsedNow(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Deno.memoryUsage().heapUsed;
}

/** Posts a {@link HeapSample} every `intervalMs` until `stop()`. */
export function sampleHeap(
  intervalMs: number,
  post: (sample: HeapSample) => void,
): { stop(): void } {
  const timer = setInterval(() => post({ heapUsedBytes: heapUsedNow() }), intervalMs);
  return { stop: () => clearInterval(timer) };
}
