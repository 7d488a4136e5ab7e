/**
 * A child process that serves HTTP: the simulator, another servebench, or the
 * native emitter, ready once it has said where it listens on stdout. Shared
 * by the benchmarks that keep the server out of the measured process.
 *
 * @module
 */

/** A running child and its URL. */
export interface ServingChild {
  readonly url: string;
  /** Ends the child (SIGTERM); resolves with everything it printed on stdout. */
  stop(): Promise<string>;
}

/** How {@link spawnServing} starts a child and tells that it listens. */
export interface ServingOptions {
  /** The program; default the Deno binary. */
  readonly command?: string;
  /** The base URL once stdout so far says the child listens; default its first `http://host:port`. */
  readonly listening?: (stdout: string) => string | undefined;
}

const printedUrl = (text: string) => /http:\/\/[^\s,]+:\d+/.exec(text)?.[0];

/**
 * Starts `command <args>` and resolves once it listens; rejects if it exits
 * first. Its stdout is read to the end meanwhile, so it never blocks on a full
 * pipe.
 */
export async function spawnServing(
  args: string[],
  options: ServingOptions = {},
): Promise<ServingChild> {
  const command = options.command ?? Deno.execPath();
  const listening = options.listening ?? printedUrl;
  const child = new Deno.Command(command, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | undefined;
  while ((url = listening(text)) === undefined) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`child "${command} ${args.join(" ")}" exited before listening: ${text}`);
    }
    text += value;
  }
  const drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
  })();
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drained.catch(() => {});
      return text;
    },
  };
}

/** Starts the native emitter `binary` (../shared/bench/fastsse.c), which prints `LISTENING <port>`. */
export function spawnEmitter(binary: string, args: string[]): Promise<ServingChild> {
  return spawnServing(args, {
    command: binary,
    listening: (text) => {
      const port = /LISTENING (\d+)\n/.exec(text)?.[1];
      return port === undefined ? undefined : `http://127.0.0.1:${port}`;
    },
  });
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
