/**
 * A child process that serves HTTP: started with the Deno binary and `args`,
 * ready once it has printed its `http://host:port` URL on stdout. Shared by
 * the benchmarks that keep the server out of the measured process.
 *
 * @module
 */

/** A running child and its URL. */
export interface ServingChild {
  readonly url: string;
  /** Ends the child (SIGTERM) and releases its stdout. */
  stop(): Promise<void>;
}

/** Starts `deno <args>` and resolves with the first URL it prints; rejects if it exits first. */
export async function spawnServing(args: string[]): Promise<ServingChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/http:\/\/\S+:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child "${args.join(" ")}" exited before printing a URL: ${text}`);
    text += value;
  }
  return {
    url: /http:\/\/[^\s,]+:\d+/.exec(text)![0],
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
    },
  };
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Starts `servebench sim` on an ephemeral port in a child process, with these sim flags. */
export function spawnSim(flags: string[]): Promise<ServingChild> {
  return spawnServing([
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    MAIN,
    "sim",
    "--port",
    "0",
    ...flags,
  ]);
}
