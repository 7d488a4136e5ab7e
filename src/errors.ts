/**
 * Typed errors and the exit codes they map to. Only `main.ts` turns these into
 * process exits; every other module throws them.
 *
 * @module
 */

/** Exit codes, by cause (k6 style). */
export const ExitCode = {
  ok: 0,
  /** A failure while running (I/O, an unreachable server when discovering the model, …). */
  runtime: 1,
  /** Bad flags, bad configuration or bad input: nothing was sent. */
  usage: 2,
  /** The run finished but a `--fail-on` condition held. */
  gate: 3,
  /** The run finished but every request of some task failed: nothing was measured there. */
  allFailed: 4,
  /** `compare` found a `--fail-on-regression` condition that held beyond the noise band. */
  regression: 5,
  /** Interrupted by SIGINT/SIGTERM: after writing what was sent, or before sending anything. */
  interrupted: 130,
} as const;

/** Bad flags or bad configuration, found before any request is sent. Exit code 2. */
export class UsageError extends Error {
  /** Every problem found, one line each (the message joins them). */
  readonly problems: readonly string[];
  /** @param problems one or more complete sentences naming the culprit */
  constructor(problems: string | readonly string[], options?: ErrorOptions) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n"), options);
    this.name = "UsageError";
    this.problems = list;
  }
}

/** A failure at run time that ends the command. Exit code 1. */
export class RuntimeError extends Error {
  /** @param message what failed, naming the thing */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/**
 * An interrupt (Ctrl-C, SIGTERM) before a task sent its first request: during
 * model discovery or dataset preparation. Exit code 130.
 */
export class InterruptedError extends Error {
  /** @param stage what was under way, e.g. `asking "http://h/v1/models" for its models` */
  constructor(stage: string, options?: ErrorOptions) {
    super(`Interrupted while ${stage}`, options);
    this.name = "InterruptedError";
  }
}

/** Throws an InterruptedError naming `stage` when `signal` has aborted. */
export function throwIfInterrupted(signal: AbortSignal | undefined, stage: string): void {
  if (signal?.aborted) throw new InterruptedError(stage);
}

/**
 * Returns the message of any thrown value, for error rows and log lines. A
 * generic wrapper ("fetch failed") gives way to the most specific cause in its
 * chain, without the request URL fetch repeats in it.
 */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let deepest: Error = error;
  for (
    let c: unknown = error.cause, depth = 0;
    c instanceof Error && depth < 8;
    c = c.cause, depth++
  ) {
    deepest = c;
  }
  if (deepest === error) return error.message;
  return deepest.message.replace(/^error sending request for url \([^)]*\): /, "");
}
