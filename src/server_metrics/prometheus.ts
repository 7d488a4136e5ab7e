/**
 * A parser of the Prometheus text exposition format, version 0.0.4: `# HELP`
 * and `# TYPE` lines, samples with label sets (`\\`, `\"` and `\n` escaped in
 * values), optional millisecond timestamps, `+Inf`/`-Inf`/`NaN` values, and a
 * histogram's `_bucket{le=…}`/`_sum`/`_count` (a summary's quantiles,
 * `_sum`/`_count`) grouped into one family. From OpenMetrics it tolerates
 * what servers built on OpenMetrics clients send: `# EOF`, a counter family
 * declared without the `_total` its samples carry, `_created` samples,
 * `unknown`/`info`/`stateset`/`gaugehistogram` types, float-second
 * timestamps and exemplars (skipped).
 *
 * A malformed line never throws: it becomes a {@link ParseWarning} naming its
 * line number and content, and the rest of the exposition is still read — a
 * scrape must not stop a run.
 *
 * Why our own parser and not an npm package, by measurement
 * (`scripts/bench_server_metrics.ts parse --compare-npm`, 2026-12-01, this
 * 2-core machine at load 8–10; a 294-line, 25 KB vLLM exposition): this
 * parser takes 0.39–0.69 ms per exposition, `parse-prometheus-text-format`
 * 1.1.1 (the most used one, ~240 k downloads a month) 1.29–2.05 ms. Size is
 * a wash (this file ~490 lines with comments; the package's built file
 * 13 KB plus `shallow-equal`). Correctness decides it: on vLLM's own output, whose
 * multiprocess collector writes a histogram's `_sum` before its buckets, the
 * package loses `_sum` and `_count` (only `buckets` is left, so no mean and
 * no count); it keeps no line numbers; of the malformed lines it throws on
 * some (`x{a=1} 2`: the whole scrape is lost) and silently keeps others
 * (`x{a="1} 2` becomes a sample with an empty value, `x abc` a value
 * `"abc"`, `\q` stays raw); an OpenMetrics counter (`# TYPE x counter`,
 * sample `x_total`) becomes an empty counter family plus an untyped one; and
 * every value is a string left to the caller. Escapes (`\\`, `\"`, `\n`,
 * `}` or `,` inside a value) it does read right. See docs/performance.md,
 * "Server metrics".
 *
 * @module
 */

/** The metric types of the 0.0.4 format. */
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

/** A label set: label name → value (unescaped). */
export type Labels = Readonly<Record<string, string>>;

/** One sample line. */
export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_total`, …). */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  /** The sample's timestamp, ms since the Unix epoch, when the line gave one. */
  readonly timestampMs?: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples. */
export interface MetricFamily {
  /** The family name (`x` for a histogram whose samples are `x_bucket`, …). */
  readonly name: string;
  /** `untyped` when no `# TYPE` line named it. */
  readonly type: MetricType;
  readonly help?: string;
  readonly samples: Sample[];
}

/** A line that could not be read, and why. */
export interface ParseWarning {
  /** 1-based line number in the exposition. */
  readonly line: number;
  /** The line as it was (cut to 200 characters). */
  readonly text: string;
  /** What was expected. */
  readonly reason: string;
}

/** A parsed exposition. */
export interface Exposition {
  /** Families by name, in the order they first appeared. */
  readonly families: Map<string, MetricFamily>;
  /** The lines that could not be read. */
  readonly warnings: ParseWarning[];
}

/** Renders a warning as one sentence for a log line: line number, reason, the line itself. */
export function warningText(warning: ParseWarning): string {
  return `line ${warning.line}: ${warning.reason}: ${JSON.stringify(warning.text)}`;
}

/** One bucket of a histogram: the cumulative count of observations ≤ `le`. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/** The samples of one histogram series (one label set without `le`). */
export interface HistogramSeries {
  /** The series' labels (without `le`). */
  readonly labels: Labels;
  /** Buckets by ascending `le`; the last is `+Inf` when the server sent it. */
  readonly buckets: Bucket[];
  readonly sum?: number;
  readonly count?: number;
}

/**
 * Groups a histogram family's samples into series (one per label set
 * without `le`), buckets sorted by bound.
 */
