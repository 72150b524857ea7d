/**
 * The interactive login: OAuth 2.0 authorization code flow with PKCE (S256), `state` and an OIDC
 * `nonce`, through oauth4webapi (discovery, request building, response and ID token checks). The
 * browser is sent to the issuer's login page and comes back to a loopback listener on 127.0.0.1
 * (a random free port); with `forceOob` (or when no browser can be opened) the user pastes the
 * code shown by the issuer instead (redirect URI `urn:ietf:wg:oauth:2.0:oob`).
 *
 * oauth4webapi is loaded with `await import()` here only, so the other token sources stay fast.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { NetworkError } from '../errors.js';
import { IdentityError } from './errors.js';
import { type IdentityClaim, IdentityToken } from './token.js';
import { fetchFailure, fetchWithTimeout, isLoopbackUrl, REQUEST_TIMEOUT_MS, redact } from './util.js';

/**
 * The out-of-band redirect URI: the issuer shows the code for the user to paste.
 *
 * @example
 * ```ts
 * if (redirectUri === OOB_REDIRECT_URI) console.error('paste the code');
 * ```
 */
export const OOB_REDIRECT_URI = 'urn:ietf:wg:oauth:2.0:oob';

/** Where the loopback listener receives the authorization response (as sigstore-python). */
const CALLBACK_PATH = '/auth/callback';

/**
 * Options of the interactive login.
 *
 * @example
 * ```ts
 * const options: InteractiveOptions = { issuer: 'https://oauth2.sigstore.dev/auth', clientId: 'sigstore' };
 * ```
 */
export interface InteractiveOptions {
  /** The OIDC issuer URL; its discovery document is at `ISSUER/.well-known/openid-configuration`. */
  issuer: string;
  /** OAuth client ID. Default `sigstore`. */
  clientId?: string;
  /** OAuth client secret (HTTP Basic at the token endpoint); none for Sigstore's public client. */
  clientSecret?: string;
  /** Always use the paste-the-code flow, even when a browser could be opened. */
  forceOob?: boolean;
  /** The audience the resulting token must be for. Default `sigstore`. */
  audience?: string;
  /** Scopes requested. Default `openid email`. */
  scope?: string;
  /**
   * Opens the authorization URL for the user; resolves to `false` when no browser could be opened
   * (the flow then falls back to pasting the code). Default: $BROWSER, else the platform's opener (xdg-open, open, or rundll32 on Windows).
   */
  openBrowser?: (url: string) => Promise<boolean> | boolean;
  /** The environment (`BROWSER`). Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the pasted code is read from. Default `process.stdin`. */
  input?: NodeJS.ReadableStream;
  /** Where instructions are written. Default `process.stderr`. */
  output?: NodeJS.WritableStream;
  /** How long to wait for the user, in milliseconds. Default 10 minutes. */
  timeoutMs?: number;
  /** Time allowed for each request to the issuer, in milliseconds. Default 30 000. */
  requestTimeoutMs?: number;
  /** Host name used in the loopback redirect URI: `127.0.0.1` (default), `localhost` or `::1`. */
  redirectHost?: '127.0.0.1' | 'localhost' | '::1';
  /** More issuers and their identity claim (see {@link IdentityTokenOptions}). */
  identityClaims?: Readonly<Record<string, IdentityClaim>>;
  /** Cancels the flow. */
  signal?: AbortSignal;
  /** Debug messages (never contain tokens or codes). */
  log?: (message: string) => void;
}

/**
 * Runs the interactive login and resolves to the checked identity token.
 *
 * @example
 * ```ts
 * const token = await interactiveIdentityToken({ issuer: 'https://oauth2.sigstore.dev/auth' });
 * console.error(`logged in as ${token.identity}`);
 * ```
 */
