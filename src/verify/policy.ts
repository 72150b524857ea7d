/**
 * Verification policies: who must have signed. A policy checks the verified leaf certificate's
 * identity (SAN), OIDC issuer and Fulcio extensions. Verification without a policy is refused
 * unless the caller passes the loudly named {@link unsafeAcceptAnyIdentity}.
 */
import { PolicyError, UsageError } from '../errors.js';
import type { CertificateSigner, FulcioExtensions } from './types.js';

/**
 * A check on the signer. `check` throws {@link PolicyError} when the signer does not satisfy it.
 *
 * @example
 * ```ts
 * const policy: VerificationPolicy = new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' });
 * ```
 */
export interface VerificationPolicy {
  check(signer: CertificateSigner): void;
  /** A short human-readable description, for messages. */
  describe(): string;
}

/** An exact string or a fully anchored regular expression. */
type Matcher = { exact: string } | { regexp: RegExp; source: string };

function matcher(exact: string | undefined, regexp: string | undefined, what: string): Matcher | undefined {
  if (exact !== undefined && regexp !== undefined) throw new UsageError('USAGE', `give either ${what} or ${what} regexp, not both`);
  if (exact !== undefined) return { exact };
  if (regexp === undefined) return undefined;
  // Compiled on its own first: only a pattern valid by itself keeps its meaning once anchored
  // (`nope)|(.*` is invalid alone, but `^(?:nope)|(.*)$` would match anything).
  try {
    new RegExp(regexp, 'u');
  } catch (e) {
    throw new UsageError('POLICY_REGEXP_INVALID', `invalid ${what} regular expression ${JSON.stringify(regexp)}: ${(e as Error).message}`);
  }
  return { regexp: new RegExp(`^(?:${regexp})$`, 'u'), source: regexp };
}

function matches(m: Matcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  return 'exact' in m ? m.exact === value : m.regexp.test(value);
}

function show(m: Matcher): string {
  return 'exact' in m ? JSON.stringify(m.exact) : `/${m.source}/`;
}

/**
 * The signer's identity and OIDC issuer, each exact or as a fully anchored regular expression.
 * The identity is the one the result reports (`signer.identity`: the certificate's email, URI or
 * Fulcio username SAN), never any other SAN. The issuer is required, as in sigstore-python.
 *
 * @example
 * ```ts
 * import { Identity } from 'sigstore-ts';
 * const policy = new Identity({
 *   identity: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main',
 *   issuer: 'https://token.actions.githubusercontent.com',
 * });
 * const byPattern = new Identity({ identityRegexp: '.*@example\\.com', issuer: 'https://accounts.google.com' });
 * ```
 */
export class Identity implements VerificationPolicy {
  private readonly identity: Matcher;
  private readonly issuer: Matcher;

  constructor(opts: { identity?: string; identityRegexp?: string; issuer?: string; issuerRegexp?: string }) {
    const id = matcher(opts.identity, opts.identityRegexp, 'identity');
    const iss = matcher(opts.issuer, opts.issuerRegexp, 'issuer');
    if (!id) throw new UsageError('USAGE', 'an identity policy needs an identity (or identity regexp)');
    if (!iss) throw new UsageError('USAGE', 'an identity policy needs an OIDC issuer (or issuer regexp)');
    this.identity = id;
    this.issuer = iss;
  }

  check(signer: CertificateSigner): void {
    // The one identity the result reports; an empty identity (no identity SAN) matches nothing.
    const identity = signer.identity || undefined;
    if (!matches(this.identity, identity)) {
      throw new PolicyError('POLICY_IDENTITY_MISMATCH', `certificate identity ${JSON.stringify(identity ?? '(none)')} does not match ${show(this.identity)}`);
    }
    if (!matches(this.issuer, signer.issuer)) {
      throw new PolicyError(
        'POLICY_ISSUER_MISMATCH',
        `certificate OIDC issuer ${JSON.stringify(signer.issuer ?? '(none)')} does not match ${show(this.issuer)}`,
      );
    }
  }

  describe(): string {
    return `identity ${show(this.identity)} from issuer ${show(this.issuer)}`;
  }
}

