/**
 * A reader of the literal Python subset AISBench config files are written in
 * (mmengine style): `import …` / `from … import …` lines, assignments
 * `name = expr`, and expressions made of `dict(k=v, …)`, lists, tuples,
 * `{…}` dicts, strings (single, double and triple quotes, escapes, implicit
 * concatenation), numbers (`1e-3`, `1_000`, hex/octal/binary), `True`,
 * `False`, `None`, names bound by an import (class references, returned as
 * {@linkcode PyName}) and names assigned earlier in the file. Nothing is ever
 * executed: anything beyond the subset (another call, arithmetic, attribute
 * access on a non-import, subscripts, comprehensions, lambdas, f-strings,
 * `with` blocks, …) is refused with the file name and line number.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** A value of the subset: lists and tuples are arrays, dicts plain objects. */
export type PyValue =
  | string
  | number
  | boolean
  | null
  | PyName
  | PyValue[]
  | PyDict;

/** A Python dict with string keys (the only keys config files use). */
export interface PyDict {
  [key: string]: PyValue;
}

/** A bare name bound by an import: a class reference such as `VLLMCustomAPIChatStream`. */
export class PyName {
  /** The imported name (the class's own name, not an alias; the last part of a dotted reference). */
  readonly name: string;
  /** The module it was imported from (`ais_bench.benchmark.models`), as far as the file says. */
  readonly module: string;
  /** The line it is referenced on. */
  readonly line: number;
  /** @param name the bound name; `module` where it came from; `line` where it is used */
  constructor(name: string, module: string, line: number) {
    this.name = name;
    this.module = module;
    this.line = line;
  }
}

/** One name an import line binds. */
export interface PyImport {
  /** The module (`ais_bench.benchmark.models`). */
  module: string;
  /** The imported name (`VLLMCustomAPIChat`), or undefined for `import module`. */
  name?: string;
  /** The line of the import. */
  line: number;
}

/** A parsed config file. */
export interface PyModule {
  /** The file name used in messages. */
  readonly source: string;
  /** Names bound by imports, by bound name. */
  readonly imports: ReadonlyMap<string, PyImport>;
  /** Top-level assignments in file order, by name (a later one replaces an earlier one). */
  readonly assignments: ReadonlyMap<string, { value: PyValue; line: number }>;
}

/** Code beyond the literal subset, or a syntax error: names the file and line. */
export class PyConfigError extends UsageError {
  /** The file. */
  readonly source: string;
  /** The 1-based line. */
  readonly line: number;
  /** @param source the file; `line` 1-based; `what` the problem, without the location */
  constructor(source: string, line: number, what: string) {
    super(`${source}:${line}: ${what}`);
    this.name = "PyConfigError";
    this.source = source;
    this.line = line;
  }
}

const lines = new WeakMap<object, Map<string | number, number>>();

/** The line a dict key or list item was written on, when the parser made `container`. */
export function lineOf(container: object, key: string | number): number | undefined {
  return lines.get(container)?.get(key);
}

type TokenKind = "name" | "number" | "string" | "op" | "indent" | "newline" | "end";

interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  /** The decoded value of a number or string token. */
  value?: number | string;
}

const KEYWORDS_REFUSED = new Set([
  "lambda",
  "for",
  "if",
  "else",
  "while",
  "def",
  "class",
  "with",
  "return",
  "yield",
  "await",
  "async",
  "del",
  "global",
  "nonlocal",
  "assert",
  "raise",
  "try",
  "except",
  "finally",
  "pass",
  "break",
  "continue",
  "and",
  "or",
  "not",
  "in",
  "is",
  "match",
]);

const OPS = [
  "**=",
  "//=",
  ">>=",
  "<<=",
  "->",
  ":=",
  "**",
  "//",
  "<<",
  ">>",
  "<=",
  ">=",
  "==",
  "!=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "@=",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  ";",
  ".",
  "=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "@",
  "&",
  "|",
  "^",
  "~",
  "<",
  ">",
];

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

class Lexer {
  readonly #text: string;
  readonly #source: string;
  #pos = 0;
  #line = 1;
  #depth = 0;
  readonly tokens: Token[] = [];

  constructor(text: string, source: string) {
    this.#text = text.replace(/\r\n?/g, "\n");
    this.#source = source;
  }

  #fail(what: string, line = this.#line): never {
    throw new PyConfigError(this.#source, line, what);
  }

