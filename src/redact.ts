/**
 * Secrets as they may be shown or written: API keys, credential headers, and
 * the credentials a URL can carry. A leaf, so every layer (the client's error
 * messages, the plan's dumps, the console) can use it.
 *
 * @module
 */

/** What a secret is replaced by wherever it would be shown or written. */
export const REDACTED = "<redacted>";

/** Header names that carry credentials (`Authorization`, `X-Api-Key`, `Cookie`, `X-Amz-Signature`, …). */
const SECRET_HEADER_NAME = /key|token|auth|secret|cookie|signature|password/i;
/** Header values that look like credentials whatever their name: `sk-…`, `Bearer …`, `Basic …`. */
const SECRET_VALUE = /^\s*(?:sk-|(?:bearer|basic)\s)/i;
/** Query parameters that carry credentials (`?key=`, `?api-key=`, `?api_key=`, `?token=`, …). */
const SECRET_PARAM =
  /^(?:key|api[-_]?key|access[-_]?token|token|auth|secret|password|sig|signature|code)$/i;

/** True when a header holds a credential, by its name or its value. */
export function isSecretHeader(name: string, value: string): boolean {
  return SECRET_HEADER_NAME.test(name) || SECRET_VALUE.test(value);
}

/** A header map with credential headers' values replaced by `<redacted>` (see {@link isSecretHeader}). */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = isSecretHeader(k, v) ? REDACTED : v;
  return out;
}

/**
 * A URL as it may be shown or written: user and password (`user:pass@`) and
 * the values of credential query parameters (`?key=`, `?api-key=`, …)
 * replaced by `<redacted>`; everything else as given. Text that is no URL is
 * returned with any `user:pass@` part redacted.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, `//${REDACTED}@`);
  }
  const userinfo = u.username || u.password ? `${REDACTED}@` : "";
  let secretParam = false;
  const query = u.search.slice(1).split("&").filter((p) => p !== "").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq < 0 || !SECRET_PARAM.test(decodeParam(pair.slice(0, eq)))) return pair;
    secretParam = true;
    return `${pair.slice(0, eq)}=${REDACTED}`;
  });
  // Nothing to hide: the text as given, not as the URL parser would write it.
  if (!userinfo && !secretParam) return url;
  return `${u.protocol}//${userinfo}${u.host}${u.pathname}${
    query.length ? `?${query.join("&")}` : ""
  }${u.hash}`;
}

function decodeParam(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

/**
 * Redacts every URL inside a text (an error message that names one), as
 * {@link redactUrl} does.
 */
export function redactUrls(text: string): string {
  return text.replace(/https?:\/\/[^\s"'<>)]+/g, (url) => redactUrl(url));
}