export async function interactiveIdentityToken(options: InteractiveOptions): Promise<IdentityToken> {
  const oauth = await import('oauth4webapi');
  const log = options.log ?? (() => {});
  const output = options.output ?? process.stderr;
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const clientId = options.clientId ?? 'sigstore';

  let issuerUrl: URL;
  try {
    issuerUrl = new URL(options.issuer);
  } catch {
    throw new IdentityError('OIDC_ISSUER_INVALID', `the OIDC issuer ${JSON.stringify(options.issuer)} is not a URL`);
  }
  // `https://issuer/auth/` means `https://issuer/auth` (discovery compares issuers exactly).
  if (issuerUrl.pathname.length > 1 && issuerUrl.pathname.endsWith('/')) issuerUrl.pathname = issuerUrl.pathname.replace(/\/+$/, '') || '/';
  const loopback = isLoopbackUrl(issuerUrl);
  if (issuerUrl.protocol !== 'https:' && !(issuerUrl.protocol === 'http:' && loopback)) {
    throw new IdentityError('OIDC_ISSUER_INVALID', `the OIDC issuer ${issuerUrl.href} must use https (plain http only on this machine)`);
  }
  // Discovery and the token request go through the project's HTTP client (proxies, extra CAs).
  const http = {
    [oauth.allowInsecureRequests]: issuerUrl.protocol === 'http:',
    [oauth.customFetch]: (url: string, o: { body?: unknown; headers: Record<string, string>; method: string; signal?: AbortSignal }) =>
      fetchWithTimeout(url, o as RequestInit, requestTimeoutMs),
    signal: () => AbortSignal.timeout(requestTimeoutMs),
  };

  // Discovery.
  log(`OIDC: discovering ${issuerUrl.href}`);
  let as: import('oauth4webapi').AuthorizationServer;
  try {
    const resp = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', ...http });
    as = await oauth.processDiscoveryResponse(issuerUrl, resp);
  } catch (e) {
    throw describeOAuthError(e, `OIDC discovery at ${issuerUrl.href} failed`, requestTimeoutMs);
  }
  if (!as.authorization_endpoint || !as.token_endpoint) {
    throw new IdentityError('OIDC_DISCOVERY_FAILED', `the OIDC issuer ${as.issuer} has no authorization or token endpoint`);
  }
  for (const [name, endpoint] of [
    ['authorization', as.authorization_endpoint],
    ['token', as.token_endpoint],
  ] as const) {
    const u = new URL(endpoint);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackUrl(u))) {
      throw new IdentityError('OIDC_DISCOVERY_FAILED', `the OIDC issuer's ${name} endpoint ${u.origin} must use https`);
    }
  }
  const methods = as.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) {
    throw new IdentityError('OIDC_DISCOVERY_FAILED', `the OIDC issuer ${as.issuer} does not support PKCE with S256`);
  }

  const client: import('oauth4webapi').Client = { client_id: clientId };
  const clientAuth = options.clientSecret ? oauth.ClientSecretBasic(options.clientSecret) : oauth.None();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();

  const authorizationUrl = (redirectUri: string): string => {
    const u = new URL(as.authorization_endpoint!);
    u.searchParams.set('client_id', clientId);
    u.searchParams.set('response_type', 'code');
    u.searchParams.set('scope', options.scope ?? 'openid email');
    u.searchParams.set('redirect_uri', redirectUri);
    u.searchParams.set('code_challenge', codeChallenge);
    u.searchParams.set('code_challenge_method', 'S256');
    u.searchParams.set('state', state);
    u.searchParams.set('nonce', nonce);
    return u.href;
  };

  const deadline = new Deadline(options.timeoutMs ?? 600_000, options.signal);
  let redirectUri: string;
  let params: URLSearchParams;
  let listener: Listener | undefined;
  try {
    if (!options.forceOob) {
      listener = await Listener.start(options.redirectHost ?? '127.0.0.1', (p) => oauth.validateAuthResponse(as, client, p, state));
      redirectUri = listener.redirectUri;
      const url = authorizationUrl(redirectUri);
      listener.authorizationUrl = url;
      output.write('Waiting for browser interaction...\n');
      const open = options.openBrowser ?? ((u: string) => openInBrowser(u, options.env ?? process.env));
      const opened = await deadline.race(
        (async () => open(url))().catch(() => false),
        'opening the browser',
      );
      // One link, and one that works: the loopback link only while its listener runs, else the
      // paste-the-code link below.
      if (opened) output.write(`If no browser opens, go to the following link in a browser on this machine:\n\n\t${url}\n\n`);
      else {
        log('OIDC: no browser could be opened; falling back to pasting the code');
        await listener.close();
        listener = undefined;
      }
    }
    if (listener) {
      params = await deadline.race(listener.result, 'waiting for the browser login');
      redirectUri = listener.redirectUri;
    } else {
      redirectUri = OOB_REDIRECT_URI;
      output.write(`Go to the following link in a browser:\n\n\t${authorizationUrl(redirectUri)}\n\nEnter verification code: `);
      const code = await deadline.race(readLine(options.input ?? process.stdin), 'waiting for the verification code');
      if (code === undefined || code.trim().length === 0) {
        throw new IdentityError('OAUTH_NO_CODE', 'no verification code was entered');
      }
      if (!/^[\x21-\x7e]+$/.test(code.trim())) throw new IdentityError('OAUTH_NO_CODE', 'the verification code contains invalid characters');
      const pasted = new URLSearchParams({ code: code.trim() });
      if (as.authorization_response_iss_parameter_supported) pasted.set('iss', as.issuer);
      // The pasted code has no `state` to compare; PKCE still binds it to this client.
      params = checkAuthResponse(() => oauth.validateAuthResponse(as, client, pasted, oauth.skipStateCheck));
    }
  } finally {
    deadline.clear();
    await listener?.close();
  }

  // Code exchange.
  log(`OIDC: exchanging the authorization code at ${new URL(as.token_endpoint).origin}`);
  let result: import('oauth4webapi').TokenEndpointResponse;
  try {
    const resp = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, codeVerifier, http);
    result = await oauth.processAuthorizationCodeResponse(as, client, resp, { expectedNonce: nonce });
  } catch (e) {
    throw describeOAuthError(e, 'the token request failed', requestTimeoutMs);
  }
  // The ID token (audience: the client ID, `sigstore` for Sigstore). Without one, the access
  // token, which is what sigstore-python sends (Dex's access tokens are JWTs too).
  const raw = typeof result.id_token === 'string' ? result.id_token : result.access_token;
  return new IdentityToken(raw, {
    source: `from ${as.issuer}`,
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
    ...(options.identityClaims ? { identityClaims: options.identityClaims } : {}),
  });
}

