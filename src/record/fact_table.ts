/**
 * Request facts held in columns: what a report keeps of every request of a
 * trace, off the V8 heap.
 *
 * A plain {@link RequestFacts} object costs about 270 bytes of heap: thirteen
 * fields, six of them doubles that V8 boxes one by one, and a `usage` object.
 * At 100,000 requests that was 27 MB, the largest part of what a report held
 * (#23, docs/performance.md "Memory in long runs"). Here the numbers live in
 * typed arrays, blocks of {@link BLOCK} rows whose buffers are allocated
 * outside the V8 heap and never copied as the table grows. What stays on the
 * heap is one small row object per request (two references) and the rare
 * parts: errors (interned: a failure storm repeats one error thousands of
 * times), retries, server timings, and any number a column cannot hold
 * exactly.
 *
 * A row reads as a `RequestFacts`: its fields are getters, an absent one reads
 * `undefined`. Rows are read-only, their fields are not own properties (a
 * spread copies nothing: use {@link plainFacts}), and `JSON.stringify` gives
 * the plain object.
 *
 * @module
 */

import type { RequestError, RequestFacts } from "./record.ts";
import type { Usage } from "../protocol/openai.ts";

/** Rows per block. */
export const BLOCK = 8192;

/** Whole-number columns: -1 is absent, -2 says the value is kept in the row's rare part. */
const ABSENT = -1;
const ELSEWHERE = -2;

const FLAG_WARMUP = 1;
const FLAG_STREAM = 2;
const FLAG_USAGE = 4;

/** What a row keeps on the heap, when it has any of it. */
interface Rare {
  error?: RequestError;
  tries?: RequestFacts["tries"];
  serverTimings?: Record<string, number>;
  /** Values of whole-number columns that are not whole numbers from 0 to 2^31 - 1, by column. */
  ints?: Partial<Record<IntColumn, number>>;
  /** A finish reason past the dictionary's room. */
  finishReason?: string;
}

type IntColumn =
  | "index"
  | "chunks"
  | "attempts"
  | "status"
  | "shard"
  | "turn"
  | "promptTokens"
  | "completionTokens"
  | "cachedTokens"
  | "inputTokens"
  | "tokenizerOutputTokens";

/** One block's columns. Times are NaN when absent. */
class Block {
  readonly scheduledMs = new Float64Array(BLOCK);
  readonly startMs = new Float64Array(BLOCK);
  readonly endMs = new Float64Array(BLOCK);
  readonly firstChunkMs = new Float64Array(BLOCK);
  readonly lastChunkMs = new Float64Array(BLOCK);
  readonly firstContentMs = new Float64Array(BLOCK);
  readonly index = new Int32Array(BLOCK);
  readonly chunks = new Int32Array(BLOCK);
  readonly attempts = new Int32Array(BLOCK);
  readonly status = new Int32Array(BLOCK);
  readonly shard = new Int32Array(BLOCK);
  readonly turn = new Int32Array(BLOCK);
  readonly promptTokens = new Int32Array(BLOCK);
  readonly completionTokens = new Int32Array(BLOCK);
  readonly cachedTokens = new Int32Array(BLOCK);
  readonly inputTokens = new Int32Array(BLOCK);
  readonly tokenizerOutputTokens = new Int32Array(BLOCK);
  readonly flags = new Uint8Array(BLOCK);
  /** 0: no finish reason; k: the table's k-th name. */
  readonly finish = new Uint16Array(BLOCK);
  /** By row within the block. */
  readonly rare = new Map<number, Rare>();

  constructor(readonly table: FactTable) {}
}

const time = (v: number | undefined) => (v === undefined ? NaN : v);
const orUndefined = (v: number) => (v === v ? v : undefined);

/** The facts of many requests, appended one at a time, read back as rows. */
export class FactTable {
  readonly #blocks: Block[] = [];
  readonly #rows: RequestFacts[] = [];
  /** Finish reasons by number (0 is none). */
  readonly finishNames: string[] = [""];
  readonly #finishAt = new Map<string, number>();
  readonly #errors = new Map<string, RequestError>();

  /** Rows appended. */
  get length(): number {
    return this.#rows.length;
  }

