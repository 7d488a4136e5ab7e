import { lineOf, parsePyConfig, PyConfigError, PyName } from "../../src/config/pyconfig.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals } from "../helpers.ts";

function value(text: string, name = "x") {
  return parsePyConfig(text, "t.py").assignments.get(name)?.value;
}

/** Runs `fn`, expects a PyConfigError, returns it. */
function refused(text: string): PyConfigError {
  try {
    parsePyConfig(text, "cfg/bad.py");
  } catch (error) {
    assert(error instanceof PyConfigError, `expected a PyConfigError, got ${error}`);
    assert(error instanceof UsageError, "a PyConfigError is a UsageError (exit 2)");
    return error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

Deno.test("parsePyConfig() reads numbers in every literal form", () => {
  assertEquals(value("x = [1, -2, +3, 1_000, 1e-3, 2.5E+2, .5, 7., 0x1F, 0o17, 0b101, 0]"), [
    1,
    -2,
    3,
    1000,
    0.001,
    250,
    0.5,
    7,
    31,
    15,
    5,
    0,
  ]);
});

Deno.test("parsePyConfig() reads strings: quotes, escapes, raw, triple, implicit concatenation", () => {
  const text = [
    `x = ['a', "b", 'it\\'s', "tab\\tnl\\n", r"C:\\new", u"\\u00e9\\x41\\101",`,
    `     "con" 'cat'`,
    `     "enated", """multi`,
    `line""", '''q"q''', "\\q"]`,
  ].join("\n");
  assertEquals(value(text), [
    "a",
    "b",
    "it's",
    "tab\tnl\n",
    "C:\\new",
    "éAA",
    "concatenated",
    "multi\nline",
    'q"q',
    "\\q",
  ]);
});

Deno.test("parsePyConfig() reads dict(), {…}, lists, tuples, True/False/None and comments", () => {
  const text = [
    "# a comment",
    "x = dict(",
    "    a=1,  # trailing comment",
    "    b={'k': [True, False, None], \"t\": (1, 2), 'one': (3,), 'empty': ()},",
    "    c=dict(),",
    ")",
  ].join("\n");
  assertEquals(value(text), {
    a: 1,
    b: { k: [true, false, null], t: [1, 2], one: [3], empty: [] },
    c: {},
  });
});

Deno.test("parsePyConfig() joins lines inside brackets and after a backslash", () => {
  assertEquals(value("x = [1,\n  2,\n\n  3]\ny = 4 \\\n  \n"), [1, 2, 3]);
  assertEquals(value("y = \\\n  4\n", "y"), 4);
});

Deno.test("parsePyConfig() returns imported class names as PyName with their module", () => {
  const mod = parsePyConfig(
    [
      "from ais_bench.benchmark.models import VLLMCustomAPIChat, VLLMCustomAPI as Plain",
      "from ais_bench.benchmark.calculators import (",
      "    DefaultPerfMetricCalculator,",
      ")",
      "import ais_bench.benchmark.models as m",
      "x = [VLLMCustomAPIChat, Plain, m.VLLMCustomAPIChatStream, DefaultPerfMetricCalculator]",
    ].join("\n"),
    "t.py",
  );
  const x = mod.assignments.get("x")!.value as PyName[];
  assert(x.every((n) => n instanceof PyName), "every item is a PyName");
  assertEquals(x.map((n) => [n.name, n.module]), [
    ["VLLMCustomAPIChat", "ais_bench.benchmark.models"],
    ["VLLMCustomAPI", "ais_bench.benchmark.models"],
    ["VLLMCustomAPIChatStream", "ais_bench.benchmark.models"],
    ["DefaultPerfMetricCalculator", "ais_bench.benchmark.calculators"],
  ]);
  assertEquals(x[0]!.line, 6);
  assertEquals(mod.imports.get("Plain"), {
    module: "ais_bench.benchmark.models",
    name: "VLLMCustomAPI",
    line: 1,
  });
});

Deno.test("parsePyConfig() resolves names assigned earlier and records lines of keys", () => {
  const mod = parsePyConfig("kw = dict(t=0)\n\nx = dict(\n  a=kw,\n  b=2)\n", "t.py");
  const x = mod.assignments.get("x")!.value as Record<string, unknown>;
  assertEquals(x, { a: { t: 0 }, b: 2 });
  assertEquals(lineOf(x, "a"), 4);
  assertEquals(lineOf(x, "b"), 5);
  assertEquals(mod.assignments.get("x")!.line, 3);
});

Deno.test("parsePyConfig() keeps a '__proto__' key as data", () => {
  const x = value("x = {'__proto__': 1}") as Record<string, unknown>;
  assertEquals(Object.keys(x), ["__proto__"]);
  assertEquals(Object.getPrototypeOf(x), Object.prototype);
});

Deno.test("parsePyConfig() refuses code beyond the literal subset with file and line", () => {
  const cases: Array<[string, number, RegExp]> = [
    ["import os\nx = dict(\n  a=os.system('rm -rf /'),\n)\n", 3, /a call of "system"/],
    ["x = dict(a=open('f'))\n", 1, /a call of "open"/],
    ["n = 1\nx = dict(a=n + 1)\n", 2, /operator "\+"/],
    ["x = 2 * 3\n", 1, /operator "\*"/],
    ["x = 1\ny = x.real\n", 2, /attribute access on "x"/],
    ["x = [i for i in range(3)]\n", 1, /call of "range"|comprehensions/],
    ["x = [dict(a=1) for _ in [1]]\n", 1, /comprehensions/],
    ["x = lambda: 1\n", 1, /lambdas/],
    ["x = f'{1}'\n", 1, /f-strings/],
    ["x = b'a'\n", 1, /bytes/],
    ["x = [1][0]\n", 1, /subscripts/],
    ["x = 1 if True else 2\n", 1, /"if" is code/],
    ["x = undefined_name\n", 1, /not defined/],
    ["from m import *\n", 1, /star imports/],
    ["with read_base():\n    from .x import models\n", 1, /with blocks/],
    ["x = 1\n  y = 2\n", 2, /unexpected indent/],
    ["print('hi')\n", 1, /a call/],
    ["x: int = 1\n", 1, /annotated/],
    ["x += 1\n", 1, /augmented/],
    ["x = {1: 2}\n", 1, /keys must be strings/],
    ["x = {1, 2}\n", 1, /sets/],
    ["x = dict(**y)\n", 1, /unpacking/],
    ["x = dict(1)\n", 1, /keyword arguments/],
    ["x = dict(a=1, a=2)\n", 1, /repeated/],
    ["x = 1j\n", 1, /complex/],
    ["x = 007\n", 1, /leading zeros/],
    ["x = 'open\n", 1, /unterminated/],
    ["x = [1,\n2\n", 3, /"\]" missing|expected "\]"/],
    ["x = not True\n", 1, /"not" is code/],
    ["x = 1 == 1\n", 1, /operator "=="/],
    ["x = -y\n", 1, /other than a number/],
  ];
  for (const [text, line, pattern] of cases) {
    const e = refused(text);
    assert(e.line === line, `${JSON.stringify(text)}: expected line ${line}, got ${e.message}`);
    assert(pattern.test(e.message), `${JSON.stringify(text)}: unexpected message ${e.message}`);
    assert(e.message.startsWith(`cfg/bad.py:${line}: `), `names file and line: ${e.message}`);
  }
});
