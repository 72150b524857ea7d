/**
 * The instance's OpenID Connect provider.
 *
 * - `GET  {issuer}/.well-known/openid-configuration`: discovery document
 * - `GET  {issuer}/keys`: JWKS (one ES256 key)
 * - `GET  {issuer}/auth`: the interactive login page (an HTML form) of the authorization-code
 *   flow; `POST {issuer}/auth` submits it and redirects to `redirect_uri` with `code` and `state`
 * - `POST {issuer}/token`: `grant_type=authorization_code` (PKCE S256 required) or
 *   `grant_type=client_credentials` (scripts and tests: optional `identity`, `audience`, `ttl`)
 *
 * ID tokens are ES256 JWTs with `aud` "sigstore", short-lived (5 minutes by default).
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, errors as joseErrors, exportJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { publicKeyOf } from './keys.js';
import { type Identity, identityClaims, parseIdentity } from './identity.js';
import { badRequest, HttpError, oauthError } from './util.js';
import { type SigstoreError, UsageError } from '../errors.js';

export const DEFAULT_AUDIENCE = 'sigstore';
export const DEFAULT_TOKEN_TTL = 300;
const CODE_TTL_MS = 120_000;

export interface MintOptions {
  /** Email or URI; the provider's configured identity by default. */
  identity?: string;
  /** `aud` claim; "sigstore" by default. */
  audience?: string;
  /** Lifetime in seconds (negative for an already expired token); 300 by default. */
  ttl?: number;
  /** `iat`; now by default. */
  issuedAt?: Date;
  nonce?: string;
  /** Extra claims, merged last. */
  claims?: Record<string, unknown>;
  /**
   * `iss`: this provider's issuer by default, or one of the CI issuers it stands in for
   * ({@link SIMULATED_ISSUERS}), so that the instance certifies Trusted Publisher identities
   * (GitHub Actions, GitLab, Google) as the public-good Fulcio does. Tests only: the instance's
   * trusted root is trusted by no one who did not choose it.
   */
  issuer?: string;
}

/** The OIDC issuers of PyPI's Trusted Publishers, which tokens minted in-process may claim (see {@link MintOptions.issuer}). */
export const SIMULATED_ISSUERS: readonly string[] = ['https://token.actions.githubusercontent.com', 'https://gitlab.com', 'https://accounts.google.com'];

interface AuthCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
  identity: string;
  expires: number;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Whether a redirect URI is acceptable for a native client: loopback HTTP or out-of-band. */
