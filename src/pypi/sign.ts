/**
 * Signing PEP 740 attestations: an in-toto v1 statement whose one subject is the distribution
 * (its file name and sha256 digest), with the PyPI publish predicate or SLSA provenance v1,
 * signed as a DSSE envelope by the {@link Signer}, and converted to the attestation form (with the
 * bundle's RFC 3161 timestamps, which Rekor v2 entries need). Each attestation is verified again
 * in that form before it is returned. PyPI verifies ECDSA P-256 (SHA-256) signatures only.
 */
import { UsageError } from '../errors.js';
import type { JsonObject } from '../lib/json.js';
import { OwnCertificate, type Signer } from '../sign/signer.js';
import { Verifier } from '../verify/verifier.js';
import { ATTESTATION_TYPES, type Attestation, PYPI_PUBLISH_V1, SLSA_PROVENANCE_V1 } from './attestation.js';
import { bundleToAttestation } from './convert.js';
import type { Distribution } from './distribution.js';
import { verifyAttestation } from './verify.js';

/**
 * What to attest about distributions: the predicate type (default the PyPI publish predicate)
 * and, for SLSA provenance, the predicate.
 *
 * @example
 * ```ts
 * const publish: AttestationSignOptions = {};
 * const slsa: AttestationSignOptions = { predicateType: 'https://slsa.dev/provenance/v1', predicate: slsaPredicate };
 * ```
 */
export interface AttestationSignOptions {
  /** `https://docs.pypi.org/attestations/publish/v1` (default) or `https://slsa.dev/provenance/v1`. */
  predicateType?: string;
  /** The predicate: required for SLSA provenance (checked field by field); none for publish. */
  predicate?: JsonObject;
  /** Told each distribution's index as it is signed, and how many are done (a progress line). */
  onSigned?: (index: number, done: number) => void;
}

/**
 * The in-toto v1 statement (JSON bytes, as signed) attesting to one distribution: its file name
 * and sha256 digest as the only subject. The publish predicate is an empty object. Throws
 * {@link UsageError} for a predicate type PyPI does not know, or a missing or invalid predicate.
 *
 * @example
 * ```ts
 * import { Distribution, distributionStatement } from 'sigstore-ts/pypi';
 * const payload = distributionStatement(await Distribution.fromFile('dist/pkg-1.0.tar.gz'));
 * console.log(JSON.parse(payload.toString()).subject); // [{ name: 'pkg-1.0.tar.gz', digest: { sha256: '...' } }]
 * ```
 */
export async function distributionStatement(dist: Distribution, options: AttestationSignOptions = {}): Promise<Buffer> {
  const predicateType = options.predicateType ?? PYPI_PUBLISH_V1;
  if (!ATTESTATION_TYPES.includes(predicateType)) {
    throw new UsageError('PREDICATE_TYPE_UNKNOWN', `PyPI does not know the predicate type ${JSON.stringify(predicateType)} (use ${ATTESTATION_TYPES.join(' or ')})`);
  }
  let predicate: JsonObject;
  if (predicateType === PYPI_PUBLISH_V1) {
    if (options.predicate !== undefined && Object.keys(options.predicate).length > 0) {
      throw new UsageError('PREDICATE_INVALID', 'the PyPI publish predicate is empty: give no predicate with it');
    }
    predicate = {};
  } else {
    if (options.predicate === undefined) throw new UsageError('PREDICATE_INVALID', `a ${SLSA_PROVENANCE_V1} attestation needs a predicate`);
    const { validatePredicate } = await import('../bundle/intoto.js');
    predicate = validatePredicate(predicateType, options.predicate, 'the SLSA provenance predicate');
  }
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: dist.name, digest: { sha256: dist.digest } }],
    predicateType,
    predicate,
  };
  return Buffer.from(JSON.stringify(statement), 'utf8');
}

/**
 * Refuses, before any request, a signer whose key PyPI cannot verify: PyPI checks PEP 740
 * attestations signed with ECDSA P-256 and SHA-256 only.
 */
function checkPyPIKeyType(signer: Signer): void {
  if (signer.keyType !== 'p256') {
    throw new UsageError(
      'KEY_TYPE_UNSUPPORTED',
      `PyPI verifies attestations signed with ECDSA P-256 and SHA-256 only, not ${signer.keyType === 'p384' ? 'P-384' : 'Ed25519'} keys; use p256 (the default key type)`,
    );
  }
}

/**
 * Signs PEP 740 attestations for distributions, with one signing certificate, concurrently.
 * Each attestation is checked to verify on its own (with Rekor v2, its RFC 3161 timestamps date
 * it: the `timestamps` form pypi-attestations 0.0.28+ accepts).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { Distribution, serializeAttestation, signAttestations } from 'sigstore-ts/pypi';
 * const dists = [await Distribution.fromFile('dist/pkg-1.0.tar.gz'), await Distribution.fromFile('dist/pkg-1.0-py3-none-any.whl')];
 * const attestations = await signAttestations(signer, dists);
 * attestations.forEach((a, i) => writeFileSync(`dist/${dists[i]!.name}.publish.attestation`, serializeAttestation(a)));
 * ```
 */
export async function signAttestations(signer: Signer, dists: Distribution[], options: AttestationSignOptions = {}): Promise<Attestation[]> {
  checkPyPIKeyType(signer);
  const payloads = await Promise.all(dists.map((d) => distributionStatement(d, options)));
  if (payloads.length === 0) return [];
  const bundles = await signer.attestMany(payloads, options.onSigned);
  const verifier = new Verifier(signer.trustedRoot);
  return Promise.all(
    bundles.map(async (b, i) => {
      const attestation: Attestation = bundleToAttestation(b as unknown as JsonObject);
      await verifyAttestation(verifier, attestation, dists[i]!, new OwnCertificate(attestation.verificationMaterial.certificate));
      return attestation;
    }),
  );
}

/**
 * Signs one PEP 740 attestation for a distribution (see {@link signAttestations}).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { Distribution, serializeAttestation, signAttestation } from 'sigstore-ts/pypi';
 * const dist = await Distribution.fromFile('dist/pkg-1.0.tar.gz');
 * writeFileSync('dist/pkg-1.0.tar.gz.publish.attestation', serializeAttestation(await signAttestation(signer, dist)));
 * ```
 */
export async function signAttestation(signer: Signer, dist: Distribution, options: AttestationSignOptions = {}): Promise<Attestation> {
  return (await signAttestations(signer, [dist], options))[0]!;
}
