/**
 * Inspection: what a Sigstore bundle, a PEP 740 attestation or a PyPI provenance object
 * contains (statement, predicate type, subjects, signer identity and certificate extensions, log
 * entries, timestamps), as a plain JSON-ready model. Inspecting verifies NOTHING: every value is
 * what the document claims. Each part is read on its own, so one malformed part is reported
 * without hiding the rest.
 */
import { type ParsedBundle, parseBundle } from '../bundle/parse.js';
import { BundleError } from '../errors.js';
import { parseTimeStampToken } from '../lib/cms.js';
import { Der, Tag } from '../lib/der.js';
import { isObject, type JsonObject } from '../lib/json.js';
import type { Certificate } from '../lib/x509.js';
import { type Attestation, parseAttestation } from '../pypi/attestation.js';
import { attestationToBundle } from '../pypi/convert.js';
import { parseProvenance } from '../pypi/provenance.js';
import { describePublisher } from '../pypi/publisher.js';
import { FULCIO_EXTENSIONS } from '../verify/extensions.js';
import type { BundleInput } from '../verify/verifier.js';
import { certificateSummary, describeKey, FULCIO_ARC, FULCIO_NAMES, HASH_NAMES, hexSerial, renderDN, X509_NAMES } from './names.js';
import {
  type BundleInspection,
  type InspectedCertificate,
  type InspectedContent,
  type InspectedExtension,
  type InspectedSigner,
  type InspectedStatement,
  type InspectedSubject,
  type InspectedTimestamp,
  type InspectedTlogEntry,
  type Inspection,
  NOT_VERIFIED_NOTICE,
} from './types.js';

export { renderDN } from './names.js';
export * from './types.js';

function inspectExtension(ext: Certificate['extensions'][number]): InspectedExtension {
  if (ext.oid.startsWith(FULCIO_ARC)) {
    const n = Number(ext.oid.slice(FULCIO_ARC.length));
    const name = FULCIO_NAMES[n];
    if (name) {
      let value: string;
      try {
        value = n <= 6 ? ext.value.toString('utf8') : Der.parse(ext.value).expect(Tag.UTF8_STRING, name).string();
      } catch {
        value = `(malformed: ${ext.value.toString('hex')})`;
      }
      return { oid: ext.oid, name, field: FULCIO_EXTENSIONS[n], critical: ext.critical, value };
    }
  }
  return { oid: ext.oid, name: X509_NAMES[ext.oid] ?? 'unknown extension', critical: ext.critical };
}

function inspectCertificate(cert: Certificate, chain: Certificate[]): InspectedCertificate {
  const extensions = cert.extensions.map(inspectExtension);
  let sans: { type: string; value: string }[];
  try {
    sans = cert.subjectAltNames.map((s) => ({ type: s.type, value: s.value }));
  } catch {
    sans = [{ type: 'malformed', value: '(the SubjectAltName extension cannot be read)' }];
  }
  const issuerV2 = extensions.find((e) => e.oid === `${FULCIO_ARC}8`)?.value;
  const issuerV1 = extensions.find((e) => e.oid === `${FULCIO_ARC}1`)?.value;
  return {
    subjectAltNames: sans,
    oidcIssuer: issuerV2 ?? issuerV1 ?? null,
    ...certificateSummary(cert),
    publicKey: describeKey(cert),
    extensions,
    chain: chain.map((c) => renderDN(c.subjectRaw)),
  };
}

function inspectStatement(payload: Buffer): { statement: InspectedStatement | null; statementError?: string } {
  let st: unknown;
  try {
    st = JSON.parse(payload.toString('utf8'));
  } catch {
    return { statement: null, statementError: 'the payload is not JSON' };
  }
  if (!isObject(st)) return { statement: null, statementError: 'the payload is not a JSON object' };
  const subjects = Array.isArray(st.subject)
    ? st.subject.map((s): InspectedSubject => {
        const o = isObject(s) ? s : {};
        const digest: Record<string, string> = {};
        if (isObject(o.digest)) for (const [k, v] of Object.entries(o.digest)) digest[k] = String(v);
        return { name: typeof o.name === 'string' ? o.name : null, digest };
      })
    : [];
  return {
    statement: {
      type: typeof st._type === 'string' ? st._type : null,
      predicateType: typeof st.predicateType === 'string' ? st.predicateType : null,
      subjects,
      predicate: st.predicate === undefined ? null : st.predicate,
    },
  };
}

