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
export { Verifier } from './verify/verifier.js';
export type { BundleInput, KeyPolicy, VerifierOptions } from './verify/verifier.js';
export { AllOf, AnyOf, ExtensionPolicy, Identity, unsafeAcceptAnyIdentity } from './verify/policy.js';
export type { VerificationPolicy } from './verify/policy.js';
export type { Artifact, CertificateSigner, FulcioExtensions, InTotoStatement, KeySigner, VerificationResult, VerifiedTimestamp } from './verify/types.js';
export { loadSigningConfigJson, loadTrust, loadTrustMaterial, trustInstance, updateTrustRoot } from './trust/load.js';
export type { ActiveTrust, TrustOrigin, TrustSource } from './trust/load.js';
export { normalizeTufUrl, resolveInstance, trustSourceFromFlags } from './trust/instances.js';
export type { TrustFlags, TufInstance } from './trust/instances.js';
export { getIdentityToken, IdentityToken, IdentityError, AmbientCredentialError, detectAmbientCredential, interactiveIdentityToken } from './oidc/index.js';
export type { GetIdentityTokenOptions, IdentityTokenOptions, AmbientOptions, AmbientCredential, AmbientProvider, InteractiveOptions } from './oidc/index.js';
