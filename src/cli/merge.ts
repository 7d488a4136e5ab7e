/**
 * `servebench merge DIR… -o OUT`: joins the run folders of one run's shards
 * (`run --shard i/N`) into one run folder: each task's traces merged into one
 * (every record once, its shard kept), then every report recomputed from the
 * merged traces by the code of `report --reuse`. Refuses folders that are not
 * shards of one run, naming the plan field that differs.
 *
 * @module
 */

import { errorMessage, UsageError } from "../errors.ts";
import { SHARD_FILE, type ShardFile } from "../bench/run_benchmark.ts";
import { firstDifference } from "../config/shard.ts";
import { mergeTraces } from "../record/merge.ts";
import { TRACE_SUFFIX } from "../report/paths.ts";
import { findTraces, recomputeRun, type ReportResult } from "./report.ts";
import { type FlagSpec, parseFlags, renderFlagHelp } from "./args.ts";
import { REPORT_FLAGS, reportOverridesFromFlags } from "./_report_flags.ts";

/** Every flag of `servebench merge`. */
export const MERGE_FLAGS = [
  {
    name: "out",
    type: "string",
    value: "OUT",
    help: "The run folder to create for the merged run (-o OUT); it must not exist yet.",
  },
  ...REPORT_FLAGS,
  { name: "debug", type: "boolean", help: "Print error causes." },
] as const satisfies readonly FlagSpec[];

/** `servebench merge --help`. */
export const MERGE_HELP = `Usage: servebench merge DIR [DIR …] -o OUT [flags]

DIR is a shard's run folder, or a folder holding them (up to two levels down:
/results/shard-0/<run>, /results/shard-1/<run>, … from 'merge /results').
Joins the run folders of every shard of one run (servebench run --shard I/N, or
--shards N in a Kubernetes Indexed Job) into the run folder OUT: each task's
traces become one (every request once, with the shard that sent it, times on
the wall clock by each shard's offset estimate), and every table, CSV and JSON
is recomputed from it exactly as 'servebench report --reuse OUT' would.
Refuses folders whose plans differ (naming the field), a missing shard, or two
folders of one shard. The shards' clocks are assumed NTP-synchronised.

Flags:
${renderFlagHelp(MERGE_FLAGS)}

Exit codes: 0 ok, 1 a trace that cannot be read or whose records are not its
shard's, 2 bad flags or folders that are not one run's shards (nothing written),
3 a --fail-on condition held.
`;

/** A shard's run folder, read. */
interface ShardDir {
  dir: string;
  file: ShardFile;
  /** Its traces, by path under the folder (`performances/<abbr>/<name>_details.jsonl`). */
  traces: Map<string, string>;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The shard run folders a DIR argument names: itself when it holds
 * {@link SHARD_FILE}, else those found up to two levels below it (a work
 * folder per shard, each holding its run folder: `/results/shard-0/<stamp>`),
 * in name order.
 */
export function shardFolders(dir: string): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    throw new UsageError(`Cannot read the folder "${dir}": ${errorMessage(error)}`);
  }
  return findShards(dir, entries, 2);
}

/** `dir` when it is a shard's run folder, else the ones `depth` levels below it. */
function findShards(dir: string, entries: readonly Deno.DirEntry[], depth: number): string[] {
  if (isFile(`${dir}/${SHARD_FILE}`)) return [dir];
  if (depth === 0) return [];
  return entries.filter((e) => e.isDirectory).map((e) => e.name).sort().flatMap((name) => {
    const sub = `${dir}/${name}`;
    try {
      return findShards(sub, [...Deno.readDirSync(sub)], depth - 1);
    } catch {
      return []; // a folder below that cannot be read (lost+found) holds no shard of ours
    }
  });
}

function readShardDir(dir: string): ShardDir {
  let file: ShardFile;
  try {
    file = JSON.parse(Deno.readTextFileSync(`${dir}/${SHARD_FILE}`));
  } catch (error) {
    throw new UsageError(
      `"${dir}" is not a shard's run folder: cannot read ${SHARD_FILE} (runs with --shard or --shards write one): ${
        errorMessage(error)
      }`,
    );
  }
  if (typeof file.plan_hash !== "string" || typeof file.shard?.index !== "number") {
    throw new UsageError(`"${dir}/${SHARD_FILE}": expected "plan_hash" and "shard"`);
  }
  const traces = new Map<string, string>();
  for (const path of findTraces(dir)) traces.set(path.slice(dir.length + 1), path);
  return { dir, file, traces };
}

