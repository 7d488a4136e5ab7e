import {
  describe,
  parseStats,
  percentileSorted,
  Sample,
  sortedSample,
} from "../../src/metrics/stats.ts";
import { assertClose, assertEquals, assertRejects } from "../helpers.ts";

// Expected values computed with numpy.percentile (default method "linear").
const SAMPLE = [15, 20, 35, 40, 50, 7.5, 100, 3];
const NUMPY: Array<[number, number]> = [
  [0, 3.0],
  [25, 13.125],
  [50, 27.5],
  [75, 42.5],
  [90, 65.0],
  [99, 96.5],
  [99.9, 99.65],
  [100, 100.0],
];

Deno.test("percentileSorted() equals numpy's default linear method", () => {
  const sorted = sortedSample(SAMPLE);
  for (const [p, expected] of NUMPY) {
    assertClose(percentileSorted(sorted, p), expected, 1e-9, `P${p}`);
  }
});

Deno.test("percentileSorted() handles samples of one and two values like numpy", () => {
  assertEquals(percentileSorted(sortedSample([4.2]), 99.9), 4.2);
  const two = sortedSample([3, 1]);
  assertClose(percentileSorted(two, 50), 2.0, 1e-12, "P50");
  assertClose(percentileSorted(two, 99), 2.98, 1e-12, "P99");
  assertClose(percentileSorted(two, 99.9), 2.998, 1e-12, "P99.9");
  assertEquals(Number.isNaN(percentileSorted(sortedSample([]), 50)), true);
});

Deno.test("parseStats() maps names to labels and JSON keys, decimals included", () => {
  const specs = parseStats(["average", "Min", "max", "Median", "P99.9", "p75", "P75"]);
  assertEquals(specs.map((s) => s.label), ["Average", "Min", "Max", "Median", "P99.9", "P75"]);
  assertEquals(specs.map((s) => s.key), ["mean", "min", "max", "median", "p99_9", "p75"]);
});

Deno.test("parseStats() names every unknown statistic", async () => {
  const error = await assertRejects(() => parseStats(["P101", "mode", "Average"]), /P101/);
  assertEquals((error as Error).message.includes('"mode"'), true);
});

Deno.test("describe() returns every statistic and n, and undefined for an empty sample", () => {
  const d = describe(new Sample(SAMPLE), parseStats(["Average", "Min", "Max", "Median", "P99.9"]))!;
  assertClose(d.mean!, 33.8125, 1e-12, "mean");
  assertEquals([d.min, d.max, d.median, d.n], [3, 100, 27.5, 8]);
  assertClose(d.p99_9!, 99.65, 1e-9, "p99_9");
  assertEquals(describe(new Sample([]), parseStats(["Average"])), undefined);
});
