/**
 * The simulator's pacing: when each token of a response goes out. A response
 * waits for a decode slot, its first token is due TTFT (plus prefill per
 * prompt token, plus jitter) after admission, each next one an ITL later, all
 * on an absolute schedule. Mid-stream faults are injected here, in the wire
 * format's own events.
 *
 * @module
 */

import type { Capacity } from "./capacity.ts";
import type { EngineMetrics } from "./engine_metrics.ts";
import type { FaultKind } from "./faults.ts";
import type { DeadlineScheduler } from "./scheduler.ts";
import type { Json, SimWire, WireStream } from "./wire.ts";

/** The resolved timing and text settings a response is paced by. */
export interface Pacing {
  readonly ttftMs: number;
  readonly prefillMsPerToken: number;
  readonly itlMs: number;
  readonly tokensPerChunk: number;
  readonly reasoningTokens: number;
  readonly outputTokens: number;
  readonly usageScale: number;
  readonly seed: number;
}

type Controller = ReadableStreamDefaultController<Uint8Array>;

/** A prompt's tokens, and (with a prefix cache) how many of them were cached. */
export interface Prefill {
  readonly promptTokens: number;
  /** Absent without a prefix cache. */
  readonly cachedTokens?: number;
}

/** Time to the first token: TTFT plus the prefill of the prompt's uncached tokens, plus jitter. */
function firstTokenMs(core: SimCore, prefill: Prefill): number {
  const computed = prefill.promptTokens - (prefill.cachedTokens ?? 0);
  return Math.max(0, core.pacing.ttftMs + computed * core.pacing.prefillMsPerToken + core.jitter());
}

/** What responses share: the clock-driven scheduler, capacity, jitter and open streams. */
export interface SimCore {
  readonly pacing: Pacing;
  readonly scheduler: DeadlineScheduler;
  readonly capacity: Capacity;
  /** What `GET /metrics` reports: histograms, counters, KV and prefix cache. */
  readonly metrics: EngineMetrics;
  /** ± jitter of TTFT and each gap (seeded; draws in schedule order). */
  jitter(): number;
  /** The prompt's tokens as the simulator counts them, and those its prefix cache held. */
  prefill(body: Json): Prefill;
  /** The next response number. */
  nextId(): number;
  /** Tokens sent before a mid-stream fault. */
  readonly faultAfterTokens: number;
  /** Streams still open (closed at shutdown). */
  readonly openStreams: Set<Controller>;
  /** Streams stalled by a fault (closed at shutdown). */
  readonly stalled: Set<Controller>;
  /** When kept (`SimOptions.keepSendTimes`), each streamed response's send times, in arrival order. */
  readonly sendLog?: SendTimes[];
}

/**
 * When the simulator really sent a streamed response's token events, on
 * `performance.now()`'s axis (ms): the truth a test bounds the client's
 * measurements against, where a loaded machine makes the settings' schedule
 * late.
 */
export interface SendTimes {
  /** When the request arrived (before its body was read). */
  readonly arrivedMs: number;
  /** When its first token event was written. */
  firstMs?: number;
  /** When its last token event so far was written. */
  lastMs?: number;
  /** Token events written. */
  events: number;
}

const WORDS = [
  " the",
  " of",
  " and",
  " to",
  " a",
  " in",
  " is",
  " that",
  " for",
  " it",
  " as",
  " with",
  " was",
  " on",
  " be",
  " at",
  " by",
  " this",
  " from",
  " or",
];

function tokenText(i: number, seed: number): string {
  return WORDS[(i * 7 + seed) % WORDS.length]!;
}

