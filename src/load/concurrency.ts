/**
 * The concurrency profile (AISBench `batch_size`): at most C requests in
 * flight; the next one goes as soon as one finishes. A closed loop: a request
 * is scheduled the moment its slot frees, so its send lag is the client's own
 * delay.
 *
 * @module
 */

/** Settings of a closed-loop run. */
export interface ConcurrencyProfile {
  readonly kind: "concurrency";
  /** Requests in flight at most. */
  readonly concurrency: number;
}

/** Sends one request; resolves when it has been recorded. */
export type Send = (index: number, scheduledMs: number) => Promise<void>;

/**
 * Runs `total` sends with at most `profile.concurrency` in flight. Stops
 * starting new sends once `signal` aborts; resolves when all started ones end.
 */
export async function runClosedLoop(
  profile: ConcurrencyProfile,
  total: number,
  send: Send,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const origin = performance.timeOrigin;
  async function lane(): Promise<void> {
    while (next < total && !signal?.aborted) {
      const index = next++;
      await send(index, origin + performance.now());
    }
  }
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < Math.min(profile.concurrency, total); i++) lanes.push(lane());
  await Promise.all(lanes);
}
