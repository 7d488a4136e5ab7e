/**
 * File-system helpers shared by the run, the report and the tests.
 *
 * @module
 */

/** True when something is at `path` (a file or folder); false when nothing is, or it cannot be seen. */
export function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
