/**
 * OIDC identity tokens, as Sigstore clients use them: parsed and sanity-checked, never verified.
 * The signature is Fulcio's to check; the client only refuses, before any request, a token that is
 * malformed, expired, for another audience or without the identity Fulcio will certify.
 * Follows sigstore-python's `IdentityToken` (sigstore/oidc.py).
 */
import { inspect } from 'node:util';
import { IdentityError } from './errors.js';
import type { ErrorCode } from '../errors.js';

/**
 * The audience Sigstore's public-good Fulcio expects, and the default everywhere here.
 *
 * @example
 * ```ts
 * new IdentityToken(jwt, { audience: DEFAULT_AUDIENCE });
 * ```
 */
export const DEFAULT_AUDIENCE = 'sigstore';

/**
 * Issuers whose certificates carry a claim other than `sub` (Fulcio's issuer types): email issuers
 * get the verified `email`, GitHub Actions its `sub`. Every other issuer: `sub`.
 *
 * @example
 * ```ts
 * KNOWN_OIDC_ISSUERS['https://accounts.google.com']; // 'email'
 * ```
 */
export const KNOWN_OIDC_ISSUERS: Readonly<Record<string, IdentityClaim>> = Object.freeze({
  'https://accounts.google.com': 'email',
  'https://oauth2.sigstore.dev/auth': 'email',
  'https://oauth2.sigstage.dev/auth': 'email',
  'https://token.actions.githubusercontent.com': 'sub',
});

/**
 * The claim that names the signer: `email` for email issuers, `sub` for CI/workflow tokens.
 *
 * @example
 * ```ts
 * const claim: IdentityClaim = 'email';
 * ```
 */
export type IdentityClaim = 'email' | 'sub';

/**
 * How a token is checked when parsed.
 *
 * @example
 * ```ts
 * const options: IdentityTokenOptions = { audience: 'sigstore', source: 'from --identity-token' };
 * ```
 */
export interface IdentityTokenOptions {
  /** The audience the token's `aud` must contain. Default `sigstore`. */
  audience?: string;
  /** The time to check validity against. Default: now. */
  now?: Date;
  /** Allowed clock skew, in seconds, for `nbf` and `iat` in the future. Default 5 (as sigstore-python). */
  leewaySeconds?: number;
  /** More issuers and their identity claim (for example a private instance's email issuer). */
  identityClaims?: Readonly<Record<string, IdentityClaim>>;
  /** Where the token came from, for messages: `from --identity-token`, `from GitHub Actions`, ... */
  source?: string;
}

/** Longest token accepted: real ones are a few KiB. */
const MAX_TOKEN_LENGTH = 64 * 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

const RAW = new WeakMap<IdentityToken, string>();

/**
 * An OIDC identity token with a sensible issuer, audience, validity period and identity for
 * Sigstore. The raw token is secret: `toString()`, `toJSON()` and `util.inspect` show only the
 * issuer and identity; {@link IdentityToken.rawToken} gives the token itself.
 *
 * @example
 * ```ts
 * import { IdentityToken } from 'sigstore-ts';
 * const token = new IdentityToken(process.env.SIGSTORE_IDENTITY_TOKEN ?? '', { source: 'from SIGSTORE_IDENTITY_TOKEN' });
 * console.error(`signing as ${token.identity} (issuer ${token.issuer})`);
 * ```
 */
export class IdentityToken {
  /** The `iss` claim. */
  readonly issuer: string;
  /** The `sub` claim. */
  readonly subject: string;
  /** The `aud` claim, always as a list. */
  readonly audience: readonly string[];
  /** The identity Fulcio certifies: the verified email for email issuers, `sub` otherwise. */
  readonly identity: string;
  /** Which claim {@link IdentityToken.identity} was taken from. */
  readonly identityClaim: IdentityClaim;
  /** The issuer behind a federating issuer (Dex's `federated_claims.connector_id`), else {@link IdentityToken.issuer}. */
  readonly federatedIssuer: string;
  /** `exp`. */
  readonly expiresAt: Date;
  /** `iat`. */
  readonly issuedAt: Date;
  /** `nbf`, when present. */
  readonly notBefore: Date | undefined;
  /** Every claim of the payload (unverified), frozen. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Where the token came from (the `source` option), for messages. */
  readonly source: string | undefined;

