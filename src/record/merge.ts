/**
 * Merging the traces one task's shards wrote (`servebench merge`) into one
 * trace: every record once, with the shard that sent it, on one time axis,
 * the task's cap the sum of the shards' shares.
 * Each shard's times are moved onto the wall clock by its own offset estimate
 * (its header's `wall_offset_ms`), so records of shards on hosts whose clocks
 * agree (NTP) line up. Records are interleaved by end time, as one process
 * would have written them; memory holds one record per shard.
 *
 * @module
 */

import { RuntimeError } from "../errors.ts";
import type { RequestRecord } from "./record.ts";
import {
  readTraceEntries,
  readTraceHeader,
  recordOf,
  type ShardStamp,
  type TraceFooter,
  type TraceHeader,
  TraceWriter,
} from "./trace.ts";

/** One shard's trace of a task. */
interface ShardTrace {
  path: string;
  header: TraceHeader;
  stamp: ShardStamp;
  /** The shard's anchor on the wall clock. */
  wallAnchorMs: number;
}

/** What merging a task's traces gave. */
export interface MergedTrace {
  /** Records written. */
  records: number;
  /** The shards, by index. */
  shards: ShardStamp[];
}

async function shardTrace(path: string): Promise<ShardTrace> {
  const header = await readTraceHeader(path);
  const stamp = header.shard;
  if (!stamp) {
    throw new RuntimeError(
      `Cannot merge trace "${path}": its header names no shard (runs with --shard or --shards write one)`,
    );
  }
  return { path, header, stamp, wallAnchorMs: header.anchor_ms + stamp.wall_offset_ms };
}

/** The loop lag p99 of a footer's self-check (−1 without one), to pick the worst shard's. */
function lagP99(footer: TraceFooter | undefined): number {
  const lag = footer?.self_check?.loop_lag_ms as { p99?: number } | undefined;
  return lag?.p99 ?? -1;
}

/**
 * Merges the traces at `paths` (one task, one per shard) into a new trace at
 * `out`. Throws a RuntimeError when a trace names no shard, two traces name
 * the same one, or a record's index is not its shard's (index mod count ≠
 * shard): then the traces are not one partition of the load. Conversations
 * (a `sessions` load) are dealt out whole, so their turns' indices (the
 * dataset's) follow no such rule: there, an index in two shards' traces is
 * refused instead.
 */
export async function mergeTraces(paths: readonly string[], out: string): Promise<MergedTrace> {
  const shards = await Promise.all(paths.map(shardTrace));
  shards.sort((a, b) => a.stamp.index - b.stamp.index);
  for (let k = 1; k < shards.length; k++) {
    if (shards[k]!.stamp.index === shards[k - 1]!.stamp.index) {
      throw new RuntimeError(
        `Cannot merge "${shards[k - 1]!.path}" and "${shards[k]!.path}": both are shard ${
          shards[k]!.stamp.index
        }`,
      );
    }
  }
  const first = shards[0]!;
  const anchorMs = Math.floor(Math.min(...shards.map((s) => s.wallAnchorMs)));
  const created = shards.map((s) => s.header.created).sort()[0]!;
  const writer = TraceWriter.create(out, {
    anchor_ms: anchorMs,
    created,
    // Each shard's cap is its share; the shares sum to the run's cap (0, none, stays 0).
    identity: {
      ...first.header.identity,
      max_concurrency: shards.reduce((sum, s) => sum + s.header.identity.max_concurrency, 0),
    },
    task: first.header.task,
    ...(first.header.plan_hash !== undefined ? { plan_hash: first.header.plan_hash } : {}),
    // The shards reported with the run's settings (one plan): the merged run keeps them.
    ...(first.header.settings !== undefined ? { settings: first.header.settings } : {}),
    shards: shards.map((s) => s.stamp),
  });
  const footers: Array<TraceFooter | undefined> = shards.map(() => undefined);
  // A sessions run: the shard that sent each index, to refuse one sent twice.
  const sentBy = first.header.identity.load.kind === "sessions"
    ? new Map<number, number>()
    : undefined;
  let records = 0;
  try {
    const streams = shards.map((s, k) =>
      readTraceEntries(s.path, s.wallAnchorMs, 0, Infinity, (f) => (footers[k] = f))
    );
    const heads: Array<RequestRecord | undefined> = [];
    const advance = async (k: number) => {
      const next = await streams[k]!.next();
      if (next.done) {
        heads[k] = undefined;
        return;
      }
      const s = shards[k]!;
      const record = recordOf(next.value, s.wallAnchorMs);
      if (sentBy) {
        const other = sentBy.get(record.index);
        if (other !== undefined) {
          throw new RuntimeError(
            `Cannot merge trace "${s.path}": request ${record.index} is in shard ${other}'s trace too (a conversation belongs to one shard)`,
          );
        }
        sentBy.set(record.index, s.stamp.index);
      } else if (record.index % s.stamp.count !== s.stamp.index) {
        throw new RuntimeError(
          `Cannot merge trace "${s.path}": request ${record.index} is not shard ${s.stamp.index}'s (${record.index} mod ${s.stamp.count} is ${
            record.index % s.stamp.count
          })`,
        );
      }
      record.shard = s.stamp.index;
      heads[k] = record;
    };
    for (let k = 0; k < streams.length; k++) await advance(k);
    for (;;) {
      let pick = -1;
      for (let k = 0; k < heads.length; k++) {
        const h = heads[k];
        if (h && (pick < 0 || h.endMs < heads[pick]!.endMs)) pick = k;
      }
      if (pick < 0) break;
      writer.append(heads[pick]!);
      records++;
      await advance(pick);
    }
    let worst: TraceFooter | undefined;
    for (const f of footers) if (f && lagP99(f) > lagP99(worst)) worst = f;
    // The client check that matters is the busiest shard's: its lag bounds every shard's stamps.
    if (worst) writer.finish(worst);
  } finally {
    writer.close();
  }
  return { records, shards: shards.map((s) => s.stamp) };
}
