/**
 * What the native (non-OpenAI) adapters share: reading one JSON event, and a
 * prompt as text or token ids. Private to the adapters of this folder.
 *
 * @module
 */

import type { EventSink } from "./adapter.ts";

/** Parses one event's JSON and hands it to the probe; undefined (and `bad`) when it is not JSON. */
export function parseEvent(data: string, sink: EventSink): unknown {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    sink.bad(`invalid JSON in event: ${data.slice(0, 80)}`);
    return undefined;
  }
  sink.parsed(event);
  return event;
}

/** The `*_ms` numbers of an object (e.g. llama.cpp's `timings`), by name; undefined when none. */
export function msFields(value: Record<string, unknown>): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.endsWith("_ms") && typeof v === "number" && Number.isFinite(v)) (out ??= {})[k] = v;
  }
  return out;
}