export function histogramSeries(family: MetricFamily): HistogramSeries[] {
  const byKey = new Map<
    string,
    { labels: Labels; buckets: Bucket[]; sum?: number; count?: number }
  >();
  const base = family.name;
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = labelKey(rest);
    let series = byKey.get(key);
    if (!series) byKey.set(key, series = { labels: rest, buckets: [] });
    if (s.name === `${base}_bucket` && le !== undefined) {
      series.buckets.push({ le: parseValue(le), count: s.value });
    } else if (s.name === `${base}_sum`) series.sum = s.value;
    else if (s.name === `${base}_count`) series.count = s.value;
  }
  const out: HistogramSeries[] = [];
  for (const s of byKey.values()) {
    s.buckets.sort((a, b) => a.le - b.le);
    out.push(s);
  }
  return out;
}

/** A label set as one canonical string (names sorted), for grouping series. */
export function labelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return "";
  if (names.length > 1) names.sort();
  let key = "";
  for (const n of names) key += `${n}=${JSON.stringify(labels[n])},`;
  return key;
}

/**
 * Parses a number as Prometheus does (Go's `strconv.ParseFloat`): decimal
 * floats, `±Inf`/`±Infinity` and `NaN` in any case. Returns `undefined` for
 * anything else (including an empty string, which `Number` would take as 0).
 */
export function parseNumber(text: string): number | undefined {
  const n = text.length;
  if (n === 0) return undefined;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 46 && c !== 43 && c !== 45 && c !== 101 && c !== 69) return special(text);
  }
  if (digits === 0) return undefined;
  const v = Number(text);
  return Number.isNaN(v) ? undefined : v;
}

function special(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === "nan") return NaN;
  const body = t[0] === "+" || t[0] === "-" ? t.slice(1) : t;
  if (body !== "inf" && body !== "infinity") return undefined;
  return t[0] === "-" ? -Infinity : Infinity;
}

function parseValue(text: string): number {
  return parseNumber(text) ?? NaN;
}

const TYPES: Record<string, MetricType> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  summary: "summary",
  untyped: "untyped",
  // OpenMetrics names, read as their closest 0.0.4 type.
  unknown: "untyped",
  info: "gauge",
  stateset: "gauge",
  gaugehistogram: "histogram",
};

/** Which sample suffixes belong to a family of each type (besides the bare name). */
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ["_total", "_created"],
  gauge: [],
  histogram: ["_bucket", "_sum", "_count", "_created", "_gsum", "_gcount"],
  summary: ["_sum", "_count", "_created"],
  untyped: [],
};

interface MutableFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
  /** Declared by a `# TYPE` line. */
  typed: boolean;
}

/** A parser's state: families so far, and a cache of sample name → family. */
class ParseState {
  readonly families = new Map<string, MutableFamily>();
  readonly warnings: ParseWarning[] = [];
  readonly #bySample = new Map<string, MutableFamily>();

  warn(line: number, text: string, reason: string): void {
    this.warnings.push({ line, text: text.length > 200 ? text.slice(0, 200) + "…" : text, reason });
  }

  /** The family a `# HELP`/`# TYPE` line names (created untyped if new). */
  declared(name: string): MutableFamily {
    let f = this.families.get(name);
    if (!f) {
      f = { name, type: "untyped", samples: [], typed: false };
      this.families.set(name, f);
      this.#bySample.clear();
    }
    return f;
  }

  /** The family a sample belongs to: by its name, or its name less a suffix its type allows. */
  familyOf(sample: string): MutableFamily {
    const cached = this.#bySample.get(sample);
    if (cached) return cached;
    let found = this.families.get(sample);
    if (!found?.typed) {
      const cut = sample.lastIndexOf("_");
      if (cut > 0) {
        const base = this.families.get(sample.slice(0, cut));
        if (base?.typed && SUFFIXES[base.type].includes(sample.slice(cut))) found = base;
      }
    }
    if (!found) {
      found = { name: sample, type: "untyped", samples: [], typed: false };
      this.families.set(sample, found);
    }
    this.#bySample.set(sample, found);
    return found;
  }
}

const SPACE = 32;
const TAB = 9;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

