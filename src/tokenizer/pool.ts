/**
 * A pool of Web Workers that count tokens in parallel, so tokenizing many
 * outputs never runs on the event loop that stamps stream events.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";
import {
  WORKER_NAME,
  workerModuleUrl,
  type WorkerReply,
  type WorkerRequest,
} from "../worker_protocol.ts";

interface Pending {
  resolve: (counts: number[]) => void;
  reject: (error: Error) => void;
}

/** Counts tokens of many texts on `size` workers. */
export class TokenizerPool {
  readonly size: number;
  #workers: Worker[];
  #pending = new Map<number, Pending>();
  #nextId = 0;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    this.size = workers.length;
    for (const w of workers) {
      w.onmessage = (e: MessageEvent<WorkerReply>) => {
        const m = e.data;
        if (m.kind === "counts") {
          this.#pending.get(m.id)?.resolve(m.counts);
          this.#pending.delete(m.id);
        } else if (m.kind === "error" && m.id !== undefined) {
          this.#pending.get(m.id)?.reject(
            new RuntimeError(`Tokenizer worker failed: ${m.message}`),
          );
          this.#pending.delete(m.id);
        }
      };
    }
  }

  /** Starts `size` workers, each loading the tokenizer `ref`. */
  static async create(ref: string, size: number): Promise<TokenizerPool> {
    const workers: Worker[] = [];
    try {
      await Promise.all(
        Array.from({ length: Math.max(1, size) }, () => {
          const w = new Worker(workerModuleUrl(), { type: "module", name: WORKER_NAME });
          workers.push(w);
          return new Promise<void>((resolve, reject) => {
            w.onmessage = (e: MessageEvent<WorkerReply>) => {
              if (e.data.kind === "ready") resolve();
              else if (e.data.kind === "error") reject(new RuntimeError(e.data.message));
            };
            w.onerror = (e) => {
              e.preventDefault();
              reject(new RuntimeError(`Tokenizer worker failed to start: ${e.message}`));
            };
            w.postMessage({ kind: "init", tokenizer: ref } satisfies WorkerRequest);
          });
        }),
      );
    } catch (error) {
      for (const w of workers) w.terminate();
      throw error;
    }
    return new TokenizerPool(workers);
  }

  /** Token counts of the texts, in order, spread over the workers. */
  async count(texts: readonly string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    const n = Math.min(this.size, texts.length);
    const per = Math.ceil(texts.length / n);
    const parts = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const slice = texts.slice(i * per, (i + 1) * per);
        const id = this.#nextId++;
        return new Promise<number[]>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          this.#workers[i]!.postMessage(
            { kind: "count", id, texts: slice } satisfies WorkerRequest,
          );
        });
      }),
    );
    return parts.flat();
  }

  /** Stops the workers. */
  close(): void {
    for (const w of this.#workers) w.terminate();
    for (const p of this.#pending.values()) p.reject(new RuntimeError("Tokenizer pool closed"));
    this.#pending.clear();
  }
}

/**
 * Batches single texts into pool calls (every `maxBatch` texts or `delayMs`),
 * so counting each finished request's output costs one message per batch.
 */
export class BatchedCounter {
  readonly #pool: TokenizerPool;
  readonly #maxBatch: number;
  readonly #delayMs: number;
  #texts: string[] = [];
  #waiters: Array<{ resolve: (n: number) => void; reject: (e: Error) => void }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = new Set<Promise<void>>();

  /** Flushes every `maxBatch` texts (default 64) or `delayMs` after the first (default 20). */
  constructor(pool: TokenizerPool, options: { maxBatch?: number; delayMs?: number } = {}) {
    this.#pool = pool;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#delayMs = options.delayMs ?? 20;
  }

  /** Resolves with the token count of `text`. */
  count(text: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#texts.push(text);
      this.#waiters.push({ resolve, reject });
      if (this.#texts.length >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#delayMs);
    });
  }

  /** Resolves once every count asked so far has been answered. */
  async drain(): Promise<void> {
    this.#flush();
    await Promise.all(this.#inFlight);
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#texts.length) return;
    const texts = this.#texts;
    const waiters = this.#waiters;
    this.#texts = [];
    this.#waiters = [];
    const p = this.#pool.count(texts).then(
      (counts) => counts.forEach((c, i) => waiters[i]!.resolve(c)),
      (error) => waiters.forEach((w) => w.reject(error)),
    ).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }
}
