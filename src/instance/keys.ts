/**
 * The instance's private keys: generated once with node:crypto, kept as PKCS#8 PEM files
 * (mode 0600) under `<data-dir>/keys`, reloaded on restart.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from './util.js';

export type KeyKind = 'p256' | 'p384' | 'ed25519';

export function generateKey(kind: KeyKind): KeyObject {
  if (kind === 'ed25519') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' }).privateKey;
}

/** SubjectPublicKeyInfo DER of a (private or public) key. */
export function spki(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' });
}

export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** Raw 32-byte Ed25519 public key. */
export function ed25519Raw(key: KeyObject): Buffer {
  const der = spki(key);
  return der.subarray(der.length - 32);
}

export class KeyStore {
  private readonly cache = new Map<string, KeyObject>();
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  has(name: string): boolean {
    return existsSync(join(this.dir, `${name}.pem`));
  }

  /** The key called `name`, generated (of `kind`) and saved the first time. */
  get(name: string, kind: KeyKind): KeyObject {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const path = join(this.dir, `${name}.pem`);
    let key: KeyObject;
    if (existsSync(path)) {
      key = createPrivateKey(readFileSync(path));
    } else {
      key = generateKey(kind);
      writeFileDurable(path, key.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
    }
    this.cache.set(name, key);
    return key;
  }
}
