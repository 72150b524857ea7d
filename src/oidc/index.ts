/**
 * Identity tokens for signing, from the sources sigstore-python uses, in its order:
 * 1. an explicit token (`--identity-token`), 2. `SIGSTORE_IDENTITY_TOKEN`, 3. ambient CI
 * credentials (GitHub Actions, Google Cloud, Buildkite, GitLab CI, CircleCI) unless disabled,
 * 4. the interactive browser login (or the paste-the-code flow).
 * Every token is checked ({@link IdentityToken}) before it is returned, so a malformed or expired
 * token is refused before any other request is made with it.
 */
import { type AmbientOptions, AMBIENT_PROVIDER_NAMES, detectAmbientCredential } from './ambient.js';
import { IdentityError } from './errors.js';
import { type InteractiveOptions, interactiveIdentityToken } from './interactive.js';
import { DEFAULT_AUDIENCE, type IdentityClaim, IdentityToken } from './token.js';

export {
  AMBIENT_PROVIDER_NAMES,
  AMBIENT_PROVIDERS,
  detectAmbientCredential,
  detectBuildkite,
  detectCircleCI,
  detectGcp,
  detectGitHub,
  detectGitLab,
  gitlabTokenVariable,
} from './ambient.js';
export type { AmbientCredential, AmbientOptions, AmbientProvider } from './ambient.js';
export { AmbientCredentialError, IdentityError } from './errors.js';
export { interactiveIdentityToken, OOB_REDIRECT_URI, openInBrowser } from './interactive.js';
export type { InteractiveOptions } from './interactive.js';
export { DEFAULT_AUDIENCE, IdentityToken, KNOWN_OIDC_ISSUERS } from './token.js';
export type { IdentityClaim, IdentityTokenOptions } from './token.js';

/**
 * The public-good production issuer (Sigstore's federating Dex).
 *
 * @example
 * ```ts
 * await getIdentityToken({ issuer: DEFAULT_OIDC_ISSUER });
 * ```
 */
export const DEFAULT_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';
/**
 * The public-good staging issuer.
 *
 * @example
 * ```ts
 * await getIdentityToken({ issuer: STAGING_OIDC_ISSUER });
 * ```
 */
export const STAGING_OIDC_ISSUER = 'https://oauth2.sigstage.dev/auth';
/**
 * The default OAuth client ID.
 *
 * @example
 * ```ts
 * await getIdentityToken({ clientId: DEFAULT_OIDC_CLIENT_ID });
 * ```
 */
export const DEFAULT_OIDC_CLIENT_ID = 'sigstore';

/**
 * Where {@link getIdentityToken} looks for a token, and how it runs the login.
 *
 * @example
 * ```ts
 * const options: GetIdentityTokenOptions = { issuer: 'https://oauth2.sigstage.dev/auth', forceOob: true };
 * ```
 */
export interface GetIdentityTokenOptions {
  /** An explicit token (`--identity-token`): used as is, before any other source. */
  identityToken?: string;
  /**
   * The OIDC issuer of the interactive login, or a function that gives it (called only when the
   * login is reached, for example to read it from a signing config). Default `https://oauth2.sigstore.dev/auth` (public-good Sigstore).
   */
  issuer?: string | (() => string | Promise<string>);
  /** OAuth client ID of the interactive login. Default `sigstore`. */
  clientId?: string;
  /** OAuth client secret of the interactive login. Default: none (public client). */
  clientSecret?: string;
  /** Skip ambient CI credentials (`--oidc-disable-ambient-providers`). */
  disableAmbientProviders?: boolean;
  /** Paste the code instead of the loopback redirect (`--oauth-force-oob`). */
  forceOob?: boolean;
  /**
   * The audience tokens must be for, and that ambient providers are asked for. Default `sigstore`;
   * for the interactive login, default the client ID (the ID token's audience).
   */
  audience?: string;
  /** Whether to fall back to the interactive login at all. Default `true`. */
  interactive?: boolean;
  /** The environment (`SIGSTORE_IDENTITY_TOKEN`, CI variables, `BROWSER`). Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** More issuers and their identity claim, for example a private instance's email issuer. */
  identityClaims?: Readonly<Record<string, IdentityClaim>>;
  /** Ambient detection settings (endpoints, commands, providers, timeouts). */
  ambient?: Omit<AmbientOptions, 'audience' | 'env' | 'log'>;
  /** Interactive login settings (browser opener, input/output, timeouts, redirect host). */
  login?: Omit<InteractiveOptions, 'issuer' | 'clientId' | 'clientSecret' | 'forceOob' | 'audience' | 'env' | 'identityClaims' | 'log'>;
  /** Debug messages (never contain tokens). */
  log?: (message: string) => void;
}

/**
 * Gets an identity token from the first source that has one: the explicit token,
 * `SIGSTORE_IDENTITY_TOKEN`, ambient CI credentials (unless disabled), then the interactive login.
 * The token is parsed and checked ({@link IdentityToken}); errors name the source and the reason,
 * never the token.
 *
 * @example
 * ```ts
 * import { getIdentityToken } from 'sigstore-ts';
 * const token = await getIdentityToken({ disableAmbientProviders: false });
 * console.error(`signing as ${token.identity}`);
 * console.error(`token expires ${token.expiresAt.toISOString()}`);
 * ```
 */
export async function getIdentityToken(options: GetIdentityTokenOptions = {}): Promise<IdentityToken> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const check = (raw: string, source: string, aud = audience) =>
    new IdentityToken(raw, { audience: aud, source, ...(options.identityClaims ? { identityClaims: options.identityClaims } : {}) });

  if (options.identityToken !== undefined) {
    log('OIDC: using the identity token given explicitly');
    return check(options.identityToken, 'from --identity-token');
  }
  const fromEnv = env.SIGSTORE_IDENTITY_TOKEN;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    log('OIDC: using the identity token from SIGSTORE_IDENTITY_TOKEN');
    return check(fromEnv, 'from SIGSTORE_IDENTITY_TOKEN');
  }
  if (!options.disableAmbientProviders) {
    const found = await detectAmbientCredential({ ...options.ambient, audience, env, log });
    if (found) {
      log(`OIDC: using ambient credentials from ${AMBIENT_PROVIDER_NAMES[found.provider]}`);
      return check(found.token, `from ${AMBIENT_PROVIDER_NAMES[found.provider]}`);
    }
    log('OIDC: no ambient credentials detected');
  }
  if (options.interactive === false) {
    throw new IdentityError('NO_IDENTITY_TOKEN', 'no identity token supplied or detected (and the interactive login is disabled)');
  }
  const clientId = options.clientId ?? DEFAULT_OIDC_CLIENT_ID;
  const issuer = typeof options.issuer === 'function' ? await options.issuer() : (options.issuer ?? DEFAULT_OIDC_ISSUER);
  log(`OIDC: no token found; starting the interactive login with ${issuer}`);
  return await interactiveIdentityToken({
    ...options.login,
    issuer,
    clientId,
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
    forceOob: options.forceOob ?? false,
    audience: options.audience ?? clientId,
    env,
    ...(options.identityClaims ? { identityClaims: options.identityClaims } : {}),
    log,
  });
}
