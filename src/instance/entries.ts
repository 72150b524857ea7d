/**
 * Rekor entry types: validation of proposed entries (signatures are checked, not echoed) and
 * their canonical bodies, for Rekor v1 (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2) and Rekor
 * v2 (hashedrekord 0.0.2 from rekor-tiles' CreateEntryRequest; no DSSE, as rekor-tiles).
 */
import { createHash, createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { type HashAlgorithm, verifyDigest } from '../lib/signature.js';
import { Certificate } from '../lib/x509.js';
import { supportsFastDigest, verifyEcdsaDigest } from './ecdsa.js';
import { badRequest, canonicalJson, fromB64, fromPem, isObj, objAt, strAt, toPem } from './util.js';

const HASH_LEN: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** DSSE pre-authentication encoding. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const t = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload]);
}

/** The hash a key signs messages with in Sigstore (by curve for ECDSA). */
function naturalHash(key: KeyObject): HashAlgorithm | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  if (key.asymmetricKeyType === 'ec') {
    const c = key.asymmetricKeyDetails?.namedCurve;
    return c === 'secp384r1' ? 'sha384' : c === 'secp521r1' ? 'sha512' : 'sha256';
  }
  return 'sha256';
}

/** Verifies a signature over a precomputed digest (natively assisted for ECDSA). */
async function verifyPrehashed(key: KeyObject, digest: Buffer, sig: Buffer, hash: HashAlgorithm): Promise<boolean> {
  if (supportsFastDigest(key)) return digest.length === HASH_LEN[hash] && verifyEcdsaDigest(key, digest, sig);
  return verifyDigest(key, digest, sig, hash);
}

function verifyMessage(key: KeyObject, data: Buffer, sig: Buffer, hashes: (HashAlgorithm | null)[]): boolean {
  for (const h of hashes) {
    try {
      if (nodeVerify(h, data, key, sig)) return true;
    } catch {
      // wrong key type for this hash: try the next
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Rekor v1

/** A v1 verifier: base64 of a PEM certificate or PEM public key. Returns the key and canonical PEM. */
function v1Verifier(b64pem: unknown, path: string): { key: KeyObject; pem: string } {
  const bytes = fromB64(b64pem, path);
  const blocks = fromPem(bytes.toString('utf8'));
  const block = blocks[0];
  if (!block) badRequest(`${path} must be base64 of a PEM certificate or public key`);
  if (block.label === 'CERTIFICATE') {
    let cert: Certificate;
    try {
      cert = new Certificate(block.der);
    } catch (e) {
      badRequest(`${path} holds a malformed certificate (${(e as Error).message})`);
    }
    try {
      return { key: cert.publicKey, pem: toPem(block.der, 'CERTIFICATE') };
    } catch {
      badRequest(`${path} holds a certificate with an unsupported public key`);
    }
  }
  if (block.label === 'PUBLIC KEY') {
    try {
      const key = createPublicKey({ key: block.der, format: 'der', type: 'spki' });
      return { key, pem: toPem(block.der, 'PUBLIC KEY') };
    } catch {
      badRequest(`${path} holds a malformed public key`);
    }
  }
  return badRequest(`${path} must hold a CERTIFICATE or PUBLIC KEY PEM block, not ${block.label}`);
}

export interface ValidatedEntry {
  kind: string;
  apiVersion: string;
  /** The body object; canonicalized (RFC 8785) it is the log leaf. */
  body: Record<string, unknown>;
}

/** Validates a Rekor v1 proposed entry (`POST /api/v1/log/entries` body). */
export async function validateV1(proposed: unknown): Promise<ValidatedEntry> {
  const p = objAt(proposed, 'the proposed entry');
  const kind = p.kind;
  const apiVersion = p.apiVersion;
  if (typeof kind !== 'string') badRequest('kind is required');
  if (typeof apiVersion !== 'string') badRequest('apiVersion is required');
  const spec = objAt(p.spec, 'spec');
  if (kind === 'hashedrekord') {
    if (apiVersion !== '0.0.1') badRequest(`unsupported hashedrekord apiVersion ${JSON.stringify(apiVersion)} (this log takes 0.0.1)`);
    return hashedRekordV001(spec);
  }
  if (kind === 'dsse') {
    if (apiVersion !== '0.0.1') badRequest(`unsupported dsse apiVersion ${JSON.stringify(apiVersion)} (this log takes 0.0.1)`);
    return dsseV001(spec);
  }
  if (kind === 'intoto') {
    if (apiVersion !== '0.0.2') badRequest(`unsupported intoto apiVersion ${JSON.stringify(apiVersion)} (this log takes 0.0.2)`);
    return intotoV002(spec);
  }
  return badRequest(`unsupported entry kind ${JSON.stringify(kind)} (this log takes hashedrekord, dsse and intoto)`);
}

async function hashedRekordV001(spec: Record<string, unknown>): Promise<ValidatedEntry> {
  const hash = objAt(objAt(spec.data, 'spec.data').hash, 'spec.data.hash');
  const algorithm = strAt(hash.algorithm, 'spec.data.hash.algorithm');
  if (!['sha256', 'sha384', 'sha512'].includes(algorithm)) badRequest(`spec.data.hash.algorithm ${JSON.stringify(algorithm)} is not sha256, sha384 or sha512`);
  const alg = algorithm as HashAlgorithm;
  const value = strAt(hash.value, 'spec.data.hash.value');
  if (!new RegExp(`^[0-9a-fA-F]{${HASH_LEN[alg] * 2}}$`).test(value)) badRequest(`spec.data.hash.value is not a hex ${algorithm} digest`);
  const signature = objAt(spec.signature, 'spec.signature');
  const sig = fromB64(signature.content, 'spec.signature.content');
  const { key, pem } = v1Verifier(objAt(signature.publicKey, 'spec.signature.publicKey').content, 'spec.signature.publicKey.content');
  if (key.asymmetricKeyType === 'ed25519') badRequest('ed25519 keys cannot verify a signature over a prehashed digest');
  const digest = Buffer.from(value, 'hex');
  if (!(await verifyPrehashed(key, digest, sig, alg))) badRequest('spec.signature.content does not verify over spec.data.hash with spec.signature.publicKey');
  return {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    body: {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm, value: value.toLowerCase() } },
        signature: { content: sig.toString('base64'), publicKey: { content: Buffer.from(pem).toString('base64') } },
      },
    },
  };
}