  /** The rows, in the order they were appended. The array is the table's: sort or filter a copy. */
  rows(): RequestFacts[] {
    return this.#rows;
  }

  /** Copies a request's facts into the table. */
  append(f: RequestFacts): void {
    const k = this.#rows.length;
    const o = k % BLOCK;
    if (o === 0) this.#blocks.push(new Block(this));
    const b = this.#blocks[this.#blocks.length - 1]!;
    const rare: Rare = {};
    const int = (column: IntColumn, v: number | undefined) => {
      if (v === undefined) b[column][o] = ABSENT;
      else if (Number.isInteger(v) && v >= 0 && v <= 0x7fffffff) b[column][o] = v;
      else {
        b[column][o] = ELSEWHERE;
        (rare.ints ??= {})[column] = v;
      }
    };
    b.scheduledMs[o] = f.scheduledMs;
    b.startMs[o] = f.startMs;
    b.endMs[o] = f.endMs;
    b.firstChunkMs[o] = time(f.firstChunkMs);
    b.lastChunkMs[o] = time(f.lastChunkMs);
    b.firstContentMs[o] = time(f.firstContentMs);
    int("index", f.index);
    int("chunks", f.chunks);
    int("attempts", f.attempts);
    int("status", f.status);
    int("shard", f.shard);
    int("turn", f.turn);
    int("promptTokens", f.usage?.promptTokens);
    int("completionTokens", f.usage?.completionTokens);
    int("cachedTokens", f.usage?.cachedTokens);
    int("inputTokens", f.inputTokens);
    int("tokenizerOutputTokens", f.tokenizerOutputTokens);
    b.flags[o] = (f.warmup ? FLAG_WARMUP : 0) | (f.stream ? FLAG_STREAM : 0) |
      (f.usage ? FLAG_USAGE : 0);
    b.finish[o] = f.finishReason === undefined ? 0 : this.#finishNumber(f.finishReason, rare);
    if (f.error) rare.error = this.#intern(f.error);
    if (f.tries) rare.tries = f.tries;
    if (f.serverTimings) rare.serverTimings = f.serverTimings;
    if (Object.keys(rare).length) b.rare.set(o, rare);
    this.#rows.push(new FactRow(b, o) as unknown as RequestFacts);
  }

  #finishNumber(name: string, rare: Rare): number {
    let at = this.#finishAt.get(name);
    if (at === undefined) {
      if (this.finishNames.length > 0xffff) {
        rare.finishReason = name;
        return 0;
      }
      at = this.finishNames.push(name) - 1;
      this.#finishAt.set(name, at);
    }
    return at;
  }

  /** One object for every error with the same fields, values and key order. */
  #intern(error: RequestError): RequestError {
    const key = JSON.stringify(error);
    let kept = this.#errors.get(key);
    if (!kept) this.#errors.set(key, kept = error);
    return kept;
  }
}

/** A row of a {@link FactTable}: a `RequestFacts` whose fields are read from the columns. */
class FactRow {
  readonly #b: Block;
  readonly #o: number;

  constructor(block: Block, offset: number) {
    this.#b = block;
    this.#o = offset;
  }

