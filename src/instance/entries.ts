/**
 * Rekor entry types: validation of proposed entries (signatures are checked, not echoed) and
 * their canonical bodies, for Rekor v1 (hashedrekord 0.0.1, dsse 0.0.1) and Rekor v2
 * (hashedrekord 0.0.2, dsse 0.0.2 from rekor-tiles' CreateEntryRequest).
 */
import { createHash, createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { type HashAlgorithm, verifyDigest } from '../lib/signature.js';
import { Certificate } from '../lib/x509.js';
import { supportsFastDigest, verifyEcdsaDigest } from './ecdsa.js';
import { badRequest, fromB64, fromPem, isObj, objAt, strAt, toPem } from './util.js';

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
  return badRequest(`unsupported entry kind ${JSON.stringify(kind)} (this log takes hashedrekord and dsse)`);
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

// ---------------------------------------------------------------------------------------------
// Rekor v2

const KEY_DETAILS: Record<string, { check: (k: KeyObject) => boolean; hash: HashAlgorithm | null; bodyHash: string }> = {
  PKIX_ECDSA_P256_SHA_256: { check: (k) => k.asymmetricKeyDetails?.namedCurve === 'prime256v1', hash: 'sha256', bodyHash: 'SHA2_256' },
  PKIX_ECDSA_P384_SHA_384: { check: (k) => k.asymmetricKeyDetails?.namedCurve === 'secp384r1', hash: 'sha384', bodyHash: 'SHA2_384' },
  PKIX_ECDSA_P521_SHA_512: { check: (k) => k.asymmetricKeyDetails?.namedCurve === 'secp521r1', hash: 'sha512', bodyHash: 'SHA2_512' },
  PKIX_RSA_PKCS1V15_2048_SHA256: { check: (k) => k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 2048, hash: 'sha256', bodyHash: 'SHA2_256' },
  PKIX_RSA_PKCS1V15_3072_SHA256: { check: (k) => k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 3072, hash: 'sha256', bodyHash: 'SHA2_256' },
  PKIX_RSA_PKCS1V15_4096_SHA256: { check: (k) => k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 4096, hash: 'sha256', bodyHash: 'SHA2_256' },
  PKIX_ED25519: { check: (k) => k.asymmetricKeyType === 'ed25519', hash: null, bodyHash: 'SHA2_512' },
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
  if (!details) badRequest(`${path}.keyDetails ${JSON.stringify(keyDetails)} is not supported`);
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

/** Validates a rekor-tiles CreateEntryRequest (`POST /api/v2/log/entries` body). */
export async function validateV2(request: unknown): Promise<ValidatedEntry> {
  const r = objAt(request, 'the request');
  const keys = Object.keys(r);
  if (keys.length !== 1) badRequest('the request must hold exactly one of hashedRekordRequestV002 and dsseRequestV002');
  if (isObj(r.hashedRekordRequestV002)) return hashedRekordV002(r.hashedRekordRequestV002);
  if (isObj(r.dsseRequestV002)) return dsseV002(r.dsseRequestV002);
  return badRequest(`unsupported request ${JSON.stringify(keys[0])} (use hashedRekordRequestV002 or dsseRequestV002)`);
}

async function hashedRekordV002(req: Record<string, unknown>): Promise<ValidatedEntry> {
  const path = 'hashedRekordRequestV002';
  const digest = fromB64(req.digest, `${path}.digest`);
  const signature = objAt(req.signature, `${path}.signature`);
  const sig = fromB64(signature.content, `${path}.signature.content`);
  const v = v2Verifier(signature.verifier, `${path}.signature.verifier`);
  const details = KEY_DETAILS[v.keyDetails]!;
  if (details.hash === null) badRequest(`${path}: ${v.keyDetails} keys cannot verify a signature over a prehashed digest`);
  const hash = details.hash as HashAlgorithm;
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

async function dsseV002(req: Record<string, unknown>): Promise<ValidatedEntry> {
  const path = 'dsseRequestV002';
  const e = objAt(req.envelope, `${path}.envelope`);
  if (typeof e.payloadType !== 'string') badRequest(`${path}.envelope.payloadType is required`);
  const payload = fromB64(e.payload, `${path}.envelope.payload`, { allowEmpty: true });
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) badRequest(`${path}.envelope.signatures must be a non-empty array`);
  const sigs = (e.signatures as unknown[]).map((s, i) => fromB64(objAt(s, `${path}.envelope.signatures[${i}]`).sig, `${path}.envelope.signatures[${i}].sig`));
  if (!Array.isArray(req.verifiers) || req.verifiers.length === 0) badRequest(`${path}.verifiers must be a non-empty array`);
  const verifiers = (req.verifiers as unknown[]).map((v, i) => v2Verifier(v, `${path}.verifiers[${i}]`));
  const data = pae(e.payloadType as string, payload);
  const signatures = sigs.map((sig, i) => {
    const v = verifiers.find((ver) => verifyMessage(ver.key, data, sig, [KEY_DETAILS[ver.keyDetails]!.hash]));
    if (!v) badRequest(`${path}.envelope.signatures[${i}] does not verify with any of the verifiers`);
    return { content: sig.toString('base64'), verifier: v.json };
  });
  return {
    kind: 'dsse',
    apiVersion: '0.0.2',
    body: {
      apiVersion: '0.0.2',
      kind: 'dsse',
      spec: {
        dsseV002: {
          payloadHash: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
          signatures,
        },
      },
    },
  };
}
