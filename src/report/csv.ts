/**
 * CSV writing (RFC 4180: fields with a comma, quote or line break are quoted,
 * quotes doubled).
 *
 * @module
 */

/** A CSV cell; `undefined` is written as an empty field. */
export type Cell = string | number | boolean | undefined;

/** Quotes one field when needed. */
export function csvField(value: Cell): string {
  if (value === undefined) return "";
  const s = typeof value === "number" ? formatCsvNumber(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function formatCsvNumber(n: number): string {
  if (!Number.isFinite(n)) return "";
  // Times are on a µs grid; three decimals hide float noise without losing data.
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1e3) / 1e3);
}

/** One CSV line (with its `\n`). */
export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvField).join(",") + "\n";
}
