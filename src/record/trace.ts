/**
 * The raw trace: one JSON line per finished request, appended with a direct
 * write as each request completes (so a killed run loses only what was in
 * flight), after a header line holding the time anchor and the task.
 *
 * Times are integers in µs: `sched` and `start` relative to the anchor, `end`
 * and `ttfo` relative to the request's start, and the chunk arrivals
 * delta-encoded (the first relative to start, then each gap). The deltas are
 * written as one string `c` of base-46 digits ({@link encodeDeltas}): 3
 * characters for a gap of 2.1 to 97 ms, against 6 for a JSON number and comma,
 * which halves the trace of a long-output run. (A record whose deltas are not
 * all ≥ 0 falls back to a JSON array `chunks`; readers take either.) Records
 * are quantized to this µs grid when written; metrics are always computed from
 * the quantized form, so a report recomputed from the trace equals the
 * original.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";
import type { RequestRecord } from "./record.ts";
import type { TaskIdentity } from "../config/plan.ts";

/** Current trace format version. */
export const TRACE_VERSION = 2;

/** The first line of a trace. */
export interface TraceHeader {
  servebench_trace: number;
  /** Absolute ms (shared time axis) that every relative time counts from. */
  anchor_ms: number;
  /** When the task started, ISO 8601. */
  created: string;
  /** Who and what the task was: everything a report needs besides the records. */
  identity: TaskIdentity;
  /** The task as resolved (secrets redacted), for the record. */
  task: Record<string, unknown>;
}

interface TraceLine {
  i: number;
  w?: 1;
  sched: number;
  start: number;
  end: number;
  /** Chunk deltas, base-46 digits (see encodeDeltas). */
  c?: string;
  /** Chunk deltas as numbers (version 1, or a record with a negative delta). */
  chunks?: number[];
  ttfo?: number;
  stream: boolean;
  status?: number;
  usage?: [number, number];
  in?: number;
  tok_out?: number;
  attempts: number;
  finish?: string;
  err?: RequestRecord["error"];
  /** Earlier failed attempts: start (µs from anchor), end (µs from their start), error. */
  tries?: Array<{ start: number; end: number; err: NonNullable<RequestRecord["error"]> }>;
}

const us = (ms: number) => Math.round(ms * 1000);

/**
 * The digits of the delta encoding: 92 printable characters that need no
 * escaping in a JSON string (`!`, then `#` to `~` without `\`). The first 46
 * end a number, the other 46 continue it.
 */
const DIGITS = (() => {
  let s = "!";
  for (let c = 0x23; c <= 0x7e; c++) if (c !== 0x5c) s += String.fromCharCode(c);
  return s;
})();
const BASE = 46;
const DIGIT_CODES = Uint8Array.from(DIGITS, (c) => c.charCodeAt(0));
/** Digits are ASCII: bytes to a string without UTF-8 checks. */
const latin1 = new TextDecoder("latin1");
const DIGIT_VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < DIGITS.length; i++) t[DIGITS.charCodeAt(i)] = i;
  return t;
})();

/**
 * Encodes integers ≥ 0 as base-46 digits, least significant first: every digit
 * but the last of a number comes from the continuation half of the alphabet.
 */
export function encodeDeltas(values: readonly number[]): string {
  const codes = new Uint8Array(values.length * 3 + 16);
  let n = 0;
  let out = "";
  for (let v of values) {
    if (n + 16 > codes.length) {
      out += latin1.decode(codes.subarray(0, n));
      n = 0;
    }
    while (v >= BASE) {
      codes[n++] = DIGIT_CODES[BASE + (v % BASE)]!;
      v = Math.floor(v / BASE);
    }
    codes[n++] = DIGIT_CODES[v]!;
  }
  return out + latin1.decode(codes.subarray(0, n));
}

/** Decodes {@link encodeDeltas}; throws on a character outside the alphabet or a cut number. */
export function decodeDeltas(text: string): number[] {
  const out: number[] = [];
  let acc = 0;
  let mul = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const d = code < 128 ? DIGIT_VALUE[code]! : -1;
    if (d < 0) throw new Error(`invalid character in "c" at ${i}`);
    if (d >= BASE) {
      acc += (d - BASE) * mul;
      mul *= BASE;
    } else {
      out.push(acc + d * mul);
      acc = 0;
      mul = 1;
    }
  }
  if (mul !== 1) throw new Error(`"c" ends inside a number`);
  return out;
}

