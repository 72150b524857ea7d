/**
 * Error classes. Every error thrown by sigstore-ts is a {@link SigstoreError} with a stable
 * machine-readable `code` and a one-line message that says what failed and why.
 */

import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

/**
 * Base class of every error sigstore-ts throws on purpose.
 *
 * @example
 * ```ts
 * import { SigstoreError } from 'sigstore-ts';
 * try { await verifier.verify(bundle, artifact, policy); }
 * catch (e) { if (e instanceof SigstoreError) console.error(`${e.code}: ${e.message}`); }
 * ```
 */
export class SigstoreError extends Error {
  /** Stable code, for example `TLOG_INCLUSION_PROOF_INVALID`. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The verification step an error comes from.
 *
 * @example
 * ```ts
 * const step: VerificationStep = 'tlog';
 * ```
 */
export type VerificationStep =
  | 'bundle'
  | 'time'
  | 'chain'
  | 'sct'
  | 'tlog'
  | 'timestamp'
  | 'body'
  | 'signature'
  | 'policy'
  | 'key';

/**
 * A bundle, signature or proof did not verify. `step` names the check that refused it.
 *
 * @example
 * ```ts
 * import { VerificationError } from 'sigstore-ts';
 * try { await verifier.verify(bundle, artifact, policy); }
 * catch (e) { if (e instanceof VerificationError) console.error(`failed at ${e.step}: ${e.message}`); }
 * ```
 */
export class VerificationError extends SigstoreError {
  /** The check that failed. */
  readonly step: VerificationStep;
  constructor(step: VerificationStep, code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.step = step;
  }
}

/**
 * Malformed input: a bundle, attestation, certificate or other structure that cannot be parsed.
 *
 * @example
 * ```ts
 * import { BundleError, parseBundle } from 'sigstore-ts';
 * try { parseBundle('{}'); } catch (e) { if (e instanceof BundleError) console.error(e.message); }
 * ```
 */
export class BundleError extends VerificationError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super('bundle', code, message, options);
  }
}

/**
 * The signer's identity did not satisfy the verification policy.
 *
 * @example
 * ```ts
 * import { PolicyError } from 'sigstore-ts';
 * try { await verifier.verify(bundle, artifact, policy); }
 * catch (e) { if (e instanceof PolicyError) console.error('wrong signer:', e.message); }
 * ```
 */
export class PolicyError extends VerificationError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super('policy', code, message, options);
  }
}

/**
 * Trust material (trusted root, signing config, TUF metadata) is missing, malformed or refused.
 *
 * @example
 * ```ts
 * import { TrustError, parseTrustedRoot } from 'sigstore-ts';
 * try { parseTrustedRoot('{}'); } catch (e) { if (e instanceof TrustError) console.error(e.message); }
 * ```
 */
export class TrustError extends SigstoreError {}

/**
 * A network request to a Sigstore service failed (after retries, where it was transient).
 *
 * @example
 * ```ts
 * import { NetworkError } from 'sigstore-ts';
 * try { await signer.sign(file); } catch (e) { if (e instanceof NetworkError) console.error(e.message); }
 * ```
 */
export class NetworkError extends SigstoreError {
  /** HTTP status, when the service answered. */
  readonly status: number | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.status = options?.status;
  }
}

/**
 * The caller asked for something impossible or contradictory (bad flags, missing files, ...).
 * The CLI exits with status 2 for these.
 *
 * @example
 * ```ts
 * import { UsageError } from 'sigstore-ts';
 * throw new UsageError('USAGE', '--bundle takes a single input');
 * ```
 */
export class UsageError extends SigstoreError {}
