/**
 * The client's self-check: while a task runs, timers sample event-loop lag
 * (how late each tick fires) on the main thread and in every load worker, and
 * the process's CPU time, so the report can say
 * whether the client kept up. Costs one timer tick every `intervalMs`.
 *
 * @module
 */

import process from "node:process";
import { ValueCounts } from "../metrics/counts.ts";

/** Lag percentiles, ms. */
export interface LagStats {
  p50: number;
  p99: number;
  max: number;
}

/** What the self-check found. */
export interface SelfCheck {
  /** How late the sampling timers fired (main thread and load workers pooled), ms: p50, p99, max. */
  loop_lag_ms: LagStats;
  /**
   * The lag where sends and arrivals are stamped — the load workers, or the
   * main thread when it drives the load — which is what could distort the
   * measured times (absent in traces of older builds: judge by `loop_lag_ms`).
   */
  stamp_lag_ms?: LagStats;
  /** Client CPU time (all threads) per wall-clock second: 1.0 is one core busy. */
  cpu_cores: number;
  /** Cores the machine has. */
  machine_cores: number;
  /** Web Workers that drove the load (0: the main thread). */
  load_workers: number;
  samples: number;
}

/** With nothing to judge it against (no successful request), a stamp lag P99 above this is a warning. */
export const LOOP_LAG_WARN_MS = 10;
/** A stamp lag P99 up to this is the timers' own granularity: never a warning. */
export const LAG_FLOOR_MS = 2;
/** A stamp lag P99 at this share of the task's time scale or more is a warning; below, an info line. */
export const LAG_SHARE_WARN = 0.25;

/**
 * What the lag is judged against: the task's median TTFT when streamed (the
 * shortest time measured from a send to an arrival, which a late stamp
 * inflates one for one), else its median E2EL.
 */
export interface LagScale {
  /** `median TTFT`, `median E2EL`. */
  name: string;
  ms: number;
}

/** How the client's lag bears on a task's numbers. */
export interface LagJudgement {
  /** `warning`: the lag is large beside the scale; `info`: the measured times hold. */
  level: "info" | "warning";
  /** The lag judged: P99 where requests are stamped, ms. */
  lag_p99_ms: number;
  scale?: LagScale;
  /** `lag_p99_ms / scale.ms`. */
  share?: number;
  /** One sentence for the console, JSON and page. */
  text: string;
}

const fixed = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));

/**
 * Judges the self-check against what its lag distorts: the lag P99 where
 * requests are stamped (the load workers; the main thread when it drives;
 * the pooled lag for traces of older builds) as a share of `scale`. Below
 * {@link LAG_SHARE_WARN} of it (or up to {@link LAG_FLOOR_MS}; for the pooled
 * lag, up to {@link LOOP_LAG_WARN_MS}) it is an info
 * line; at or above, a warning saying what may be late — sends against their
 * due times in an open loop, the next request after a stream came free in a
 * closed one — and why: the client's own threads busy, or other work on the
 * machine. Without a scale, {@link LOOP_LAG_WARN_MS} decides.
 */
