/**
 * What the native (non-OpenAI) adapters share: server timings from `*_ms`
 * fields. Private to the adapters of this folder.
 *
 * @module
 */

/** The `*_ms` numbers of an object (e.g. llama.cpp's `timings`), by name; undefined when none. */
export function msFields(value: Record<string, unknown>): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.endsWith("_ms") && typeof v === "number" && Number.isFinite(v)) (out ??= {})[k] = v;
  }
  return out;
}
