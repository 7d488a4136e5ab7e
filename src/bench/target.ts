/**
 * Turns a model task into an HTTP target: endpoint URL, headers (the key goes
 * into the adapter's auth header here and nowhere else), and model discovery
 * as the task's API adapter does it.
 *
 * @module
 */

import type { ModelTask } from "../config/plan.ts";
import { errorMessage, RuntimeError, throwIfInterrupted, UsageError } from "../errors.ts";
import { authHeader } from "../protocol/adapter.ts";
import { adapterFor, type ApiKind } from "../protocol/mod.ts";
import type { Transport } from "../protocol/transport.ts";
import { pageUrl, serverRoot } from "./probe.ts";
import { redactText, redactUrl, redactUrls } from "../redact.ts";

/**
 * The endpoint for a base URL: accepts `http://h:p`, `http://h:p/v1` or the
 * full endpoint. The URL is parsed, never concatenated: its query string
 * (`?api-version=…` of hosted endpoints) stays on the endpoint.
 */
export function endpointUrl(baseUrl: string, path: string): string {
  const u = new URL(baseUrl);
  const base = u.pathname.replace(/\/+$/, "");
  if (base.endsWith(path)) u.pathname = base;
  else if (base.endsWith("/v1") && path.startsWith("/v1/")) u.pathname = base + path.slice(3);
  else u.pathname = base + path;
  return u.href;
}

/**
 * The URL of an API's model list for a base or endpoint URL (the server's
 * root, without any `/v1…` or the API's own route, plus the adapter's
 * discovery path, the query string kept); undefined when the API cannot list
 * its models.
 */
export function modelsUrl(baseUrl: string, api: ApiKind): string | undefined {
  const path = adapterFor(api).models?.path;
  if (path === undefined) return undefined;
  return pageUrl(serverRoot(baseUrl, [adapterFor(api).path]), path);
}

/**
 * Request headers for a model task: JSON, the key in its API's auth header,
 * the API's own required headers, then the task's own headers. Throws a
 * UsageError when a key is given to an API that sends none, or a streaming
 * task names an API that cannot stream.
 */
export function requestHeaders(model: ModelTask): Record<string, string> {
  const adapter = adapterFor(model.api);
  if (model.stream && adapter.streaming === false) {
    throw new UsageError(
      `Model "${model.abbr}": API "${model.api}" cannot stream; set stream: false`,
    );
  }
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...adapter.headers,
  };
  if (model.apiKey) {
    const auth = authHeader(adapter.auth, model.apiKey);
    if (!auth) {
      throw new UsageError(
        `Model "${model.abbr}": API "${model.api}" sends no key, but an API key was given`,
      );
    }
    headers[auth[0]] = auth[1];
  }
  for (const [k, v] of Object.entries(model.headers)) headers[k.toLowerCase()] = v;
  return headers;
}

/** Where and how {@link listModels} asks. */
export interface ListModelsOptions {
  readonly api: ApiKind;
  /** Request headers, the key included. */
  readonly headers: Readonly<Record<string, string>>;
  readonly transport: Transport;
  readonly signal?: AbortSignal;
}

/**
 * Asks the server for its model ids the API's way (`GET /v1/models` for the
 * OpenAI APIs). Throws a RuntimeError naming the URL when the server cannot
 * be reached or answers oddly, or the API has no model list, and an
 * InterruptedError when `options.signal` aborts (Ctrl-C) before the answer.
 */
export async function listModels(baseUrl: string, options: ListModelsOptions): Promise<string[]> {
  const { headers, signal, transport } = options;
  const discovery = adapterFor(options.api).models;
  const url = modelsUrl(baseUrl, options.api);
  if (!discovery || url === undefined) {
    throw new RuntimeError(
      `API "${options.api}" cannot list its models; set the model name with --model`,
    );
  }
  const timeout = AbortSignal.timeout(30_000);
  let status: number;
  let text: string;
  try {
    const response = await transport.request(url, {
      method: "GET",
      headers,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throwIfInterrupted(signal, `asking "${redactUrl(url)}" for its models`);
    const hint = /certificate|UnknownIssuer/i.test(errorMessage(error))
      ? " (for a private CA, give its certificate with --ca-cert, or skip the check with --insecure)"
      : "";
    throw new RuntimeError(
      `Cannot reach "${redactUrl(url)}": ${redactUrls(errorMessage(error))}${hint}`,
      { cause: error },
    );
  }
  if (status < 200 || status > 299) {
    throw new RuntimeError(
      `"${redactUrl(url)}" answered HTTP ${status}: ${redactText(text.slice(0, 200))}`,
    );
  }
  try {
    const ids = discovery.read(JSON.parse(text));
    if (ids.length === 0) throw new Error("no model ids");
    return ids;
  } catch (error) {
    throw new RuntimeError(
      `"${redactUrl(url)}" did not list any model (${
        errorMessage(error)
      }); set the model name with --model`,
    );
  }
}
