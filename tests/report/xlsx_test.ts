import ExcelJS from "exceljs";
import { writeXlsx, xlsxValue } from "../../src/report/xlsx.ts";
import { assert, assertEquals, withTempDir } from "../helpers.ts";

const SUMMARY_HEADER = ["concurrency", "duration_s", "completed", "ttft_mean_ms", "ttft_p99_ms"];
const REQUEST_HEADER = ["index", "status", "error_message", "ttft_ms", "e2el_ms", "output_tokens"];

/** Rows as a requests CSV reader yields them: every field a string. */
function* csvLikeRows(n: number): Generator<string[]> {
  for (let i = 0; i < n; i++) {
    yield [
      String(i),
      i === 3 ? "failed" : "ok",
      i === 3 ? "HTTP 500: boom" : "",
      `${20 + i}.5`,
      "1e3",
      "32",
    ];
  }
}

async function readBack(path: string) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  return wb.worksheets.map((ws) => {
    const rows: unknown[][] = [];
    ws.eachRow({ includeEmpty: true }, (row) => {
      const values = row.values as unknown[];
      rows.push(values.slice(1)); // exceljs rows are 1-based
    });
    return { name: ws.name, rows };
  });
}

Deno.test("writeXlsx() writes a summary sheet and one row per request, read back by exceljs", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/result.xlsx`;
    const names = await writeXlsx(path, {
      summary: {
        header: SUMMARY_HEADER,
        rows: [[1, 12.5, 8, 20.25, 31], ["4", "6.25", "8", "22.5", undefined]],
      },
      requests: { header: REQUEST_HEADER, rows: csvLikeRows(8) },
    });
    assertEquals(names, ["summary", "requests"]);
    const sheets = await readBack(path);
    assertEquals(sheets.map((s) => s.name), ["summary", "requests"]);
    const [summary, requests] = sheets;
    assertEquals(summary!.rows[0], SUMMARY_HEADER);
    assertEquals(summary!.rows.slice(1), [[1, 12.5, 8, 20.25, 31], [4, 6.25, 8, 22.5]]);
    assertEquals(requests!.rows[0], REQUEST_HEADER);
    assertEquals(requests!.rows.length, 1 + 8, "one row per request");
    // Numeric text became numbers; empty text an empty cell; other text stays text.
    assertEquals(requests!.rows[1], [0, "ok", null, 20.5, 1000, 32]);
    assertEquals(requests!.rows[4], [3, "failed", "HTTP 500: boom", 23.5, 1000, 32]);
    assertEquals(requests!.rows.map((r) => r[0]).slice(1), [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

Deno.test("writeXlsx() continues past the row limit in numbered sheets with the header repeated", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/split.xlsx`;
    async function* rows() {
      yield* csvLikeRows(5);
    }
    const names = await writeXlsx(path, {
      summary: { header: SUMMARY_HEADER, rows: [] },
      requests: { header: REQUEST_HEADER, rows: rows() },
    }, { maxRowsPerSheet: 2, summarySheet: "Summary", requestsSheet: "Requests" });
    assertEquals(names, ["Summary", "Requests", "Requests (2)", "Requests (3)"]);
    const sheets = await readBack(path);
    assertEquals(sheets.map((s) => s.rows.length), [1, 3, 3, 2]);
    for (const s of sheets.slice(1)) assertEquals(s.rows[0], REQUEST_HEADER);
    assertEquals(sheets.slice(1).flatMap((s) => s.rows.slice(1).map((r) => r[0])), [0, 1, 2, 3, 4]);
  });
});

Deno.test("xlsxValue() converts numeric text only", () => {
  assertEquals(
    ["12", "-1.5", ".5", "1e-3", "0x10", "12ms", "", undefined, null, true, Infinity].map(
      xlsxValue,
    ),
    [12, -1.5, 0.5, 0.001, "0x10", "12ms", null, null, null, true, "Infinity"],
  );
  assert(xlsxValue("007") === 7);
});
