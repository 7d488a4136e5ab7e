/**
 * Finding a Hugging Face model id (`Qwen/Qwen2.5-0.5B-Instruct`) in the local
 * caches, as EvalScope's `--tokenizer-path` and LLM-Eval's `--tokenizer`
 * accept it — never a download. The Hugging Face hub cache keeps
 * `models--<org>--<name>/refs/<revision>` (a commit hash) and
 * `snapshots/<hash>/tokenizer.json` (huggingface_hub's `file_download.py` and
 * `constants.py`: `HF_HUB_CACHE`, else `HF_HOME/hub`, `HF_HOME` defaulting to
 * `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`). ModelScope's
 * cache (EvalScope's default hub) is searched after it:
 * `$MODELSCOPE_CACHE` or `~/.cache/modelscope/hub`, `models/<org>/<name>` or
 * `<org>/<name>` (newer versions write `.` in names as `___`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** Where to look, for tests and callers that do not use the process environment. */
export interface HfCacheOptions {
  /** Reads an environment variable (default: `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** The branch, tag or commit to take (default `main`). */
  revision?: string;
}

/** A repo id `org/name` as the hub spells it (not a path: no leading `.` or `/`, one slash). */
export function isHfModelId(ref: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]*[A-Za-z0-9_]$/.test(ref) && !ref.includes("..");
}

function envOf(options: HfCacheOptions): (name: string) => string | undefined {
  return options.env ?? ((name) => Deno.env.get(name));
}

function homeCache(env: (name: string) => string | undefined): string | undefined {
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return xdg;
  const home = env("HOME") ?? env("USERPROFILE");
  return home ? `${home}/.cache` : undefined;
}

/** The Hugging Face hub cache folders to search, most specific first, without repeats. */
export function hfHubCacheDirs(options: HfCacheOptions = {}): string[] {
  const env = envOf(options);
  const dirs: string[] = [];
  for (const name of ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"]) {
    const v = env(name);
    if (v) dirs.push(v);
  }
  const hfHome = env("HF_HOME");
  if (hfHome) dirs.push(`${hfHome}/hub`);
  const cache = homeCache(env);
  if (cache) dirs.push(`${cache}/huggingface/hub`);
  return [...new Set(dirs.map((d) => d.replace(/\/+$/, "")))];
}

function modelScopeDirs(id: string, env: (name: string) => string | undefined): string[] {
  const roots: string[] = [];
  const ms = env("MODELSCOPE_CACHE");
  if (ms) roots.push(ms.replace(/\/+$/, ""));
  const cache = homeCache(env);
  if (cache) roots.push(`${cache}/modelscope/hub`);
  const [org, name] = id.split("/") as [string, string];
  const names = [...new Set([name, name.replaceAll(".", "___")])];
  const out: string[] = [];
  for (const root of [...new Set(roots)]) {
    for (const n of names) out.push(`${root}/models/${org}/${n}`, `${root}/${org}/${n}`);
  }
  return out;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function readRef(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The snapshot folder of `id` in one hub cache, or a sentence saying what is missing. */
function snapshotIn(
  cache: string,
  id: string,
  revision: string,
): { folder: string } | { looked: string } {
  const repo = `${cache}/models--${id.replace("/", "--")}`;
  if (!isDir(repo)) return { looked: repo };
  const hash = readRef(`${repo}/refs/${revision}`) ??
    (/^[0-9a-f]{40}$/.test(revision) ? revision : undefined);
  if (hash !== undefined) {
    const folder = `${repo}/snapshots/${hash}`;
    return isFile(`${folder}/tokenizer.json`) ? { folder } : { looked: `${folder}/tokenizer.json` };
  }
  // No refs at all (a download by commit): take the one snapshot that holds a tokenizer.
  let refs = 0;
  try {
    for (const _ of Deno.readDirSync(`${repo}/refs`)) refs++;
  } catch {
    // no refs folder
  }
  if (refs > 0) return { looked: `${repo}/refs/${revision}` };
  const found: string[] = [];
  try {
    for (const e of Deno.readDirSync(`${repo}/snapshots`)) {
      if (isFile(`${repo}/snapshots/${e.name}/tokenizer.json`)) {
        found.push(`${repo}/snapshots/${e.name}`);
      }
    }
  } catch {
    // no snapshots folder
  }
  if (found.length === 1) return { folder: found[0]! };
  return { looked: `${repo}/refs/${revision}` };
}

/**
 * The local folder holding `tokenizer.json` for a model id, from the Hugging
 * Face cache (then ModelScope's). Never downloads: when the id is not cached,
 * throws a UsageError naming every place looked at and how to fill the cache.
 */
export function resolveHfTokenizer(id: string, options: HfCacheOptions = {}): string {
  if (!isHfModelId(id)) {
    throw new UsageError(
      `Tokenizer "${id}": expected a folder holding tokenizer.json or a model id such as "Qwen/Qwen2.5-0.5B-Instruct"`,
    );
  }
  const env = envOf(options);
  const revision = options.revision ?? "main";
  const looked: string[] = [];
  for (const cache of hfHubCacheDirs(options)) {
    const r = snapshotIn(cache, id, revision);
    if ("folder" in r) return r.folder;
    looked.push(r.looked);
  }
  for (const folder of modelScopeDirs(id, env)) {
    if (isFile(`${folder}/tokenizer.json`)) return folder;
    looked.push(`${folder}/tokenizer.json`);
  }
  throw new UsageError(
    `Tokenizer "${id}" is neither a folder nor in a local cache (nothing is downloaded): looked at ${
      looked.join(", ")
    }. Fetch it once on a machine with access to the hub: huggingface-cli download ${id} tokenizer.json tokenizer_config.json (it lands in ${
      hfHubCacheDirs(options)[0] ?? "~/.cache/huggingface/hub"
    }; set HF_HUB_CACHE or HF_HOME to use another), or pass the folder that holds tokenizer.json`,
  );
}
