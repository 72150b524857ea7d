/**
 * A small loopback OpenID Connect provider for the interactive-login tests: discovery, JWKS, an
 * authorization endpoint with an HTML login page (or automatic approval), and a token endpoint
 * that checks the code, the redirect URI, the client and the PKCE S256 verifier before issuing an
 * ES256-signed ID token. Also a "browser" made of plain HTTP requests that follows redirects and
 * submits the login form as a browser would.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { json, makeJwt, now, serve, TEST_JWK } from './helpers.js';

export interface StandInOptions {
  clientId?: string;
  /** When set, the token endpoint requires HTTP Basic client authentication with it. */
  clientSecret?: string;
  /** Show an HTML login form at the authorization endpoint (default: approve at once). */
  loginPage?: boolean;
  /** The email of the user who logs in automatically. */
  email?: string;
  /** Changes the ID token's claims before signing (tampering tests). */
  idTokenClaims?: (claims: Record<string, unknown>) => Record<string, unknown>;
  /** The token endpoint refuses every code with this OAuth error. */
  tokenError?: string;
  /** Leave code_challenge_methods_supported out of discovery, or advertise only `plain`. */
  pkceMethods?: string[] | null;
}

interface Pending {
  clientId: string;
  redirectUri: string;
  state: string;
  nonce: string | null;
  challenge: string;
}

export interface StandIn {
  issuer: string;
  close: () => Promise<void>;
  /** What the token endpoint saw and decided, for assertions. */
  tokenRequests: { redirectUri: string | null; pkce: 'ok' | 'mismatch' | 'missing'; clientAuth: string }[];
  authorizeRequests: URLSearchParams[];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Stand-in login</title></head><body>${body}</body></html>`);
}

function redirectOk(uri: string): boolean {
  if (uri === 'urn:ietf:wg:oauth:2.0:oob') return true;
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && u.port !== '';
  } catch {
    return false;
  }
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const clientId = options.clientId ?? 'sigstore';
  const sessions = new Map<string, Pending>();
  const codes = new Map<string, Pending & { email: string }>();
  const tokenRequests: StandIn['tokenRequests'] = [];
  const authorizeRequests: URLSearchParams[] = [];
  let issuer = '';

  const finish = (res: ServerResponse, p: Pending, email: string, approve: boolean) => {
    const target = new URL(p.redirectUri === 'urn:ietf:wg:oauth:2.0:oob' ? 'http://oob.invalid/' : p.redirectUri);
    if (!approve) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user cancelled the login');
      target.searchParams.set('state', p.state);
    } else {
      const code = randomBytes(16).toString('base64url');
      codes.set(code, { ...p, email });
      if (p.redirectUri === 'urn:ietf:wg:oauth:2.0:oob') {
        return html(res, 200, `<p>Copy this code to the terminal:</p><code id="code">${esc(code)}</code>`);
      }
      target.searchParams.set('code', code);
      target.searchParams.set('state', p.state);
    }
    if (p.redirectUri === 'urn:ietf:wg:oauth:2.0:oob') return html(res, 403, `<p id="error">${esc(target.searchParams.get('error') ?? '')}</p>`);
    res.writeHead(302, { location: target.href });
    res.end();
  };

  const srv = await serve((req, res, body) => {
    const u = new URL(req.url!, issuer);
    if (req.method === 'GET' && u.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/keys`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        scopes_supported: ['openid', 'email'],
        grant_types_supported: ['authorization_code'],
        ...(options.pkceMethods === null ? {} : { code_challenge_methods_supported: options.pkceMethods ?? ['S256'] }),
      });
    }
    if (req.method === 'GET' && u.pathname === '/keys') return json(res, 200, { keys: [TEST_JWK] });
    if (req.method === 'GET' && u.pathname === '/auth') {
      const q = u.searchParams;
      authorizeRequests.push(q);
      const problems: string[] = [];
      if (q.get('client_id') !== clientId) problems.push('unknown client_id');
      if (!redirectOk(q.get('redirect_uri') ?? '')) problems.push('redirect_uri must be a loopback URL or the OOB URN');
      if (q.get('response_type') !== 'code') problems.push('response_type must be code');
      if (q.get('code_challenge_method') !== 'S256') problems.push('PKCE S256 is required');
      if (!/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? '')) problems.push('bad code_challenge');
      if (!q.get('state')) problems.push('state is required');
      if (!(q.get('scope') ?? '').split(' ').includes('openid')) problems.push('scope must include openid');
      if (problems.length) return html(res, 400, `<p id="error">invalid request: ${esc(problems.join('; '))}</p>`);
      const p: Pending = { clientId, redirectUri: q.get('redirect_uri')!, state: q.get('state')!, nonce: q.get('nonce'), challenge: q.get('code_challenge')! };
      if (!options.loginPage) return finish(res, p, options.email ?? 'alice@example.com', true);
      const session = randomBytes(12).toString('base64url');
      sessions.set(session, p);
      return html(
        res,
        200,
        `<h1>Sign in to the stand-in</h1>
<form method="post" action="/login">
  <input type="hidden" name="session" value="${session}">
  <label>Email <input type="email" name="email" id="email" required></label>
  <button type="submit" name="action" value="approve" id="approve">Sign in</button>
  <button type="submit" name="action" value="deny" id="deny" formnovalidate>Cancel</button>
</form>`,
      );
    }
    if (req.method === 'POST' && u.pathname === '/login') {
      const f = new URLSearchParams(body);
      const p = sessions.get(f.get('session') ?? '');
      if (!p) return html(res, 400, '<p id="error">unknown session</p>');
      sessions.delete(f.get('session')!);
      return finish(res, p, f.get('email') || 'alice@example.com', f.get('action') !== 'deny');
    }
    if (req.method === 'POST' && u.pathname === '/token') {
      const f = new URLSearchParams(body);
      let client = f.get('client_id');
      let secret: string | null = null;
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
      if (basic) {
        const [id, s] = Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent) as [string, string];
        client = id;
        secret = s;
      }
      const entry = { redirectUri: f.get('redirect_uri'), pkce: 'missing' as 'ok' | 'mismatch' | 'missing', clientAuth: basic ? 'basic' : 'none' };
      tokenRequests.push(entry);
      if (client !== clientId || (options.clientSecret !== undefined && secret !== options.clientSecret)) {
        return json(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
      }
      if (f.get('grant_type') !== 'authorization_code') return json(res, 400, { error: 'unsupported_grant_type' });
      const code = codes.get(f.get('code') ?? '');
      if (!code) return json(res, 400, { error: 'invalid_grant', error_description: 'unknown or used code' });
      codes.delete(f.get('code')!);
      if (f.get('redirect_uri') !== code.redirectUri) return json(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
      const verifier = f.get('code_verifier');
      if (!verifier) return json(res, 400, { error: 'invalid_grant', error_description: 'code_verifier required' });
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      entry.pkce = challenge === code.challenge ? 'ok' : 'mismatch';
      if (entry.pkce !== 'ok') return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      if (options.tokenError) return json(res, 400, { error: options.tokenError, error_description: `refused: ${options.tokenError}` });
      const t = now();
      let claims: Record<string, unknown> = {
        iss: issuer,
        sub: `user-${code.email}`,
        aud: clientId,
        iat: t,
        exp: t + 300,
        email: code.email,
        email_verified: true,
        ...(code.nonce ? { nonce: code.nonce } : {}),
      };
      if (options.idTokenClaims) claims = options.idTokenClaims(claims);
      return json(res, 200, {
        access_token: randomBytes(24).toString('base64url'),
        token_type: 'Bearer',
        expires_in: 300,
        id_token: makeJwt(claims),
      });
    }
    json(res, 404, { error: 'not found' });
  });
  issuer = srv.url;
  return { issuer, close: srv.close, tokenRequests, authorizeRequests };
}

