/**
 * Internals shared by the token sources: a fetch over the project's HTTP client (proxies, extra
 * CA certificates, timeouts) and one-line, token-free descriptions of responses and failures.
 */

/** Anything that looks like a JWT (or a JWE) in text that may end up in a message. */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*/g;

/**
 * Removes tokens (anything JWT-shaped, and the given secrets) from text meant for a message.
 *
 * @example
 * ```ts
 * redact('denied for eyJhbGciOi.eyJzdWIi.c2ln'); // 'denied for [redacted]'
 * ```
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(JWT_LIKE, '[redacted]');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * A response body as a short single line for an error message, tokens removed.
 *
 * @example
 * ```ts
 * throw new Error(`HTTP ${resp.status}: ${snippet(await resp.text(), [requestToken])}`);
 * ```
 */
export function snippet(body: string, secrets: readonly (string | undefined)[] = [], max = 200): string {
  const one = redact(body, secrets).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}...` : one;
}

/**
 * The reason a fetch failed, in a few words (`ECONNREFUSED`, `timed out after 30 s`, ...).
 *
 * @example
 * ```ts
 * try { await fetchWithTimeout(url, {}, 30_000); } catch (e) { console.error(fetchFailure(e, 30_000)); }
 * ```
 */
export function fetchFailure(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `timed out after ${Math.round(timeoutMs / 1000)} s`;
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}

/**
 * The default time allowed for one request to a credential or identity provider.
 *
 * @example
 * ```ts
 * await fetchWithTimeout(url, {}, REQUEST_TIMEOUT_MS);
 * ```
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A `fetch` over the project's HTTP client (src/lib/http.ts, so HTTPS_PROXY, NO_PROXY and
 * NODE_EXTRA_CA_CERTS apply): one attempt, a timeout, no redirects, a bounded body. Rejects
 * with an error {@link fetchFailure} describes (`ECONNREFUSED`, `timed out after 30 s`).
 * `direct` bypasses the proxy (a cloud metadata server on the local network).
 *
 * @example
 * ```ts
 * const resp = await fetchWithTimeout('http://127.0.0.1:8080/token', { headers: { accept: 'application/json' } }, 30_000);
 * ```
 */
export async function fetchWithTimeout(url: string | URL, init: RequestInit, timeoutMs: number, { direct = false } = {}): Promise<Response> {
  const { request } = await import('../lib/http.js');
  if (init.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => {
    headers[k] = v;
  });
  let body: Buffer | undefined;
  const b = init.body;
  if (typeof b === 'string') body = Buffer.from(b);
  else if (b instanceof URLSearchParams) {
    body = Buffer.from(b.toString());
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
  } else if (b instanceof Uint8Array) body = Buffer.from(b);
  else if (b instanceof ArrayBuffer) body = Buffer.from(new Uint8Array(b));
  else if (b !== undefined && b !== null) throw new TypeError('unsupported request body');
  const method = (init.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST' && method !== 'PUT') throw new TypeError(`unsupported method ${method}`);
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request({ method, url: String(url), headers, ...(body ? { body } : {}), timeoutMs, attempts: 1, maxBytes: 1024 * 1024, service: 'OIDC', ...(direct ? { proxy: false as const } : {}) });
  } catch (e) {
    const message = (e as Error).message;
    if (/no complete answer within/.test(message)) throw Object.assign(new Error(message), { name: 'TimeoutError' });
    const code = /\b(E[A-Z]{3,}|ERR_[A-Z_]+|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\b/.exec(message)?.[1];
    // As fetch reports a transport failure: a TypeError whose cause says why.
    throw new TypeError('fetch failed', { cause: code ? { code, message } : { message } });
  }
  if (res.status < 200 || res.status > 599) throw new Error(`unexpected HTTP status ${res.status}`, { cause: { message: `HTTP ${res.status}` } });
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) h.append(k, String(x));
  }
  const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
  return new Response(nullBody ? null : new Uint8Array(res.body), { status: res.status, headers: h });
}

/**
 * Whether `url` points at this machine (so plain http is acceptable, as in tests and local instances).
 *
 * @example
 * ```ts
 * isLoopbackUrl(new URL('http://127.0.0.1:5556/auth')); // true
 * ```
 */
export function isLoopbackUrl(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
