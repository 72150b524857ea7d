/**
 * sigstore-ts/inspect: what a Sigstore bundle, PEP 740 attestation or provenance file claims,
 * decoded for people and programs. Inspecting is not verifying: nothing here checks a signature.
 * @packageDocumentation
 */
export { inspectBundle, inspectDocument, NOT_VERIFIED_NOTICE } from './model.js';
export type { BundleInspection, Inspection, ProvenanceInspection } from './model.js';
export { renderInspection } from './render.js';
