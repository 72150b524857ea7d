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
export { Distribution, parseDistributionFilename, normalizeProjectName } from './pypi/distribution.js';
export type { DistributionFilename } from './pypi/distribution.js';
export { parseAttestation, serializeAttestation, PYPI_PUBLISH_V1 } from './pypi/attestation.js';
export type { Attestation } from './pypi/attestation.js';
export { attestationToBundle, bundleToAttestation } from './pypi/convert.js';
export type { BundleToAttestationOptions } from './pypi/convert.js';
export { parseProvenance, serializeProvenance } from './pypi/provenance.js';
export type { AttestationBundle, Provenance } from './pypi/provenance.js';
export { publisherPolicy } from './pypi/publisher.js';
export type { GitHubPublisher, GitLabPublisher, GooglePublisher, Publisher } from './pypi/publisher.js';
export { verifyAttestation, verifyProvenance } from './pypi/verify.js';
export type { AttestationVerificationResult, ProvenanceExpectation, ProvenanceVerificationResult } from './pypi/verify.js';
export { signAttestation, signAttestations } from './pypi/sign.js';
export type { AttestationSignOptions } from './pypi/sign.js';
export { inspectDocument, NOT_VERIFIED_NOTICE } from './inspect/model.js';
export type { BundleInspection, Inspection, ProvenanceInspection } from './inspect/model.js';
export { renderInspection } from './inspect/render.js';