function allowedRedirect(uri: string): boolean {
  if (uri === 'urn:ietf:wg:oauth:2.0:oob') return true;
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

export class OidcProvider {
  private jwk: JWK | undefined;
  private readonly codes = new Map<string, AuthCode>();
  readonly clientIds = ['sigstore'];

  constructor(
    private readonly key: KeyObject,
    readonly issuer: string,
    /** The configured identity (email or URI). */
    public identity: string,
  ) {
    parseIdentity(identity);
  }

  private async publicJwk(): Promise<JWK> {
    if (!this.jwk) {
      const jwk = await exportJWK(publicKeyOf(this.key));
      jwk.kid = await calculateJwkThumbprint(jwk);
      jwk.alg = 'ES256';
      jwk.use = 'sig';
      this.jwk = jwk;
    }
    return this.jwk;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [await this.publicJwk()] };
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/auth`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/keys`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['openid', 'email'],
      token_endpoint_auth_methods_supported: ['none'],
      grant_types_supported: ['authorization_code', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'email', 'email_verified'],
    };
  }

  /** Issues a signed ID token. */
  async mint(opts: MintOptions = {}): Promise<string> {
    if (opts.issuer !== undefined && opts.issuer !== this.issuer && !SIMULATED_ISSUERS.includes(opts.issuer)) {
      throw new UsageError('USAGE', `the instance can issue tokens as itself or as ${SIMULATED_ISSUERS.join(', ')}, not as ${opts.issuer}`);
    }
    const identity: Identity = parseIdentity(opts.identity ?? this.identity);
    const iat = Math.floor((opts.issuedAt ?? new Date()).getTime() / 1000);
    const ttl = opts.ttl ?? DEFAULT_TOKEN_TTL;
    const jwk = await this.publicJwk();
    const payload: JWTPayload = { ...identityClaims(identity), ...(opts.nonce ? { nonce: opts.nonce } : {}), ...(opts.claims ?? {}) };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid!, typ: 'JWT' })
      .setIssuer(opts.issuer ?? this.issuer)
      .setAudience(opts.audience ?? DEFAULT_AUDIENCE)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomBytes(12).toString('hex'))
      .sign(this.key);
  }

  /**
   * Verifies an ID token the way Fulcio does: ES256 signature by this provider's key, issuer,
   * audience, expiry and not-before. Fails with a 401 naming the problem.
   */
  async verify(token: string, audience = DEFAULT_AUDIENCE): Promise<JWTPayload> {
    const fail = (m: string): never => {
      throw new HttpError(401, `invalid identity token: ${m}`);
    };
    if (typeof token !== 'string' || token.split('.').length !== 3) fail('not a JWT (expected three dot-separated parts)');
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(await this.jwks()), {
        issuer: [this.issuer, ...SIMULATED_ISSUERS],
        audience,
        algorithms: ['ES256'],
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      });
      return payload;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) return fail('the token has expired');
      if (e instanceof joseErrors.JWTClaimValidationFailed) {
        if (e.claim === 'aud') return fail(`audience ${JSON.stringify(e.payload.aud)} is not ${JSON.stringify(audience)}`);
        if (e.claim === 'iss') return fail(`issuer ${JSON.stringify(e.payload.iss)} is not ${this.issuer}`);
        if (e.claim === 'nbf' || e.claim === 'iat') return fail('the token is not valid yet');
        return fail(`claim ${e.claim} check failed (${e.reason})`);
      }
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) return fail('the signature does not verify with the issuer key');
      if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) return fail('the token is unsigned or uses an unsupported algorithm');
      if (e instanceof joseErrors.JWKSNoMatchingKey) return fail('the token is not signed by a key of the issuer');
      return fail((e as Error).message);
    }
  }

  /** GET {issuer}/auth: the login page. */
  loginPage(q: URLSearchParams): string {
    const p = this.checkAuthRequest(q);
    const hidden = Object.entries(p)
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join('\n      ');
    return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Sign in - sigstore-ts local instance</title></head>
  <body>
    <h1>Sign in to the local Sigstore instance</h1>
    <p>Client <code>${escapeHtml(p.client_id ?? '')}</code> asks for an identity token.</p>
    <form method="post" action="${escapeHtml(`${this.issuer}/auth`)}">
      ${hidden}
      <label for="identity">Identity (email or URI)</label>
      <input id="identity" name="identity" type="text" size="60" value="${escapeHtml(this.identity)}" required>
      <button id="submit" type="submit">Sign in</button>
    </form>
  </body>
</html>
`;
  }

  private checkAuthRequest(q: URLSearchParams): Record<string, string> {
    const get = (k: string) => q.get(k) ?? '';
    if (get('response_type') !== 'code') badRequest('response_type must be "code"');
    if (!this.clientIds.includes(get('client_id'))) badRequest(`unknown client_id ${JSON.stringify(get('client_id'))}`);
    if (!allowedRedirect(get('redirect_uri'))) badRequest('redirect_uri must be a loopback http:// URI or urn:ietf:wg:oauth:2.0:oob');
    if (!get('scope').split(' ').includes('openid')) badRequest('scope must include "openid"');
    if (get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43,128}$/.test(get('code_challenge'))) {
      badRequest('PKCE is required: code_challenge (base64url SHA-256) with code_challenge_method=S256');
    }
    const out: Record<string, string> = {};
    for (const k of ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) {
      if (q.has(k)) out[k] = get(k);
    }
    return out;
  }

  /** POST {issuer}/auth: the form submission. Returns where to redirect (or an HTML page for oob). */
  submitLogin(form: URLSearchParams): { redirect: string } | { html: string } {
    const p = this.checkAuthRequest(form);
    const identity = (form.get('identity') ?? '').trim() || this.identity;
    try {
      parseIdentity(identity);
    } catch (e) {
      badRequest((e as SigstoreError).message);
    }
    const code = randomBytes(24).toString('base64url');
    this.prune();
    this.codes.set(code, {
      clientId: p.client_id!,
      redirectUri: p.redirect_uri!,
      challenge: p.code_challenge!,
      nonce: p.nonce,
      identity,
      expires: Date.now() + CODE_TTL_MS,
    });
    if (p.redirect_uri === 'urn:ietf:wg:oauth:2.0:oob') {
      return { html: `<!doctype html><html><body><p>Your code:</p><pre id="code">${escapeHtml(code)}</pre></body></html>\n` };
    }
    const u = new URL(p.redirect_uri!);
    u.searchParams.set('code', code);
    if (p.state !== undefined) u.searchParams.set('state', p.state);
    return { redirect: u.toString() };
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, v] of this.codes) if (v.expires < now) this.codes.delete(k);
  }

  /** POST {issuer}/token. */
  async token(form: URLSearchParams): Promise<Record<string, unknown>> {
    const grant = form.get('grant_type');
    let idToken: string;
    let ttl = DEFAULT_TOKEN_TTL;
    if (grant === 'authorization_code') {
      const code = form.get('code') ?? '';
      const entry = this.codes.get(code);
      this.codes.delete(code); // single use
      if (!entry || entry.expires < Date.now()) throw oauthError(400, 'invalid_grant', 'unknown, used or expired authorization code');
      if ((form.get('client_id') ?? entry.clientId) !== entry.clientId) throw oauthError(400, 'invalid_grant', 'client_id does not match the authorization request');
      if (form.get('redirect_uri') !== entry.redirectUri) throw oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
      const verifier = form.get('code_verifier') ?? '';
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw oauthError(400, 'invalid_grant', 'code_verifier is missing or malformed');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (challenge !== entry.challenge) throw oauthError(400, 'invalid_grant', 'code_verifier does not match code_challenge');
      idToken = await this.mint({ identity: entry.identity, ...(entry.nonce ? { nonce: entry.nonce } : {}) });
    } else if (grant === 'client_credentials') {
      const identity = form.get('identity') ?? undefined;
      if (identity !== undefined) {
        try {
          parseIdentity(identity);
        } catch (e) {
          throw oauthError(400, 'invalid_request', (e as SigstoreError).message);
        }
      }
      const ttlParam = form.get('ttl');
      if (ttlParam !== null) {
        ttl = Number(ttlParam);
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > 3600) throw oauthError(400, 'invalid_request', 'ttl must be an integer number of seconds between 1 and 3600');
      }
      idToken = await this.mint({ ttl, ...(identity ? { identity } : {}), ...(form.get('audience') ? { audience: form.get('audience')! } : {}) });
    } else {
      throw oauthError(400, 'unsupported_grant_type', `${JSON.stringify(grant)} (use authorization_code or client_credentials)`);
    }
    return { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer', expires_in: ttl, id_token: idToken, scope: 'openid email' };
  }
}
