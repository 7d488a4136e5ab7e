/**
 * The faults the simulator can inject, by name: the vocabulary shared by the
 * simulator, its command-line flags and the `sim.faults` block of model
 * configs (a leaf, so config/ need not import sim/).
 *
 * @module
 */

/** The faults the simulator can inject. */
export const FAULT_KINDS = [
  "reset",
  "http_400",
  "http_401",
  "http_404",
  "http_429",
  "http_500",
  "http_503",
  "html_error",
  "error_event",
  "no_done",
  "bad_json",
  "stall_headers",
  "stall_stream",
  "huge_event",
  "empty_choices",
  "split_utf8",
  "json_body",
  "cut_stream",
  "error_line",
  "empty_stream",
] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = typeof FAULT_KINDS[number];