function skipBlanks(line: string, i: number): number {
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** Reads a metric or label name from `i`; returns its end (== i when there is none). */
function nameEnd(line: string, i: number, allowColon: boolean): number {
  if (i >= line.length) return i;
  const first = line.charCodeAt(i);
  if (!isNameStart(first) || (!allowColon && first === 58)) return i;
  let j = i + 1;
  while (j < line.length) {
    const c = line.charCodeAt(j);
    if (!isNameChar(c) || (!allowColon && c === 58)) break;
    j++;
  }
  return j;
}

/** A line that failed, with the reason; thrown inside the parser only, never out of it. */
class LineError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "LineError";
  }
}

/**
 * Reads a quoted label value starting after its opening quote at `i`.
 * Returns the unescaped value and the index after the closing quote.
 */
function quoted(line: string, i: number): [string, number] {
  const close = line.indexOf('"', i);
  const slash = line.indexOf("\\", i);
  if (close >= 0 && (slash < 0 || slash > close)) return [line.slice(i, close), close + 1];
  let out = "";
  let from = i;
  for (let j = i; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c === 34) return [out + line.slice(from, j), j + 1];
    if (c === 92) {
      const next = line[j + 1];
      const un = next === "\\" ? "\\" : next === '"' ? '"' : next === "n" ? "\n" : undefined;
      if (un === undefined) {
        throw new LineError(
          `invalid escape "\\${next ?? ""}" in a label value (only \\\\, \\" and \\n are allowed)`,
        );
      }
      out += line.slice(from, j) + un;
      j++;
      from = j + 1;
    }
  }
  throw new LineError("a label value has no closing quote");
}

/** Parses `{name="value",…}` from the `{` at `i`; returns the labels and the index after `}`. */
function labelSet(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    i = skipBlanks(line, i);
    if (line.charCodeAt(i) === 125) return [labels, i + 1];
    const end = nameEnd(line, i, false);
    if (end === i) {
      throw new LineError(
        i >= line.length ? "the label set has no closing brace" : "expected a label name",
      );
    }
    const name = line.slice(i, end);
    i = skipBlanks(line, end);
    if (line.charCodeAt(i) !== 61) throw new LineError(`expected "=" after label "${name}"`);
    i = skipBlanks(line, i + 1);
    if (line.charCodeAt(i) !== 34) {
      throw new LineError(`expected a quoted value for label "${name}"`);
    }
    const [value, after] = quoted(line, i + 1);
    if (Object.hasOwn(labels, name)) throw new LineError(`label "${name}" appears twice`);
    labels[name] = value;
    i = skipBlanks(line, after);
    const c = line.charCodeAt(i);
    if (c === 44) i++;
    else if (c !== 125) throw new LineError('expected "," or "}" after a label value');
  }
}

/** Unescapes a `# HELP` docstring (`\\` and `\n`). */
function unescapeHelp(text: string): string {
  if (!text.includes("\\")) return text;
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === "n" ? "\n" : "\\"));
}

function token(line: string, i: number): [string, number] {
  let j = i;
  while (j < line.length) {
    const c = line.charCodeAt(j);
    if (c === SPACE || c === TAB) break;
    j++;
  }
  return [line.slice(i, j), j];
}

function comment(state: ParseState, line: string, lineNo: number): "eof" | undefined {
  let i = skipBlanks(line, line.indexOf("#") + 1);
  const [keyword, after] = token(line, i);
  if (keyword === "EOF" && skipBlanks(line, after) === line.length) return "eof";
  if (keyword !== "HELP" && keyword !== "TYPE") return undefined; // a plain comment
  i = skipBlanks(line, after);
  const end = nameEnd(line, i, true);
  if (end === i) {
    state.warn(lineNo, line, `expected a metric name after "# ${keyword}"`);
    return undefined;
  }
  const name = line.slice(i, end);
  if (end < line.length && line.charCodeAt(end) !== SPACE && line.charCodeAt(end) !== TAB) {
    state.warn(lineNo, line, `"${line.slice(i).split(/\s/)[0]}" is not a valid metric name`);
    return undefined;
  }
  const rest = line.slice(skipBlanks(line, end));
  if (keyword === "HELP") {
    const family = state.declared(name);
    if (family.help !== undefined) state.warn(lineNo, line, `a second HELP line for "${name}"`);
    else family.help = unescapeHelp(rest);
    return undefined;
  }
  const type = TYPES[rest.trim()];
  if (type === undefined) {
    state.warn(lineNo, line, `unknown metric type "${rest.trim()}" for "${name}"`);
    return undefined;
  }
  const family = state.declared(name);
  if (family.typed) {
    state.warn(lineNo, line, `a second TYPE line for "${name}"`);
  } else if (family.samples.length > 0) {
    state.warn(lineNo, line, `the TYPE line for "${name}" comes after its samples`);
  } else {
    family.type = type;
    family.typed = true;
  }
  return undefined;
}

