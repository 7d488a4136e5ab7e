/**
 * Driving a task's load: the send loop (body, send with retries, record out),
 * in the main thread or spread over Web Workers. A worker gets a plain,
 * cloneable {@link DriveSpec}, its shard of the load, and posts every finished
 * record back; it never computes metrics (DESIGN.md, "Time base and workers").
 *
 * @module
 */

import type { LoadPoint } from "../config/plan.ts";
import { maxInFlight, runLoad, type Shard, wholeLoad } from "../load/mod.ts";
import { capShare, realClock } from "../load/clock.ts";
import { type HttpTarget, type SendMeta, sendRequest } from "../protocol/client.ts";
import { adapterFor, type ApiKind, type RequestSpec } from "../protocol/openai.ts";
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

type WorkerRequest = AnyWorkerRequest<DriveSpec>;

/** Everything a send loop needs, as plain data (it crosses into workers). */
export interface DriveSpec {
  readonly url: string;
  /** `GET` here opens connections before the load starts (the server's model list). */
  readonly modelsUrl: string;
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
  readonly load: LoadPoint;
  /** Most sends, warm-up included (Infinity when bounded by time only). */
  readonly total: number;
  readonly durationMs?: number;
}

/** Where a send loop reports to. */
export interface DriveSink {
  /** A send is about to go out. */
  sent(): void;
  /** A request finished (not cancelled by the stop). */
  record(record: RequestRecord): void;
}

const RETRYABLE = new Set(["connect", "timeout", "http_5xx"]);

/** True when a failed attempt may be retried: connection errors, timeouts, 429 and 5xx. */
export function retryable(record: RequestRecord): boolean {
  const e = record.error;
  return e !== undefined && (RETRYABLE.has(e.category) || e.status === 429);
}

/** Backoff before retry `attempt` (1-based): the server's Retry-After, else 0.5 s × 2^(n−1), jittered. */
export function backoffMs(record: RequestRecord, attempt: number, random = Math.random): number {
  const hinted = record.error?.retryAfterMs;
  if (hinted !== undefined) return hinted;
  return Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + random());
}

/** Sends with retries; the record is the last attempt's, scheduled at the first's due time. */
async function sendWithRetry(
  target: HttpTarget,
  body: string,
  meta: SendMeta,
  retries: number,
  signal: AbortSignal,
): Promise<RequestRecord> {
  const tries: NonNullable<RequestRecord["tries"]> = [];
  for (let attempt = 1;; attempt++) {
    const record = await sendRequest(target, body, meta, signal);
    record.attempts = attempt;
    if (tries.length) record.tries = tries;
    if (attempt > retries || !retryable(record) || signal.aborted) return record;
    tries.push({ startMs: record.startMs, endMs: record.endMs, error: record.error! });
    // realClock's sleep removes its abort listener: the cancel signal lives as long as the task.
    await realClock.sleepUntil(realClock.now() + backoffMs(record, attempt), signal);
  }
}

/**
 * Runs one shard of the load: builds each body, sends it (with retries) and
 * hands the record to the sink. `stop` ends the starting of sends; `cancel`
 * cuts in-flight requests off (they are dropped, not recorded).
 */
export async function driveShard(
  d: DriveSpec,
  transport: Transport,
  shard: Shard,
  signals: { stop: AbortSignal; cancel: AbortSignal },
  sink: DriveSink,
): Promise<void> {
  const adapter = adapterFor(d.api);
  const target: HttpTarget = {
    url: d.url,
    headers: d.headers,
    adapter,
    stream: d.stream,
    transport,
    ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}),
    ...(d.keepText ? { keepText: true } : {}),
  };
  const rule = {
    total: d.total,
    signal: signals.stop,
    ...(d.durationMs !== undefined ? { durationMs: d.durationMs } : {}),
  };
  await runLoad(
    d.load,
    rule,
    async (index, scheduledMs) => {
      const spec = d.specs[index % d.specs.length]!;
      const body = JSON.stringify(adapter.buildBody(spec, {
        model: d.servedModel,
        stream: d.stream,
        maxTokens: d.maxTokens,
        extraBody: d.generationKwargs,
      }));
      const meta: SendMeta = {
        index,
        scheduledMs,
        ...(index < d.warmup ? { warmup: true } : {}),
        ...(spec.expectedInputTokens !== undefined
          ? { inputTokens: spec.expectedInputTokens }
          : {}),
      };
      sink.sent();
      const record = await sendWithRetry(target, body, meta, d.retry, signals.cancel);
      // A request cut off by the stop did not complete: it stays out of every output.
      if (record.error?.category !== "cancelled") sink.record(record);
    },
    realClock,
    shard,
  );
}

