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
    // An empty value hides nothing (and is what an already redacted URL ends in, cut at its "<").
    if (eq < 0 || eq === pair.length - 1 || !SECRET_PARAM.test(decodeParam(pair.slice(0, eq)))) {
      return pair;
    }
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

/**
 * Credential-looking words inside a text: `Bearer …` or `Basic …` and a token
 * (8 characters or more, a digit among them, so "Basic auth" stays), `sk-…`.
 */
const SECRET_WORD = /\b(?:(?:bearer|basic)\s+(?=[\w.~+/=-]*\d)[\w.~+/=-]{8,}|sk-[\w-]{4,})/gi;
/** Shorter known secrets are not replaced: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Any text as it may be shown (an error's cause chain with `--debug`): URLs
 * redacted as {@link redactUrls} does, credential-looking words (`Bearer …`,
 * `sk-…`) and every one of `secrets` (the API key, credential header values)
 * replaced by `<redacted>`.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrls(text).replace(SECRET_WORD, REDACTED);
  const known = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  for (const secret of known.sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Environment variables whose names say they hold credentials (`OPENAI_API_KEY`, `HF_TOKEN`, …). */
const SECRET_ENV_NAME = /key|token|secret|password|auth|credential/i;

/**
 * The secrets a command line and environment hold, for {@link redactText}:
 * `--api-key` values, the values of credential `--header`s (see
 * {@link isSecretHeader}), the password of any URL, and the values (of 8
 * characters or more) of credential-named environment variables.
 */
export function secretsOf(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): string[] {
  const out: string[] = [];
  for (const [i, arg] of argv.entries()) {
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, argv[i + 1]];
    for (const url of arg.match(/\w+:\/\/[^\s]+/g) ?? []) {
      try {
        const u = new URL(url);
        if (u.password) out.push(decodeParam(u.password));
      } catch {
        // not a URL
      }
    }
    if (inline === undefined) continue;
    if (flag === "--api-key") out.push(inline);
    if (flag === "--header") {
      const colon = inline.indexOf(":");
      const [name, value] = [inline.slice(0, colon), inline.slice(colon + 1).trim()];
      if (colon > 0 && isSecretHeader(name, value)) out.push(value);
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_ENV_NAME.test(name) && value.length >= 8) out.push(value);
  }
  return out;
}
