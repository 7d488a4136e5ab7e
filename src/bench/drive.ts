/**
 * Driving a task's load: the send loop (body, send with retries, record out),
 * in the main thread or spread over Web Workers. A worker gets a plain,
 * cloneable {@link DriveSpec}, its shard of the load, and posts every finished
 * record back; it never computes metrics (DESIGN.md, "Time base and workers").
 *
 * @module
 */

import type { LoadPoint } from "../config/plan.ts";
import {
  type LoadPart,
  maxInFlight,
  partShare,
  replayWindowOf,
  runsConversations,
  runShape,
  sendsDatasetOnce,
  type Shard,
  shardOfPart,
  type TurnHistory,
  WHOLE,
  wholeLoad,
} from "../load/mod.ts";
import { capShare, realClock } from "../load/clock.ts";
import { type HttpTarget, type SendMeta, sendRequest } from "../protocol/client.ts";
import type { RequestSpec } from "../protocol/openai.ts";
import { adapterFor, type ApiKind } from "../protocol/mod.ts";
import {
  createTransport,
  type TlsOptions,
  type Transport,
  type TransportKind,
} from "../protocol/transport.ts";
import type { RequestRecord } from "../record/record.ts";
import { RuntimeError } from "../errors.ts";
import {
  WORKER_NAME,
  workerModuleUrl,
  type WorkerReply,
  type WorkerRequest as AnyWorkerRequest,
} from "../worker_protocol.ts";
import { sampleLoopLag } from "./self_check.ts";
import { ValueCounts } from "../metrics/counts.ts";
import { type HeapSample, sampleHeap } from "./heap_sample.ts";

type WorkerRequest = AnyWorkerRequest<DriveSpec>;

/** Everything a send loop needs, as plain data (it crosses into workers). */
export interface DriveSpec {
  readonly url: string;
  /**
   * `GET` here opens connections before the load starts (the server's model
   * list); absent (an API without one) → no connections are opened ahead.
   */
  readonly modelsUrl?: string;
  /** Keep-alive connections to open before the load starts, over all workers. */
  readonly warmConnections: number;
  /** Request headers, the key included (in memory only, never written). */
  readonly headers: Readonly<Record<string, string>>;
  readonly api: ApiKind;
  readonly stream: boolean;
  readonly timeoutMs?: number;
  readonly keepText: boolean;
  readonly transport: TlsOptions & { readonly kind: TransportKind };
  readonly retry: number;
  /** The first `warmup` indices are warm-up requests. */
  readonly warmup: number;
  readonly servedModel: string;
  readonly maxTokens: number;
  readonly generationKwargs: Record<string, unknown>;
  /** Send `i` uses `specs[i % specs.length]`. */
  readonly specs: readonly RequestSpec[];
  /**
   * Priming requests, sent and completed before the load starts (at most
   * {@link PRIMING_IN_FLIGHT} at once), recorded as warm-up with indices
   * 0…n−1; the load's sends are numbered after them. Split over N processes
   * (`part`), every process primes all of them, so each has every prefix in the
   * cache before its own start whatever the others do: process p's priming
   * request i is index i·N + p and its send g (a global index, ≡ p mod N) is
   * n·N + g, so every index of the merged trace is once, and its shard's mod N.
   */
  readonly priming?: readonly RequestSpec[];
  readonly load: LoadPoint;
  /** Most sends, warm-up included (Infinity when bounded by time only). */
  readonly total: number;
  readonly durationMs?: number;
  /**
   * This process's part of a load split over several processes (`--shard`);
   * absent → the whole load. Send indices stay global.
   */
  readonly part?: LoadPart;
  /** When the load starts, on the shared time axis (ms; `--start-at`); absent → once connections are open. */
  readonly startAtMs?: number;
  /** Load workers post their heap in use this often (ms; `deno task bench soak`); absent → never. */
  readonly heapSampleMs?: number;
}

/** Where a send loop reports to. */
export interface DriveSink {
  /** A send is about to go out. */
  sent(): void;
  /**
   * A request ended: completed, failed, or cut off by the cancel (category
   * `cancelled`, its partial timings kept). Every send gets exactly one.
   */
  record(record: RequestRecord): void;
  /** A load worker's heap sample (only with {@link DriveSpec.heapSampleMs}). */
  heap?(worker: number, sample: HeapSample): void;
}

