/**
 * Turns a model task into an HTTP target: endpoint URL, headers (the key goes
 * into `Authorization` here and nowhere else), and model discovery.
 *
 * @module
 */

import type { ModelTask } from "../config/plan.ts";
import { errorMessage, RuntimeError } from "../errors.ts";
import type { Transport } from "../protocol/transport.ts";

/** The endpoint for a base URL: accepts `http://h:p`, `http://h:p/v1` or the full endpoint. */
export function endpointUrl(baseUrl: string, path: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  if (trimmed.endsWith(path)) return trimmed;
  if (trimmed.endsWith("/v1") && path.startsWith("/v1/")) return trimmed + path.slice(3);
  return trimmed + path;
}

/** The `/v1/models` URL for a base or endpoint URL. */
export function modelsUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  const v1 = trimmed.search(/\/v1(\/|$)/);
  return (v1 >= 0 ? trimmed.slice(0, v1) : trimmed) + "/v1/models";
}

/** Request headers for a model task. */
export function requestHeaders(model: ModelTask): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (model.apiKey) headers.authorization = `Bearer ${model.apiKey}`;
  for (const [k, v] of Object.entries(model.headers)) headers[k.toLowerCase()] = v;
  return headers;
}

/**
 * Asks `GET /v1/models` for the served model ids. Throws a RuntimeError
 * naming the URL when the server cannot be reached or answers oddly.
 */
export async function listModels(
  baseUrl: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  transport: Transport,
): Promise<string[]> {
  const url = modelsUrl(baseUrl);
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
    const hint = /certificate|UnknownIssuer/i.test(errorMessage(error))
      ? " (for a private CA, give its certificate with --ca-cert, or skip the check with --insecure)"
      : "";
    throw new RuntimeError(`Cannot reach "${url}": ${errorMessage(error)}${hint}`, {
      cause: error,
    });
  }
  if (status < 200 || status > 299) {
    throw new RuntimeError(`"${url}" answered HTTP ${status}: ${text.slice(0, 200)}`);
  }
  try {
    const body = JSON.parse(text);
    const ids = (body?.data ?? []).map((m: { id?: unknown }) => m?.id).filter((id: unknown) =>
      typeof id === "string"
    );
    if (ids.length === 0) throw new Error("no model ids");
    return ids;
  } catch (error) {
    throw new RuntimeError(
      `"${url}" did not list any model (${errorMessage(error)}); set the model name with --model`,
    );
  }
}
