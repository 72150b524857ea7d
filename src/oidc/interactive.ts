
import { Listener } from './callback-listener.js';
import { IdentityError } from './errors.js';
import { checkAuthResponse, describeOAuthError } from './oauth-errors.js';
import { openInBrowser, readLine } from './open-browser.js';

export { openInBrowser } from './open-browser.js';
import { type IdentityClaim, IdentityToken } from './token.js';
import { fetchWithTimeout, isLoopbackUrl, REQUEST_TIMEOUT_MS, } from './util.js';

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