const RETRYABLE = new Set(["connect", "timeout", "http_5xx"]);

/** True when a failed attempt may be retried: connection errors, timeouts, 429 and 5xx. */
export function retryable(record: RequestRecord): boolean {
  const e = record.error;
  return e !== undefined && (RETRYABLE.has(e.category) || e.status === 429);
}

/**
 * Backoff before retry `attempt` (1-based): the server's Retry-After, else
 * 0.5 s × 2^(n−1), jittered by `random` (default `Math.random`).
 */
export function backoffMs(
  record: RequestRecord,
  attempt: number,
  options: { random?: () => number } = {},
): number {
  const random = options.random ?? Math.random;
  const hinted = record.error?.retryAfterMs;
  if (hinted !== undefined) return hinted;
  return Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + random());
}

/**
 * Sends with retries; the record is the last attempt's, scheduled at the
 * first's due time. No retry starts once `stop` has aborted: sending has
 * stopped, so the failed attempt is the record.
 */
async function sendWithRetry(
  target: HttpTarget,
  body: string | Uint8Array<ArrayBuffer>,
  meta: SendMeta & { readonly signal: AbortSignal },
  options: { retries: number; stop: AbortSignal },
): Promise<RequestRecord> {
  const { retries, stop } = options;
  const tries: NonNullable<RequestRecord["tries"]> = [];
  for (let attempt = 1;; attempt++) {
    const record = await sendRequest(target, body, meta);
    record.attempts = attempt;
    if (tries.length) record.tries = tries;
    if (attempt > retries || !retryable(record) || stop.aborted) return record;
    // realClock's sleep removes its abort listener: the stop signal lives as long as the task.
    await realClock.sleepUntil(realClock.now() + backoffMs(record, attempt), stop);
    if (stop.aborted) return record;
    tries.push({ startMs: record.startMs, endMs: record.endMs, error: record.error! });
  }
}

/**
 * The specs' conversations: each session's spec indices in turn order, in the
 * order sessions first appear; a spec without a session is one of its own.
 */
export function conversationsOf(specs: readonly RequestSpec[]): number[][] {
  const byId = new Map<string, number[]>();
  const out: number[][] = [];
  specs.forEach((spec, i) => {
    const id = spec.session?.id;
    if (id === undefined) return void out.push([i]);
    let conv = byId.get(id);
    if (!conv) {
      conv = [];
      byId.set(id, conv);
      out.push(conv);
    }
    conv.push(i);
  });
  for (const conv of byId.values()) {
    conv.sort((a, b) => specs[a]!.session!.turn - specs[b]!.session!.turn);
  }
  return out;
}

/** The spec with the server's replies as its assistant turns (the dataset's where one is missing). */
export function withReplies(spec: RequestSpec, history: TurnHistory): RequestSpec {
  if (!spec.messages) return spec;
  let j = 0;
  const messages = spec.messages.map((m) => {
    if (m.role !== "assistant") return m;
    const reply = history.replies[j++];
    return reply === undefined ? m : { role: m.role, content: reply };
  });
  return { ...spec, messages };
}

/** Priming requests in flight at most. */
export const PRIMING_IN_FLIGHT = 32;

/** Where and how a task's requests go, through `transport`. */
function targetOf(
  d: DriveSpec,
  transport: Transport,
  options: { keepText: boolean; onceBodies: boolean },
): HttpTarget {
  return {
    url: d.url,
    headers: d.headers,
    adapter: adapterFor(d.api),
    stream: d.stream,
    transport,
    ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}),
    ...(options.keepText ? { keepText: true } : {}),
    ...(options.onceBodies ? { onceBodies: true } : {}),
  };
}

/** Builds a request body (JSON bytes) for a spec, as the task sends it. */
function bodyBuilder(d: DriveSpec): (spec: RequestSpec) => Uint8Array<ArrayBuffer> {
  const adapter = adapterFor(d.api);
  const encoder = new TextEncoder();
  return (spec) =>
    encoder.encode(JSON.stringify(adapter.buildBody(spec, {
      model: d.servedModel,
      stream: d.stream,
      maxTokens: d.maxTokens,
      extraBody: d.generationKwargs,
    })));
}

