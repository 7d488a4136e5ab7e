import { assert, assertEquals } from "../helpers.ts";
import {
  histogramSeries,
  parseNumber,
  parsePrometheusText,
  warningText,
} from "../../src/server_metrics/prometheus.ts";

Deno.test("parsePrometheusText() reads HELP, TYPE, labels and values of counters and gauges", () => {
  const { families, warnings } = parsePrometheusText(
    [
      "# HELP http_requests_total The total number of HTTP requests.",
      "# TYPE http_requests_total counter",
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      "",
      "# A plain comment",
      "# TYPE temperature gauge",
      "temperature -3.5e1",
      "no_type_metric 12",
    ].join("\n"),
  );
  assertEquals(warnings, []);
  const c = families.get("http_requests_total")!;
  assertEquals(c.type, "counter");
  assertEquals(c.help, "The total number of HTTP requests.");
  assertEquals(c.samples, [
    {
      name: "http_requests_total",
      labels: { method: "post", code: "200" },
      value: 1027,
      timestampMs: 1395066363000,
    },
    {
      name: "http_requests_total",
      labels: { method: "post", code: "400" },
      value: 3,
      timestampMs: 1395066363000,
    },
  ]);
  assertEquals(families.get("temperature")!.samples[0]!.value, -35);
  assertEquals(families.get("no_type_metric")!.type, "untyped");
});

Deno.test('parsePrometheusText() unescapes \\\\, \\" and \\n in label values and HELP', () => {
  const { families, warnings } = parsePrometheusText(
    [
      "# HELP m A help with a \\\\ backslash\\nand a second line.",
      'm{path="C:\\\\DIR\\\\",quote="say \\"hi\\"",nl="a\\nb",brace="}",comma="x,y"} 1',
    ].join("\n") + "\n",
  );
  assertEquals(warnings, []);
  const m = families.get("m")!;
  assertEquals(m.help, "A help with a \\ backslash\nand a second line.");
  assertEquals(m.samples[0]!.labels, {
    path: "C:\\DIR\\",
    quote: 'say "hi"',
    nl: "a\nb",
    brace: "}",
    comma: "x,y",
  });
});

Deno.test("parsePrometheusText() reads +Inf, -Inf and NaN in any case, and OpenMetrics float timestamps", () => {
  const { families, warnings } = parsePrometheusText(
    "a +Inf\nb -Inf\nc NaN\nd nan\ne inf\nf 1 1700000000.5\n",
  );
  assertEquals(warnings, []);
  const v = (n: string) => families.get(n)!.samples[0]!.value;
  assertEquals([v("a"), v("b"), v("e")], [Infinity, -Infinity, Infinity]);
  assert(Number.isNaN(v("c")) && Number.isNaN(v("d")));
  assertEquals(families.get("f")!.samples[0]!.timestampMs, 1700000000500);
});

Deno.test("parsePrometheusText() groups a histogram's buckets, sum and count whatever their order", () => {
  // vLLM's multiprocess collector writes _sum before the buckets.
  const { families, warnings } = parsePrometheusText(
    [
      "# HELP h Latency.",
      "# TYPE h histogram",
      'h_sum{engine="0"} 0.9',
      'h_bucket{engine="0",le="0.1"} 1',
      'h_bucket{engine="0",le="0.5"} 3',
      'h_bucket{engine="0",le="+Inf"} 4',
      'h_count{engine="0"} 4',
      'h_bucket{engine="1",le="0.1"} 0',
      'h_bucket{engine="1",le="0.5"} 0',
      'h_bucket{engine="1",le="+Inf"} 2',
      'h_count{engine="1"} 2',
      'h_sum{engine="1"} 7',
    ].join("\n"),
  );
  assertEquals(warnings, []);
  assertEquals([...families.keys()], ["h"]);
  const h = families.get("h")!;
  assertEquals(h.type, "histogram");
  assertEquals(h.samples.length, 10);
  const series = histogramSeries(h);
  assertEquals(series.length, 2);
  assertEquals(series[0]!.labels, { engine: "0" });
  assertEquals(series[0]!.buckets.map((b) => [b.le, b.count]), [[0.1, 1], [0.5, 3], [Infinity, 4]]);
  assertEquals([series[0]!.sum, series[0]!.count], [0.9, 4]);
  assertEquals([series[1]!.sum, series[1]!.count], [7, 2]);
});

