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
import { type Options, type Parsed, trustFlags } from './args.js';
import { resultToJson } from './format.js';
import { requireRegularFile } from './input.js';

export const TRUST_OPTS: Options = {
  offline: { type: 'boolean' },
  'trusted-root': { type: 'string' },
};

export const TRUST_HELP = `  --offline               never use the network: trust material from the cache, else the embedded copy (also SIGSTORE_OFFLINE=1)
  --trusted-root FILE     the trusted root to verify against (default: the Sigstore public-good root;
                          the global --staging selects the staging root)`;

export function checkDistPath(path: string): void {
  parseDistributionFilename(basename(path));
  requireRegularFile(path, 'distribution');
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

export function verifiedJson(label: string, attestationPath: string, r: AttestationVerificationResult): Record<string, unknown> {
  return {
    ...resultToJson(label, attestationPath, r.result),
    attestation: attestationPath,
    distribution: { name: r.distribution.name, sha256: r.distribution.digest },
    predicateType: r.predicateType,
  };
}