export interface BrowserVisit {
  /** The callback page's status and text, once reached. */
  status: number;
  text: string;
  /** The OOB code, when the provider showed one. */
  code?: string;
}

/**
 * Visits `url` as a browser would: follows redirects, submits the login form with `email` (or
 * cancels), and returns the final page. `tamper` may rewrite each redirect target.
 */
export async function httpBrowser(
  url: string,
  opts: { email?: string; action?: 'approve' | 'deny'; tamper?: (location: URL) => URL } = {},
): Promise<BrowserVisit> {
  let next: URL = new URL(url);
  let init: RequestInit = {};
  for (let hops = 0; hops < 10; hops++) {
    const resp = await fetch(next, { ...init, redirect: 'manual' });
    init = {};
    if (resp.status >= 300 && resp.status < 400) {
      await resp.arrayBuffer();
      next = new URL(resp.headers.get('location')!, next);
      if (opts.tamper) next = opts.tamper(next);
      continue;
    }
    const text = await resp.text();
    const session = /name="session" value="([^"]+)"/.exec(text);
    if (session) {
      next = new URL('/login', next);
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ session: session[1]!, email: opts.email ?? 'bob@example.com', action: opts.action ?? 'approve' }).toString(),
      };
      continue;
    }
    const code = /<code id="code">([^<]+)<\/code>/.exec(text)?.[1];
    return { status: resp.status, text, ...(code ? { code } : {}) };
  }
  throw new Error('too many redirects');
}
