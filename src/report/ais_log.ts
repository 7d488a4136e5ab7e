/**
 * Console lines in AISBench's logger shape, `MM/DD hh:mm:ss - servebench - INFO - …`
 * (AISBench's `ais_bench/benchmark/utils/logging/logger.py` formats its lines
 * as `%(asctime)s - %(name)s - %(levelname)s - %(message)s` with the date
 * format `%m/%d %H:%M:%S`, local time), for runs started the AISBench way.
 *
 * @module
 */

const two = (n: number) => String(n).padStart(2, "0");

/** A formatter of INFO lines stamped by `now` (local time, as AISBench's logger). */
export function aisbenchLogLine(now: () => Date = () => new Date()): (message: string) => string {
  return (message) => {
    const d = now();
    const stamp = `${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${
      two(d.getMinutes())
    }:${two(d.getSeconds())}`;
    return `${stamp} - servebench - INFO - ${message}`;
  };
}
