/**
 * sigstore-ts/pypi: Python distributions with Sigstore: PEP 740 attestations and provenance,
 * Trusted Publisher policies, signing distributions, and verifying them from a package index
 * (PEP 691 and the PEP 740 Integrity API), including audits of a whole lock file.
 * @packageDocumentation
 */
export { Distribution, parseDistributionFilename, normalizeProjectName } from './distribution.js';
export type { DistributionFilename } from './distribution.js';
export { parseAttestation, serializeAttestation, PYPI_PUBLISH_V1 } from './attestation.js';
export type { Attestation } from './attestation.js';
export { attestationToBundle, bundleToAttestation } from './convert.js';
export type { BundleToAttestationOptions } from './convert.js';
export { parseProvenance, serializeProvenance } from './provenance.js';
export type { AttestationBundle, Provenance } from './provenance.js';
export { publisherPolicy } from './publisher.js';
export type { GitHubPublisher, GitLabPublisher, GooglePublisher, Publisher } from './publisher.js';
export { verifyAttestation, verifyProvenance } from './verify.js';
export type { AttestationVerificationResult, ProvenanceExpectation, ProvenanceVerificationResult } from './verify.js';
export { signAttestation, signAttestations } from './sign.js';
export type { AttestationSignOptions } from './sign.js';
export { DEFAULT_INDEX_URL, PackageIndex } from './index-client.js';
export type { IndexFile, PackageIndexOptions, ProjectPage } from './index-client.js';
export { auditDistributions } from './audit.js';
export type { AuditOptions, AuditReport, AuditResult } from './audit.js';
export { parsePylock, parseRequirements, readDistributionDirectory, readLock } from './lockfile.js';
export type { Lock, LockEntry, SkippedEntry } from './lockfile.js';
export { parsePins, serializePins } from './pins.js';
export type { Pins, PublisherPin } from './pins.js';
export { ProvenanceCache } from './provenance-cache.js';
export type { CachedProvenance } from './provenance-cache.js';