/** Streams in flight each worker is chosen for when `--workers` is not given. */
export const STREAMS_PER_WORKER = 256;

/**
 * The worker count for a load: `requested` when given (0 = the main thread),
 * else one per {@link STREAMS_PER_WORKER} streams in flight (bounded by the
 * request count), at least one, at most the machine's cores; never more than
 * the load has lanes (its cap on requests in flight) to split.
 */
export function workerCount(load: LoadPoint, requested?: number): number {
  const lanes = maxInFlight(load);
  const streams = Math.min(lanes, load.numRequests ?? Infinity);
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
  const count = capShare(d.warmConnections, shard);
  await Promise.all(Array.from({ length: count }, async () => {
    try {
      const signal = AbortSignal.timeout(10_000);
      const r = await transport.request(d.modelsUrl, { method: "GET", headers: d.headers, signal });
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

/**
 * Drives the load on `workers` Web Workers (0: in this thread), each with its
 * own transport and shard; all start at one instant on the shared time axis.
 * `stop` and `cancel` are forwarded; resolves when every shard has ended.
 */
export async function drive(
  d: DriveSpec,
  workers: number,
  signals: { stop: AbortSignal; cancel: AbortSignal },
  sink: DriveSink,
): Promise<DriveResult> {
  if (workers === 0) {
    const transport = createTransport(d.transport.kind, d.transport);
    try {
      await warmConnections(d, transport, wholeLoad(realClock));
      await driveShard(d, transport, wholeLoad(realClock), signals, sink);
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
    const t0Abs = performance.timeOrigin + performance.now() + 5;
    for (const w of pool) w.postMessage({ kind: "start", t0Abs } satisfies WorkerRequest);
    // Messages keep their order: a stop sent now reaches a worker after its drive.
    if (signals.stop.aborted) onStop();
    else signals.stop.addEventListener("abort", onStop, { once: true });
    if (signals.cancel.aborted) onCancel();
    else signals.cancel.addEventListener("abort", onCancel, { once: true });
    await Promise.all(done);
  } finally {
    signals.stop.removeEventListener("abort", onStop);
    signals.cancel.removeEventListener("abort", onCancel);
    for (const w of pool) w.terminate();
  }
  return { loopLags };
}

/**
 * The worker side of {@link drive}: warms its connections, says "ready",
 * waits for the start instant (`start`, on the shared time axis), runs its
 * shard and reports over `post`.
 */
export async function serveDrive(
  msg: Extract<WorkerRequest, { kind: "drive" }>,
  start: Promise<number>,
  signals: { stop: AbortSignal; cancel: AbortSignal },
  post: (reply: WorkerReply, transfer?: Transferable[]) => void,
): Promise<void> {
  const cell = new Int32Array(msg.counter);
  const shardAt = (t0: number): Shard => ({
    worker: msg.worker,
    workers: msg.workers,
    claim: () => Atomics.add(cell, 0, 1),
    t0,
  });
  const transport = createTransport(msg.spec.transport.kind, msg.spec.transport);
  try {
    await warmConnections(msg.spec, transport, shardAt(0));
    post({ kind: "ready" });
    const shard = shardAt((await start) - performance.timeOrigin);
    const lag = sampleLoopLag();
    await driveShard(msg.spec, transport, shard, signals, {
      sent: () => post({ kind: "sent" }),
      record: (record) => post({ kind: "record", record }),
    });
    const lags = lag.stop().state();
    post({ kind: "driven", loopLags: lags }, lags.dense ? [lags.dense.buffer as ArrayBuffer] : []);
  } finally {
    transport.close();
  }
}
