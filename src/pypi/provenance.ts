/**
 * The PyPI provenance object (PEP 740, as served by PyPI's integrity API): version 1 and
 * `attestation_bundles`, each a Trusted Publisher with the attestations it published.
 */
import { BundleError } from '../errors.js';
import { arr, type Fail, type JsonObject, obj, parseJson } from '../lib/json.js';
import { type Attestation, attestationFromJson, attestationToJson } from './attestation.js';
import { type Publisher, publisherFromJson, publisherToJson } from './publisher.js';

/**
 * One publisher and the attestations it made for a distribution.
 *
 * @example
 * ```ts
 * const b: AttestationBundle = { publisher: { kind: 'GitHub', repository: 'org/repo', workflow: 'release.yml' }, attestations: [attestation] };
 * ```
 */
export interface AttestationBundle {
  publisher: Publisher;
  attestations: Attestation[];
}

/**
 * A PyPI provenance object.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseProvenance } from 'sigstore-ts/pypi';
 * const p: Provenance = parseProvenance(readFileSync('pkg-1.0.tar.gz.provenance', 'utf8'));
 * for (const b of p.attestationBundles) console.log(b.publisher.kind, b.attestations.length);
 * ```
 */
export interface Provenance {
  version: 1;
  attestationBundles: AttestationBundle[];
}

const fail: Fail = (m: string) => {
  throw new BundleError('PROVENANCE_INVALID', `invalid provenance: ${m}`);
};

/**
 * Parses a PyPI provenance object from JSON text (or an already-parsed object) and checks its
 * shape, including every attestation's and publisher's. Throws {@link BundleError} (code
 * `PROVENANCE_INVALID`) naming the bad field.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseProvenance } from 'sigstore-ts/pypi';
 * const provenance = parseProvenance(readFileSync('pkg-1.0.tar.gz.provenance'));
 * ```
 */
export function parseProvenance(input: string | Buffer | JsonObject): Provenance {
  const json = typeof input === 'string' || Buffer.isBuffer(input) ? parseJson(input.toString('utf8'), 'the provenance', fail) : input;
  const o = obj(json, 'the provenance', fail);
  if (o.version !== 1) fail(`version must be 1 (is ${JSON.stringify(o.version ?? null)})`);
  if (!Array.isArray(o.attestation_bundles)) fail('attestation_bundles must be an array');
  const attestationBundles = arr(o.attestation_bundles, 'attestation_bundles', fail).map((b, i) => {
    const p = `attestation_bundles[${i}]`;
    const bo = obj(b, p, fail);
    if (!Array.isArray(bo.attestations)) fail(`${p}.attestations must be an array`);
    return {
      publisher: publisherFromJson(bo.publisher, `${p}.publisher`, fail),
      attestations: (bo.attestations as unknown[]).map((a, j) => attestationFromJson(a, `${p}.attestations[${j}]`, fail)),
    };
  });
  return { version: 1, attestationBundles };
}

/** A JSON value with every object's keys sorted (as PyPI's integrity API serves provenance). */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as JsonObject)[k])]),
    );
  }
  return v;
}

/**
 * Serialises a provenance object to compact JSON in PyPI's shape (keys sorted, as PyPI's
 * integrity API serves it).
 *
 * @example
 * ```ts
 * import { serializeProvenance } from 'sigstore-ts/pypi';
 * const text = serializeProvenance({ version: 1, attestationBundles: [{ publisher, attestations: [attestation] }] });
 * ```
 */
export function serializeProvenance(p: Provenance): string {
  return JSON.stringify(
    sorted({
      attestation_bundles: p.attestationBundles.map((b) => ({
        attestations: b.attestations.map((a) => attestationToJson(a)),
        publisher: publisherToJson(b.publisher),
      })),
      version: p.version,
    }),
  );
}