interface Envelope {
  payloadType: string;
  payload: Buffer;
  signatures: { sig: Buffer; sigB64: string; keyid: string }[];
}

function parseEnvelopeJson(text: string, path: string): Envelope {
  let env: unknown;
  try {
    env = JSON.parse(text);
  } catch {
    badRequest(`${path} is not valid JSON`);
  }
  const e = objAt(env, path);
  if (typeof e.payloadType !== 'string') badRequest(`${path}.payloadType is required`);
  const payload = fromB64(e.payload, `${path}.payload`, { allowEmpty: true });
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) badRequest(`${path}.signatures must be a non-empty array`);
  const signatures = (e.signatures as unknown[]).map((s, i) => {
    const so = objAt(s, `${path}.signatures[${i}]`);
    const sig = fromB64(so.sig, `${path}.signatures[${i}].sig`);
    return { sig, sigB64: sig.toString('base64'), keyid: typeof so.keyid === 'string' ? so.keyid : '' };
  });
  return { payloadType: e.payloadType as string, payload, signatures };
}

async function dsseV001(spec: Record<string, unknown>): Promise<ValidatedEntry> {
  if (spec.envelopeHash !== undefined || spec.payloadHash !== undefined || spec.signatures !== undefined) {
    badRequest('spec must hold only proposedContent; envelopeHash, payloadHash and signatures are computed by the log');
  }
  const pc = objAt(spec.proposedContent, 'spec.proposedContent');
  const envelopeText = strAt(pc.envelope, 'spec.proposedContent.envelope');
  const env = parseEnvelopeJson(envelopeText, 'spec.proposedContent.envelope');
  if (!Array.isArray(pc.verifiers) || pc.verifiers.length === 0) badRequest('spec.proposedContent.verifiers must be a non-empty array');
  const verifiers = (pc.verifiers as unknown[]).map((v, i) => v1Verifier(v, `spec.proposedContent.verifiers[${i}]`));
  const data = pae(env.payloadType, env.payload);
  const signatures: { signature: string; verifier: string }[] = [];
  for (const [i, s] of env.signatures.entries()) {
    const v = verifiers.find((ver) => verifyMessage(ver.key, data, s.sig, [naturalHash(ver.key), 'sha256']));
    if (!v) badRequest(`envelope signature ${i} does not verify with any of the verifiers`);
    signatures.push({ signature: s.sigB64, verifier: Buffer.from(v.pem).toString('base64') });
  }
  signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  return {
    kind: 'dsse',
    apiVersion: '0.0.1',
    body: {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha(envelopeText) },
        payloadHash: { algorithm: 'sha256', value: sha(env.payload) },
        signatures,
      },
    },
  };
}

