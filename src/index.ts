/**
 * sigstore-ts: sign and verify software artifacts with Sigstore.
 *
 * Entry points: `sigstore-ts` (this one: signing, verification, policies, trust material,
 * identity tokens, bundles, SLSA provenance), `sigstore-ts/pypi` (Python distributions: PEP 740
 * attestations, provenance, the package index, audits), `sigstore-ts/inspect` (what a bundle or
 * attestation claims, without verifying it) and `sigstore-ts/instance` (a local Sigstore
 * instance for tests).
 * @packageDocumentation
 */
export { BundleError, NetworkError, PolicyError, SigstoreError, TrustError, UsageError, VerificationError } from './errors.js';
export type { ErrorCode, VerificationStep } from './errors.js';
export { ERROR_CODES } from './error-codes.js';
export { isParsedBundle, parseBundle } from './bundle/parse.js';
export type { ParsedBundle } from './bundle/parse.js';
export { parseTrustedRoot } from './trust/trusted-root.js';
export type { TrustFreshness, TrustMaterial } from './trust/trusted-root.js';
export { buildTrustMaterial, trustedRootJson } from './trust/material.js';
export type { TrustMaterialParts } from './trust/material.js';
export { Verifier } from './verify/verifier.js';
export type { BundleInput, KeyPolicy, VerifierOptions } from './verify/verifier.js';
export { verifyMany } from './verify/batch.js';
export type { VerifyManyItem, VerifyManyOptions, VerifyManyOutcome } from './verify/batch.js';
export { VerifierPool } from './verify/pool.js';
export type { VerifierPoolOptions } from './verify/pool.js';
export { AllOf, AnyOf, ExtensionPolicy, Identity, unsafeAcceptAnyIdentity } from './verify/policy.js';
export type { VerificationPolicy } from './verify/policy.js';
export type { Artifact, CertificateSigner, FulcioExtensions, InTotoStatement, KeySigner, UnsafeDsseVerificationResult, VerificationResult, VerifiedTimestamp } from './verify/types.js';
export { loadRekorV2SigningConfigJson, loadSigningConfigJson, loadTrust, loadTrustMaterial, trustInstance, updateTrustRoot } from './trust/load.js';
export type { ActiveTrust, TrustOrigin, TrustSource } from './trust/load.js';
export { resolveInstance } from './trust/instances.js';
export type { TufInstance } from './trust/instances.js';
export { getIdentityToken, IdentityToken, IdentityError, AmbientCredentialError, detectAmbientCredential, interactiveIdentityToken } from './oidc/index.js';
export type { GetIdentityTokenOptions, IdentityTokenOptions, AmbientOptions, AmbientCredential, AmbientProvider, InteractiveOptions } from './oidc/index.js';
export { Signer } from './sign/signer.js';
export type { SignerOptions } from './sign/signer.js';
export { KEY_TYPES } from './sign/keys.js';
export type { KeyType } from './sign/keys.js';
export type { ClientOptions } from './sign/client.js';
export { parseSigningConfig, SIGNING_CONFIG_MEDIA_TYPE } from './trust/signing-config.js';
export type { Service, ServiceSelector, SigningConfig } from './trust/signing-config.js';
export { embeddedClientTrustConfig, parseClientTrustConfig } from './trust/client-config.js';
export type { ClientTrustConfig } from './trust/client-config.js';
export { bundleToText, serializeBundle } from './bundle/serialize.js';
export type { BundleJson, BundleParts } from './bundle/serialize.js';
export { buildStatement, IN_TOTO_STATEMENT_V1, parseStatementForSigning, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, validatePredicate } from './bundle/intoto.js';
export type { Statement, Subject } from './bundle/intoto.js';
export { createEnvelope, IN_TOTO_PAYLOAD_TYPE, pae } from './bundle/dsse.js';
export type { DsseEnvelope } from './bundle/dsse.js';
export { parseProvenanceBundle, verifySlsaProvenance } from './slsa/verify.js';
export type { SlsaExpectation, SlsaVerificationResult, SlsaVerifyOptions } from './slsa/verify.js';