  /** A whole-number column's value that is not in its column: absent, or kept in the rare part. */
  #other(column: IntColumn, v: number): number | undefined {
    return v === ABSENT ? undefined : this.#b.rare.get(this.#o)!.ints![column];
  }

  get index(): number {
    const v = this.#b.index[this.#o]!;
    return v >= 0 ? v : this.#other("index", v)!;
  }
  get warmup(): true | undefined {
    return this.#b.flags[this.#o]! & FLAG_WARMUP ? true : undefined;
  }
  get shard(): number | undefined {
    const v = this.#b.shard[this.#o]!;
    return v >= 0 ? v : this.#other("shard", v);
  }
  get turn(): number | undefined {
    const v = this.#b.turn[this.#o]!;
    return v >= 0 ? v : this.#other("turn", v);
  }
  get scheduledMs(): number {
    return this.#b.scheduledMs[this.#o]!;
  }
  get startMs(): number {
    return this.#b.startMs[this.#o]!;
  }
  get endMs(): number {
    return this.#b.endMs[this.#o]!;
  }
  get firstContentMs(): number | undefined {
    return orUndefined(this.#b.firstContentMs[this.#o]!);
  }
  get stream(): boolean {
    return (this.#b.flags[this.#o]! & FLAG_STREAM) !== 0;
  }
  get status(): number | undefined {
    const v = this.#b.status[this.#o]!;
    return v >= 0 ? v : this.#other("status", v);
  }
  get error(): RequestError | undefined {
    return this.#b.rare.get(this.#o)?.error;
  }
  /** A new object at every read. */
  get usage(): Usage | undefined {
    if (!(this.#b.flags[this.#o]! & FLAG_USAGE)) return undefined;
    const b = this.#b;
    const o = this.#o;
    const p = b.promptTokens[o]!;
    const c = b.completionTokens[o]!;
    const k = b.cachedTokens[o]!;
    const usage: Usage = {
      promptTokens: p >= 0 ? p : this.#other("promptTokens", p)!,
      completionTokens: c >= 0 ? c : this.#other("completionTokens", c)!,
    };
    if (k !== ABSENT) usage.cachedTokens = k >= 0 ? k : this.#other("cachedTokens", k)!;
    return usage;
  }
  get inputTokens(): number | undefined {
    const v = this.#b.inputTokens[this.#o]!;
    return v >= 0 ? v : this.#other("inputTokens", v);
  }
  get tokenizerOutputTokens(): number | undefined {
    const v = this.#b.tokenizerOutputTokens[this.#o]!;
    return v >= 0 ? v : this.#other("tokenizerOutputTokens", v);
  }
  get attempts(): number {
    const v = this.#b.attempts[this.#o]!;
    return v >= 0 ? v : this.#other("attempts", v)!;
  }
  get tries(): RequestFacts["tries"] {
    return this.#b.rare.get(this.#o)?.tries;
  }
  get finishReason(): string | undefined {
    const at = this.#b.finish[this.#o]!;
    return at ? this.#b.table.finishNames[at] : this.#b.rare.get(this.#o)?.finishReason;
  }
  get serverTimings(): Record<string, number> | undefined {
    return this.#b.rare.get(this.#o)?.serverTimings;
  }
  get chunks(): number {
    const v = this.#b.chunks[this.#o]!;
    return v >= 0 ? v : this.#other("chunks", v)!;
  }
  get firstChunkMs(): number | undefined {
    return orUndefined(this.#b.firstChunkMs[this.#o]!);
  }
  get lastChunkMs(): number | undefined {
    return orUndefined(this.#b.lastChunkMs[this.#o]!);
  }

  /** The plain object (see plainFacts). */
  toJSON(): RequestFacts {
    return plainFacts(this as unknown as RequestFacts);
  }
}

/** Every field of a `RequestFacts` that has a value, in a plain object: a table row's, or a copy of a plain one. */
export function plainFacts(f: RequestFacts): RequestFacts {
  const out: RequestFacts = {
    index: f.index,
    scheduledMs: f.scheduledMs,
    startMs: f.startMs,
    endMs: f.endMs,
    chunks: f.chunks,
    stream: f.stream,
    attempts: f.attempts,
  };
  if (f.warmup) out.warmup = true;
  if (f.shard !== undefined) out.shard = f.shard;
  if (f.turn !== undefined) out.turn = f.turn;
  if (f.firstChunkMs !== undefined) out.firstChunkMs = f.firstChunkMs;
  if (f.lastChunkMs !== undefined) out.lastChunkMs = f.lastChunkMs;
  if (f.firstContentMs !== undefined) out.firstContentMs = f.firstContentMs;
  if (f.status !== undefined) out.status = f.status;
  if (f.error) out.error = f.error;
  if (f.usage) out.usage = f.usage;
  if (f.inputTokens !== undefined) out.inputTokens = f.inputTokens;
  if (f.tokenizerOutputTokens !== undefined) out.tokenizerOutputTokens = f.tokenizerOutputTokens;
  if (f.tries) out.tries = f.tries;
  if (f.finishReason !== undefined) out.finishReason = f.finishReason;
  if (f.serverTimings) out.serverTimings = f.serverTimings;
  return out;
}