function sample(state: ParseState, line: string): void {
  let i = skipBlanks(line, 0);
  const end = nameEnd(line, i, true);
  if (end === i) throw new LineError("expected a metric name");
  const name = line.slice(i, end);
  i = skipBlanks(line, end);
  let labels: Record<string, string> = {};
  if (line.charCodeAt(i) === 123) {
    [labels, i] = labelSet(line, i);
    i = skipBlanks(line, i);
  } else if (i === end && i < line.length) {
    throw new LineError(`"${token(line, 0)[0]}" is not a valid metric name`);
  }
  const [valueText, afterValue] = token(line, i);
  if (valueText === "") throw new LineError(`expected a value after "${name}"`);
  const value = parseNumber(valueText);
  if (value === undefined) throw new LineError(`"${valueText}" is not a number`);
  i = skipBlanks(line, afterValue);
  let timestampMs: number | undefined;
  if (i < line.length && line.charCodeAt(i) !== 35) {
    const [tsText, afterTs] = token(line, i);
    const ts = parseNumber(tsText);
    if (ts === undefined || !Number.isFinite(ts)) {
      throw new LineError(`"${tsText}" is not a timestamp`);
    }
    // 0.0.4 timestamps are integer ms; OpenMetrics writes float seconds.
    timestampMs = /[.eE]/.test(tsText) ? ts * 1000 : ts;
    i = skipBlanks(line, afterTs);
  }
  // An OpenMetrics exemplar (`# {trace_id="…"} 1.0`) is skipped; anything else is an error.
  if (i < line.length && line.charCodeAt(i) !== 35) {
    throw new LineError(`unexpected "${line.slice(i)}" after the value`);
  }
  const family = state.familyOf(name);
  if (family.type === "histogram" && name === `${family.name}_bucket`) {
    const le = labels.le;
    if (le === undefined) throw new LineError('a histogram bucket has no "le" label');
    if (parseNumber(le) === undefined) throw new LineError(`le="${le}" is not a number`);
  } else if (family.type === "summary" && name === family.name) {
    const q = labels.quantile;
    if (q === undefined) throw new LineError('a summary quantile has no "quantile" label');
    if (parseNumber(q) === undefined) throw new LineError(`quantile="${q}" is not a number`);
  }
  family.samples.push(
    timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs },
  );
}

/**
 * Parses a text exposition. Never throws: unreadable lines are returned as
 * warnings (1-based line numbers) and skipped.
 */
export function parsePrometheusText(text: string): Exposition {
  const state = new ParseState();
  let pos = 0;
  let lineNo = 0;
  let eofAt = 0;
  while (pos <= text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    lineNo++;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    const first = skipBlanks(line, 0);
    if (first === line.length) continue;
    if (eofAt > 0) {
      state.warn(lineNo, line, `content after "# EOF" (line ${eofAt})`);
      continue;
    }
    if (line.charCodeAt(first) === 35) {
      if (comment(state, line, lineNo) === "eof") eofAt = lineNo;
      continue;
    }
    try {
      sample(state, line);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      state.warn(lineNo, line, error.reason);
    }
  }
  const families = new Map<string, MetricFamily>();
  for (const [name, f] of state.families) {
    families.set(
      name,
      f.help === undefined
        ? { name, type: f.type, samples: f.samples }
        : { name, type: f.type, help: f.help, samples: f.samples },
    );
  }
  return { families, warnings: state.warnings };
}
