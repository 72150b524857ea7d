/**
 * OAuth and OIDC failures of the interactive login worded as {@link IdentityError}s: an error
 * response from the issuer, a response that fails oauth4webapi's checks, a timeout or a network
 * failure. Values the issuer sends are cut to one line before they are shown.
 */
import { NetworkError } from '../errors.js';
import { IdentityError } from './errors.js';
import { fetchFailure, redact } from './util.js';

/**
 * @example
 * ```ts
 * const params = checkAuthResponse(() => new URLSearchParams('code=abc&state=xyz'));
 * ```
 */
export function checkAuthResponse(validate: () => URLSearchParams): URLSearchParams {
  try {
    return validate();
  } catch (e) {
    throw describeAuthResponseError(e);
  }
}

function oneLine(s: string | undefined, max = 200): string {
  if (!s) return '';
  const t = redact(s).replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

function describeAuthResponseError(e: unknown): IdentityError {
  const err = e as { name?: string; message?: string; error?: string; error_description?: string; code?: string };
  if (err?.code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR' || err?.name === 'AuthorizationResponseError') {
    const code = oneLine(err.error, 64);
    const desc = oneLine(err.error_description);
    const what = code === 'access_denied' ? 'the login was refused or cancelled' : 'the identity provider refused the login';
    return new IdentityError(
      code === 'access_denied' ? 'OAUTH_ACCESS_DENIED' : 'OAUTH_AUTHORIZATION_ERROR',
      `${what} (${code}${desc ? `: ${desc}` : ''})`,
    );
  }
  const msg = err?.message ?? String(e);
  if (/"state"/.test(msg)) {
    return new IdentityError(
      'OAUTH_STATE_MISMATCH',
      `the authorization response does not match this login (${msg.includes('missing') ? 'no state' : 'state mismatch'}); start again`,
    );
  }
  if (/"iss"/.test(msg)) return new IdentityError('OAUTH_ISSUER_MISMATCH', `the authorization response came from another issuer (${oneLine(msg)})`);
  return new IdentityError('OAUTH_INVALID_RESPONSE', `invalid authorization response (${oneLine(msg)})`);
}

/** One-line errors from oauth4webapi and fetch failures, without response bodies (they may hold tokens).
 *
 * @example
 * ```ts
 * try { await fetch('https://issuer.example/token'); } catch (e) { throw describeOAuthError(e, 'the token request failed', 30_000); }
 * ```
 */
export function describeOAuthError(e: unknown, what: string, timeoutMs: number): Error {
  if (e instanceof IdentityError || e instanceof NetworkError) return e;
  const err = e as { name?: string; message?: string; code?: string; error?: string; error_description?: string; status?: number; cause?: unknown };
  if (err?.name === 'ResponseBodyError' || err?.code === 'OAUTH_RESPONSE_BODY_ERROR') {
    const desc = oneLine(err.error_description);
    return new IdentityError('OAUTH_TOKEN_ERROR', `${what}: ${oneLine(err.error, 64)}${desc ? ` (${desc})` : ''} (HTTP ${err.status})`);
  }
  if (err?.name === 'WWWAuthenticateChallengeError') return new IdentityError('OAUTH_TOKEN_ERROR', `${what}: the server asked for other client credentials`);
  if (err?.name === 'TypeError' && /fetch failed/i.test(err.message ?? '')) {
    return new NetworkError('OIDC_UNREACHABLE', `${what} (${fetchFailure(e, timeoutMs)})`);
  }
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return new NetworkError('OIDC_UNREACHABLE', `${what} (${fetchFailure(e, timeoutMs)})`);
  const code = /discovery/i.test(what) ? 'OIDC_DISCOVERY_FAILED' : 'OAUTH_INVALID_RESPONSE';
  let status = '';
  const cause = err?.cause as { status?: number } | Response | undefined;
  if (cause && typeof (cause as Response).status === 'number') status = ` (HTTP ${(cause as Response).status})`;
  return new IdentityError(code, `${what}: ${oneLine(err?.message ?? String(e))}${status}`);
}

/** The overall wait for the user: a timeout and an optional abort signal. */