/**
 * Sends the priming requests on this thread and waits for all of them: each
 * is recorded as warm-up (kept in the trace, out of the metrics).
 */
async function prime(d: DriveSpec, sink: DriveSink, signals: DriveSignals): Promise<void> {
  const priming = d.priming ?? [];
  if (!priming.length || signals.stop.aborted) return;
  const part = d.part ?? WHOLE;
  const transport = createTransport(d.transport.kind, d.transport);
  const target = targetOf(d, transport, { keepText: false, onceBodies: true });
  const build = bodyBuilder(d);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < priming.length && !signals.stop.aborted; i = next++) {
      const spec = priming[i]!;
      sink.sent();
      const record = await sendWithRetry(target, build(spec), {
        index: i * part.count + part.index,
        scheduledMs: performance.timeOrigin + performance.now(),
        signal: signals.cancel,
        warmup: true,
        ...(spec.expectedInputTokens !== undefined
          ? { inputTokens: spec.expectedInputTokens }
          : {}),
      }, { retries: d.retry, stop: signals.stop });
      sink.record(record);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PRIMING_IN_FLIGHT, priming.length) }, lane));
  } finally {
    transport.close();
  }
}

/** What ends a load: `stop` ends the starting of sends; `cancel` cuts in-flight requests off. */
export interface DriveSignals {
  readonly stop: AbortSignal;
  readonly cancel: AbortSignal;
}

/** How {@link driveShard} runs its shard. */
export interface ShardOptions extends DriveSignals {
  /** The connection pool to send through. */
  readonly transport: Transport;
  readonly shard: Shard;
}

/**
 * Runs one shard of the load: builds each body, sends it (with retries) and
 * hands the record to the sink. Requests cut off by `cancel` are recorded as
 * `cancelled` with what they had received, so every send has its record.
 */
export async function driveShard(
  d: DriveSpec,
  sink: DriveSink,
  options: ShardOptions,
): Promise<void> {
  const { transport, shard, stop, cancel } = options;
  // Conversations carry each reply into the next turn: their text is kept until then.
  const conversations = runsConversations(d.load) ? conversationsOf(d.specs) : undefined;
  // A spec may be sent again: only then are its body bytes kept (below).
  const reused = !sendsDatasetOnce(d.load) && d.total > d.specs.length;
  const target = targetOf(d, transport, {
    keepText: d.keepText === true || conversations !== undefined,
    onceBodies: !reused,
  });
  const build = bodyBuilder(d);
  const primed = d.priming?.length ?? 0;
  const part = d.part ?? WHOLE;
  const rule = {
    total: d.total,
    signal: stop,
    ...(d.durationMs !== undefined ? { durationMs: d.durationMs } : {}),
  };
  // Each spec's body bytes, built at its first send and reused by every later send of it: the
  // raw transport frames a request once per body array (TransportRequest.body), so the send
  // path neither stringifies nor encodes per send. When no spec is sent twice (a replay,
  // conversations, or no more sends than specs) nothing is kept (onceBodies): a kept array, and
  // the raw transport's framed copy of it, would only hold memory until the task ends.
  const bodies: Array<Uint8Array<ArrayBuffer> | undefined> = new Array(reused ? d.specs.length : 0);
  await runShape(d.load, rule, {
    clock: realClock,
    shard,
    ...(replayWindowOf(d.load) ? { arrivals: d.specs.map((s) => s.arrivalOffsetMs ?? 0) } : {}),
    ...(conversations ? { conversations } : {}),
    send: async (index, scheduledMs, history) => {
      const slot = index % d.specs.length;
      const spec = d.specs[slot]!;
      // A turn carrying the server's replies is a body of its own; every other is built once.
      const body = history
        ? build(withReplies(spec, history))
        : reused
        ? bodies[slot] ??= build(spec)
        : build(spec);
      const meta = {
        index: primed * part.count + index,
        scheduledMs,
        signal: cancel,
        ...(index < d.warmup ? { warmup: true } : {}),
        // The dataset's count no longer holds once the server's replies replace its own.
        ...(spec.expectedInputTokens !== undefined && !history?.replies.length
          ? { inputTokens: spec.expectedInputTokens }
          : {}),
      };
      sink.sent();
      const record = await sendWithRetry(target, body, meta, { retries: d.retry, stop });
      if (spec.session) record.turn = spec.session.turn;
      const reply = record.error ? undefined : record.outputText;
      // Kept for the next turn's history only: out of the record unless asked for.
      if (!d.keepText && record.outputText !== undefined) delete record.outputText;
      sink.record(record);
      return reply;
    },
  });
}

