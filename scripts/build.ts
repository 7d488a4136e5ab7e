/**
 * Builds servebench with its build stamp: writes the commit, the Deno
 * version and the time into src/build_info.ts, bundles main.ts into one
 * JavaScript file (every npm module inlined, so nothing else is embedded),
 * optionally compiles that bundle into a self-contained binary, and puts
 * src/build_info.ts back as it was, whatever happens.
 *
 * Usage:
 *   deno run -A scripts/build.ts bundle [-o dist/servebench.js]
 *   deno run -A scripts/build.ts compile [--target TRIPLE] [-o dist/servebench]
 *
 * `compile` compiles the bundle, not main.ts: `deno compile main.ts` would
 * embed all of node_modules (~124 MB), the bundle only what main.ts imports.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;
const STAMP_FILE = `${ROOT}src/build_info.ts`;
const STAMP_LINE = /^export const BUILD: BuildInfo = .*;$/m;

/** The permissions a compiled binary is granted (those of `deno task perf`, writes anywhere). */
export const BINARY_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/** The release targets, as `deno compile --target` names them. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

async function git(args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined; // no git: the stamp says "unknown"
  }
}

/**
 * The commit to stamp: `SERVEBENCH_COMMIT` when set (a build without .git:
 * `docker build --build-arg COMMIT=…`), else the short hash, `-dirty` when
 * tracked files have changes.
 */
async function commitOf(): Promise<string | undefined> {
  const given = Deno.env.get("SERVEBENCH_COMMIT");
  if (given) return given;
  const hash = await git(["rev-parse", "--short=12", "HEAD"]);
  if (hash === undefined) return undefined;
  const changes = await git(["status", "--porcelain", "--untracked-files=no"]);
  return changes ? `${hash}-dirty` : hash;
}

async function deno(args: string[]): Promise<void> {
  const status = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).spawn().status;
  if (!status.success) throw new Error(`deno ${args.join(" ")} failed (exit ${status.code})`);
}

/** Runs `build` with src/build_info.ts stamped, restoring the file after. */
async function stamped(build: () => Promise<void>): Promise<void> {
  const original = Deno.readTextFileSync(STAMP_FILE);
  if (!STAMP_LINE.test(original)) throw new Error(`${STAMP_FILE}: no BUILD line to stamp`);
  // Read before stamping: the stamp itself must not make the tree dirty.
  const commit = await commitOf();
  const info = {
    ...(commit !== undefined ? { commit } : {}),
    deno: Deno.version.deno,
    builtAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
  Deno.writeTextFileSync(
    STAMP_FILE,
    original.replace(STAMP_LINE, `export const BUILD: BuildInfo = ${JSON.stringify(info)};`),
  );
  try {
    await build();
  } finally {
    Deno.writeTextFileSync(STAMP_FILE, original);
  }
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const bundle = command === "bundle"
    ? flag(rest, "-o") ?? "dist/servebench.js"
    : "dist/servebench.js";
  if (command !== "bundle" && command !== "compile") {
    throw new Error("usage: scripts/build.ts bundle [-o FILE] | compile [--target T] [-o FILE]");
  }
  Deno.mkdirSync(`${ROOT}dist`, { recursive: true });
  await stamped(() => deno(["bundle", "--quiet", "--platform", "deno", "-o", bundle, "main.ts"]));
  if (command === "bundle") return;
  const target = flag(rest, "--target");
  const out = flag(rest, "-o") ?? `dist/servebench${target ? `-${target}` : ""}`;
  // --no-config: the bundle needs no import map or node_modules, so none is embedded.
  await deno([
    "compile",
    "--no-config",
    ...BINARY_PERMISSIONS,
    ...(target ? ["--target", target] : []),
    "-o",
    out,
    bundle,
  ]);
}

if (import.meta.main) await main(Deno.args);