/** Turns oauth4webapi's validation of an authorization response into our errors. */
function checkAuthResponse(validate: () => URLSearchParams): URLSearchParams {
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

/** One-line errors from oauth4webapi and fetch failures, without response bodies (they may hold tokens). */
function describeOAuthError(e: unknown, what: string, timeoutMs: number): Error {
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
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private readonly expired: Promise<never>;
  private reject!: (e: Error) => void;
  private what = 'waiting for the login';
  constructor(
    private readonly ms: number,
    signal?: AbortSignal,
  ) {
    this.expired = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.expired.catch(() => {});
    this.timer = setTimeout(
      () => this.reject(new IdentityError('OAUTH_TIMEOUT', `gave up ${this.what} after ${duration(this.ms)}`)),
      ms,
    );
    this.timer.unref?.();
    if (signal) {
      this.signal = signal;
      signal.addEventListener('abort', this.onAbort, { once: true });
      if (signal.aborted) this.onAbort();
    }
  }
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.reject(new IdentityError('OAUTH_CANCELLED', 'the login was cancelled'));
  race<T>(p: Promise<T>, what: string): Promise<T> {
    this.what = what;
    return Promise.race([p, this.expired]);
  }
  clear(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** The loopback redirect listener: answers exactly one authorization response. */
class Listener {
  authorizationUrl = '';
  readonly result: Promise<URLSearchParams>;
  private settle!: { resolve: (p: URLSearchParams) => void; reject: (e: Error) => void };
  private done = false;
  private constructor(
    private readonly server: Server,
    readonly redirectUri: string,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.result.catch(() => {});
  }

  static async start(host: '127.0.0.1' | 'localhost' | '::1', validate: (p: URLSearchParams) => URLSearchParams): Promise<Listener> {
    const bind = host === '::1' ? '::1' : '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const listener = new Listener(server, `http://${host === '::1' ? '[::1]' : host}:${port}${CALLBACK_PATH}`);
    server.on('request', (req, res) => listener.handle(req, res, validate));
    return listener;
  }

  private handle(req: IncomingMessage, res: ServerResponse, validate: (p: URLSearchParams) => URLSearchParams): void {
    const url = new URL(req.url ?? '/', 'http://loopback');
    res.setHeader('connection', 'close');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    if (req.method !== 'GET') {
      page(res, 405, 'Method not allowed', '');
      return;
    }
    if (url.pathname === '/' && this.authorizationUrl && !this.done) {
      res.writeHead(302, { location: this.authorizationUrl });
      res.end();
      return;
    }
    if (url.pathname !== CALLBACK_PATH) {
      page(res, 404, 'Not found', '');
      return;
    }
    const p = url.searchParams;
    if (!p.has('code') && !p.has('error') && !p.has('state')) {
      page(res, 400, 'Not an authorization response', '');
      return;
    }
    if (this.done) {
      page(res, 410, 'Already done', 'This login has already completed. You may close this page.');
      return;
    }
    this.done = true;
    try {
      const params = checkAuthResponse(() => validate(p));
      if (!params.get('code')) throw new IdentityError('OAUTH_INVALID_RESPONSE', 'the authorization response has no code');
      page(res, 200, 'Sigstore authentication successful', 'You may now close this page and return to the terminal.');
      this.settle.resolve(params);
    } catch (e) {
      const err = e as IdentityError;
      page(res, 400, 'Sigstore authentication failed', `${err.message}. You may close this page.`);
      this.settle.reject(err);
    }
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/** Reads one line; `undefined` at end of input. */
function readLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, terminal: false });
    let got = false;
    rl.once('line', (line) => {
      got = true;
      rl.close();
      // A terminal or pipe left open must not keep the process alive once the code is read.
      input.pause();
      (input as { unref?: () => void }).unref?.();
      resolve(line);
    });
    rl.once('close', () => {
      if (!got) resolve(undefined);
    });
  });
}

