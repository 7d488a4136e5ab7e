/**
 * Zod pieces the load shapes share: a positive rate that may be `inf`, a cap,
 * and a value-or-list for sweeps.
 *
 * @module
 */

import { z } from "zod";

/** A rate in req/s: a number > 0, or `inf` (everything at once). */
export const rateValue = z.union([z.literal("inf"), z.number().positive()], {
  error: 'expected a number > 0 or "inf"',
});

/** A rate as a number (`inf` → Infinity). */
export function rateNumber(value: number | "inf"): number {
  return value === "inf" ? Infinity : value;
}

/** A cap on requests in flight, or a client count. */
export const positiveInt = z.number().int().positive();

/** One value or a non-empty list of them (a sweep: one load point each). */
export function oneOrMany<T extends z.ZodType>(item: T) {
  return z.union([item, z.array(item).min(1)]);
}

/** The items of a value-or-list. */
export function listOf<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? value : [value as T];
}
