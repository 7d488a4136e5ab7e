/**
 * A small Chrome DevTools Protocol driver for the browser tests: starts
 * Debian's headless Chromium with a fresh profile and no background
 * networking, opens pages, evaluates script, hovers, and takes screenshots.
 * It records console errors, uncaught exceptions and every network request.
 *
 * @module
 */

/** Where Chromium is expected (Debian's package). */
export const CHROMIUM = "/usr/bin/chromium";

/** True when Chromium is installed. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

type Json = Record<string, unknown>;

/** A running headless browser with one page. */
export class Browser {
  readonly consoleErrors: string[] = [];
  readonly requests: string[] = [];
  #ws!: WebSocket;
  #child!: Deno.ChildProcess;
  #profile!: string;
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  #session = "";
  #events: Array<(method: string, params: Json) => void> = [];

  /** Starts Chromium and attaches to a new page. */
  static async launch(): Promise<Browser> {
    const b = new Browser();
    b.#profile = await Deno.makeTempDir({ prefix: "servebench-chromium-" });
    b.#child = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        `--user-data-dir=${b.#profile}`,
        "--remote-debugging-port=0",
        "--window-size=1280,1600",
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = b.#child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let url: string | undefined;
    while (!url) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Chromium exited before listening: ${text}`);
      text += value;
      url = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
    }
    reader.releaseLock();
    b.#child.stderr.cancel().catch(() => {});
    b.#ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      b.#ws.onopen = resolve;
      b.#ws.onerror = () => reject(new Error("cannot connect to Chromium"));
    });
    b.#ws.onmessage = (e) => b.#onMessage(JSON.parse(e.data));
    const { targetId } = await b.#send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await b.#send("Target.attachToTarget", { targetId, flatten: true }) as {
      sessionId: string;
    };
    b.#session = sessionId;
    b.#events.push((method, params) => {
      if (method === "Runtime.consoleAPICalled" && params.type === "error") {
        b.consoleErrors.push(JSON.stringify(params.args));
      } else if (method === "Runtime.exceptionThrown") {
        b.consoleErrors.push(
          JSON.stringify((params.exceptionDetails as Json)?.exception ?? params),
        );
      } else if (method === "Log.entryAdded" && (params.entry as Json)?.level === "error") {
        b.consoleErrors.push(String((params.entry as Json).text));
      } else if (method === "Network.requestWillBeSent") {
        b.requests.push(String((params.request as Json).url));
      }
    });
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await b.send(`${domain}.enable`);
    return b;
  }

  #onMessage(m: Json): void {
    if (typeof m.id === "number") {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error) p?.reject(new Error(JSON.stringify(m.error)));
      else p?.resolve((m.result ?? {}) as Json);
    } else if (typeof m.method === "string") {
      for (const f of this.#events) f(m.method, (m.params ?? {}) as Json);
    }
  }

  #send(method: string, params: Json = {}, session?: string): Promise<Json> {
    const id = this.#nextId++;
    this.#ws.send(
      JSON.stringify({ id, method, params, ...(session ? { sessionId: session } : {}) }),
    );
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** Sends a command to the page. */
  send(method: string, params: Json = {}): Promise<Json> {
    return this.#send(method, params, this.#session);
  }

  /** Opens a file and waits for its load event. */
  async open(path: string): Promise<void> {
    const loaded = new Promise<void>((resolve) =>
      this.#events.push((m) => m === "Page.loadEventFired" && resolve())
    );
    await this.send("Page.navigate", { url: `file://${path}` });
    await loaded;
  }

  /** Evaluates an expression in the page and returns its value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) {
      throw new Error(`page script failed: ${JSON.stringify(r.exceptionDetails)}`);
    }
    return (r.result as Json).value as T;
  }

  /** Polls an expression until it is truthy. */
  async waitFor(expression: string, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await this.eval<boolean>(expression)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${expression}`);
  }

  /** Moves the mouse to page coordinates. */
  async hover(x: number, y: number): Promise<void> {
    await this.send("Input.dispatchMouseEvent", { type: "mouseMoved", x, y });
  }

  /** Saves a PNG screenshot of the whole page. */
  async screenshot(path: string): Promise<void> {
    const r = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    });
    await Deno.writeFile(path, Uint8Array.from(atob(r.data as string), (c) => c.charCodeAt(0)));
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    try {
      await this.#send("Browser.close");
    } catch {
      // already gone
    }
    this.#ws.close();
    await this.#child.status;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}
