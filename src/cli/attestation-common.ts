/**
 * What the `sigstore attestation` commands share: the trust flags, the verifier they build, and
 * how one input's failure is reported (an OK:/FAIL: line, a JSON result).
 */
import { basename } from 'node:path';
import { SigstoreError, UsageError, VerificationError } from '../errors.js';
import { parseDistributionFilename } from '../pypi/distribution.js';
import type { AttestationVerificationResult } from '../pypi/verify.js';
import { trustSourceFromFlags } from '../trust/instances.js';
import { loadTrustMaterial } from '../trust/load.js';
import { Verifier } from '../verify/verifier.js';
import { type Options, type Parsed, str, trustFlags, usage } from './args.js';
import { jsonLine, verificationFailureToJson, verificationToJson } from './json-output.js';
import { requireRegularFile } from './input.js';

export const TRUST_OPTS: Options = {
  offline: { type: 'boolean' },
  'trusted-root': { type: 'string' },
};

export const TRUST_HELP = `  --offline               never use the network: trust material from the cache, else the embedded copy (also SIGSTORE_OFFLINE=1)
  --trusted-root FILE     the trusted root to verify against (default: the Sigstore public-good root;
                          the global --staging selects the staging root)`;

/**
 * A distribution named on the command line: its file name must be a wheel's or an sdist's (a
 * usage error otherwise); a file that is missing is a failure (exit 1), as pypi-attestations
 * treats missing inputs.
 */
export function checkDistPath(path: string): void {
  parseDistributionFilename(basename(path));
  requireInput(path, 'distribution');
}

/**
 * An input file of the attestation commands: missing or not a regular file is `INPUT_MISSING`,
 * a failure with exit 1 (pypi-attestations' exit code for missing inputs), not a usage error.
 */
export function requireInput(path: string, what: string): void {
  try {
    requireRegularFile(path, what);
  } catch (e) {
    if (e instanceof UsageError) throw new SigstoreError('INPUT_MISSING', e.message);
    throw e;
  }
}

/**
 * One verified attestation as a JSON Lines record of schemas/output.v1.schema.json: the
 * `verification` object of `verify --json`, with the distribution, the predicate type and where
 * the attestation came from.
 */
export function attestationJsonLine(dist: string, r: AttestationVerificationResult, extra: Record<string, unknown>): string {
  return jsonLine({
    ...verificationToJson(dist, null, r.result),
    ...extra,
    distribution: { name: r.distribution.name, sha256: r.distribution.digest },
    predicateType: r.predicateType,
  });
}

/** An attestation that did not verify, as a JSON Lines record (`verified: false`). */
export function attestationFailureJsonLine(dist: string, error: unknown, extra: Record<string, string>): string {
  return jsonLine({ ...verificationFailureToJson(dist, null, error), ...extra });
}

export async function verifierFor(p: Parsed): Promise<Verifier> {
  const source = trustSourceFromFlags(trustFlags(p));
  return new Verifier(await loadTrustMaterial(source));
}

export function failLine(label: string, e: Error): string {
  const step = e instanceof VerificationError ? ` [${e.step}]` : '';
  return `FAIL: ${label}${step}: ${e.message}\n`;
}

/** Errors that belong to one input (reported as FAIL) rather than to the whole run. */
export function isInputFailure(e: unknown): e is SigstoreError {
  if (!(e instanceof SigstoreError)) return false;
  return !(e instanceof UsageError) || e instanceof VerificationError;
}

/**
 * The Google Cloud service account a Google publisher must be: `--gcp-service-account`
 * (pypi-attestations 0.0.29's name) or `--service-account`, not both.
 */
export function serviceAccountFlag(p: Parsed): string | undefined {
  const gcp = str(p, 'gcp-service-account');
  const plain = str(p, 'service-account');
  if (gcp !== undefined && plain !== undefined) usage('--gcp-service-account and --service-account are the same flag: give one');
  return gcp ?? plain;
}
