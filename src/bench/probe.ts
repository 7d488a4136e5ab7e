/**
 * `--api auto` and shared routes: asks a server which APIs it serves, by the
 * discovery page each server has — TGI `GET /info`, llama.cpp `GET /props`,
 * SGLang `GET /get_model_info`, Ollama `GET /api/version`, then the OpenAI
 * `GET /v1/models` most of them also serve — and picks the richest streaming
 * API found: the server's native one (it carries the server's own counts and
 * timings), else OpenAI chat completions.
 *
 * @module
 */

import { errorMessage, RuntimeError, throwIfInterrupted } from "../errors.ts";
import { adapterFor, API_KINDS, type ApiKind, isApiKind } from "../protocol/mod.ts";
import type { Transport } from "../protocol/transport.ts";
import { redactUrl, redactUrls } from "../redact.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;

/** One discovery page: where, what identifies the server, the APIs it then offers (richest first). */
interface Probe {
  readonly path: string;
  readonly server: string;
  readonly apis: readonly string[];
  /** The served model named on the page, or true when the page is the server's but names none. */
  readonly read: (body: unknown) => string | boolean;
}

const PROBES: readonly Probe[] = [
  {
    path: "/info",
    server: "TGI",
    apis: ["tgi-generate-stream", "tgi-generate"],
    read: (b) => isObj(b) && typeof b.model_id === "string" && b.model_id,
  },
  {
    path: "/props",
    server: "llama.cpp",
    apis: ["llamacpp-completion"],
    read: (b) =>
      isObj(b) && isObj(b.default_generation_settings) &&
      (typeof b.model_alias === "string" && b.model_alias !== "" ? b.model_alias : true),
  },
  {
    path: "/get_model_info",
    server: "SGLang",
    apis: ["sglang-generate"],
    read: (b) => isObj(b) && typeof b.model_path === "string" && b.model_path,
  },
  {
    path: "/api/version",
    server: "Ollama",
    apis: ["ollama-chat", "ollama-generate"],
    read: (b) => isObj(b) && typeof b.version === "string",
  },
  {
    path: "/v1/models",
    server: "OpenAI-compatible",
    apis: ["openai-chat", "openai-completions"],
    read: (b) => {
      const first = isObj(b) && Array.isArray(b.data) ? b.data[0] : undefined;
      return isObj(first) && typeof first.id === "string"
        ? first.id
        : isObj(b) && Array.isArray(b.data);
    },
  },
];

/** What probing found. */
export interface ProbeResult {
  /** The API chosen. */
  readonly api: ApiKind;
  /** The served model, when a discovery page named one. */
  readonly model?: string;
  /** One line per page that answered as its server would: `TGI (GET /info): model "m"`. */
  readonly found: string[];
}

/** How {@link probeApi} asks. */
export interface ProbeOptions {
  readonly transport: Transport;
  /** Request headers, the key included. */
  readonly headers: Readonly<Record<string, string>>;
  /** Only these APIs may be chosen (a shared route's candidates); absent: any. */
  readonly among?: readonly ApiKind[];
  readonly signal?: AbortSignal;
}

/** Every registered API's route. */
const KNOWN_ROUTES: readonly string[] = API_KINDS.map((k) => adapterFor(k).path);

/**
 * The server's root for a base or endpoint URL: its origin and any prefix
 * before `/v1` or a route (default: any registered API's), its query string
 * (`?api-version=…`) kept.
 */
export function serverRoot(url: string, routes: readonly string[] = KNOWN_ROUTES): string {
  const u = new URL(url);
  let path = u.pathname.replace(/\/+$/, "");
  const v1 = path.search(/\/v1(\/|$)/);
  if (v1 >= 0) path = path.slice(0, v1);
  for (const r of [...routes].sort((a, b) => b.length - a.length)) {
    if (path.endsWith(r)) {
      path = path.slice(0, -r.length);
      break;
    }
  }
  return u.origin + path + u.search;
}

/** A page of the server at `root`: the path appended to the root's, its query string kept. */
export function pageUrl(root: string, path: string): string {
  const u = new URL(root);
  u.pathname = u.pathname.replace(/\/+$/, "") + path;
  return u.href;
}

/**
 * Probes the server at `root` (see {@link serverRoot}) page by page and picks
 * the first API found that is registered (and among `options.among`). Throws
 * a RuntimeError listing every page tried and what each answered when none
 * fits, and an InterruptedError when `options.signal` aborts.
 */
export async function probeApi(root: string, options: ProbeOptions): Promise<ProbeResult> {
  const found: string[] = [];
  const tried: string[] = [];
  let chosen: { api: ApiKind; model?: string } | undefined;
  for (const probe of PROBES) {
    const api = probe.apis.find((a): a is ApiKind =>
      isApiKind(a) && (!options.among || options.among.includes(a))
    );
    if (api === undefined) continue;
    const url = pageUrl(root, probe.path);
    let answer: string;
    let seen: string | boolean = false;
    try {
      const timeout = AbortSignal.timeout(10_000);
      const response = await options.transport.request(url, {
        method: "GET",
        headers: options.headers,
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
      const text = await response.text();
      if (response.status < 200 || response.status > 299) answer = `HTTP ${response.status}`;
      else {
        try {
          seen = probe.read(JSON.parse(text));
          answer = seen ? "ok" : "not this server's answer";
        } catch {
          answer = "not JSON";
        }
      }
    } catch (error) {
      throwIfInterrupted(options.signal, `probing "${redactUrl(url)}" for its API`);
      answer = redactUrls(errorMessage(error));
    }
    tried.push(`GET ${redactUrl(url)} (${probe.server}): ${answer}`);
    if (!seen) continue;
    found.push(
      `${probe.server} (GET ${probe.path})${typeof seen === "string" ? `: model "${seen}"` : ""}`,
    );
    if (!chosen) {
      chosen = typeof seen === "string" ? { api, model: seen } : { api };
    }
  }
  if (!chosen) {
    throw new RuntimeError(
      `No known API answered at "${redactUrl(root)}"; tried:\n  ${tried.join("\n  ")}`,
    );
  }
  return { ...chosen, found };
}
