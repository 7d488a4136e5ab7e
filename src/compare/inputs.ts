/**
 * What `servebench compare` reads: run folders (their result JSONs under
 * `performances/`), single result JSONs, or a run's `summary.json` (which
 * names its folder). Each run's tasks are grouped by what they measured —
 * model, dataset and load point — so the repetitions of a task
 * (`run --repeat`) form one group, and groups of two runs can be matched.
 *
 * @module
 */

import { errorMessage, UsageError } from "../errors.ts";
import { describeLoad, type LoadProfile, loadShape } from "../load/mod.ts";
import type { TaskResultJson } from "../report/result_json.ts";

/** The repetitions of one task in one run. */
export interface TaskGroup {
  /** What matches it with another run's group: model, dataset and load. */
  key: string;
  model: string;
  dataset: string;
  /** The load point, described (`concurrency 8`). */
  load: string;
  /** Its result JSONs, one per repetition, in repetition order. */
  repetitions: TaskResultJson[];
}

/** One run given to compare. */
export interface RunInput {
  /** How tables name it: the run folder's or file's name. */
  label: string;
  /** The path as given. */
  path: string;
  groups: TaskGroup[];
}

/** The load point of a result, described; a kind this build does not know is shown as its JSON. */
function loadText(load: Record<string, unknown>): string {
  const { numRequests: _n, durationS: _d, ...profile } = load;
  const kind = typeof profile.kind === "string" ? profile.kind : "";
  if (loadShape(kind)) {
    try {
      // A profile as the run wrote it: its kind is known, its fields are that shape's.
      return describeLoad(profile as unknown as LoadProfile);
    } catch {
      // fields this build does not read: fall back to the JSON
    }
  }
  return JSON.stringify(
    Object.fromEntries(Object.entries(profile).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
}

function isResultJson(value: unknown): value is TaskResultJson {
  if (!value || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  const task = v.task as Record<string, unknown> | undefined;
  return Boolean(
    task && typeof task === "object" && typeof task.model_abbr === "string" &&
      typeof task.dataset === "string" && task.load && typeof task.load === "object" &&
      v.common && typeof v.common === "object" && v.metrics && typeof v.metrics === "object",
  );
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new UsageError(`Cannot read "${path}": ${errorMessage(error)}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`"${path}" is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
}

const NOT_A_RUN =
  "expected a run folder servebench wrote (with performances/<model>/<task>.json), a task's result JSON, or a run's summary.json";

/** The result JSONs of a run folder, or a UsageError naming the folder. */
function runFolderResults(dir: string): { path: string; json: TaskResultJson }[] {
  const root = `${dir}/performances`;
  const out: { path: string; json: TaskResultJson }[] = [];
  let models: Deno.DirEntry[];
  try {
    models = [...Deno.readDirSync(root)].filter((e) => e.isDirectory);
  } catch {
    throw new UsageError(`"${dir}" is not a run folder (no performances/ in it): ${NOT_A_RUN}`);
  }
  for (const model of models.sort((a, b) => a.name.localeCompare(b.name))) {
    const files = [...Deno.readDirSync(`${root}/${model.name}`)]
      .filter((f) => f.isFile && f.name.endsWith(".json"))
      .map((f) => f.name)
      .sort();
    for (const name of files) {
      const path = `${root}/${model.name}/${name}`;
      const json = readJson(path);
      if (isResultJson(json)) out.push({ path, json });
    }
  }
  if (!out.length) {
    throw new UsageError(
      `"${dir}" is not a run folder: no result JSONs under "${root}" (a run that wrote no task, or another folder?); ${NOT_A_RUN}`,
    );
  }
  return out;
}

function groupResults(results: readonly TaskResultJson[]): TaskGroup[] {
  const groups = new Map<string, TaskGroup>();
  for (const json of results) {
    const t = json.task;
    const load = loadText(t.load);
    const key = JSON.stringify([t.model_abbr, t.dataset, load]);
    let g = groups.get(key);
    if (!g) {
      g = { key, model: t.model_abbr, dataset: t.dataset, load, repetitions: [] };
      groups.set(key, g);
    }
    g.repetitions.push(json);
  }
  for (const g of groups.values()) {
    g.repetitions.sort((a, b) => (a.task.repetition?.index ?? 0) - (b.task.repetition?.index ?? 0));
  }
  return [...groups.values()];
}

function baseName(path: string): string {
  const parts = path.replace(/\/+$/, "").split("/");
  return parts[parts.length - 1] || path;
}

/**
 * Reads one input: a run folder, a result JSON, or a `summary.json` (its
 * folder is read). Anything else is a UsageError naming the path.
 */
export function readRunInput(path: string): RunInput {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch {
    throw new UsageError(`"${path}" does not exist: ${NOT_A_RUN}`);
  }
  if (stat.isDirectory) {
    const results = runFolderResults(path.replace(/\/+$/, ""));
    return { label: baseName(path), path, groups: groupResults(results.map((r) => r.json)) };
  }
  const json = readJson(path);
  if (isResultJson(json)) return { label: baseName(path), path, groups: groupResults([json]) };
  if (json && typeof json === "object" && Array.isArray((json as { tasks?: unknown }).tasks)) {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
    const results = runFolderResults(dir);
    return { label: baseName(dir), path, groups: groupResults(results.map((r) => r.json)) };
  }
  throw new UsageError(`"${path}" is neither a result JSON nor a summary.json: ${NOT_A_RUN}`);
}

/** Reads every input; labels that repeat get their full path instead. */
export function readRunInputs(paths: readonly string[]): RunInput[] {
  const problems: string[] = [];
  const runs: RunInput[] = [];
  for (const p of paths) {
    try {
      runs.push(readRunInput(p));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new UsageError(problems);
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(r.label, (seen.get(r.label) ?? 0) + 1);
  return runs.map((r) => ((seen.get(r.label) ?? 0) > 1 ? { ...r, label: r.path } : r));
}