  /**
   * Parses and checks `raw` (a compact JWS). Throws {@link IdentityError} with the reason when it
   * is malformed, expired, not yet valid, for another audience or without the identity claim.
   *
   * @example
   * ```ts
   * const token = new IdentityToken(jwt, { audience: 'sigstore' });
   * ```
   */
  constructor(raw: string, options: IdentityTokenOptions = {}) {
    const what = options.source ? `the identity token ${options.source}` : 'the identity token';
    const fail = (code: ErrorCode, message: string): never => {
      throw new IdentityError(code, `${what} ${message}`);
    };
    const malformed = (message: string): never => fail('IDENTITY_TOKEN_MALFORMED', message);

    if (typeof raw !== 'string') malformed('is not a string');
    const token = raw.trim();
    if (token.length === 0) malformed('is empty');
    if (token.length > MAX_TOKEN_LENGTH) malformed(`is too long (${token.length} characters)`);
    const parts = token.split('.');
    if (parts.length === 5) malformed('is encrypted (a JWE), not a signed JWT');
    if (parts.length !== 3) malformed(`is not a JWT (expected 3 dot-separated parts, found ${parts.length})`);
    const [h, p, s] = parts as [string, string, string];
    const header = decodeSegment(h, 'header', malformed);
    const claims = decodeSegment(p, 'payload', malformed);
    if (s.length === 0) malformed('has no signature');
    decodeB64url(s, 'signature', malformed);
    if (typeof header.alg !== 'string' || header.alg.length === 0) malformed('header has no "alg"');
    if ((header.alg as string).toLowerCase() === 'none') malformed('is unsigned (alg "none")');

    // Required claims (OpenID Connect Core, ID Token; sigstore-python requires the same five).
    const iss = claims.iss;
    if (typeof iss !== 'string' || iss.length === 0) fail('IDENTITY_TOKEN_CLAIM_MISSING', 'has no "iss" (issuer) claim');
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub.length === 0) fail('IDENTITY_TOKEN_CLAIM_MISSING', 'has no "sub" (subject) claim');
    const aud = claims.aud;
    let audience: string[];
    if (typeof aud === 'string') audience = [aud];
    else if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) audience = aud as string[];
    else audience = fail('IDENTITY_TOKEN_CLAIM_MISSING', 'has no "aud" (audience) claim, or it is not a string or list of strings');
    const exp = numericDate(claims.exp, 'exp', fail);
    const iat = numericDate(claims.iat, 'iat', fail);
    const nbf = claims.nbf === undefined ? undefined : numericDate(claims.nbf, 'nbf', fail);

    const expected = options.audience ?? DEFAULT_AUDIENCE;
    if (!audience.includes(expected)) {
      fail('IDENTITY_TOKEN_AUDIENCE', `is for audience ${audience.map((a) => JSON.stringify(a)).join(', ')}, not "${expected}"`);
    }

    // Validity period: expired means now >= exp (no leeway: a token about to expire is useless);
    // nbf and iat may be a few seconds in the future (clock skew between host and issuer).
    const now = (options.now ?? new Date()).getTime() / 1000;
    const leeway = options.leewaySeconds ?? 5;
    if (exp <= iat) fail('IDENTITY_TOKEN_MALFORMED', `expires (${iso(exp)}) before it was issued (${iso(iat)})`);
    if (nbf !== undefined && nbf >= exp) fail('IDENTITY_TOKEN_MALFORMED', `expires (${iso(exp)}) before it becomes valid (${iso(nbf)})`);
    if (now >= exp) fail('IDENTITY_TOKEN_EXPIRED', `expired at ${iso(exp)} (${ago(now - exp)} ago); get a new one`);
    if (nbf !== undefined && nbf > now + leeway) fail('IDENTITY_TOKEN_NOT_YET_VALID', `is not valid before ${iso(nbf)} (check the clock)`);
    if (iat > now + leeway) fail('IDENTITY_TOKEN_NOT_YET_VALID', `was issued in the future (${iso(iat)}; check the clock)`);

    // The identity Fulcio certifies.
    const identityClaim = options.identityClaims?.[iss as string] ?? KNOWN_OIDC_ISSUERS[iss as string] ?? 'sub';
    let identity: string;
    if (identityClaim === 'email') {
      const email = claims.email;
      if (typeof email !== 'string' || email.length === 0) {
        fail('IDENTITY_TOKEN_CLAIM_MISSING', `has no "email" claim, which issuer ${iss} must provide`);
      }
      const verified = claims.email_verified;
      if (verified !== true && verified !== 'true') {
        fail(
          'IDENTITY_EMAIL_UNVERIFIED',
          verified === undefined
            ? 'has no "email_verified" claim: the email address must be verified'
            : `says the email address is not verified (email_verified is ${JSON.stringify(verified)})`,
        );
      }
      identity = email as string;
    } else {
      identity = sub as string;
    }

    // A federating issuer (Sigstore's Dex) names the real one in federated_claims.connector_id.
    let federatedIssuer = iss as string;
    const fed = claims.federated_claims;
    if (fed !== undefined) {
      if (typeof fed !== 'object' || fed === null || Array.isArray(fed)) malformed('has a "federated_claims" claim that is not an object');
      const connector = (fed as Record<string, unknown>).connector_id;
      if (connector !== undefined) {
        if (typeof connector !== 'string') malformed('has a "federated_claims.connector_id" that is not a string');
        federatedIssuer = connector as string;
      }
    }

    RAW.set(this, token);
    this.issuer = iss as string;
    this.subject = sub as string;
    this.audience = Object.freeze(audience);
    this.identity = identity;
    this.identityClaim = identityClaim;
    this.federatedIssuer = federatedIssuer;
    this.expiresAt = new Date(exp * 1000);
    this.issuedAt = new Date(iat * 1000);
    this.notBefore = nbf === undefined ? undefined : new Date(nbf * 1000);
    this.claims = deepFreeze(claims);
    this.source = options.source;
  }

  /**
   * The token itself (the compact JWS), to send to Fulcio. Secret: never print or log it.
   *
   * @example
   * ```ts
   * await fetch(fulcioUrl, { headers: { authorization: `Bearer ${token.rawToken}` } });
   * ```
   */
  get rawToken(): string {
    return RAW.get(this)!;
  }

  /**
   * Whether the token is within its stated validity period at `now` (`nbf <= now < exp`).
   *
   * @example
   * ```ts
   * if (!token.inValidityPeriod()) token = await getIdentityToken(options);
   * ```
   */
  inValidityPeriod(now: Date = new Date()): boolean {
    const t = now.getTime();
    return (this.notBefore === undefined || this.notBefore.getTime() <= t) && t < this.expiresAt.getTime();
  }

  /**
   * A description without the token: `IdentityToken(identity=..., issuer=...)`.
   *
   * @example
   * ```ts
   * console.error(`${token}`); // IdentityToken(identity=alice@example.com, issuer=https://accounts.google.com)
   * ```
   */
  toString(): string {
    return `IdentityToken(identity=${this.identity}, issuer=${this.issuer})`;
  }

  /**
   * The JSON form, without the token.
   *
   * @example
   * ```ts
   * JSON.stringify(token); // {"identity":"...","issuer":"...","expiresAt":"..."}
   * ```
   */
  toJSON(): Record<string, unknown> {
    return {
      identity: this.identity,
      issuer: this.issuer,
      federatedIssuer: this.federatedIssuer,
      audience: this.audience,
      expiresAt: this.expiresAt.toISOString(),
    };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function decodeB64url(seg: string, part: string, malformed: (m: string) => never): Buffer {
  if (!B64URL.test(seg) || seg.length % 4 === 1) malformed(`${part} is not base64url`);
  const buf = Buffer.from(seg, 'base64url');
  // Canonical encoding only: no stray bits in the last character.
  if (buf.toString('base64url') !== seg) malformed(`${part} is not canonical base64url`);
  return buf;
}

function decodeSegment(seg: string, part: string, malformed: (m: string) => never): Record<string, unknown> {
  if (seg.length === 0) malformed(`has an empty ${part}`);
  const bytes = decodeB64url(seg, part, malformed);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return malformed(`${part} is not UTF-8`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return malformed(`${part} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) malformed(`${part} is not a JSON object`);
  return v as Record<string, unknown>;
}

function numericDate(v: unknown, name: string, fail: (code: ErrorCode, m: string) => never): number {
  if (v === undefined) return fail('IDENTITY_TOKEN_CLAIM_MISSING', `has no "${name}" claim`);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 253402300799) {
    return fail('IDENTITY_TOKEN_MALFORMED', `has a "${name}" claim that is not a valid time (NumericDate)`);
  }
  return v;
}

function iso(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}

function ago(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