/**
 * Opens `url` in the user's browser: the command in `$BROWSER` (with `%s` replaced by the URL, or
 * the URL appended), else `xdg-open` (Linux), `open` (macOS) or the URL handler (Windows).
 * Resolves to `false` when the command cannot be run or fails at once.
 *
 * @example
 * ```ts
 * if (!(await openInBrowser('https://example.com/login'))) console.error('open the link yourself');
 * ```
 */
export async function openInBrowser(url: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<boolean> {
  let cmd: string;
  let args: string[];
  const browser = env.BROWSER?.split(process.platform === 'win32' ? ';' : ':').find((b) => b.trim())?.trim();
  if (browser) {
    const words = browser.split(/\s+/);
    cmd = words[0]!;
    const rest = words.slice(1);
    args = rest.some((w) => w.includes('%s')) ? rest.map((w) => w.replaceAll('%s', url)) : [...rest, url];
  } else if (process.platform === 'darwin') {
    cmd = 'open';
    args = [url];
  } else if (process.platform === 'win32') {
    cmd = 'rundll32';
    args = ['url.dll,FileProtocolHandler', url];
  } else {
    cmd = 'xdg-open';
    args = [url];
  }
  return await new Promise<boolean>((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args, { stdio: 'ignore', detached: true, env: env as NodeJS.ProcessEnv, windowsHide: true });
    } catch {
      done(false);
      return;
    }
    child.once('error', () => done(false));
    child.once('exit', (code) => done(code === 0));
    // A browser started in the foreground keeps running: that is success too.
    const t = setTimeout(() => {
      child.unref();
      done(true);
    }, 2000);
    t.unref();
  });
}
