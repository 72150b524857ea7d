/**
 * The PEP 740 `Attestation` object: version 1, `verification_material` (the signing certificate
 * as base64 DER, one or more Rekor `TransparencyLogEntry` objects in their protobuf JSON form
 * and, optionally, RFC 3161 `timestamps` as base64 DER: the form pypi-attestations 0.0.28+
 * accepts, needed with Rekor v2 entries, which carry no signed time) and `envelope` (the in-toto statement and its DSSE signature, base64). Read strictly, written
 * in the field order `pypi-attestations` writes.
 */
import { SLSA_PROVENANCE_V1 } from '../bundle/intoto.js';
import { BundleError } from '../errors.js';
import { arr, b64, type Fail, type JsonObject, obj, parseJson } from '../lib/json.js';
import type { InTotoStatement } from '../verify/types.js';

/**
 * The PyPI publish attestation predicate type.
 *
 * @example
 * ```ts
 * import { PYPI_PUBLISH_V1 } from 'sigstore-ts';
 * if (statement.predicateType === PYPI_PUBLISH_V1) console.log('a PyPI publish attestation');
 * ```
 */
export const PYPI_PUBLISH_V1 = 'https://docs.pypi.org/attestations/publish/v1';


/** The SLSA provenance v1 predicate type (the same constant as the signer's). */
export { SLSA_PROVENANCE_V1 };

/**
 * The predicate types PyPI knows (and PEP 740 verification accepts).
 *
 * @example
 * ```ts
 * import { ATTESTATION_TYPES } from 'sigstore-ts';
 * ATTESTATION_TYPES.includes('https://slsa.dev/provenance/v1'); // true
 * ```
 */
export const ATTESTATION_TYPES: readonly string[] = [PYPI_PUBLISH_V1, SLSA_PROVENANCE_V1];

/**
 * A PEP 740 attestation. Field names are the camelCase forms of the JSON's snake_case ones.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseAttestation } from 'sigstore-ts';
 * const a: Attestation = parseAttestation(readFileSync('pkg-1.0.tar.gz.publish.attestation', 'utf8'));
 * console.log(a.verificationMaterial.transparencyEntries.length);
 * ```
 */
export interface Attestation {
  version: 1;
  verificationMaterial: {
    /** The signing certificate, DER. */
    certificate: Buffer;
    /** Rekor `TransparencyLogEntry` objects (protobuf JSON, as in a bundle's `tlogEntries`). */
    transparencyEntries: JsonObject[];
    /** RFC 3161 timestamp tokens (DER), when the attestation has a `timestamps` field. */
    timestamps?: Buffer[];
  };
  envelope: {
    /** The DSSE payload: an in-toto v1 statement, JSON. */
    statement: Buffer;
    /** The DSSE signature over the statement's PAE. */
    signature: Buffer;
  };
}

const fail: Fail = (m: string) => {
  throw new BundleError('ATTESTATION_INVALID', `invalid attestation: ${m}`);
};

/** Reads an attestation from an already-parsed JSON value; `path` prefixes field names in errors. */
export function attestationFromJson(v: unknown, path = '', failWith: Fail = fail): Attestation {
  const p = (s: string) => (path ? `${path}.${s}` : s);
  const o = obj(v, path || 'the attestation', failWith);
  if (o.version !== 1) failWith(`${p('version')} must be 1 (is ${JSON.stringify(o.version ?? null)})`);
  const vm = obj(o.verification_material, p('verification_material'), failWith);
  const certificate = b64(vm.certificate, p('verification_material.certificate'), failWith);
  if (!Array.isArray(vm.transparency_entries)) failWith(`${p('verification_material.transparency_entries')} must be an array`);
  const transparencyEntries = arr(vm.transparency_entries, p('verification_material.transparency_entries'), failWith).map((e, i) =>
    obj(e, p(`verification_material.transparency_entries[${i}]`), failWith),
  );
  if (transparencyEntries.length === 0) failWith(`${p('verification_material.transparency_entries')} must have at least one entry`);
  let timestamps: Buffer[] | undefined;
  if (vm.timestamps !== undefined && vm.timestamps !== null) {
    const ts = p('verification_material.timestamps');
    if (!Array.isArray(vm.timestamps)) failWith(`${ts} must be an array`);
    timestamps = arr(vm.timestamps, ts, failWith).map((t, i) => b64(t, `${ts}[${i}]`, failWith));
  }
  const env = obj(o.envelope, p('envelope'), failWith);
  return {
    version: 1,
    verificationMaterial: { certificate, transparencyEntries, ...(timestamps ? { timestamps } : {}) },
    envelope: {
      statement: b64(env.statement, p('envelope.statement'), failWith),
      signature: b64(env.signature, p('envelope.signature'), failWith),
    },
  };
}

/**
 * Parses a PEP 740 attestation from JSON text (or an already-parsed object) and checks its
 * shape. Throws {@link BundleError} (code `ATTESTATION_INVALID`) naming the bad field. The
 * certificate and log entries are checked when the attestation is converted or verified.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseAttestation } from 'sigstore-ts';
 * const attestation = parseAttestation(readFileSync('pkg-1.0-py3-none-any.whl.publish.attestation'));
 * ```
 */
export function parseAttestation(input: string | Buffer | JsonObject): Attestation {
  const json = typeof input === 'string' || Buffer.isBuffer(input) ? parseJson(input.toString('utf8'), 'the attestation', fail) : input;
  return attestationFromJson(json);
}

/**
 * An attestation as a plain JSON object, in the PEP 740 shape and field order.
 *
 * @example
 * ```ts
 * import { attestationToJson } from 'sigstore-ts';
 * const json = attestationToJson(attestation);
 * console.log(json.version); // 1
 * ```
 */
export function attestationToJson(a: Attestation): JsonObject {
  return {
    version: a.version,
    verification_material: {
      certificate: a.verificationMaterial.certificate.toString('base64'),
      transparency_entries: a.verificationMaterial.transparencyEntries,
      ...(a.verificationMaterial.timestamps ? { timestamps: a.verificationMaterial.timestamps.map((t) => t.toString('base64')) } : {}),
    },
    envelope: {
      statement: a.envelope.statement.toString('base64'),
      signature: a.envelope.signature.toString('base64'),
    },
  };
}

/**
 * Serialises an attestation to compact JSON (as `pypi-attestations` writes it).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { serializeAttestation } from 'sigstore-ts';
 * writeFileSync('pkg-1.0.tar.gz.publish.attestation', serializeAttestation(attestation));
 * ```
 */
export function serializeAttestation(a: Attestation): string {
  return JSON.stringify(attestationToJson(a));
}

/**
 * The in-toto statement inside an attestation, parsed but NOT verified: only trust it after
 * `verifyAttestation` succeeded. Throws {@link BundleError} when it is not a JSON statement.
 *
 * @example
 * ```ts
 * import { attestationStatement } from 'sigstore-ts';
 * const st = attestationStatement(attestation);
 * console.log(st.predicateType, st.subject[0]?.name);
 * ```
 */
export function attestationStatement(a: Attestation): InTotoStatement {
  const st = parseJson(a.envelope.statement.toString('utf8'), 'the attestation statement', fail);
  const o = obj(st, 'the attestation statement', fail);
  if (!Array.isArray(o.subject) || typeof o.predicateType !== 'string') {
    fail('the statement is not an in-toto statement (needs subject and predicateType)');
  }
  return o as unknown as InTotoStatement;
}
