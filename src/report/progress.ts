/**
 * Progress you can watch, at no cost on the hot path: the run bumps plain
 * counters; a timer draws them. On a terminal, one live line redrawn in place
 * and cleared when the task ends; otherwise (CI logs) a plain line every few
 * seconds and one at the end, with no control characters.
 *
 * @module
 */

/** Counters a task bumps as it runs. */
export interface ProgressCounters {
  sent: number;
  done: number;
  failed: number;
  outputTokens: number;
}

/** Where progress goes. */
export interface ProgressSink {
  /** Writes raw text (no newline added). */
  write(text: string): void;
  /** Redraw one line in place (a terminal), or print plain lines. */
  tty: boolean;
  /** Plain-line interval, ms; default 5000 (terminals redraw every 250 ms). */
  intervalMs?: number;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  seconds = Math.max(0, seconds);
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
    : s >= 60
    ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
    : `${s}s`;
}

/** Draws one task's progress from its counters. */
export class Progress {
  readonly counters: ProgressCounters = { sent: 0, done: 0, failed: 0, outputTokens: 0 };
  readonly #sink: ProgressSink;
  readonly #label: string;
  readonly #total: number | undefined;
  readonly #durationMs: number | undefined;
  #t0 = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param label the task, e.g. `sim × synthetic (c4)`
   * @param total requests to send, when known
   * @param durationMs the time bound, when any
   */
  constructor(sink: ProgressSink, label: string, total?: number, durationMs?: number) {
    this.#sink = sink;
    this.#label = label;
    this.#total = total;
    this.#durationMs = durationMs;
  }

  /** The current line (without control characters). */
  line(now = performance.now()): string {
    const c = this.counters;
    const elapsed = (now - this.#t0) / 1000;
    const rps = elapsed > 0 ? c.done / elapsed : 0;
    const tps = elapsed > 0 ? c.outputTokens / elapsed : 0;
    let head: string;
    let eta: number;
    if (this.#total !== undefined) {
      head = `${c.done}/${this.#total} done`;
      eta = rps > 0 ? (this.#total - c.done) / rps : NaN;
    } else {
      head = `${c.done} done, ${clock(elapsed)}/${clock((this.#durationMs ?? 0) / 1000)}`;
      eta = (this.#durationMs ?? 0) / 1000 - elapsed;
    }
    return `${this.#label}: ${head}, ${c.sent - c.done} in flight, ${rps.toFixed(1)} req/s, ${
      Math.round(tps)
    } tok/s, ${c.failed} errors, ETA ${clock(eta)}`;
  }

  /** Starts drawing. */
  start(): void {
    this.#t0 = performance.now();
    const interval = this.#sink.tty ? 250 : (this.#sink.intervalMs ?? 5000);
    this.#timer = setInterval(() => this.#draw(), interval);
  }

  #draw(): void {
    if (this.#sink.tty) this.#sink.write(`\r\x1b[2K${this.line()}`);
    else this.#sink.write(`${this.line()}\n`);
  }

  /** Stops drawing: clears the live line, or prints a last plain line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#sink.tty) this.#sink.write("\r\x1b[2K");
    else this.#sink.write(`${this.line()}\n`);
  }
}