/** One streamed response, paced on the core's scheduler, with `fault` injected if given. */
export function streamResponse(
  core: SimCore,
  wire: SimWire,
  options: { body: Json; arrived: number; fault: FaultKind | undefined },
): Response {
  const { body, arrived, fault } = options;
  const { pacing, scheduler, capacity } = core;
  capacity.hold();
  const faultAt = core.faultAfterTokens;
  let faulted = false;
  const n = wire.outputLength(body, pacing.outputTokens);
  const counted = wire.countBody?.(body) ?? body;
  const prefill = core.prefill(counted);
  const engine = core.metrics.arrived(arrived, {
    tokens: prefill.promptTokens,
    cachedTokens: prefill.cachedTokens ?? 0,
  });
  const reported = Math.round(n * pacing.usageScale);
  const events: WireStream = wire.stream(body, {
    id: core.nextId(),
    tokens: n,
    ...prefill,
    reportedTokens: reported,
    arrivedMs: performance.timeOrigin + arrived,
  });
  let controller!: Controller;
  let closed = false;
  let admitted = false;
  const log: SendTimes | undefined = core.sendLog ? { arrivedMs: arrived, events: 0 } : undefined;
  if (log) core.sendLog!.push(log);

  /** The client went away: the stream is cancelled (or errored by the server under it). */
  const gone = () => {
    if (closed) return;
    closed = true;
    core.openStreams.delete(controller);
    core.stalled.delete(controller);
    if (admitted) capacity.release(true);
    else capacity.drop(begin);
    core.metrics.finished(engine, performance.now(), "abort");
  };
  const send = (payload: string) => {
    if (closed) return;
    try {
      controller.enqueue(events.frame(payload, performance.timeOrigin + performance.now()));
    } catch {
      // A client that aborted can leave the stream errored without a cancel() call.
      gone();
    }
  };
  const close = (done: boolean) => {
    if (closed) return;
    if (done) controller.enqueue(events.end());
    controller.close();
    closed = true;
    core.openStreams.delete(controller);
    capacity.release(false);
    core.metrics.finished(engine, performance.now(), "stop");
  };
  let resume: (from: number) => void = () => {};
  /** Injects a mid-stream fault; true when this step must not go on. */
  const inject = (from: number): boolean => {
    if (!fault || faulted) return false;
    if (fault === "empty_choices") {
      send(events.emptyEvent());
      return false;
    }
    if (fault === "empty_stream") {
      faulted = true;
      close(true);
      return true;
    }
    if (from < Math.min(faultAt, Math.max(0, n - 1))) return false;
    faulted = true;
    switch (fault) {
      case "reset":
        closed = true;
        core.openStreams.delete(controller);
        // A plain string: Deno logs a body stream's error value, and a string has no stack.
        controller.error("servebench sim: injected fault: connection reset mid-stream");
        capacity.release(true);
        core.metrics.finished(engine, performance.now(), "abort");
        return true;
      case "error_event":
        send(events.errorEvent());
        close(events.endAfterError !== false);
        return true;
      case "error_line":
        if (events.errorLine) controller.enqueue(events.errorLine());
        else send(events.errorEvent());
        close(events.endAfterError !== false);
        return true;
      case "cut_stream":
        close(false);
        return true;
      case "bad_json":
        controller.enqueue(events.badEvent());
        return false;
      case "stall_stream":
        core.stalled.add(controller);
        return true;
      case "huge_event":
        send(events.hugeEvent());
        return false;
      case "split_utf8": {
        const bytes = events.utf8Event();
        const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte "€"
        controller.enqueue(bytes.subarray(0, cut));
        // The rest goes in a later write; the stream goes on after it.
        scheduler.at(performance.now() + 2, () => {
          if (closed) return;
          controller.enqueue(bytes.subarray(cut));
          resume(from);
        });
        return true;
      }
      default:
        return false;
    }
  };
  const finish = () => {
    if (closed) return;
    if (fault === "no_done") {
      close(false);
      return;
    }
    const usage = events.usage();
    if (usage !== undefined) send(usage);
    close(true);
  };
  const emit = (from: number) => {
    const to = Math.min(n, from + pacing.tokensPerChunk);
    let text = "";
    for (let i = from; i < to; i++) text += tokenText(i, pacing.seed);
    send(events.token(text, from < pacing.reasoningTokens, to >= n));
    const now = performance.now();
    if (log) {
      log.firstMs ??= now;
      log.lastMs = now;
      log.events++;
    }
    core.metrics.tokens(engine, to - from, now);
    return to;
  };

  const begin = (admittedAt: number) => {
    admitted = true;
    if (closed) return;
    core.metrics.admitted(engine, admittedAt);
    const first = admittedAt + firstTokenMs(core, prefill);
    if (n === 0) {
      scheduler.at(first, finish);
      return;
    }
    let due = first;
    const step = (from: number) => {
      if (closed) return;
      if (from === 0) {
        const opening = events.opening();
        if (opening !== undefined) send(opening);
      }
      if (inject(from)) return;
      const next = emit(from);
      if (next >= n) {
        finish();
        return;
      }
      const gap = Math.max(0, pacing.itlMs * (next - from) + core.jitter());
      due += gap;
      // A little late (timer granularity) is caught up so the mean gap stays exact;
      // more than a whole gap late (a stalled event loop) continues at the normal
      // pace from now instead of bursting the missed tokens out at once.
      const now = performance.now();
      if (due < now) due = now + gap;
      scheduler.at(due, () => step(next));
    };
    resume = step;
    scheduler.at(first, () => step(0));
  };

  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      core.openStreams.add(c);
      capacity.admit(arrived, begin);
    },
    cancel: gone,
  });
  return new Response(readable, { headers: { ...wire.streamHeaders } });
}

/** One whole (non-streamed) response, answered when its last token would have been decoded. */
export function wholeResponse(
  core: SimCore,
  wire: SimWire,
  options: { body: Json; arrived: number },
): Promise<Response> {
  const { body, arrived } = options;
  const { pacing } = core;
  core.capacity.hold();
  const n = wire.outputLength(body, pacing.outputTokens);
  const prefill = core.prefill(wire.countBody?.(body) ?? body);
  const engine = core.metrics.arrived(arrived, {
    tokens: prefill.promptTokens,
    cachedTokens: prefill.cachedTokens ?? 0,
  });
  const reported = Math.round(n * pacing.usageScale);
  return new Promise((resolve) => {
    core.capacity.admit(arrived, (start) => {
      core.metrics.admitted(engine, start);
      const first = firstTokenMs(core, prefill);
      const total = first + Math.max(0, n - 1) * pacing.itlMs;
      core.scheduler.at(start + total, () => {
        // Decoded in the engine on the same pacing, answered whole at the end.
        if (n > 0) core.metrics.tokens(engine, 1, start + first);
        if (n > 1) core.metrics.tokens(engine, n - 1, start + total);
        let text = "";
        for (let i = 0; i < n; i++) text += tokenText(i, pacing.seed);
        const json = wire.whole(body, {
          id: core.nextId(),
          text,
          tokens: n,
          ...prefill,
          reportedTokens: reported,
          arrivedMs: performance.timeOrigin + arrived,
        });
        core.capacity.release(false);
        core.metrics.finished(engine, start + total, "stop");
        const extra = wire.wholeHeaders?.({
          id: 0,
          tokens: n,
          ...prefill,
          reportedTokens: reported,
          arrivedMs: performance.timeOrigin + arrived,
          queueMs: start - arrived,
          inferenceMs: total,
        });
        const type = wire.wholeContentType ?? "application/json";
        resolve(new Response(json, { headers: { "content-type": type, ...extra } }));
      });
    });
  });
}
