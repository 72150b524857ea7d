/**
 * Internals shared by the token sources: a fetch with a timeout and one-line, token-free
 * descriptions of responses and failures.
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
 * `fetch` with a timeout and no redirects; rejects with the underlying error (use
 * {@link fetchFailure} to describe it).
 *
 * @example
 * ```ts
 * const resp = await fetchWithTimeout('http://127.0.0.1:8080/token', { headers: { accept: 'application/json' } }, 30_000);
 * ```
 */
export async function fetchWithTimeout(url: string | URL, init: RequestInit, timeoutMs: number): Promise<Response> {
  return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
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