/**
 * Streams in flight each worker is chosen for when `--workers` is not given.
 * `deno task bench workers` (docs/performance.md): a second worker lowered
 * ITL p99 from c=16 up, at 1.15–2.2× the CPU per event; at 32 streams one
 * worker handles ~3,200 events/s (a tenth of a core), so from 33 streams on
 * every core is used.
 */
export const STREAMS_PER_WORKER = 32;

/**
 * The worker count for a load: `requested` when given (0 = the main thread),
 * else one per {@link STREAMS_PER_WORKER} streams in flight (bounded by the
 * request count), at least one, at most the machine's cores; never more than
 * the load has lanes (its cap on requests in flight) to split — of this
 * process's part, with `options.part`.
 */
export function workerCount(
  load: LoadPoint,
  requested?: number,
  options: { part?: LoadPart } = {},
): number {
  const part = options.part ?? WHOLE;
  const lanes = partShare(maxInFlight(load), part);
  const streams = Math.min(lanes, partShare(load.numRequests ?? Infinity, part));
  const wanted = requested ??
    Math.min(
      navigator.hardwareConcurrency ?? 1,
      Math.max(1, Math.ceil(streams / STREAMS_PER_WORKER)),
    );
  return Math.min(wanted, lanes);
}

/**
 * Opens this shard's share of the keep-alive connections on its own transport
 * (concurrent `GET`s of the model list), so the first measured requests do not
 * pay connection setup that later ones do not. Failures are ignored: the
 * measured requests will report them.
 */
async function warmConnections(d: DriveSpec, transport: Transport, shard: Shard): Promise<void> {
  const url = d.modelsUrl;
  if (url === undefined) return;
  const count = capShare(d.warmConnections, shard);
  await Promise.all(Array.from({ length: count }, async () => {
    try {
      const signal = AbortSignal.timeout(10_000);
      const r = await transport.request(url, { method: "GET", headers: d.headers, signal });
      await r.text();
    } catch {
      // unreachable or slow: the measured requests will say so
    }
  }));
}

/** What a run on workers gives back besides the records. */
export interface DriveResult {
  /** Loop lag of the workers' event loops, counted per µs (empty on the main thread). */
  loopLags: ValueCounts;
}

/** How {@link drive} runs a load. */
export interface DriveOptions extends DriveSignals {
  /** Web Workers to spread the load over; 0 runs it in this thread. */
  readonly workers: number;
}

/**
 * Drives the load on `workers` Web Workers (0: in this thread), each with its
 * own transport and shard; all start at one instant on the shared time axis.
 * `stop` and `cancel` are forwarded; resolves when every shard has ended.
 */