/** Encodes a record as a trace line, relative to `anchorMs`. */
export function encodeRecord(record: RequestRecord, anchorMs: number): string {
  const start = us(record.startMs - anchorMs);
  const chunks: number[] = new Array(record.chunkMs.length);
  let prev = start;
  let ordered = true;
  for (let k = 0; k < record.chunkMs.length; k++) {
    const t = us(record.chunkMs[k]! - anchorMs);
    if (t < prev) ordered = false;
    chunks[k] = t - prev;
    prev = t;
  }
  const line: TraceLine = {
    i: record.index,
    sched: us(record.scheduledMs - anchorMs),
    start,
    end: us(record.endMs - anchorMs) - start,
    stream: record.stream,
    attempts: record.attempts,
  };
  if (ordered) line.c = encodeDeltas(chunks);
  else line.chunks = chunks;
  if (record.warmup) line.w = 1;
  if (record.firstContentMs !== undefined) {
    line.ttfo = us(record.firstContentMs - anchorMs) - start;
  }
  if (record.status !== undefined) line.status = record.status;
  if (record.usage) line.usage = [record.usage.promptTokens, record.usage.completionTokens];
  if (record.inputTokens !== undefined) line.in = record.inputTokens;
  if (record.tokenizerOutputTokens !== undefined) line.tok_out = record.tokenizerOutputTokens;
  if (record.finishReason !== undefined) line.finish = record.finishReason;
  if (record.error) line.err = record.error;
  if (record.tries?.length) {
    line.tries = record.tries.map((t) => {
      const s = us(t.startMs - anchorMs);
      return { start: s, end: us(t.endMs - anchorMs) - s, err: t.error };
    });
  }
  return JSON.stringify(line);
}

/**
 * The record as its trace line reads back: every instant moved to the trace's
 * µs grid (`anchor + whole µs`), the same numbers `decodeRecord` computes.
 */
export function quantize(record: RequestRecord, anchorMs: number): RequestRecord {
  const q = (ms: number) => anchorMs + us(ms - anchorMs) / 1000;
  const out: RequestRecord = {
    ...record,
    scheduledMs: q(record.scheduledMs),
    startMs: q(record.startMs),
    endMs: q(record.endMs),
    chunkMs: record.chunkMs.map(q),
  };
  if (record.firstContentMs !== undefined) out.firstContentMs = q(record.firstContentMs);
  if (record.tries) {
    out.tries = record.tries.map((t) => ({ ...t, startMs: q(t.startMs), endMs: q(t.endMs) }));
  }
  return out;
}

/** Decodes a trace line back into a record on the absolute time axis. */
export function decodeRecord(text: string, anchorMs: number): RequestRecord {
  const l = JSON.parse(text) as TraceLine;
  for (const field of ["i", "sched", "start", "end"] as const) {
    if (typeof l[field] !== "number") throw new Error(`field "${field}" is missing`);
  }
  const deltas = typeof l.c === "string" ? decodeDeltas(l.c) : l.chunks;
  if (!Array.isArray(deltas)) throw new Error(`field "c" (or "chunks") is missing`);
  const startUs = l.start;
  const at = (u: number) => anchorMs + u / 1000;
  const chunkMs: number[] = new Array(deltas.length);
  let t = startUs;
  for (let k = 0; k < deltas.length; k++) {
    t += deltas[k]!;
    chunkMs[k] = at(t);
  }
  const record: RequestRecord = {
    index: l.i,
    scheduledMs: at(l.sched),
    startMs: at(startUs),
    endMs: at(startUs + l.end),
    chunkMs,
    stream: l.stream,
    attempts: l.attempts,
  };
  if (l.w) record.warmup = true;
  if (l.ttfo !== undefined) record.firstContentMs = at(startUs + l.ttfo);
  if (l.status !== undefined) record.status = l.status;
  if (l.usage) record.usage = { promptTokens: l.usage[0], completionTokens: l.usage[1] };
  if (l.in !== undefined) record.inputTokens = l.in;
  if (l.tok_out !== undefined) record.tokenizerOutputTokens = l.tok_out;
  if (l.finish !== undefined) record.finishReason = l.finish;
  if (l.err) record.error = l.err;
  if (l.tries?.length) {
    record.tries = l.tries.map((t) => ({
      startMs: at(t.start),
      endMs: at(t.start + t.end),
      error: t.err,
    }));
  }
  return record;
}

