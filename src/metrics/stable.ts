/**
 * The stable stage (AISBench `stable_stage`): the part of a run where the
 * client held the configured maximum number of requests in flight.
 *
 * Start and end events are swept in time order (an end before a start at the
 * same instant). The window opens at the start of the *second* request that
 * brings in-flight to the max, and closes at the last moment in-flight equals
 * the max (the first end after that moment). Every request that starts inside
 * the window counts.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";

/** A request's start and end, in ms. */
export interface Interval {
  startMs: number;
  endMs: number;
}

/** The stable window, `[openMs, closeMs]`. */
export interface StableWindow {
  openMs: number;
  closeMs: number;
}

/** No stable window exists in the data. */
export class NoStableWindowError extends RuntimeError {
  /** @param detail why, with numbers */
  constructor(detail: string) {
    super(
      `No stable stage: ${detail}; look at the concurrency-over-time plot, or use the default_perf summarizer`,
    );
    this.name = "NoStableWindowError";
  }
}

/** Finds the stable window of intervals run with at most `maxConcurrency` in flight. */
export function stableWindow(intervals: readonly Interval[], maxConcurrency: number): StableWindow {
  const n = intervals.length;
  // Encode events as (time, kind) with ends (0) sorted before starts (1) at equal times.
  const times = new Float64Array(2 * n);
  const kinds = new Uint8Array(2 * n);
  const order = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    times[2 * i] = intervals[i]!.startMs;
    kinds[2 * i] = 1;
    times[2 * i + 1] = intervals[i]!.endMs;
    kinds[2 * i + 1] = 0;
  }
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => times[a]! - times[b]! || kinds[a]! - kinds[b]!);

  let inFlight = 0;
  let peak = 0;
  let reachedMax = 0;
  let openMs: number | undefined;
  let lastAtMaxEnd: number | undefined;
  for (const e of order) {
    if (kinds[e] === 1) {
      inFlight++;
      if (inFlight > peak) peak = inFlight;
      if (inFlight === maxConcurrency) {
        reachedMax++;
        if (reachedMax === 2 && openMs === undefined) openMs = times[e]!;
      }
    } else {
      if (inFlight === maxConcurrency && openMs !== undefined) lastAtMaxEnd = times[e]!;
      inFlight--;
    }
  }
  if (openMs === undefined) {
    throw new NoStableWindowError(
      reachedMax === 0
        ? `in-flight requests peaked at ${peak}, never reaching the max concurrency ${maxConcurrency}`
        : `in-flight requests reached the max concurrency ${maxConcurrency} only once`,
    );
  }
  if (lastAtMaxEnd === undefined || lastAtMaxEnd <= openMs) {
    throw new NoStableWindowError(`the window opening at the second request at max has no length`);
  }
  return { openMs, closeMs: lastAtMaxEnd };
}

/** Indices of the intervals that start inside the window (inclusive bounds). */
export function inWindow(intervals: readonly Interval[], window: StableWindow): number[] {
  const out: number[] = [];
  for (let i = 0; i < intervals.length; i++) {
    const s = intervals[i]!.startMs;
    if (s >= window.openMs && s <= window.closeMs) out.push(i);
  }
  return out;
}

/** The most intervals in flight at once. */
export function peakInFlight(intervals: readonly Interval[]): number {
  const starts = intervals.map((r) => r.startMs).sort((a, b) => a - b);
  const ends = intervals.map((r) => r.endMs).sort((a, b) => a - b);
  let i = 0;
  let j = 0;
  let cur = 0;
  let peak = 0;
  while (i < starts.length) {
    if (starts[i]! < ends[j]!) {
      cur++;
      i++;
      if (cur > peak) peak = cur;
    } else {
      cur--;
      j++;
    }
  }
  return peak;
}
