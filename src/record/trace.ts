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
 * all ≥ 0 falls back to a JSON array `chunks`; readers take either.)
 *
 * Every report, the run's own and `report --reuse`, is computed by streaming
 * the trace ({@link readTrace}), so they are equal by construction. The reader
 * decodes the chunk deltas from the line's bytes into a reused buffer, so
 * memory does not grow with the number of chunks.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";
import type { RequestFacts, RequestRecord } from "./record.ts";
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
  /** The SHA-256 of the run's plan fingerprint: equal for every shard of one run. */
  plan_hash?: string;
  /** The shard that wrote this trace (`--shard`). */
  shard?: ShardStamp;
  /** The shards a merged trace was made of, by index (`servebench merge`). */
  shards?: ShardStamp[];
  /** The settings the run reported with (absent in traces of older builds). */
  settings?: TraceSettings;
}

/** Which shard of a distributed run wrote a trace, and how it kept time. */
export interface ShardStamp {
  /** From 0. */
  index: number;
  count: number;
  /** Where its wall-clock time came from. */
  clock_source: string;
  /**
   * The wall clock minus the trace's time axis at the task's start (ms): what
   * puts this shard's record times on the wall clock, so shards' records line up.
   */
  wall_offset_ms: number;
  /** The start instant asked for (`--start-at`), ISO 8601. */
  start_at?: string;
}

/**
 * The report settings of a run, as text the flags' parsers read again:
 * `report --reuse` applies them unless told otherwise.
 */
export interface TraceSettings {
  summarizer: string;
  /** Statistic labels: `Average`, `Median`, `P99.9`. */
  stats: string[];
  percentiles?: boolean;
  token_count?: string;
  /** `--slo` as text: `ttft:500ms,tpot:50ms`. */
  slo?: string;
  /** `--fail-on` as text: `ttft.p99>500ms,failed>0`. */
  fail_on?: string;
}