/** Every problem that keeps the folders from being one run's shards, one line each. */
function mismatches(dirs: readonly ShardDir[]): string[] {
  const problems: string[] = [];
  const first = dirs[0]!;
  const count = first.file.shard.count;
  for (const d of dirs.slice(1)) {
    if (d.file.plan_hash !== first.file.plan_hash) {
      const diff = firstDifference(first.file.plan, d.file.plan);
      problems.push(
        `"${first.dir}" and "${d.dir}" are not shards of one run: their plans differ at ${
          diff ? `"${diff.field}" (${diff.a} vs ${diff.b})` : "an unknown field (plan hash)"
        }`,
      );
    }
    if (d.file.shard.count !== count) {
      problems.push(
        `"${first.dir}" and "${d.dir}" are not shards of one run: they split it into ${count} and ${d.file.shard.count} shards`,
      );
    }
    for (const t of [...first.traces.keys(), ...d.traces.keys()]) {
      if (!first.traces.has(t) || !d.traces.has(t)) {
        problems.push(`"${t}" is in only one of "${first.dir}" and "${d.dir}"`);
        break;
      }
    }
  }
  const seen = new Map<number, string>();
  for (const d of dirs) {
    const i = d.file.shard.index;
    if (seen.has(i)) problems.push(`"${seen.get(i)}" and "${d.dir}" are both shard ${i}/${count}`);
    seen.set(i, d.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) {
    problems.push(
      `shard${missing.length > 1 ? "s" : ""} ${
        missing.map((i) => `${i}/${count}`).join(", ")
      } missing: give the run folder of every shard`,
    );
  }
  return problems;
}

/** Creates OUT (a new folder) and merges the shards' traces into `OUT/performances/…`. */
async function mergeInto(out: string, dirs: readonly ShardDir[]): Promise<void> {
  try {
    Deno.mkdirSync(out, { recursive: false });
  } catch (error) {
    throw new UsageError(
      `-o: cannot create the run folder "${out}" (it must not exist yet): ${errorMessage(error)}`,
    );
  }
  const first = dirs[0]!;
  for (const [rel] of first.traces) {
    const target = `${out}/${rel}`;
    Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await mergeTraces(dirs.map((d) => d.traces.get(rel)!), target);
  }
  const merged = {
    plan_hash: first.file.plan_hash,
    plan: first.file.plan,
    shards: dirs.map((d) => ({ ...d.file.shard, run_folder: d.dir })).sort((a, b) =>
      a.index - b.index
    ),
  };
  Deno.writeTextFileSync(`${out}/merge.json`, JSON.stringify(merged, null, 2) + "\n");
}

/** Runs `servebench merge`; returns undefined when only help was shown. */
export async function mergeCommand(
  argv: readonly string[],
  print: (text: string) => void,
): Promise<ReportResult | undefined> {
  const args = argv.map((a) => (a === "-o" ? "--out" : a));
  const { values, positionals, help } = parseFlags(args, MERGE_FLAGS, {
    command: "servebench merge",
  });
  if (help) {
    print(MERGE_HELP);
    return undefined;
  }
  const problems: string[] = [];
  if (!positionals.length) problems.push("merge: expected the shards' run folders (DIR …)");
  if (values.out === undefined) problems.push("-o: expected the run folder to create (-o OUT)");
  const settings = reportOverridesFromFlags(values, { problems });
  if (problems.length || values.out === undefined) throw new UsageError(problems);
  const folders = positionals.flatMap((d) => {
    const found = shardFolders(d.replace(/\/+$/, ""));
    if (!found.length) {
      problems.push(
        `"${d}" is not a shard's run folder and holds none (no ${SHARD_FILE} in it or two levels below)`,
      );
    }
    return found;
  });
  if (problems.length) throw new UsageError(problems);
  const dirs = folders.map(readShardDir);
  const wrong = mismatches(dirs);
  if (wrong.length) throw new UsageError(wrong);
  const out = values.out.replace(/\/+$/, "");
  await mergeInto(out, dirs);
  print(
    `Merged ${dirs.length} shard${dirs.length > 1 ? "s" : ""} (${dirs[0]!.traces.size} task${
      dirs[0]!.traces.size > 1 ? "s" : ""
    }, *${TRACE_SUFFIX}) into ${out}; the shards' clocks are assumed NTP-synchronised`,
  );
  return await recomputeRun(out, { settings, print });
}
