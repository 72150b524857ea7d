/**
 * Signature checks over messages and over precomputed digests, for ECDSA (P-256/384/521),
 * Ed25519 and RSA (PKCS#1 v1.5 and PSS) keys. Messages go through node:crypto; digests
 * (which node:crypto cannot verify for ECDSA) through @noble/curves, loaded only when needed.
 */
import { constants, createHash, type KeyObject, publicDecrypt, verify as nodeVerify } from 'node:crypto';
import type { Der } from './der.js';
import { remember } from './remember.js';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

const SIG_ALGS: Record<string, { hash: HashAlgorithm | null; pss?: boolean }> = {
  '1.2.840.10045.4.3.2': { hash: 'sha256' },
  '1.2.840.10045.4.3.3': { hash: 'sha384' },
  '1.2.840.10045.4.3.4': { hash: 'sha512' },
  '1.2.840.113549.1.1.11': { hash: 'sha256' },
  '1.2.840.113549.1.1.12': { hash: 'sha384' },
  '1.2.840.113549.1.1.13': { hash: 'sha512' },
  '1.2.840.113549.1.1.10': { hash: null, pss: true },
  '1.3.101.112': { hash: null },
};

const HASH_OIDS: Record<string, HashAlgorithm> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export function hashFromOid(oid: string): HashAlgorithm | undefined {
  return HASH_OIDS[oid];
}

/** Verifies an X.509/CMS-style signature identified by its AlgorithmIdentifier OID. */
export function verifySignature(key: KeyObject, data: Buffer, sig: Buffer, algOid: string, params?: Der): boolean {
  const alg = SIG_ALGS[algOid];
  if (!alg) return false;
  try {
    if (alg.pss) {
      const hash = pssHash(params);
      return nodeVerify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig);
    }
    if (alg.hash === null && key.asymmetricKeyType !== 'ed25519') return false;
    return nodeVerify(alg.hash, data, key, sig);
  } catch {
    return false;
  }
}

function pssHash(params?: Der): HashAlgorithm {
  // RSASSA-PSS-params: [0] hashAlgorithm (default sha1, which we refuse).
  const h = params?.children.find((c) => c.contextTag === 0);
  const oid = h?.inner().child(0).oid();
  const hash = oid ? HASH_OIDS[oid] : undefined;
  if (!hash) throw new Error('unsupported RSASSA-PSS hash');
  return hash;
}

/** The hash Sigstore pairs with a key: by curve for ECDSA, SHA-256 for RSA, none for Ed25519. */
export function defaultHashForKey(key: KeyObject): HashAlgorithm | null {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return 'sha384';
      if (curve === 'secp521r1') return 'sha512';
      return 'sha256';
    }
    case 'ed25519':
      return null;
    default:
      return 'sha256';
  }
}

/** Verifies a raw Sigstore signature over a message with the key's natural hash. */
export function verifyMessage(key: KeyObject, data: Buffer, sig: Buffer, hash?: HashAlgorithm | null): boolean {
  try {
    const h = hash === undefined ? defaultHashForKey(key) : hash;
    if (key.asymmetricKeyType === 'ed25519') return nodeVerify(null, data, key, sig);
    if (key.asymmetricKeyType === 'rsa-pss') {
      return nodeVerify(h ?? 'sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig);
    }
    return nodeVerify(h, data, key, sig);
  } catch {
    return false;
  }
}

/** Remembered results of {@link verifyMessageCached}, by key, hash, message and signature content. */
const messageCache = new Map<string, boolean>();
const MESSAGE_CACHE_MAX = 4096;

/**
 * A key's content ID: the SHA-256 of its SPKI DER. Read once per KeyObject (a KeyObject cannot
 * change), so two objects holding one key share their results and no object stands for a key.
 */
const keyIds = new WeakMap<KeyObject, string>();

/**
 * Records the SPKI DER a key was made from, so that its content ID is the hash of those bytes
 * instead of an export (the bytes determine the key; another encoding of the same key only
 * misses the cache).
 */
export function noteKeySpki(key: KeyObject, spki: Buffer): KeyObject {
  keyIds.set(key, createHash('sha256').update(spki).digest('base64'));
  return key;
}

function keyContentId(key: KeyObject): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('base64');
    keyIds.set(key, id);
  }
  return id;
}

/**
 * {@link verifyMessage}, remembering the answer for this exact (key, hash, message, signature):
 * for signatures that recur across bundles (a log's checkpoint, a certificate's SCTs). The key is
 * identified by its SPKI's SHA-256, the message by its SHA-256, the signature by its bytes.
 */
export function verifyMessageCached(key: KeyObject, data: Buffer, sig: Buffer, hash?: HashAlgorithm | null): boolean {
  let kid: string;
  try {
    kid = keyContentId(key);
  } catch {
    return verifyMessage(key, data, sig, hash); // a key that cannot be exported is not remembered
  }
  const id = `${kid}:${hash === undefined ? 'default' : String(hash)}:${createHash('sha256').update(data).digest('base64')}:${sig.toString('base64')}`;
  return remember(messageCache, MESSAGE_CACHE_MAX, id, () => verifyMessage(key, data, sig, hash));
}

const DIGEST_INFO_PREFIX: Record<HashAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

const DIGEST_LEN: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * Verifies a signature over a precomputed digest ("prehashed"), as hashedrekord allows.
 * ECDSA and RSA PKCS#1 v1.5 only: Ed25519 and PSS signatures cannot be checked from a digest.
 */
export async function verifyDigest(key: KeyObject, digest: Buffer, sig: Buffer, hash: HashAlgorithm): Promise<boolean> {
  if (digest.length !== DIGEST_LEN[hash]) return false;
  try {
    if (key.asymmetricKeyType === 'ec') {
      const jwk = key.export({ format: 'jwk' });
      const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
      const nist = await import('@noble/curves/nist.js');
      const curve = { 'P-256': nist.p256, 'P-384': nist.p384, 'P-521': nist.p521 }[jwk.crv as string];
      if (!curve) return false;
      return curve.verify(sig, digest, point, { prehash: false, format: 'der', lowS: false });
    }
    if (key.asymmetricKeyType === 'rsa') {
      const dec = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
      return dec.equals(Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash], 'hex'), digest]));
    }
    return false;
  } catch {
    return false;
  }
}

/** Whether the key can verify a signature from a digest alone. */
export function supportsDigest(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' || key.asymmetricKeyType === 'rsa';
}

export function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}