interface TraceLine {
  i: number;
  /** The shard that sent it (a merged trace). */
  sh?: number;
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
  /** Server-side timings, ms by name (after `c`, so the reader's scan for `c` holds). */
  st?: Record<string, number>;
  /** The server's cached prompt tokens (`usage.prompt_tokens_details.cached_tokens`). */
  cached?: number;
  /** The request's turn in its conversation. */
  turn?: number;
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
/** Digit values by byte (−1: not a digit). */
const BYTE_DIGIT = (() => {
  const t = new Int8Array(256).fill(-1);
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

/**
 * Decodes the digits of {@link encodeDeltas} from `bytes[from]` up to the
 * first byte that is not one (or `to`) into `out` (room for `to − from`
 * values needed): how many values, and where the digits end. Throws on a
 * number cut short.
 */
function decodeDigits(
  bytes: Uint8Array,
  from: number,
  to: number,
  out: Float64Array,
): { n: number; end: number } {
  let n = 0;
  let i = from;
  while (i < to) {
    // The common case read at once: three digits, any gap of 2.1 to 97 ms (1.8× faster).
    if (i + 2 < to) {
      const a = BYTE_DIGIT[bytes[i]!]!;
      const b = BYTE_DIGIT[bytes[i + 1]!]!;
      const c = BYTE_DIGIT[bytes[i + 2]!]!;
      if (a >= BASE && b >= BASE && c >= 0 && c < BASE) {
        out[n++] = a - BASE + (b - BASE) * BASE + c * BASE * BASE;
        i += 3;
        continue;
      }
    }
    // Any other number, digit by digit.
    let acc = 0;
    let mul = 1;
    let d = -1;
    for (; i < to; i++) {
      d = BYTE_DIGIT[bytes[i]!]!;
      if (d < BASE) break;
      acc += (d - BASE) * mul;
      mul *= BASE;
    }
    if (i >= to || d < 0) {
      if (mul !== 1) throw new Error(`"c" ends inside a number`);
      return { n, end: i };
    }
    out[n++] = acc + d * mul;
    i++;
  }
  return { n, end: i };
}

/** The bytes of a string of char codes below 256 (anything above maps to an invalid byte). */
const latin1Bytes = (text: string) =>
  Uint8Array.from(text, (ch) => (ch.charCodeAt(0) < 256 ? ch.charCodeAt(0) : 0xff));

/** Decodes {@link encodeDeltas}; throws on a character outside the alphabet or a cut number. */
export function decodeDeltas(text: string): Float64Array {
  const bytes = latin1Bytes(text);
  const out = new Float64Array(bytes.length);
  const { n, end } = decodeDigits(bytes, 0, bytes.length, out);
  if (end < bytes.length) throw new Error(`invalid character in "c" at ${end}`);
  return out.subarray(0, n);
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
  // A number before "c", where the reader's scan for "c" allows it.
  if (record.shard !== undefined) line.sh = record.shard;
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
  if (record.serverTimings) line.st = record.serverTimings;
  if (record.usage?.cachedTokens !== undefined) line.cached = record.usage.cachedTokens;
  if (record.turn !== undefined) line.turn = record.turn;
  return JSON.stringify(line);
}

/**
 * One record as read from a trace: its facts, and its chunk arrivals as µs
 * deltas (the first from `startUs`, then each gap). `deltasUs` is a view that
 * the next entry read overwrites: fold it, or copy it.
 */
export interface TraceEntry {
  facts: RequestFacts;
  /** The request's start in µs from the anchor. */
  startUs: number;
  deltasUs: Float64Array;
}

const utf8 = new TextDecoder();
const QUOTE = 0x22;
const C_FIELD = Uint8Array.from(',"c":"', (c) => c.charCodeAt(0));

/** Where the value of the `c` field starts in `bytes[from, to)`, or −1. */
function cValueStart(bytes: Uint8Array, from: number, to: number): number {
  // The fields before "c" are numbers and booleans, so the first match is the field itself.
  const first = C_FIELD[0]!;
  for (let i = bytes.indexOf(first, from); i !== -1 && i + C_FIELD.length <= to;) {
    let k = 1;
    while (k < C_FIELD.length && bytes[i + k] === C_FIELD[k]) k++;
    if (k === C_FIELD.length) return i + k;
    i = bytes.indexOf(first, i + 1);
  }
  return -1;
}

/** Parses a trace line's JSON; throws when a field every record has is missing. */
function parseLine(text: string): TraceLine {
  const line = JSON.parse(text) as TraceLine;
  for (const field of ["i", "sched", "start", "end"] as const) {
    if (typeof line[field] !== "number") throw new Error(`field "${field}" is missing`);
  }
  return line;
}

/**
 * Decodes trace lines into {@link TraceEntry}s. The chunk deltas are read
 * straight from the line's bytes into a reused buffer and the rest of the line
 * is parsed as JSON without them, so no per-chunk value is ever allocated.
 */
export class TraceLineDecoder {
  readonly #anchorMs: number;
  #deltas = new Float64Array(1024);

  /** @param anchorMs the trace header's anchor */
  constructor(anchorMs: number) {
    this.#anchorMs = anchorMs;
  }

  /** Decodes the line `bytes[from, to)`; throws on a line that is not a valid record. */
  decodeBytes(bytes: Uint8Array, from: number, to: number): TraceEntry {
    const start = cValueStart(bytes, from, to);
    if (start < 0) return this.decodeText(utf8.decode(bytes.subarray(from, to)));
    // The digits run up to the closing quote: one pass finds the end and decodes them.
    const { n, end } = decodeDigits(bytes, start, to, this.#room(to - start));
    if (end >= to) return this.decodeText(utf8.decode(bytes.subarray(from, to)));
    if (bytes[end] !== QUOTE) throw new Error(`invalid character in "c" at ${end - start}`);
    const line = parseLine(
      utf8.decode(bytes.subarray(from, start)) + utf8.decode(bytes.subarray(end, to)),
    );
    return this.#entry(line, n);
  }

  /** Decodes one line of text (any trace version). */
  decodeText(text: string): TraceEntry {
    const line = parseLine(text);
    // The rare path (a version-1 line, or fields in another order): allocating is fine here.
    const deltas = typeof line.c === "string"
      ? decodeDeltas(line.c)
      : Array.isArray(line.chunks)
      ? line.chunks
      : undefined;
    if (!deltas) throw new Error(`field "c" (or "chunks") is missing`);
    this.#room(deltas.length).set(deltas);
    return this.#entry(line, deltas.length);
  }

  #room(n: number): Float64Array {
    if (this.#deltas.length < n) {
      this.#deltas = new Float64Array(Math.max(n, 2 * this.#deltas.length));
    }
    return this.#deltas;
  }

  #entry(l: TraceLine, n: number): TraceEntry {
    const anchorMs = this.#anchorMs;
    const at = (u: number) => anchorMs + u / 1000;
    const startUs = l.start;
    const facts: RequestFacts = {
      index: l.i,
      scheduledMs: at(l.sched),
      startMs: at(startUs),
      endMs: at(startUs + l.end),
      chunks: n,
      stream: l.stream,
      attempts: l.attempts,
    };
    const deltasUs = this.#deltas.subarray(0, n);
    if (n) {
      let t = startUs;
      for (let k = 0; k < n; k++) t += deltasUs[k]!;
      facts.firstChunkMs = at(startUs + deltasUs[0]!);
      facts.lastChunkMs = at(t);
    }
    if (l.w) facts.warmup = true;
    if (l.sh !== undefined) facts.shard = l.sh;
    if (l.ttfo !== undefined) facts.firstContentMs = at(startUs + l.ttfo);
    if (l.status !== undefined) facts.status = l.status;
    if (l.usage) {
      facts.usage = { promptTokens: l.usage[0], completionTokens: l.usage[1] };
      if (l.cached !== undefined) facts.usage.cachedTokens = l.cached;
    }
    if (l.in !== undefined) facts.inputTokens = l.in;
    if (l.tok_out !== undefined) facts.tokenizerOutputTokens = l.tok_out;
    if (l.finish !== undefined) facts.finishReason = l.finish;
    if (l.err) facts.error = l.err;
    if (l.tries?.length) {
      facts.tries = l.tries.map((t) => ({
        startMs: at(t.start),
        endMs: at(t.start + t.end),
        error: t.err,
      }));
    }
    if (l.st) facts.serverTimings = l.st;
    if (l.turn !== undefined) facts.turn = l.turn;
    return { facts, startUs, deltasUs };
  }
}

/** A trace entry as a whole record, chunk arrivals on the absolute time axis. */
export function recordOf(entry: TraceEntry, anchorMs: number): RequestRecord {
  const { chunks: _, firstChunkMs: _f, lastChunkMs: _l, ...rest } = entry.facts;
  const chunkMs: number[] = new Array(entry.deltasUs.length);
  let t = entry.startUs;
  for (let k = 0; k < chunkMs.length; k++) {
    t += entry.deltasUs[k]!;
    chunkMs[k] = anchorMs + t / 1000;
  }
  return { ...rest, chunkMs };
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

  /** Writes a record (one direct write). */
  append(record: RequestRecord): void {
    writeAll(this.#file, encoder.encode(encodeRecord(record, this.anchorMs) + "\n"));
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

/** One line of a file: `bytes[from, to)`, valid until the next line is read. */
interface ByteLine {
  bytes: Uint8Array;
  from: number;
  to: number;
  /** Where the line starts in the file. */
  offset: number;
  /** The file's last line, with no newline after it. */
  last: boolean;
}

/**
 * Streams the lines of a file that start in `[start, end)` as bytes, without
 * loading the file whole or decoding it. `start` must be a line's start.
 */
async function* byteLines(path: string, start = 0, end = Infinity): AsyncGenerator<ByteLine> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new RuntimeError(`Cannot read trace "${path}"`, { cause: error });
  }
  try {
    if (start > 0) await file.seek(start, Deno.SeekMode.Start);
    let buf = new Uint8Array(1 << 22);
    /** File offset of buf[0]. */
    let base = start;
    let used = 0;
    while (base < end) {
      if (used === buf.length) {
        const bigger = new Uint8Array(2 * buf.length);
        bigger.set(buf);
        buf = bigger;
      }
      const n = await file.read(buf.subarray(used));
      if (n === null) break;
      const scanFrom = used;
      used += n;
      let from = 0;
      let nl = buf.subarray(scanFrom, used).indexOf(0x0a);
      if (nl !== -1) nl += scanFrom;
      while (nl !== -1) {
        if (base + from >= end) return;
        yield { bytes: buf, from, to: nl, offset: base + from, last: false };
        from = nl + 1;
        nl = buf.subarray(from, used).indexOf(0x0a);
        if (nl !== -1) nl += from;
      }
      buf.copyWithin(0, from, used);
      used -= from;
      base += from;
    }
    if (used > 0 && base < end) yield { bytes: buf, from: 0, to: used, offset: base, last: true };
  } finally {
    file.close();
  }
}

/**
 * Where the first line starting at or after `offset` begins (the file's size
 * when none does): a boundary for reading a trace in parallel ranges.
 */
export async function lineStartFrom(path: string, offset: number): Promise<number> {
  if (offset <= 0) return 0;
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(offset - 1, Deno.SeekMode.Start);
    const buf = new Uint8Array(1 << 16);
    let at = offset - 1;
    while (true) {
      const n = await file.read(buf);
      if (n === null) return at;
      const nl = buf.subarray(0, n).indexOf(0x0a);
      if (nl !== -1) return at + nl + 1;
      at += n;
    }
  } finally {
    file.close();
  }
}

/** The closing line of a finished task (absent when the run was killed). */
export interface TraceFooter {
  /** The client's self-check (loop lag, CPU). */
  self_check?: Record<string, unknown>;
  /** Sending was stopped by an interrupt (Ctrl-C, SIGTERM) before the plan was done. */
  interrupted?: true;
}

/** A trace read back: its header, a stream of its entries, and its footer once they are read. */
export interface TraceReader {
  header: TraceHeader;
  entries: AsyncGenerator<TraceEntry>;
  /** Set when the entries have been read, if the trace has a footer. */
  footer(): TraceFooter | undefined;
}

function parseHeader(path: string, line: ByteLine | undefined): TraceHeader {
  try {
    if (!line) throw new Error("the file is empty");
    const header = JSON.parse(utf8.decode(line.bytes.subarray(line.from, line.to)));
    if (typeof header.servebench_trace !== "number" || typeof header.anchor_ms !== "number") {
      throw new Error("line 1 is not a servebench trace header");
    }
    return header;
  } catch (error) {
    throw new RuntimeError(`Cannot read trace "${path}": ${(error as Error).message}`);
  }
}

/** Reads only a trace's header line. */
export async function readTraceHeader(path: string): Promise<TraceHeader> {
  const it = byteLines(path);
  try {
    return parseHeader(path, (await it.next()).value || undefined);
  } finally {
    await it.return(undefined);
  }
}

const FOOTER = Uint8Array.from('{"footer":', (c) => c.charCodeAt(0));

function startsWith(line: ByteLine, prefix: Uint8Array): boolean {
  if (line.to - line.from < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (line.bytes[line.from + k] !== prefix[k]) return false;
  return true;
}

/**
 * Streams the records of the lines that start in `[start, end)` of a trace,
 * skipping the header (the line at offset 0) and passing the footer to
 * `onFooter`. A final line cut short by a killed process is skipped; any other
 * unparseable line is an error naming the file and the line (its number when
 * reading from the start, else its byte offset).
 */
export async function* readTraceEntries(
  path: string,
  anchorMs: number,
  start = 0,
  end = Infinity,
  onFooter?: (footer: TraceFooter) => void,
): AsyncGenerator<TraceEntry> {
  const decoder = new TraceLineDecoder(anchorMs);
  let n = 0;
  for await (const line of byteLines(path, start, end)) {
    n++;
    if (line.offset === 0 || line.to === line.from) continue;
    if (startsWith(line, FOOTER)) {
      try {
        onFooter?.(JSON.parse(utf8.decode(line.bytes.subarray(line.from, line.to))).footer);
      } catch {
        // a footer cut short: the task's records are all there
      }
      continue;
    }
    let entry: TraceEntry;
    try {
      entry = decoder.decodeBytes(line.bytes, line.from, line.to);
    } catch (error) {
      if (line.last) return; // cut short by a kill: the request was not complete on disk
      const where = start === 0 ? `line ${n}` : `the line at byte ${line.offset}`;
      throw new RuntimeError(
        `Cannot read trace "${path}": ${where} is not a valid record: ${(error as Error).message}`,
      );
    }
    yield entry;
  }
}

/** Opens a trace for streaming: its header now, its entries and footer as they are read. */
export async function readTrace(path: string): Promise<TraceReader> {
  const header = await readTraceHeader(path);
  let footer: TraceFooter | undefined;
  const entries = readTraceEntries(path, header.anchor_ms, 0, Infinity, (f) => (footer = f));
  return { header, entries, footer: () => footer };
}

/**
 * Reads every record of a trace whole, chunk times included, in send order
 * (for small traces: benchmarks and tests; reports stream {@link readTrace}).
 */
export async function readTraceRecords(path: string): Promise<RequestRecord[]> {
  const { header, entries } = await readTrace(path);
  const out: RequestRecord[] = [];
  for await (const e of entries) out.push(recordOf(e, header.anchor_ms));
  return out.sort((a, b) => a.index - b.index);
}
