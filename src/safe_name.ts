/**
 * File-name safety for names that come from configs and flags: shared by the
 * planner (to detect two tasks writing one file) and the report layout.
 *
 * @module
 */

/** Replaces anything but letters, digits, `.`, `_`, `-` and `@` with `_`; never `.`/`..`. */
export function safeName(name: string): string {
  let s = name.replace(/[^A-Za-z0-9._@-]+/g, "_").replace(/^\.+/, "_");
  if (s === "" || s === "." || s === "..") s = "_";
  return s.slice(0, 120);
}