export async function drive(
  d: DriveSpec,
  sink: DriveSink,
  options: DriveOptions,
): Promise<DriveResult> {
  const { workers, stop, cancel } = options;
  const part = d.part ?? WHOLE;
  await prime(d, sink, { stop, cancel });
  if (workers === 0) {
    const transport = createTransport(d.transport.kind, d.transport);
    try {
      await warmConnections(d, transport, shardOfPart(wholeLoad(realClock), part));
      let shard = wholeLoad(realClock);
      if (d.startAtMs !== undefined) {
        const t0 = d.startAtMs - performance.timeOrigin;
        await realClock.sleepUntil(t0, stop);
        shard = { ...shard, t0 };
      }
      await driveShard(d, sink, { transport, shard: shardOfPart(shard, part), stop, cancel });
    } finally {
      transport.close();
    }
    return { loopLags: new ValueCounts(1000) };
  }
  const counter = new SharedArrayBuffer(4);
  const pool: Worker[] = [];
  const loopLags = new ValueCounts(1000);
  const forward = (kind: "stop" | "cancel") => () => {
    for (const w of pool) w.postMessage({ kind } satisfies WorkerRequest);
  };
  const onStop = forward("stop");
  const onCancel = forward("cancel");
  try {
    for (let i = 0; i < workers; i++) {
      pool.push(new Worker(workerModuleUrl(), { type: "module", name: WORKER_NAME }));
    }
    // Each worker warms its connections and says "ready"; then all start at one instant.
    const ready: Array<() => void> = [];
    const allReady = Promise.all(pool.map((_, i) => new Promise<void>((r) => (ready[i] = r))));
    const done = pool.map((w, worker) =>
      new Promise<void>((resolve, reject) => {
        w.onmessage = (e: MessageEvent<WorkerReply>) => {
          const m = e.data;
          if (m.kind === "sent") sink.sent();
          else if (m.kind === "record") sink.record(m.record);
          else if (m.kind === "ready") ready[worker]!();
          else if (m.kind === "heap") sink.heap?.(worker, m.sample);
          else if (m.kind === "driven") {
            loopLags.merge(m.loopLags);
            resolve();
          } else if (m.kind === "error") reject(new RuntimeError(`Load worker: ${m.message}`));
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new RuntimeError(`Load worker failed: ${e.message}`));
        };
        w.postMessage({ kind: "drive", spec: d, worker, workers, counter } satisfies WorkerRequest);
      })
    );
    const failed = Promise.race(done).then(() => {}, () => {});
    await Promise.race([allReady, failed]);
    // A few ms ahead, so the start message has reached every worker by then.
    const t0Abs = d.startAtMs ?? performance.timeOrigin + performance.now() + 5;
    for (const w of pool) w.postMessage({ kind: "start", t0Abs } satisfies WorkerRequest);
    // Messages keep their order: a stop sent now reaches a worker after its drive.
    if (stop.aborted) onStop();
    else stop.addEventListener("abort", onStop, { once: true });
    if (cancel.aborted) onCancel();
    else cancel.addEventListener("abort", onCancel, { once: true });
    await Promise.all(done);
  } finally {
    stop.removeEventListener("abort", onStop);
    cancel.removeEventListener("abort", onCancel);
    for (const w of pool) w.terminate();
  }
  return { loopLags };
}

/** How {@link serveDrive} runs a worker's shard. */
export interface ServeDriveOptions extends DriveSignals {
  /** Resolves with the start instant, on the shared time axis (ms). */
  readonly start: Promise<number>;
}

/**
 * The worker side of {@link drive}: warms its connections, says "ready",
 * waits for the start instant, runs its shard and reports over `post`.
 */
export async function serveDrive(
  msg: Extract<WorkerRequest, { kind: "drive" }>,
  post: (reply: WorkerReply, transfer?: Transferable[]) => void,
  options: ServeDriveOptions,
): Promise<void> {
  const { start, stop, cancel } = options;
  const cell = new Int32Array(msg.counter);
  const shardAt = (t0: number): Shard =>
    shardOfPart({
      worker: msg.worker,
      workers: msg.workers,
      claim: () => Atomics.add(cell, 0, 1),
      t0,
    }, msg.spec.part ?? WHOLE);
  const transport = createTransport(msg.spec.transport.kind, msg.spec.transport);
  let heap: { stop(): void } | undefined;
  try {
    await warmConnections(msg.spec, transport, shardAt(0));
    post({ kind: "ready" });
    const shard = shardAt((await start) - performance.timeOrigin);
    const lag = sampleLoopLag();
    heap = msg.spec.heapSampleMs !== undefined
      ? sampleHeap(msg.spec.heapSampleMs, (sample) => post({ kind: "heap", sample }))
      : undefined;
    await driveShard(msg.spec, {
      sent: () => post({ kind: "sent" }),
      record: (record) => post({ kind: "record", record }),
    }, { transport, shard, stop, cancel });
    const lags = lag.stop().state();
    post({ kind: "driven", loopLags: lags }, lags.dense ? [lags.dense.buffer as ArrayBuffer] : []);
  } finally {
    heap?.stop();
    transport.close();
  }
}
