/**
 * Detached `.sig`/`.crt` verification with a P-384 certificate: sigstore-python signs such
 * artifacts with ECDSA over SHA-256 (whatever the curve) and logs a sha256 hashedrekord; this
 * signer signs P-384 with SHA-384. Both verify, each found in the log by its own digest.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IdentityToken } from '../../src/oidc/token.js';
import { pem } from '../../src/lib/der-write.js';
import { requestCertificate } from '../../src/sign/fulcio.js';
import type { EphemeralKey } from '../../src/sign/keys.js';
import { createEntryV1, hashedRekordV001 } from '../../src/sign/rekor-v1.js';
import { runMain } from '../helpers/in-process.js';
import { startTestInstance, type TestInstance } from './helpers.js';

let t: TestInstance;
let dir: string;

before(async () => {
  t = await startTestInstance();
  dir = join(t.dir, 'detached');
  mkdirSync(dir);
});
after(async () => {
  await t?.stop();
});

const cli = (args: string[]) => runMain(args);

/** A P-384 certificate from the instance's Fulcio, and a signature over `data` with `hash`, logged in Rekor v1. */
async function signP384(data: Buffer, hash: 'sha256' | 'sha384', name: string): Promise<{ sig: string; crt: string; file: string }> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const key = {
    type: 'p384',
    hash: 'sha384',
    spki: pair.publicKey.export({ format: 'der', type: 'spki' }),
    signatureAlgorithmOid: '1.2.840.10045.4.3.3',
    sign: (d: Buffer) => nodeSign('sha384', d, pair.privateKey),
  } as unknown as EphemeralKey;
  const token = new IdentityToken(await t.inst.token(), { audience: 'sigstore' });
  const cert = await requestCertificate({ baseUrl: t.inst.url, token, key, trust: t.trustConfig.trustedRoot });
  const signature = nodeSign(hash, data, pair.privateKey);
  await createEntryV1(t.inst.url, hashedRekordV001({ algorithm: hash, value: createHash(hash).update(data).digest() }, signature, cert.certificate.raw));
  const file = join(dir, name);
  writeFileSync(file, data);
  writeFileSync(`${file}.sig`, `${signature.toString('base64')}\n`);
  writeFileSync(`${file}.crt`, pem(cert.certificate.raw, 'CERTIFICATE'));
  return { sig: `${file}.sig`, crt: `${file}.crt`, file };
}

const verify = (f: { sig: string; crt: string; file: string }, file = f.file) =>
  cli(['--trust-config', t.trustConfigPath, 'verify', 'identity', '--cert-identity', t.inst.identity, '--cert-oidc-issuer', t.inst.issuer, '--certificate', f.crt, '--signature', f.sig, file]);

describe('detached P-384 signatures', () => {
  it('verifies one signed with SHA-256, as sigstore-python signs', async () => {
    const f = await signP384(Buffer.from('signed the sigstore-python way\n'), 'sha256', 'py.txt');
    const r = await verify(f);
    assert.equal(r.code, 0, r.err);
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'other');
    const bad = await verify(f, other);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /\[signature\]: the signature does not verify over the artifact/);
  });

  it('verifies one signed with SHA-384, as this signer signs P-384', async () => {
    const f = await signP384(Buffer.from('signed with SHA-384\n'), 'sha384', 'ts.txt');
    const r = await verify(f);
    assert.equal(r.code, 0, r.err);
  });
});
