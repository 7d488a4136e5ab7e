/**
 * Excel export, as LLM-Eval's `serving_perf_eval` writes one: a summary sheet
 * (one row per test configuration — concurrency or request rate — with the
 * summary and latency metrics) and a per-request sheet (the requests-CSV
 * columns, one row per request). Written with `exceljs`'s streaming writer,
 * a row at a time, so the per-request sheet may be larger than memory would
 * hold as one workbook; past Excel's 1,048,576 rows per sheet it continues in
 * `requests (2)`, `requests (3)`, … with the header repeated.
 *
 * `exceljs` is imported when a workbook is first written, so runs that write
 * none never load it.
 *
 * @module
 */

/** A cell: numbers stay numbers; numeric strings (as read from a CSV) become numbers. */
export type XlsxCell = string | number | boolean | null | undefined;

/** A sheet's content: the header and its rows (any iterable, sync or async). */
export interface XlsxTable {
  header: readonly string[];
  rows: Iterable<readonly XlsxCell[]> | AsyncIterable<readonly XlsxCell[]>;
}

/** Sheet names and limits. */
export interface XlsxOptions {
  /** Name of the summary sheet (default `summary`). */
  summarySheet?: string;
  /** Name of the per-request sheet (default `requests`). */
  requestsSheet?: string;
  /** Data rows per sheet before continuing in the next (default and maximum: 1,048,575). */
  maxRowsPerSheet?: number;
}

/** Excel's row limit, header included. */
const EXCEL_MAX_ROWS = 1_048_576;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A cell as written: numeric text becomes a number, empty text and undefined an empty cell. */
export function xlsxValue(cell: XlsxCell): string | number | boolean | null {
  if (cell === undefined || cell === null || cell === "") return null;
  if (typeof cell === "string" && NUMBER.test(cell)) {
    const n = Number(cell);
    if (Number.isFinite(n)) return n;
  }
  if (typeof cell === "number" && !Number.isFinite(cell)) return String(cell);
  return cell;
}

/**
 * Writes `path` (`.xlsx`) with the summary sheet then the per-request sheet(s).
 * Returns the names of the sheets written.
 */
export async function writeXlsx(
  path: string,
  tables: { summary: XlsxTable; requests: XlsxTable },
  options: XlsxOptions = {},
): Promise<string[]> {
  const { default: ExcelJS } = await import("exceljs");
  const perSheet = Math.min(options.maxRowsPerSheet ?? EXCEL_MAX_ROWS - 1, EXCEL_MAX_ROWS - 1);
  if (!(perSheet >= 1)) throw new RangeError("maxRowsPerSheet must be at least 1");
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: path,
    useStyles: true,
    useSharedStrings: false,
  });
  const names: string[] = [];
  const sheet = (name: string, header: readonly string[]) => {
    const ws = wb.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
    const row = ws.addRow([...header]);
    row.font = { bold: true };
    row.commit();
    names.push(name);
    return ws;
  };
  const summaryName = options.summarySheet ?? "summary";
  const requestsName = options.requestsSheet ?? "requests";
  let ws = sheet(summaryName, tables.summary.header);
  for await (const r of tables.summary.rows) ws.addRow(r.map(xlsxValue)).commit();
  ws.commit();
  ws = sheet(requestsName, tables.requests.header);
  let n = 0;
  let part = 1;
  for await (const r of tables.requests.rows) {
    if (n === perSheet) {
      ws.commit();
      ws = sheet(`${requestsName} (${++part})`, tables.requests.header);
      n = 0;
    }
    ws.addRow(r.map(xlsxValue)).commit();
    n++;
  }
  ws.commit();
  await wb.commit();
  return names;
}
