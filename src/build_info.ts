/**
 * What the build stamped into this copy of servebench. `scripts/build.ts`
 * rewrites the `BUILD` line below before it bundles or compiles (and puts it
 * back after), so a release binary and `dist/servebench.js` know their commit
 * and the Deno that built them; run from source, the fields stay unset and
 * {@link versionText} says so.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/** The stamp of a build; every field unset when run from source. */
export interface BuildInfo {
  /** The git commit built (short hash, `-dirty` with uncommitted changes). */
  readonly commit?: string;
  /** The Deno version that bundled or compiled it (a compiled binary's runtime). */
  readonly deno?: string;
  /** When it was built, ISO 8601. */
  readonly builtAt?: string;
}

/** The tool's version: deno.json's. */
export const VERSION: string = config.version;

/** This copy's stamp (the next line is rewritten by scripts/build.ts). */
export const BUILD: BuildInfo = {};

/**
 * `servebench --version`: the version, the commit and the Deno version, e.g.
 * `servebench 0.1.0 (commit 1a2b3c4d5e6f, deno 2.9.6, built 2026-12-02T01:00:00Z)`.
 * `runtimeDeno` is the Deno running it, named too when it is not the builder's.
 */
export function versionText(build: BuildInfo, runtimeDeno: string): string {
  const commit = build.commit ?? "unknown: run from source";
  const deno = build.deno === undefined || build.deno === runtimeDeno
    ? `deno ${runtimeDeno}`
    : `built with deno ${build.deno}, running on deno ${runtimeDeno}`;
  const built = build.builtAt !== undefined ? `, built ${build.builtAt}` : "";
  return `servebench ${VERSION} (commit ${commit}, ${deno}${built})`;
}