export function judgeClientLag(
  check: SelfCheck,
  options: { scale?: LagScale | undefined; closedLoop: boolean },
): LagJudgement {
  const { scale, closedLoop } = options;
  const lag = check.stamp_lag_ms ?? check.loop_lag_ms;
  const where = check.stamp_lag_ms === undefined
    ? "in the client"
    : check.load_workers > 0
    ? "in the load workers, where requests are stamped"
    : "on the main thread, where requests are stamped";
  const share = scale && scale.ms > 0 ? lag.p99 / scale.ms : undefined;
  // The pooled lag of an older trace may be another thread's: only a large one can be the stamps'.
  const floor = check.stamp_lag_ms === undefined ? LOOP_LAG_WARN_MS : LAG_FLOOR_MS;
  const warn = lag.p99 > floor &&
    (share !== undefined ? share >= LAG_SHARE_WARN : lag.p99 > LOOP_LAG_WARN_MS);
  const measured = `event-loop lag ${where}: ${fixed(lag.p99)} ms at P99 (max ${
    fixed(lag.max)
  } ms)${
    share !== undefined && scale
      ? `, ${Math.round(share * 100)}% of the ${scale.name} (${fixed(scale.ms)} ms)`
      : ""
  }`;
  const base = {
    lag_p99_ms: lag.p99,
    ...(scale ? { scale } : {}),
    ...(share !== undefined ? { share: Math.round(share * 1000) / 1000 } : {}),
  };
  if (!warn) {
    const bar = lag.p99 <= floor
      ? check.stamp_lag_ms === undefined
        ? `at most ${floor} ms, pooled over every thread`
        : `at most ${floor} ms, the timers' own granularity`
      : share !== undefined
      ? `under ${LAG_SHARE_WARN * 100}% of it`
      : `under ${LOOP_LAG_WARN_MS} ms`;
    return {
      level: "info",
      ...base,
      text: `client self-check: ${measured}; ${bar}: no sign the client fell behind`,
    };
  }
  const late = closedLoop
    ? "each next request may start late after a stream comes free (a little less load than the concurrency asks)"
    : "sends may go out after their due times";
  // The client's threads: the main thread and its load workers, at most one per core.
  const threads = Math.min(check.machine_cores, check.load_workers + 1);
  const busy = check.cpu_cores >= 0.8 * threads;
  const cause = busy
    ? `the client kept ${
      check.cpu_cores.toFixed(2)
    } of ${check.machine_cores} cores busy: spread the streams over more --workers, or use a bigger client machine`
    : `the client used only ${
      check.cpu_cores.toFixed(2)
    } of ${check.machine_cores} cores, so other work on this machine held it up: run on a quieter machine (or the simulator apart, with servebench sim)`;
  return {
    level: "warning",
    ...base,
    text:
      `the client's stamps may be late: ${measured}; TTFT and E2EL may read up to that much high, ITL percentiles spread (late chunks bunch up; the mean ITL holds), and ${late}; ${cause}`,
  };
}

/**
 * Samples this context's event-loop lag: a timer every `intervalMs`, each tick
 * recording how late it fired, counted per whole µs (exact to the precision
 * reported, in memory that does not grow with the run's length). The first
 * two ticks (start-up) are not counted.
 */
export function sampleLoopLag(intervalMs = 25): { stop(): ValueCounts } {
  const lags = new ValueCounts(1000);
  let ticks = 0;
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    if (++ticks > 2) lags.add(Math.round(Math.max(0, now - expected) * 1000));
    expected = now + intervalMs;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return lags;
    },
  };
}

/**
 * Starts sampling the main thread's loop lag and the process's CPU time;
 * `stop(more)` returns the findings, pooling the lag counts of the load
 * workers (`more`) with the main thread's.
 */
export function startSelfCheck(
  intervalMs = 25,
): { stop(more?: ValueCounts, loadWorkers?: number): SelfCheck } {
  const sampler = sampleLoopLag(intervalMs);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return {
    stop(more, loadWorkers = 0) {
      const lags = sampler.stop();
      // The stamping context's lag, taken before the main thread's counts absorb the workers'.
      const stamp = lagStats(loadWorkers > 0 && more ? more : lags);
      if (more) lags.merge(more);
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      return {
        loop_lag_ms: lagStats(lags),
        stamp_lag_ms: stamp,
        cpu_cores: wallMs > 0 ? round3((cpu.user + cpu.system) / 1000 / wallMs) : 0,
        machine_cores: navigator.hardwareConcurrency ?? 1,
        load_workers: loadWorkers,
        samples: lags.n,
      };
    },
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function lagStats(lags: ValueCounts): LagStats {
  return lags.n
    ? {
      p50: round3(lags.percentile(50)),
      p99: round3(lags.percentile(99)),
      max: round3(lags.percentile(100)),
    }
    : { p50: 0, p99: 0, max: 0 };
}
