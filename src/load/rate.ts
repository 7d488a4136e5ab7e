/**
 * The rate profile: arrivals at R requests/s on an absolute schedule (the
 * i-th send is due at t0 + offset(i), never a chain of sleeps), with
 * `constant`, `poisson` or `gamma` inter-arrival times (gamma shape =
 * burstiness: 1 is Poisson, below 1 burstier, as vLLM), and an optional cap on
 * requests in flight. A send held back by the cap or by a late client keeps
 * its due time as `scheduled`, so the lag is measured, not hidden.
 *
 * @module
 */

import { Random } from "../random.ts";
import type { Send } from "./concurrency.ts";

/** Inter-arrival distributions. */
export const ARRIVALS = ["constant", "poisson", "gamma"] as const;
/** One of {@link ARRIVALS}. */
export type Arrival = typeof ARRIVALS[number];

/** Settings of an open-loop run. */
export interface RateProfile {
  readonly kind: "rate";
  /** Requests per second; `Infinity` sends everything at once (still under the cap). */
  readonly rate: number;
  readonly arrival: Arrival;
  /** Gamma shape for `gamma` (1 = Poisson). */
  readonly burstiness: number;
  readonly seed: number;
  /** Requests in flight at most; absent → unbounded. */
  readonly maxConcurrency?: number;
}

/**
 * Yields the offsets (ms from t0) of successive arrivals. Deterministic for a
 * seed; the mean inter-arrival time is 1000 / rate.
 */
export function* arrivalOffsets(profile: RateProfile): Generator<number> {
  if (!Number.isFinite(profile.rate)) {
    for (;;) yield 0;
  }
  const meanMs = 1000 / profile.rate;
  const random = new Random(profile.seed);
  let t = 0;
  for (let i = 0;; i++) {
    if (profile.arrival === "constant") {
      yield i * meanMs;
      continue;
    }
    yield t;
    t += profile.arrival === "poisson"
      ? random.exponential(meanMs)
      : random.gamma(profile.burstiness, meanMs / profile.burstiness);
  }
}

/** Resolves at the absolute `performance.now()` instant `due` (or at once if past). */
function sleepUntil(due: number, signal?: AbortSignal): Promise<void> {
  const delay = due - performance.now();
  if (delay <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, delay);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs `total` sends on the profile's schedule. Resolves when every started
 * send has ended; stops starting new ones once `signal` aborts.
 */
export async function runOpenLoop(
  profile: RateProfile,
  total: number,
  send: Send,
  signal?: AbortSignal,
): Promise<void> {
  const cap = profile.maxConcurrency ?? Infinity;
  const origin = performance.timeOrigin;
  const t0 = performance.now();
  const offsets = arrivalOffsets(profile);
  const inFlight = new Set<Promise<void>>();
  for (let index = 0; index < total && !signal?.aborted; index++) {
    const due = t0 + offsets.next().value!;
    await sleepUntil(due, signal);
    while (inFlight.size >= cap && !signal?.aborted) await Promise.race(inFlight);
    if (signal?.aborted) break;
    const p: Promise<void> = send(index, origin + due).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}
