/**
 * sigstore-ts: sign and verify software artifacts with Sigstore.
 * @packageDocumentation
 */
export { BundleError, NetworkError, PolicyError, SigstoreError, TrustError, UsageError, VerificationError } from './errors.js';
export type { VerificationStep } from './errors.js';
export { parseBundle } from './bundle/parse.js';
export type { ParsedBundle } from './bundle/parse.js';
export { parseTrustedRoot } from './trust/trusted-root.js';
export type { TrustMaterial } from './trust/trusted-root.js';
