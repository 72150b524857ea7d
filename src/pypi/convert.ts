/**
 * Conversion between PEP 740 attestations and Sigstore bundles, with the rules of the
 * `pypi-attestations` reference implementation: the bundle is a v0.3 bundle with the leaf
 * certificate, the attestation's transparency entries as its `tlogEntries`, its RFC 3161
 * `timestamps` (if any) as its `timestampVerificationData`, and a DSSE envelope
 * (`application/vnd.in-toto+json`) with the statement and its one signature. Both directions
 * are lossless.
 */
import { BUNDLE_V03, type ParsedBundle, parseBundle } from '../bundle/parse.js';
import { BundleError } from '../errors.js';
import type { JsonObject } from '../lib/json.js';
import { Certificate } from '../lib/x509.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../bundle/dsse.js';
import type { BundleInput } from '../verify/verifier.js';
import type { Attestation } from './attestation.js';

function conversionError(message: string, cause?: unknown): never {
  throw new BundleError('ATTESTATION_CONVERSION', message, cause === undefined ? undefined : { cause });
}

/**
 * The Sigstore bundle (v0.3, DSSE) an attestation stands for: its certificate, its transparency
 * log entries, and the statement with its signature. The result is parsed and validated, so a
 * bad certificate or log entry is refused here (code `ATTESTATION_CONVERSION`); `result.json`
 * holds the bundle JSON. Nothing is verified: pass the bundle to `Verifier.verify`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { attestationToBundle } from 'sigstore-ts';
 * const bundle = attestationToBundle(attestation);
 * writeFileSync('pkg-1.0.tar.gz.sigstore.json', JSON.stringify(bundle.json));
 * ```
 */
export function attestationToBundle(a: Attestation): ParsedBundle {
  try {
    new Certificate(a.verificationMaterial.certificate);
  } catch (e) {
    conversionError(`cannot convert the attestation: its certificate is not a valid X.509 certificate (${(e as Error).message})`, e);
  }
  const json: JsonObject = {
    mediaType: BUNDLE_V03,
    verificationMaterial: {
      certificate: { rawBytes: a.verificationMaterial.certificate.toString('base64') },
      tlogEntries: a.verificationMaterial.transparencyEntries,
      ...(a.verificationMaterial.timestamps
        ? { timestampVerificationData: { rfc3161Timestamps: a.verificationMaterial.timestamps.map((t) => ({ signedTimestamp: t.toString('base64') })) } }
        : {}),
    },
    dsseEnvelope: {
      payload: a.envelope.statement.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: a.envelope.signature.toString('base64') }],
    },
  };
  try {
    return parseBundle(json);
  } catch (e) {
    if (!(e instanceof BundleError)) throw e;
    const reason = e.message.replace(/^invalid bundle: /, '');
    if (/tlogEntries/.test(reason)) {
      return conversionError(`cannot convert the attestation: invalid transparency log entry (${reason.replace(/\btlogEntries\[/g, 'transparency_entries[')})`, e);
    }
    return conversionError(`cannot convert the attestation: ${reason}`, e);
  }
}

/**
 * Options for {@link bundleToAttestation}.
 *
 * @example
 * ```ts
 * const options: BundleToAttestationOptions = { dropTimestamps: true };
 * ```
 */
export interface BundleToAttestationOptions {
  /**
   * RFC 3161 timestamps are carried over as the attestation's `timestamps` (the form
   * pypi-attestations 0.0.28+ accepts). With `dropTimestamps: true` they are dropped instead,
   * for consumers that predate them, but only when every log entry has a signed integrated time
   * (so the attestation still verifies); otherwise the bundle is refused.
   */
  dropTimestamps?: boolean;
}

/**
 * The PEP 740 attestation for a Sigstore bundle. The bundle must be a DSSE bundle with an in-toto
 * statement, exactly one signature, a signing certificate (not a managed key) and at least one
 * transparency log entry; its log entries are carried over as they are. Refused with
 * {@link BundleError} (code `ATTESTATION_CONVERSION`) otherwise. Nothing is verified.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs';
 * import { bundleToAttestation, serializeAttestation } from 'sigstore-ts';
 * const attestation = bundleToAttestation(readFileSync('pkg-1.0.tar.gz.sigstore.json', 'utf8'));
 * writeFileSync('pkg-1.0.tar.gz.publish.attestation', serializeAttestation(attestation));
 * ```
 */
export function bundleToAttestation(input: BundleInput, options: BundleToAttestationOptions = {}): Attestation {
  const bundle: ParsedBundle = isParsed(input) ? input : parseBundle(input);
  if (bundle.content.kind !== 'dsseEnvelope') {
    conversionError('cannot convert the bundle: a PEP 740 attestation needs a DSSE envelope (this bundle has a message signature)');
  }
  const env = bundle.content.envelope;
  if (env.signatures.length !== 1) conversionError(`cannot convert the bundle: expected exactly one signature, got ${env.signatures.length}`);
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    conversionError(`cannot convert the bundle: the DSSE payload type is ${JSON.stringify(env.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  if (bundle.material.kind !== 'certificate') conversionError('cannot convert the bundle: it is signed with a managed key, not a certificate');
  if (bundle.tlogEntries.length === 0) conversionError('cannot convert the bundle: it has no transparency log entry');
  const drop = options.dropTimestamps === true && bundle.timestamps.length > 0;
  if (drop && bundle.tlogEntries.some((e) => e.integratedTime === 0n || !e.signedEntryTimestamp)) {
    conversionError('cannot convert the bundle without its RFC 3161 timestamps: its log entries have no signed integrated time to date the signature instead');
  }
  const vm = (bundle.json as unknown as { verificationMaterial: { tlogEntries: JsonObject[] } }).verificationMaterial;
  const timestamps = drop || bundle.timestamps.length === 0 ? undefined : bundle.timestamps.map((t) => Buffer.from(t));
  return {
    version: 1,
    verificationMaterial: {
      certificate: bundle.material.certificate.raw,
      transparencyEntries: vm.tlogEntries.map((e) => structuredClone(e)),
      ...(timestamps ? { timestamps } : {}),
    },
    envelope: { statement: env.payload, signature: env.signatures[0]!.sig },
  };
}

function isParsed(b: BundleInput): b is ParsedBundle {
  return typeof b === 'object' && !Buffer.isBuffer(b) && 'material' in b && 'content' in b && 'version' in b;
}