function bodySummary(body: Buffer): InspectedTlogEntry['body'] {
  let b: unknown;
  try {
    b = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(b)) return null;
  const hashes: Record<string, string> = {};
  const walk = (v: unknown, path: string, depth: number): void => {
    if (!isObject(v) || depth > 6) return;
    if (typeof v.algorithm === 'string' && typeof v.value === 'string' && /^[0-9a-fA-F]+$/.test(v.value)) {
      hashes[path] = `${v.algorithm.toLowerCase()}:${v.value}`;
      return;
    }
    // Rekor v2 (protobuf JSON): { algorithm: "SHA2_256", digest: base64 }.
    if (typeof v.algorithm === 'string' && typeof v.digest === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(v.digest)) {
      const alg = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' }[v.algorithm] ?? v.algorithm.toLowerCase();
      hashes[path] = `${alg}:${Buffer.from(v.digest, 'base64').toString('hex')}`;
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(b.spec, '', 0);
  return { apiVersion: typeof b.apiVersion === 'string' ? b.apiVersion : null, kind: typeof b.kind === 'string' ? b.kind : null, hashes };
}

function inspectTimestamp(der: Buffer): InspectedTimestamp {
  try {
    const t = parseTimeStampToken(der);
    let authority: string | null = null;
    const tsa = t.tstInfo.tsa;
    if (tsa?.tag === 0xa4) authority = renderDN(tsa.inner().raw);
    else if (tsa) authority = tsa.value.toString('utf8');
    else if (t.signedData.certificates[0]) authority = renderDN(t.signedData.certificates[0].subjectRaw);
    return {
      genTime: t.tstInfo.genTime.toISOString(),
      serial: hexSerial(t.tstInfo.serialNumber),
      policy: t.tstInfo.policy,
      hashAlgorithm: HASH_NAMES[t.tstInfo.messageImprint.hashAlgorithm.oid] ?? t.tstInfo.messageImprint.hashAlgorithm.oid,
      authority,
    };
  } catch (e) {
    return { error: `unreadable RFC 3161 timestamp (${(e as Error).message})` };
  }
}

function checkpointOrigin(note: string | undefined): string | null {
  if (!note) return null;
  return note.split('\n')[0] ?? null;
}

function fromParsed(bundle: ParsedBundle, format: 'bundle' | 'attestation'): BundleInspection {
  let content: InspectedContent;
  if (bundle.content.kind === 'dsseEnvelope') {
    const env = bundle.content.envelope;
    content = {
      kind: 'dsseEnvelope',
      payloadType: env.payloadType,
      payloadSize: env.payload.length,
      signatures: env.signatures.length,
      ...inspectStatement(env.payload),
    };
  } else {
    const ms = bundle.content;
    content = {
      kind: 'messageSignature',
      digest: ms.digest ? { algorithm: ms.digest.algorithm, value: ms.digest.value.toString('hex') } : null,
      signatureSize: ms.signature.length,
    };
  }
  const mat = bundle.material;
  const signer: InspectedSigner =
    mat.kind === 'certificate' ? { kind: 'certificate', ...inspectCertificate(mat.certificate, mat.chain) } : { kind: 'publicKey', hint: mat.hint };
  return {
    format,
    verified: false,
    notice: NOT_VERIFIED_NOTICE,
    mediaType: bundle.mediaType,
    bundleVersion: bundle.version,
    content,
    signer,
    tlogEntries: bundle.tlogEntries.map((e) => ({
      logIndex: e.logIndex.toString(),
      logId: e.logId.toString('base64'),
      kind: e.kind,
      version: e.version,
      integratedTime: e.integratedTime > 0n ? new Date(Number(e.integratedTime) * 1000).toISOString() : null,
      inclusionPromise: e.signedEntryTimestamp !== undefined,
      inclusionProof: e.inclusionProof
        ? {
            logIndex: e.inclusionProof.logIndex.toString(),
            treeSize: e.inclusionProof.treeSize.toString(),
            rootHash: e.inclusionProof.rootHash.toString('hex'),
            hashes: e.inclusionProof.hashes.length,
            checkpointOrigin: checkpointOrigin(e.inclusionProof.checkpoint),
          }
        : null,
      body: bodySummary(e.canonicalizedBody),
    })),
    timestamps: bundle.timestamps.map(inspectTimestamp),
  };
}

function isParsed(b: BundleInput): b is ParsedBundle {
  return typeof b === 'object' && !Buffer.isBuffer(b) && 'material' in b && 'content' in b && 'version' in b;
}

/**
 * Inspects a Sigstore bundle (JSON text, bytes, object or parsed bundle). The bundle must be
 * structurally valid (else {@link BundleError}); nothing is verified.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { inspectBundle, renderInspection } from 'sigstore-ts/inspect';
 * process.stdout.write(renderInspection(inspectBundle(readFileSync('a.txt.sigstore.json'))));
 * ```
 */
export function inspectBundle(input: BundleInput): BundleInspection {
  return fromParsed(isParsed(input) ? input : parseBundle(input), 'bundle');
}

/**
 * Inspects a PEP 740 attestation (through the bundle it converts to). Nothing is verified.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { inspectAttestation, parseAttestation } from 'sigstore-ts/inspect';
 * const i = inspectAttestation(parseAttestation(readFileSync('pkg-1.0.tar.gz.publish.attestation')));
 * console.log(i.content.kind === 'dsseEnvelope' ? i.content.statement?.predicateType : undefined);
 * ```
 */
export function inspectAttestation(a: Attestation): BundleInspection {
  return { ...fromParsed(attestationToBundle(a), 'attestation'), attestationVersion: a.version };
}

/**
 * Inspects a document, telling a Sigstore bundle (`mediaType`), a PEP 740 attestation
 * (`verification_material` and `envelope`) and a PyPI provenance object (`attestation_bundles`)
 * apart by their fields. Throws {@link BundleError} for anything else.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { inspectDocument, renderInspection } from 'sigstore-ts/inspect';
 * process.stdout.write(renderInspection(inspectDocument(readFileSync('pkg-1.0.tar.gz.publish.attestation'))));
 * ```
 */
export function inspectDocument(input: string | Buffer | JsonObject): Inspection {
  let json: unknown = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      json = JSON.parse(input.toString('utf8'));
    } catch (e) {
      throw new BundleError('DOCUMENT_INVALID', `not a bundle, attestation or provenance: the file is not JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(json)) throw new BundleError('DOCUMENT_INVALID', 'not a bundle, attestation or provenance: the file is not a JSON object');
  if ('mediaType' in json) return inspectBundle(json);
  if ('attestation_bundles' in json) {
    const p = parseProvenance(json);
    const raw = json.attestation_bundles as JsonObject[];
    return {
      format: 'provenance',
      verified: false,
      notice: NOT_VERIFIED_NOTICE,
      version: p.version,
      attestationBundles: p.attestationBundles.map((b, i) => ({
        publisher: describePublisher(b.publisher),
        publisherJson: raw[i]!.publisher as JsonObject,
        attestations: b.attestations.map(inspectAttestation),
      })),
    };
  }
  if ('verification_material' in json || 'envelope' in json) return inspectAttestation(parseAttestation(json));
  throw new BundleError(
    'DOCUMENT_INVALID',
    'not a bundle, attestation or provenance: expected a Sigstore bundle (mediaType), a PEP 740 attestation (verification_material, envelope) or a PyPI provenance (attestation_bundles)',
  );
}