const encoder = new TextEncoder();

/** Appends records to a trace file, one direct write per record. */
export class TraceWriter {
  readonly path: string;
  readonly anchorMs: number;
  #file: Deno.FsFile;

  private constructor(path: string, anchorMs: number, file: Deno.FsFile) {
    this.path = path;
    this.anchorMs = anchorMs;
    this.#file = file;
  }

  /** Creates the file (never overwriting) and writes the header. */
  static create(path: string, header: Omit<TraceHeader, "servebench_trace">): TraceWriter {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { write: true, createNew: true });
    } catch (error) {
      throw new RuntimeError(`Cannot create trace "${path}"`, { cause: error });
    }
    const full: TraceHeader = { servebench_trace: TRACE_VERSION, ...header };
    writeAll(file, encoder.encode(JSON.stringify(full) + "\n"));
    return new TraceWriter(path, header.anchor_ms, file);
  }

  /**
   * Writes a record and returns it quantized to the trace's µs grid — the form
   * every metric must be computed from.
   */
  append(record: RequestRecord): RequestRecord {
    writeAll(this.#file, encoder.encode(encodeRecord(record, this.anchorMs) + "\n"));
    return quantize(record, this.anchorMs);
  }

  /** Writes the task's closing line (the client's self-check), after the last record. */
  finish(footer: TraceFooter): void {
    writeAll(this.#file, encoder.encode(JSON.stringify({ footer }) + "\n"));
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // already closed
    }
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** Streams a trace's lines without loading the file whole. */
async function* lines(path: string): AsyncGenerator<{ text: string; last: boolean }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new RuntimeError(`Cannot read trace "${path}"`, { cause: error });
  }
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of file.readable) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    let from = 0;
    while ((nl = rest.indexOf("\n", from)) !== -1) {
      yield { text: rest.slice(from, nl), last: false };
      from = nl + 1;
    }
    rest = rest.slice(from);
  }
  rest += decoder.decode();
  if (rest) yield { text: rest, last: true };
}

/** The closing line of a finished task (absent when the run was killed). */
export interface TraceFooter {
  /** The client's self-check (loop lag, CPU). */
  self_check?: Record<string, unknown>;
}

/** A trace read back: its header, a stream of its records, and its footer once they are read. */
export interface TraceReader {
  header: TraceHeader;
  records: AsyncGenerator<RequestRecord>;
  /** Set when the records have been read, if the trace has a footer. */
  footer(): TraceFooter | undefined;
}

/**
 * Opens a trace. A final line cut short by a killed process is skipped; any
 * other unparseable line is an error naming the file and line.
 */
export async function readTrace(path: string): Promise<TraceReader> {
  const it = lines(path);
  const first = await it.next();
  let header: TraceHeader;
  try {
    if (first.done) throw new Error("the file is empty");
    header = JSON.parse(first.value.text);
    if (typeof header.servebench_trace !== "number" || typeof header.anchor_ms !== "number") {
      throw new Error("line 1 is not a servebench trace header");
    }
  } catch (error) {
    throw new RuntimeError(`Cannot read trace "${path}": ${(error as Error).message}`);
  }
  let footer: TraceFooter | undefined;
  async function* records(): AsyncGenerator<RequestRecord> {
    let n = 1;
    for await (const { text, last } of it) {
      n++;
      if (!text) continue;
      if (text.startsWith('{"footer":')) {
        try {
          footer = JSON.parse(text).footer;
        } catch {
          // a footer cut short: the task's records are all there
        }
        continue;
      }
      try {
        yield decodeRecord(text, header.anchor_ms);
      } catch (error) {
        if (last) return; // cut short by a kill: the request was not complete on disk
        throw new RuntimeError(
          `Cannot read trace "${path}": line ${n} is not a valid record: ${
            (error as Error).message
          }`,
        );
      }
    }
  }
  return { header, records: records(), footer: () => footer };
}
