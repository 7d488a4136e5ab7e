/**
 * The simulator's fault injection: which request gets which fault (a script,
 * or seeded per-request rates), and the faults that replace a response before
 * any stream (HTTP errors, a proxy's HTML page, no answer at all). Faults in
 * the middle of a stream are written by the stream (stream.ts) in the wire
 * format's own events.
 *
 * @module
 */

import { FAULT_KINDS, type FaultKind } from "../fault_kinds.ts";
import type { FaultPlan } from "../sim_options.ts";
import { Random } from "../random.ts";
import { openaiHttpError } from "./openai_wire.ts";

export { FAULT_KINDS, type FaultKind, type FaultPlan };

/** Picks each request's fault, in arrival order: a script entry wins over the rates. */
export class FaultPicker {
  readonly #plan: FaultPlan | undefined;
  readonly #random: Random;
  readonly #rates: Array<[FaultKind, number]>;
  #requestNumber = 0;

  constructor(plan: FaultPlan | undefined) {
    this.#plan = plan;
    this.#random = new Random(plan?.seed ?? 0);
    this.#rates = Object.entries(plan?.rates ?? {}) as Array<[FaultKind, number]>;
  }

  /** The next request's fault, if it gets one. */
  next(): FaultKind | undefined {
    const n = this.#requestNumber++;
    const scripted = this.#plan?.script?.[n];
    if (scripted) return scripted;
    if (!this.#rates.length) return undefined;
    let u = this.#random.next();
    for (const [kind, p] of this.#rates) {
      if (u < p) return kind;
      u -= p;
    }
    return undefined;
  }
}

const STATUSES: Partial<Record<FaultKind, [number, string]>> = {
  http_400: [400, "simulated bad request"],
  http_401: [401, "simulated: invalid API key"],
  http_404: [404, "simulated: no such route"],
  http_429: [429, "simulated: too many requests"],
  http_500: [500, "simulated internal error"],
  http_503: [503, "simulated: overloaded"],
};

/** What an early fault answers with. */
export interface EarlyFaultOptions {
  readonly plan: FaultPlan | undefined;
  /** Requests held by `stall_headers`, answered at shutdown. */
  readonly stalledHeaders: Set<() => void>;
  /** An HTTP error in the route's protocol; default OpenAI's. */
  readonly httpError?: (status: number, message: string) => Response;
}

/**
 * The response of a fault that happens before any stream, or undefined when
 * the fault happens inside the stream: an `http_…` status in the route's own
 * error shape, a proxy's HTML page, or (`stall_headers`) nothing until
 * `stalledHeaders`' resolvers are called (at shutdown).
 */
export async function earlyFault(
  fault: FaultKind,
  options: EarlyFaultOptions,
): Promise<Response | undefined> {
  const { plan } = options;
  const httpError = options.httpError ?? openaiHttpError;
  const status = STATUSES[fault];
  if (status) {
    const r = httpError(status[0], plan?.message ?? status[1]);
    if (fault === "http_429" || fault === "http_503") {
      r.headers.set("retry-after", String(plan?.retryAfterS ?? 1));
    }
    return r;
  }
  if (fault === "html_error") {
    return new Response(
      "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
      {
        status: 502,
        headers: { "content-type": "text/html" },
      },
    );
  }
  if (fault === "stall_headers") {
    await new Promise<void>((resolve) => options.stalledHeaders.add(resolve));
    return httpError(503, "simulator shut down");
  }
  return undefined;
}
