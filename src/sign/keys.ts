/**
 * Ephemeral signing keys: generated with node:crypto for one signing session, never written
 * anywhere, dropped with the {@link Signer}. ECDSA P-256 (default) or P-384, or Ed25519.
 * Messages and files up to 32 MiB are signed natively; larger files are streamed and hashed once,
 * and their digest signed through @noble/curves (loaded only for digests).
 */
import { createHash, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { trackHashing } from '../lib/hash-progress.js';
import { SYNC_READ_MAX, unreadable } from '../lib/input-file.js';
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

/** Files up to this size are read whole, signed natively and verified from memory (one read). */
export const IN_MEMORY_LIMIT = 32 * 1024 * 1024;

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

  /** Signs bytes in memory: their digest (with the key's hash; SHA-512 for Ed25519) and the signature. */
  signBytes(data: Buffer): { digest: Buffer; signature: Buffer } {
    return { digest: createHash(this.hash ?? 'sha512').update(data).digest(), signature: this.sign(data) };
  }

  /**
   * Signs a file, reading it once. A file up to {@link IN_MEMORY_LIMIT} is read whole and signed
   * natively; its bytes are returned (`data`) so the bundle can be verified without reading it
   * again. A larger file is streamed and hashed once, and the digest is signed (ECDSA over a
   * digest); it must not change while it is read (size, modification time and inode are
   * compared before and after). Ed25519 keys sign whole messages: the file is read whole.
   */
  async signFile(path: string): Promise<{ digest: Buffer; signature: Buffer; data?: Buffer }> {
    // A small regular file is read synchronously: a few system calls, no thread-pool round trips.
    // (stat first: opening a FIFO would block this thread until a writer appears.)
    let small: Buffer | undefined;
    try {
      const st = statSync(path);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (st.isFile() && st.size <= SYNC_READ_MAX) small = readFileSync(path);
    } catch (e) {
      throw unreadable(path, e);
    }
    if (small) return { ...this.signBytes(small), data: small };
    const { open } = await import('node:fs/promises');
    const fh = await open(path, 'r').catch((e: unknown) => {
      throw unreadable(path, e);
    });
    try {
      const before = await fh.stat({ bigint: true });
      if (before.isDirectory()) throw unreadable(path, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
      const hash = this.hash;
      if (hash === null || before.size <= BigInt(IN_MEMORY_LIMIT)) {
        const data = await fh.readFile().catch((e: unknown) => {
          throw unreadable(path, e);
        });
        return { ...this.signBytes(data), data };
      }
      const h = createHash(hash);
      const progress = trackHashing(path, before.size);
      try {
        for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false, start: 0 })) {
          h.update(chunk as Buffer);
          progress.add((chunk as Buffer).length);
        }
      } catch (e) {
        throw unreadable(path, e);
      } finally {
        progress.end();
      }
      const after = await fh.stat({ bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ino !== before.ino) {
        throw new UsageError('INPUT_CHANGED', `${path} changed while it was being signed; nothing was signed`);
      }
      const digest = h.digest();
      return { digest, signature: await this.signDigest(digest) };
    } finally {
      await fh.close();
    }
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