/**
 * intoto 0.0.2 (sigstore-js's `attest` and legacy signing): the envelope with its payload and
 * signature base64-encoded twice and, per signature, the PEM key or certificate (base64). As
 * Rekor, the log computes the payload hash and the envelope hash (canonical JSON of the envelope
 * with single-encoded payload and signature, the PEM and any key ID), refuses given hashes that
 * differ, and keeps the payload out of the body.
 */
async function intotoV002(spec: Record<string, unknown>): Promise<ValidatedEntry> {
  const content = objAt(spec.content, 'spec.content');
  const env = objAt(content.envelope, 'spec.content.envelope');
  const payloadType = strAt(env.payloadType, 'spec.content.envelope.payloadType');
  const payloadB64 = fromB64(env.payload, 'spec.content.envelope.payload').toString('utf8');
  const payload = fromB64(payloadB64, 'spec.content.envelope.payload (decoded)', { allowEmpty: true });
  if (!Array.isArray(env.signatures) || env.signatures.length !== 1) badRequest('spec.content.envelope.signatures must hold exactly one signature');
  const so = objAt(env.signatures[0], 'spec.content.envelope.signatures[0]');
  const sigB64 = fromB64(so.sig, 'spec.content.envelope.signatures[0].sig').toString('utf8');
  const sig = fromB64(sigB64, 'spec.content.envelope.signatures[0].sig (decoded)');
  const v = v1Verifier(so.publicKey, 'spec.content.envelope.signatures[0].publicKey');
  const keyid = so.keyid === undefined || so.keyid === '' ? undefined : strAt(so.keyid, 'spec.content.envelope.signatures[0].keyid');
  if (!verifyMessage(v.key, pae(payloadType, payload), sig, [naturalHash(v.key), 'sha256'])) {
    badRequest('spec.content.envelope.signatures[0].sig does not verify over the envelope with its publicKey');
  }
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const pemText = Buffer.from(so.publicKey as string, 'base64').toString('utf8');
  const envelopeForHash = { payloadType, payload: payload.toString('base64'), signatures: [{ sig: sig.toString('base64'), publicKey: pemText, ...(keyid ? { keyid } : {}) }] };
  const hashes = { hash: sha(await canonicalJson(envelopeForHash)), payloadHash: sha(payload) };
  for (const f of ['hash', 'payloadHash'] as const) {
    if (content[f] === undefined) continue;
    const h = objAt(content[f], `spec.content.${f}`);
    if (h.algorithm !== 'sha256' || typeof h.value !== 'string' || h.value.toLowerCase() !== hashes[f]) {
      badRequest(`spec.content.${f} is not the sha256 of the ${f === 'hash' ? 'envelope' : 'payload'}`);
    }
  }
  const signature: Record<string, unknown> = { sig: so.sig as string, publicKey: so.publicKey as string };
  if (keyid) signature.keyid = keyid;
  return {
    kind: 'intoto',
    apiVersion: '0.0.2',
    body: {
      apiVersion: '0.0.2',
      kind: 'intoto',
      spec: {
        content: {
          envelope: { payloadType, signatures: [signature] },
          hash: { algorithm: 'sha256', value: hashes.hash },
          payloadHash: { algorithm: 'sha256', value: hashes.payloadHash },
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rekor v2

/**
 * The signing algorithms rekor-tiles accepts by default (since August 2026 without pure Ed25519,
 * which cannot sign the prehashed digest of a hashedrekord entry). Ed25519ph is also accepted by
 * rekor-tiles, but not by this instance (node:crypto cannot verify it).
 */
const KEY_DETAILS: Record<string, { check: (k: KeyObject) => boolean; hash: HashAlgorithm; bodyHash: string }> = {
  PKIX_ECDSA_P256_SHA_256: { check: (k) => k.asymmetricKeyDetails?.namedCurve === 'prime256v1', hash: 'sha256', bodyHash: 'SHA2_256' },
  PKIX_ECDSA_P384_SHA_384: { check: (k) => k.asymmetricKeyDetails?.namedCurve === 'secp384r1', hash: 'sha384', bodyHash: 'SHA2_384' },
  PKIX_ECDSA_P521_SHA_512: { check: (k) => k.asymmetricKeyDetails?.namedCurve === 'secp521r1', hash: 'sha512', bodyHash: 'SHA2_512' },
  PKIX_RSA_PKCS1V15_2048_SHA256: { check: (k) => k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 2048, hash: 'sha256', bodyHash: 'SHA2_256' },
  PKIX_RSA_PKCS1V15_3072_SHA256: { check: (k) => k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 3072, hash: 'sha256', bodyHash: 'SHA2_256' },
  PKIX_RSA_PKCS1V15_4096_SHA256: { check: (k) => k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 4096, hash: 'sha256', bodyHash: 'SHA2_256' },
};

interface V2Verifier {
  key: KeyObject;
  keyDetails: string;
  /** The verifier as it goes into the body (protobuf JSON). */
  json: Record<string, unknown>;
}

function v2Verifier(v: unknown, path: string): V2Verifier {
  const o = objAt(v, path);
  const keyDetails = strAt(o.keyDetails, `${path}.keyDetails`);
  const details = KEY_DETAILS[keyDetails];
  if (keyDetails === 'PKIX_ED25519') {
    badRequest(`${path}.keyDetails PKIX_ED25519 is not allowed: this log does not accept pure Ed25519 signatures (hashedrekord entries are signed over a digest); use ECDSA P-256, P-384 or P-521, or RSA`);
  }
  if (!details) badRequest(`${path}.keyDetails ${JSON.stringify(keyDetails)} is not an allowed signing algorithm (allowed: ${Object.keys(KEY_DETAILS).join(', ')})`);
  let key: KeyObject;
  let json: Record<string, unknown>;
  if (isObj(o.publicKey) && o.x509Certificate === undefined) {
    const raw = fromB64(o.publicKey.rawBytes, `${path}.publicKey.rawBytes`);
    try {
      key = createPublicKey({ key: raw, format: 'der', type: 'spki' });
    } catch {
      badRequest(`${path}.publicKey.rawBytes is not a DER SubjectPublicKeyInfo`);
    }
    json = { publicKey: { rawBytes: raw.toString('base64') }, keyDetails };
  } else if (isObj(o.x509Certificate) && o.publicKey === undefined) {
    const raw = fromB64(o.x509Certificate.rawBytes, `${path}.x509Certificate.rawBytes`);
    try {
      key = new Certificate(raw).publicKey;
    } catch {
      badRequest(`${path}.x509Certificate.rawBytes is not a DER certificate`);
    }
    json = { x509Certificate: { rawBytes: raw.toString('base64') }, keyDetails };
  } else {
    return badRequest(`${path} must hold exactly one of publicKey and x509Certificate`);
  }
  if (!details.check(key)) badRequest(`${path}.keyDetails ${keyDetails} does not match the ${key.asymmetricKeyType} key`);
  return { key, keyDetails, json };
}

/**
 * Validates a rekor-tiles CreateEntryRequest (`POST /api/v2/log/entries` body). Rekor v2 takes
 * hashedrekord entries only: a `dsseRequestV002` is refused (400), as rekor-tiles does since it
 * dropped DSSE entries; clients log a DSSE envelope as a hashedrekord over the hash of its PAE.
 */
export async function validateV2(request: unknown): Promise<ValidatedEntry> {
  const r = objAt(request, 'the request');
  const keys = Object.keys(r);
  if (keys.length !== 1) badRequest('the request must hold exactly one hashedRekordRequestV002');
  if (r.dsseRequestV002 !== undefined) {
    badRequest(
      'dsseRequestV002 is not supported: this log takes hashedrekord entries only; log a DSSE envelope as a hashedRekordRequestV002 over the digest of its PAE, with the envelope signature',
    );
  }
  if (isObj(r.hashedRekordRequestV002)) return hashedRekordV002(r.hashedRekordRequestV002);
  return badRequest(`unsupported request ${JSON.stringify(keys[0])} (use hashedRekordRequestV002)`);
}

async function hashedRekordV002(req: Record<string, unknown>): Promise<ValidatedEntry> {
  const path = 'hashedRekordRequestV002';
  const digest = fromB64(req.digest, `${path}.digest`);
  const signature = objAt(req.signature, `${path}.signature`);
  const sig = fromB64(signature.content, `${path}.signature.content`);
  const v = v2Verifier(signature.verifier, `${path}.signature.verifier`);
  const details = KEY_DETAILS[v.keyDetails]!;
  const hash = details.hash;
  if (digest.length !== HASH_LEN[hash]) badRequest(`${path}.digest must be a ${hash} digest (${HASH_LEN[hash]} bytes) for ${v.keyDetails}`);
  if (!(await verifyPrehashed(v.key, digest, sig, hash))) badRequest(`${path}.signature does not verify over the digest with the verifier's key`);
  return {
    kind: 'hashedrekord',
    apiVersion: '0.0.2',
    body: {
      apiVersion: '0.0.2',
      kind: 'hashedrekord',
      spec: {
        hashedRekordV002: {
          data: { algorithm: details.bodyHash, digest: digest.toString('base64') },
          signature: { content: sig.toString('base64'), verifier: v.json },
        },
      },
    },
  };
}
