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

/** What the self-check found. */
export interface SelfCheck {
  /** How late the sampling timers fired (main thread and load workers pooled), ms: p50, p99, max. */
  loop_lag_ms: { p50: number; p99: number; max: number };
  /** Client CPU time (all threads) per wall-clock second: 1.0 is one core busy. */
  cpu_cores: number;
  /** Cores the machine has. */
  machine_cores: number;
  /** Web Workers that drove the load (0: the main thread). */
  load_workers: number;
  samples: number;
}

/** Loop lag p99 above this means the client could not stamp events on time. */
export const LOOP_LAG_WARN_MS = 10;

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
      if (more) lags.merge(more);
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      const round = (x: number) => Math.round(x * 1000) / 1000;
      return {
        loop_lag_ms: lags.n
          ? {
            p50: round(lags.percentile(50)),
            p99: round(lags.percentile(99)),
            max: round(lags.percentile(100)),
          }
          : { p50: 0, p99: 0, max: 0 },
        cpu_cores: wallMs > 0 ? round((cpu.user + cpu.system) / 1000 / wallMs) : 0,
        machine_cores: navigator.hardwareConcurrency ?? 1,
        load_workers: loadWorkers,
        samples: lags.n,
      };
    },
  };
}
