/**
 * Ephemeral signing keys: generated with node:crypto for one signing session, never written
 * anywhere, dropped with the {@link Signer}. ECDSA P-256 (default) or P-384, or Ed25519.
 * Messages and files are signed natively (files streamed, hashed and signed in one pass);
 * a precomputed digest is signed through @noble/curves, loaded only for that case.
 */
import { createHash, createSign, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UsageError } from '../errors.js';
import type { HashAlgorithm } from '../lib/signature.js';

/**
 * The ephemeral key types: ECDSA P-256 with SHA-256 (default), ECDSA P-384 with SHA-384, Ed25519.
 *
 * @example
 * ```ts
 * const keyType: KeyType = 'p384';
 * ```
 */
export type KeyType = 'p256' | 'p384' | 'ed25519';

/**
 * Every key type, default first.
 *
 * @example
 * ```ts
 * if (!KEY_TYPES.includes(arg as KeyType)) throw new Error(`choose from ${KEY_TYPES.join(', ')}`);
 * ```
 */
export const KEY_TYPES: readonly KeyType[] = ['p256', 'p384', 'ed25519'];

const DETAILS: Record<KeyType, { keyDetails: string; hash: HashAlgorithm | null; csrAlgorithm: string }> = {
  p256: { keyDetails: 'PKIX_ECDSA_P256_SHA_256', hash: 'sha256', csrAlgorithm: '1.2.840.10045.4.3.2' },
  p384: { keyDetails: 'PKIX_ECDSA_P384_SHA_384', hash: 'sha384', csrAlgorithm: '1.2.840.10045.4.3.3' },
  ed25519: { keyDetails: 'PKIX_ED25519', hash: null, csrAlgorithm: '1.3.101.112' },
};

/** An ephemeral key pair and the operations the signer needs. */
export class EphemeralKey {
  readonly type: KeyType;
  readonly publicKey: KeyObject;
  readonly #privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;

  constructor(type: KeyType = 'p256') {
    if (!DETAILS[type]) throw new UsageError('USAGE', `unknown key type ${JSON.stringify(type)} (choose from ${KEY_TYPES.join(', ')})`);
    this.type = type;
    const pair =
      type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: type === 'p256' ? 'prime256v1' : 'secp384r1' });
    this.publicKey = pair.publicKey;
    this.#privateKey = pair.privateKey;
    this.spki = pair.publicKey.export({ format: 'der', type: 'spki' });
  }

  /** The hash the key signs with (none for Ed25519, which signs whole messages). */
  get hash(): HashAlgorithm | null {
    return DETAILS[this.type].hash;
  }

  /** The protobuf-specs `PublicKeyDetails` name (Rekor v2 verifiers). */
  get keyDetails(): string {
    return DETAILS[this.type].keyDetails;
  }

  /** The X.509 signature algorithm OID of signatures by this key (CSRs). */
  get signatureAlgorithmOid(): string {
    return DETAILS[this.type].csrAlgorithm;
  }

  get publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** Signs a message (ECDSA: DER signature with the key's hash; Ed25519: pure Ed25519). */
  sign(data: Buffer): Buffer {
    return nodeSign(this.hash, data, this.#privateKey);
  }

  /**
   * Signs a file in one streaming pass, returning its digest (with the key's hash) and the
   * signature. ECDSA only: Ed25519 cannot be streamed.
   */
  async signFile(path: string): Promise<{ digest: Buffer; signature: Buffer }> {
    const hash = this.hash;
    if (hash === null) {
      const { readFile } = await import('node:fs/promises');
      const data = await readFile(path).catch((e: NodeJS.ErrnoException) => {
        throw new UsageError('INPUT_UNREADABLE', `cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
      });
      return { digest: createHash('sha512').update(data).digest(), signature: this.sign(data) };
    }
    const h = createHash(hash);
    const s = createSign(hash);
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
        h.update(chunk as Buffer);
        s.update(chunk as Buffer);
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError('INPUT_UNREADABLE', `cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
    }
    return { digest: h.digest(), signature: s.sign(this.#privateKey) };
  }

  /** Signs a precomputed digest (ECDSA only; the digest must use the key's hash). */
  async signDigest(digest: Buffer): Promise<Buffer> {
    const hash = this.hash;
    if (hash === null) throw new UsageError('KEY_CANNOT_SIGN_DIGEST', 'an Ed25519 key cannot sign a precomputed digest; give the file, or use --key-type p256 or p384');
    const len = hash === 'sha256' ? 32 : 48;
    if (digest.length !== len) throw new UsageError('DIGEST_LENGTH', `a ${this.type} key signs ${hash} digests (${len} bytes), not ${digest.length}-byte ones`);
    const jwk = this.#privateKey.export({ format: 'jwk' });
    const d = Buffer.from(jwk.d!, 'base64url');
    const nist = await import('@noble/curves/nist.js');
    const curve = this.type === 'p256' ? nist.p256 : nist.p384;
    return Buffer.from(curve.sign(digest, d, { prehash: false, format: 'der' }));
  }
}