/**
 * One Fulcio certificate extension (OIDs 1.3.6.1.4.1.57264.1.1-1.22, by field name) must equal a
 * value, or match a fully anchored regular expression.
 *
 * @example
 * ```ts
 * import { ExtensionPolicy } from 'sigstore-ts';
 * const repo = new ExtensionPolicy('sourceRepositoryURI', { value: 'https://github.com/org/repo' });
 * const ref = new ExtensionPolicy('sourceRepositoryRef', { regexp: 'refs/tags/v.*' });
 * ```
 */
export class ExtensionPolicy implements VerificationPolicy {
  private readonly m: Matcher;
  constructor(
    readonly field: keyof FulcioExtensions,
    expected: { value: string } | { regexp: string },
  ) {
    this.m = matcher(
      'value' in expected ? expected.value : undefined,
      'regexp' in expected ? expected.regexp : undefined,
      field,
    )!;
  }

  check(signer: CertificateSigner): void {
    const actual = signer.extensions[this.field];
    if (!matches(this.m, actual)) {
      throw new PolicyError(
        'POLICY_EXTENSION_MISMATCH',
        actual === undefined
          ? `certificate has no ${this.field} extension (expected ${show(this.m)})`
          : `certificate ${this.field} ${JSON.stringify(actual)} does not match ${show(this.m)}`,
      );
    }
  }

  describe(): string {
    return `${this.field} ${show(this.m)}`;
  }
}

/**
 * Every policy must hold.
 *
 * @example
 * ```ts
 * import { AllOf, ExtensionPolicy, Identity } from 'sigstore-ts';
 * const policy = new AllOf([
 *   new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' }),
 *   new ExtensionPolicy('issuer', { value: 'https://accounts.google.com' }),
 * ]);
 * ```
 */
export class AllOf implements VerificationPolicy {
  constructor(readonly policies: VerificationPolicy[]) {
    if (policies.length === 0) throw new UsageError('USAGE', 'AllOf needs at least one policy');
  }
  check(signer: CertificateSigner): void {
    for (const p of this.policies) p.check(signer);
  }
  describe(): string {
    return this.policies.map((p) => p.describe()).join(' and ');
  }
}

/**
 * At least one policy must hold.
 *
 * @example
 * ```ts
 * import { AnyOf, Identity } from 'sigstore-ts';
 * const policy = new AnyOf([
 *   new Identity({ identity: 'alice@example.com', issuer: 'https://accounts.google.com' }),
 *   new Identity({ identity: 'bob@example.com', issuer: 'https://github.com/login/oauth' }),
 * ]);
 * ```
 */
export class AnyOf implements VerificationPolicy {
  constructor(readonly policies: VerificationPolicy[]) {
    if (policies.length === 0) throw new UsageError('USAGE', 'AnyOf needs at least one policy');
  }
  check(signer: CertificateSigner): void {
    const reasons: string[] = [];
    for (const p of this.policies) {
      try {
        p.check(signer);
        return;
      } catch (e) {
        if (!(e instanceof PolicyError)) throw e;
        reasons.push(e.message);
      }
    }
    throw new PolicyError('POLICY_NONE_MATCHED', reasons.length === 1 ? reasons[0]! : `no policy matched: ${reasons.join('; ')}`);
  }
  describe(): string {
    return this.policies.map((p) => p.describe()).join(' or ');
  }
}

class UnsafeAnyIdentity implements VerificationPolicy {
  check(): void {}
  describe(): string {
    return 'ANY identity (unsafe: no identity policy)';
  }
}

/**
 * UNSAFE: accepts a signature from anyone Fulcio certified. Every other check still runs, but
 * nothing ties the signature to a signer you trust. Only for inspection and testing.
 *
 * @example
 * ```ts
 * import { unsafeAcceptAnyIdentity } from 'sigstore-ts';
 * const result = await verifier.verify(bundle, { path: 'a.txt' }, unsafeAcceptAnyIdentity());
 * ```
 */
export function unsafeAcceptAnyIdentity(): VerificationPolicy {
  return new UnsafeAnyIdentity();
}