  #push(kind: TokenKind, text: string, line: number, value?: number | string): void {
    this.tokens.push(value === undefined ? { kind, text, line } : { kind, text, line, value });
  }

  run(): Token[] {
    const t = this.#text;
    let atLineStart = true;
    while (this.#pos < t.length) {
      const c = t[this.#pos]!;
      if (c === "\n") {
        if (this.#depth === 0 && !atLineStart) this.#push("newline", "\n", this.#line);
        this.#pos++;
        this.#line++;
        atLineStart = this.#depth === 0;
        continue;
      }
      if (c === " " || c === "\t" || c === "\f") {
        const start = this.#pos;
        while (this.#pos < t.length && " \t\f".includes(t[this.#pos]!)) this.#pos++;
        const next = t[this.#pos];
        if (
          atLineStart && this.#depth === 0 && this.#pos > start && next !== undefined &&
          next !== "\n" && next !== "#"
        ) {
          this.#push("indent", "", this.#line);
        }
        continue;
      }
      if (c === "#") {
        while (this.#pos < t.length && t[this.#pos] !== "\n") this.#pos++;
        continue;
      }
      if (c === "\\") {
        if (t[this.#pos + 1] !== "\n") this.#fail("unexpected character after line continuation");
        this.#pos += 2;
        this.#line++;
        continue;
      }
      atLineStart = false;
      if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(t.slice(this.#pos, this.#pos + 256))!;
        const word = m[0];
        const quote = t[this.#pos + word.length];
        if ((quote === "'" || quote === '"') && /^[rRbBuUfF]{1,2}$/.test(word)) {
          this.#string(word.toLowerCase());
          continue;
        }
        this.#push("name", word, this.#line);
        this.#pos += word.length;
        continue;
      }
      if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(t[this.#pos + 1] ?? ""))) {
        this.#number();
        continue;
      }
      if (c === "'" || c === '"') {
        this.#string("");
        continue;
      }
      const op = OPS.find((o) => t.startsWith(o, this.#pos));
      if (!op) this.#fail(`unexpected character ${JSON.stringify(c)}`);
      if (op === "(" || op === "[" || op === "{") this.#depth++;
      if (op === ")" || op === "]" || op === "}") this.#depth = Math.max(0, this.#depth - 1);
      this.#push("op", op, this.#line);
      this.#pos += op.length;
    }
    if (!atLineStart) this.#push("newline", "\n", this.#line);
    this.#push("end", "", this.#line);
    return this.tokens;
  }

  #number(): void {
    const rest = this.#text.slice(this.#pos, this.#pos + 512);
    const line = this.#line;
    const m =
      /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?)/
        .exec(rest);
    if (!m) this.#fail("malformed number");
    const text = m[0];
    const after = rest[text.length] ?? "";
    if (/[jJ]/.test(after)) this.#fail(`complex number ${text}${after} is not supported`);
    if (/[A-Za-z0-9_]/.test(after)) this.#fail(`malformed number "${text}${after}"`);
    const clean = text.replace(/_/g, "");
    let value: number;
    if (/^0[xX]/.test(clean)) value = parseInt(clean.slice(2), 16);
    else if (/^0[oO]/.test(clean)) value = parseInt(clean.slice(2), 8);
    else if (/^0[bB]/.test(clean)) value = parseInt(clean.slice(2), 2);
    else {
      if (/^0[0-9]+$/.test(clean) && !/^0+$/.test(clean)) {
        this.#fail(`leading zeros in the decimal number "${text}" are not allowed`);
      }
      value = Number(clean);
    }
    this.#push("number", text, line, value);
    this.#pos += text.length;
  }

  #string(prefix: string): void {
    const line = this.#line;
    const start = this.#pos;
    if (prefix.includes("f")) this.#fail("f-strings are code, not literals: write a plain string");
    if (prefix.includes("b")) this.#fail("bytes literals are not supported: write a plain string");
    const raw = prefix.includes("r");
    const t = this.#text;
    this.#pos += prefix.length;
    const q = t[this.#pos]!;
    const triple = t.startsWith(q.repeat(3), this.#pos);
    const close = triple ? q.repeat(3) : q;
    this.#pos += close.length;
    let out = "";
    for (;;) {
      if (this.#pos >= t.length) this.#fail("unterminated string", line);
      const c = t[this.#pos]!;
      if (t.startsWith(close, this.#pos)) {
        this.#pos += close.length;
        break;
      }
      if (c === "\n") {
        if (!triple) this.#fail("unterminated string (a newline inside quotes)", line);
        this.#line++;
        out += c;
        this.#pos++;
        continue;
      }
      if (c !== "\\") {
        out += c;
        this.#pos++;
        continue;
      }
      const e = t[this.#pos + 1];
      if (e === undefined) this.#fail("unterminated string", line);
      if (e === "\n") {
        this.#line++;
        if (raw) out += "\\\n";
        this.#pos += 2;
        continue;
      }
      if (raw) {
        out += "\\" + e;
        this.#pos += 2;
        continue;
      }
      this.#pos += 2;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(t[this.#pos] ?? "")) digits += t[this.#pos++];
        out += String.fromCodePoint(parseInt(digits, 8));
        continue;
      }
      const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      if (width > 0) {
        const hex = t.slice(this.#pos, this.#pos + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) {
          this.#fail(`malformed \\${e} escape in a string`);
        }
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) this.#fail(`\\${e}${hex} is not a valid character`);
        out += String.fromCodePoint(code);
        this.#pos += width;
        continue;
      }
      if (e === "N") this.#fail("\\N{…} escapes are not supported: write the character itself");
      out += "\\" + e;
    }
    this.#push("string", t.slice(start, Math.min(this.#pos, start + 40)), line, out);
  }
}

class Parser {
  readonly #tokens: Token[];
  readonly #source: string;
  #i = 0;
  readonly imports = new Map<string, PyImport>();
  readonly assignments = new Map<string, { value: PyValue; line: number }>();

  constructor(tokens: Token[], source: string) {
    this.#tokens = tokens;
    this.#source = source;
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#i + offset, this.#tokens.length - 1)]!;
  }

  #next(): Token {
    const t = this.#peek();
    if (this.#i < this.#tokens.length - 1) this.#i++;
    return t;
  }

  #fail(what: string, line = this.#peek().line): never {
    throw new PyConfigError(this.#source, line, what);
  }

  #isOp(text: string, offset = 0): boolean {
    const t = this.#peek(offset);
    return t.kind === "op" && t.text === text;
  }

  #expectOp(text: string, context: string): Token {
    if (!this.#isOp(text)) this.#fail(`expected "${text}" ${context}, found ${this.#show()}`);
    return this.#next();
  }

  #show(t = this.#peek()): string {
    if (t.kind === "newline") return "the end of the line";
    if (t.kind === "end") return "the end of the file";
    return `"${t.text}"`;
  }

  #name(context: string): Token {
    const t = this.#peek();
    if (t.kind !== "name") this.#fail(`expected a name ${context}, found ${this.#show()}`);
    return this.#next();
  }

  #dotted(): string {
    let name = this.#name("(a module)").text;
    while (this.#isOp(".")) {
      this.#next();
      name += "." + this.#name('after "."').text;
    }
    return name;
  }

  run(): void {
    while (this.#peek().kind !== "end") {
      if (this.#peek().kind === "newline" || this.#isOp(";")) {
        this.#next();
        continue;
      }
      this.#statement();
      if (this.#isOp(";")) continue;
      const t = this.#peek();
      if (t.kind !== "newline" && t.kind !== "end") {
        this.#refuse(t, "after a complete statement");
      }
    }
  }

  #refuse(t: Token, where: string): never {
    if (t.kind === "op") {
      const op = t.text;
      if (op === "(") this.#fail("a call (only dict(...) is read; nothing is executed)", t.line);
      if (op === "[") this.#fail("subscripts are code, not literals", t.line);
      if (op === ".") this.#fail("attribute access is only allowed on imported modules", t.line);
      if (/^[-+*/%@&|^<>=!~]+$/.test(op) && op !== "=") {
        this.#fail(`operator "${op}": arithmetic and comparisons are code, not literals`, t.line);
      }
    }
    if (t.kind === "name" && KEYWORDS_REFUSED.has(t.text)) {
      const why = t.text === "for"
        ? "comprehensions are code, not literals"
        : t.text === "lambda"
        ? "lambdas are code, not literals"
        : t.text === "with"
        ? "with blocks (such as read_base()) are not read: put the values in this file"
        : `"${t.text}" is code (not part of the literal config subset)`;
      this.#fail(why, t.line);
    }
    this.#fail(`unexpected ${this.#show(t)} ${where}`, t.line);
  }

  #statement(): void {
    const t = this.#peek();
    if (t.kind === "indent") {
      this.#fail("unexpected indent: only top-level imports and assignments are read (no blocks)");
    }
    if (t.kind === "name" && t.text === "import") return this.#import();
    if (t.kind === "name" && t.text === "from") return this.#fromImport();
    if (t.kind === "string") {
      this.#expression(); // a docstring or a string standing alone
      return;
    }
    if (t.kind === "name" && KEYWORDS_REFUSED.has(t.text)) this.#refuse(t, "");
    if (t.kind === "name" && this.#isOp("=", 1)) {
      this.#next();
      this.#next();
      if (this.#peek().kind === "name" && this.#isOp("=", 1)) {
        this.#fail("chained assignments are not supported: one name per assignment");
      }
      const value = this.#expression();
      this.assignments.delete(t.text);
      this.assignments.set(t.text, { value, line: t.line });
      return;
    }
    if (t.kind === "name") {
      const after = this.#peek(1);
      if (after.kind === "op" && after.text === ":") {
        this.#fail("annotated assignments are not supported: write name = value");
      }
      if (after.kind === "op" && after.text.endsWith("=") && after.text.length > 1) {
        this.#fail(`augmented assignment "${after.text}" is code, not a literal`, after.line);
      }
      if (after.kind === "op") this.#refuse(after, "");
      this.#fail(`a bare expression: only imports and assignments are read`);
    }
    this.#refuse(t, "at the start of a statement");
  }

  #import(): void {
    const line = this.#next().line;
    for (;;) {
      const module = this.#dotted();
      if (this.#peek().kind === "name" && this.#peek().text === "as") {
        this.#next();
        const alias = this.#name('after "as"').text;
        this.imports.set(alias, { module, line });
      } else {
        const top = module.split(".")[0]!;
        this.imports.set(top, { module: top, line });
      }
      if (!this.#isOp(",")) break;
      this.#next();
    }
  }

  #fromImport(): void {
    const line = this.#next().line;
    let module = "";
    while (this.#isOp(".")) {
      this.#next();
      module += ".";
    }
    if (this.#peek().kind === "name" && this.#peek().text !== "import") module += this.#dotted();
    const kw = this.#name('(expected "import")');
    if (kw.text !== "import") this.#fail(`expected "import", found "${kw.text}"`, kw.line);
    if (this.#isOp("*")) this.#fail("star imports are not supported: name what you import");
    const paren = this.#isOp("(");
    if (paren) this.#next();
    for (;;) {
      if (paren && this.#isOp(")")) break;
      const name = this.#name("to import").text;
      let alias = name;
      if (this.#peek().kind === "name" && this.#peek().text === "as") {
        this.#next();
        alias = this.#name('after "as"').text;
      }
      this.imports.set(alias, { module, name, line });
      if (!this.#isOp(",")) break;
      this.#next();
    }
    if (paren) this.#expectOp(")", "to close the import list");
  }

  #expression(): PyValue {
    const value = this.#atom();
    const t = this.#peek();
    if (t.kind === "op" && ![",", ")", "]", "}", ":", ";"].includes(t.text)) {
      this.#refuse(t, "after a value");
    }
    if (t.kind === "name") this.#refuse(t, "after a value");
    if (t.kind === "number" || t.kind === "string") this.#refuse(t, "after a value");
    return value;
  }

  #atom(): PyValue {
    const t = this.#next();
    switch (t.kind) {
      case "number":
        return t.value as number;
      case "string": {
        let s = t.value as string;
        while (this.#peek().kind === "string") s += this.#next().value as string;
        return s;
      }
      case "op":
        if (t.text === "-" || t.text === "+") {
          const n = this.#peek();
          if (n.kind !== "number") {
            this.#fail(`operator "${t.text}" on something other than a number literal`, t.line);
          }
          this.#next();
          return t.text === "-" ? -(n.value as number) : (n.value as number);
        }
        if (t.text === "[") return this.#sequence("]", t.line);
        if (t.text === "(") return this.#parenthesized(t.line);
        if (t.text === "{") return this.#dict(t.line);
        if (t.text === "*" || t.text === "**") {
          this.#fail("unpacking (*, **) is code, not a literal", t.line);
        }
        return this.#refuse(t, "where a value was expected");
      case "name":
        return this.#nameValue(t);
      default:
        return this.#fail(`expected a value, found ${this.#show(t)}`, t.line);
    }
  }

  #nameValue(t: Token): PyValue {
    if (t.text === "True") return true;
    if (t.text === "False") return false;
    if (t.text === "None") return null;
    if (KEYWORDS_REFUSED.has(t.text)) this.#refuse(t, "");
    if (t.text === "dict" && this.#isOp("(")) return this.#dictCall();
    if (this.#isOp("(")) {
      this.#fail(`a call of "${t.text}" (only dict(...) is read; nothing is executed)`);
    }
    const imported = this.imports.get(t.text);
    if (this.#isOp(".")) {
      if (!imported) {
        this.#fail(`attribute access on "${t.text}", which is not an imported module`);
      }
      const parts = [imported.name ? `${imported.module}.${imported.name}` : imported.module];
      while (this.#isOp(".")) {
        this.#next();
        parts.push(this.#name('after "."').text);
      }
      const name = parts.pop()!;
      if (this.#isOp("(")) {
        this.#fail(`a call of "${name}" (only dict(...) is read; nothing is executed)`);
      }
      return new PyName(name, parts.join("."), t.line);
    }
    if (imported) return new PyName(imported.name ?? t.text, imported.module, t.line);
    const assigned = this.assignments.get(t.text);
    if (assigned) return assigned.value;
    const after = this.#peek();
    if (after.kind === "name" && after.text === "for") this.#refuse(after, "");
    return this.#fail(`name "${t.text}" is not defined (neither imported nor assigned above)`);
  }

  #record(container: object, key: string | number, line: number): void {
    let m = lines.get(container);
    if (!m) lines.set(container, m = new Map());
    m.set(key, line);
  }

  #sequence(close: string, line: number): PyValue[] {
    const items: PyValue[] = [];
    for (;;) {
      if (this.#isOp(close)) break;
      if (this.#peek().kind === "end") this.#fail(`"${close}" missing`, line);
      const at = this.#peek().line;
      const v = this.#expression();
      this.#record(items, items.length, at);
      items.push(v);
      if (this.#peek().kind === "name" && this.#peek().text === "for") {
        this.#fail("comprehensions are code, not literals");
      }
      if (!this.#isOp(",")) break;
      this.#next();
    }
    this.#expectOp(close, `to close the list opened on line ${line}`);
    return items;
  }

  #parenthesized(line: number): PyValue {
    if (this.#isOp(")")) {
      this.#next();
      return [];
    }
    const at = this.#peek().line;
    const first = this.#expression();
    if (this.#peek().kind === "name" && this.#peek().text === "for") {
      this.#fail("generator expressions are code, not literals");
    }
    if (this.#isOp(")")) {
      this.#next();
      return first;
    }
    this.#expectOp(",", "in a tuple");
    const rest = this.#sequence(")", line);
    const items = [first, ...rest];
    this.#record(items, 0, at);
    rest.forEach((_, i) => this.#record(items, i + 1, lineOf(rest, i) ?? at));
    return items;
  }

  #setKey(dict: PyDict, key: string, value: PyValue, line: number): void {
    Object.defineProperty(dict, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    this.#record(dict, key, line);
  }

  #dict(line: number): PyDict {
    const dict: PyDict = {};
    for (;;) {
      if (this.#isOp("}")) break;
      if (this.#isOp("**")) this.#fail("unpacking (**) is code, not a literal");
      const keyToken = this.#peek();
      const key = this.#expression();
      if (this.#isOp(",") || this.#isOp("}")) this.#fail("sets are not supported: write a list");
      this.#expectOp(":", "after a dict key");
      if (typeof key !== "string") {
        this.#fail("dict keys must be strings in a config file", keyToken.line);
      }
      const value = this.#expression();
      if (this.#peek().kind === "name" && this.#peek().text === "for") {
        this.#fail("comprehensions are code, not literals");
      }
      this.#setKey(dict, key, value, keyToken.line);
      if (!this.#isOp(",")) break;
      this.#next();
    }
    this.#expectOp("}", `to close the dict opened on line ${line}`);
    return dict;
  }

  #dictCall(): PyDict {
    const open = this.#next();
    const dict: PyDict = {};
    for (;;) {
      if (this.#isOp(")")) break;
      if (this.#isOp("**") || this.#isOp("*")) {
        this.#fail("unpacking in dict(...) is not supported");
      }
      const key = this.#peek();
      if (key.kind !== "name" || !this.#isOp("=", 1)) {
        this.#fail("dict(...) takes only keyword arguments (name=value) here");
      }
      this.#next();
      this.#next();
      if (Object.hasOwn(dict, key.text)) {
        this.#fail(`keyword argument "${key.text}" repeated`, key.line);
      }
      this.#setKey(dict, key.text, this.#expression(), key.line);
      if (!this.#isOp(",")) break;
      this.#next();
    }
    this.#expectOp(")", `to close dict( opened on line ${open.line}`);
    return dict;
  }
}

/**
 * Parses a config file of the literal subset. Throws a {@linkcode PyConfigError}
 * (a UsageError: exit 2) naming `source` and the line of the first construct
 * beyond the subset. Never executes anything.
 */
export function parsePyConfig(text: string, source: string): PyModule {
  const parser = new Parser(new Lexer(text, source).run(), source);
  parser.run();
  return { source, imports: parser.imports, assignments: parser.assignments };
}
