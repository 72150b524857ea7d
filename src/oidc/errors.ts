/**
 * Errors of the identity (OIDC) half of signing: malformed or unusable identity tokens, ambient
 * CI credentials that should be there but cannot be had, and failed interactive logins.
 * Messages never contain a token.
 */
import { SigstoreError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/**
 * An identity token could not be obtained, or was refused before any request was made with it
 * (malformed, expired, wrong audience, missing identity claim, failed login, ...).
 *
 * @example
 * ```ts
 * import { IdentityError, IdentityToken } from 'sigstore-ts';
 * try { new IdentityToken('not-a-jwt'); }
 * catch (e) { if (e instanceof IdentityError) console.error(`${e.code}: ${e.message}`); }
 * ```
 */
export class IdentityError extends SigstoreError {}

/**
 * The environment looks like a CI provider with ambient OIDC credentials (GitHub Actions, Google
 * Cloud, Buildkite, GitLab CI, CircleCI), but the credential could not be retrieved.
 *
 * @example
 * ```ts
 * import { AmbientCredentialError, detectAmbientCredential } from 'sigstore-ts';
 * try { await detectAmbientCredential(); }
 * catch (e) { if (e instanceof AmbientCredentialError) console.error(`${e.provider}: ${e.message}`); }
 * ```
 */
export class AmbientCredentialError extends IdentityError {
  /** The provider that was detected: `github`, `gcp`, `gitlab`, `buildkite` or `circleci`. */
  readonly provider: string;
  constructor(provider: string, code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.provider = provider;
  }
}