Deno.test("parsePrometheusText() groups a summary's quantiles, sum and count", () => {
  const { families, warnings } = parsePrometheusText(
    [
      "# TYPE rpc summary",
      'rpc{quantile="0.5"} 4773',
      'rpc{quantile="0.99"} 76656',
      "rpc_sum 1.7560473e+07",
      "rpc_count 2693",
    ].join("\n"),
  );
  assertEquals(warnings, []);
  assertEquals(families.get("rpc")!.samples.map((s) => s.name), [
    "rpc",
    "rpc",
    "rpc_sum",
    "rpc_count",
  ]);
});

Deno.test("parsePrometheusText() tolerates OpenMetrics: # EOF, _total counters, exemplars, unknown type", () => {
  const { families, warnings } = parsePrometheusText(
    [
      "# TYPE requests counter",
      "# HELP requests Requests.",
      'requests_total{a="1"} 5 # {trace_id="abc"} 1.0 1700000000.1',
      "requests_created 1700000000.0",
      "# TYPE thing unknown",
      "thing 2",
      "# EOF",
      "",
    ].join("\n"),
  );
  assertEquals(warnings, []);
  const r = families.get("requests")!;
  assertEquals(r.type, "counter");
  assertEquals(r.samples.map((s) => [s.name, s.value]), [["requests_total", 5], [
    "requests_created",
    1700000000,
  ]]);
  assertEquals(families.get("thing")!.type, "untyped");
});

Deno.test("parsePrometheusText() warns on malformed lines with their numbers and keeps the rest", () => {
  const text = [
    "good_one 1", // 1
    "bad_unquoted{a=1} 2", // 2
    'bad_unclosed{a="1} 3', // 3
    "bad_value abc", // 4
    'bad_escape{a="\\q"} 4', // 5
    "# TYPE h histogram", // 6
    "h_bucket 5", // 7: no le
    "# TYPE x nonsense", // 8
    '{a="1"} 6', // 9: no name
    "bad-name 7", // 10
    "good_two 8", // 11
    "bad_tail 1 2 3", // 12
    "# TYPE good_one gauge", // 13: after its samples
  ].join("\n");
  const { families, warnings } = parsePrometheusText(text);
  assertEquals(warnings.map((w) => w.line), [2, 3, 4, 5, 7, 8, 9, 10, 12, 13]);
  assertEquals(warnings[0]!.text, "bad_unquoted{a=1} 2");
  assertEquals(warnings[0]!.reason, 'expected a quoted value for label "a"');
  assertEquals(warnings[4]!.reason, 'a histogram bucket has no "le" label');
  assertEquals(
    warningText(warnings[2]!),
    'line 4: "abc" is not a number: "bad_value abc"',
  );
  assertEquals(families.get("good_one")!.samples[0]!.value, 1);
  assertEquals(families.get("good_two")!.samples[0]!.value, 8);
  assert(!families.has("bad_value"), "a line with a warning adds no sample");
});

Deno.test("parsePrometheusText() warns on content after # EOF, and reads CRLF lines", () => {
  const { families, warnings } = parsePrometheusText("a 1\r\n# EOF\r\nb 2\r\n");
  assertEquals(families.get("a")!.samples[0]!.value, 1);
  assertEquals(warnings.map((w) => [w.line, w.reason]), [[3, 'content after "# EOF" (line 2)']]);
});

Deno.test("parseNumber() takes what Go's ParseFloat takes, and refuses the empty string", () => {
  assertEquals(parseNumber("1e3"), 1000);
  assertEquals(parseNumber("-0.5"), -0.5);
  assertEquals(parseNumber("+Infinity"), Infinity);
  assertEquals(parseNumber(""), undefined);
  assertEquals(parseNumber("0x10"), undefined);
  assertEquals(parseNumber("1_000"), undefined);
  assertEquals(parseNumber("."), undefined);
});
