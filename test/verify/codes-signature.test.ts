/**
 * Crafted inputs for the `key`, `signature`, `time` and `policy` steps and the verifier's own
 * refusals (no policy, no log entry, a closed pool), each signed by a forged PKI so that it
 * reaches exactly the check under test.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildStatement, parseStatementForSigning, validatePredicate } from '../../src/bundle/intoto.js';
import { verifyMany } from '../../src/verify/batch.js';
import { AllOf, AnyOf, ExtensionPolicy, Identity } from '../../src/verify/policy.js';
import { VerifierPool } from '../../src/verify/pool.js';
import { Verifier } from '../../src/verify/verifier.js';
import { FORGED_IDENTITY, FORGED_ISSUER, ForgedPki, type Json } from '../helpers/forge.js';
import { refusedAt, refusedWith, verifyForged } from '../helpers/verify.js';
import { scratchDir } from '../helpers/tmp.js';

const pki = new ForgedPki();
const trust = pki.trust();
const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64');
const flipB64 = (s: string): string => {
  const b = Buffer.from(s, 'base64');
  b[b.length - 1]! ^= 1;
  return b.toString('base64');
};

/** A managed-key bundle signed by `key` (the body names the key, so only the step under test fails). */
function keyBundle(key: ReturnType<typeof generateKeyPairSync>, hash: string | null = 'sha256') {
  const artifact = Buffer.from('forged artifact\n');
  const sig = nodeSign(hash, artifact, key.privateKey);
  const spkiPem = key.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  return pki.bundle({
    body: (b) => {
      b.spec.signature.content = b64(sig);
      b.spec.signature.publicKey.content = b64(spkiPem);
    },
    json: (j) => {
      j.messageSignature.signature = b64(sig);
      delete j.verificationMaterial.certificate;
      j.verificationMaterial.publicKey = { hint: 'forged' };
    },
  });
}

describe('key step', () => {
  it('KEY_REQUIRED: a managed-key bundle checked with an identity policy', async () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const b = keyBundle(k);
    await verifyForged(trust, b, { policy: { key: k.publicKey } });
    await refusedAt(verifyForged(trust, b), 'key', 'KEY_REQUIRED');
  });

  it('KEY_NOT_EXPECTED: a certificate bundle checked with a key policy', async () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await refusedAt(verifyForged(trust, pki.bundle(), { policy: { key: k.publicKey } }), 'key', 'KEY_NOT_EXPECTED');
  });

  it('NO_POLICY: Verifier.verify, verifyMany and VerifierPool.verify refuse to run without one', async () => {
    const b = pki.bundle();
    // biome-ignore lint/suspicious/noExplicitAny: the point is a caller that passes nothing
    const none = undefined as any;
    await refusedWith(() => new Verifier(trust).verify(b.text, { data: b.artifact }, none), 'NO_POLICY');
    await refusedWith(() => verifyMany(trust, [{ bundle: b.text, artifact: { data: b.artifact } }], none), 'NO_POLICY');
    const pool = await VerifierPool.start(trust, { workers: 0, callingThread: true });
    try {
      await refusedWith(() => pool.verify(b.text, { data: b.artifact }, none), 'NO_POLICY');
    } finally {
      await pool.close();
    }
  });

  it('POOL_CLOSED: a closed pool refuses new bundles', async () => {
    const b = pki.bundle();
    const pool = await VerifierPool.start(trust, { workers: 0, callingThread: true });
    const ok = await pool.verify(b.text, { data: b.artifact }, b.policy);
    assert.equal(ok.ok, true);
    await pool.close();
    await refusedWith(() => pool.verify(b.text, { data: b.artifact }, b.policy), 'POOL_CLOSED');
  });
});

describe('signature step: message signatures', () => {
  it('SIGNATURE_INVALID: the signature changed', async () => {
    const b = pki.bundle({ json: (j) => { j.messageSignature.signature = flipB64(j.messageSignature.signature); } });
    await refusedAt(verifyForged(trust, b), 'signature', 'SIGNATURE_INVALID');
  });

  it('SIGNATURE_INVALID: another artifact, for a bundle without a message digest', async () => {
    const b = pki.bundle({ json: (j) => { delete j.messageSignature.messageDigest; } });
    await verifyForged(trust, b);
    await refusedAt(verifyForged(trust, b, { artifact: { data: Buffer.from('another artifact') } }), 'signature', 'SIGNATURE_INVALID');
  });

  it("SIGNATURE_INVALID: another artifact given by its digest, for a bundle without a message digest", async () => {
    const b = pki.bundle({ json: (j) => { delete j.messageSignature.messageDigest; } });
    const other = { digest: { algorithm: 'sha256' as const, value: sha256(Buffer.from('another artifact')) } };
    await refusedAt(verifyForged(trust, b, { artifact: other }), 'signature', 'SIGNATURE_INVALID');
  });

  it("MESSAGE_DIGEST_MISMATCH: the bundle's message digest is not the artifact's", async () => {
    const b = pki.bundle({ json: (j) => { j.messageSignature.messageDigest.digest = b64(sha256(Buffer.from('x'))); } });
    await refusedAt(verifyForged(trust, b), 'signature', 'MESSAGE_DIGEST_MISMATCH');
  });

  it('MESSAGE_DIGEST_MISMATCH: another artifact', async () => {
    await refusedAt(verifyForged(trust, pki.bundle(), { artifact: { data: Buffer.from('another artifact') } }), 'signature', 'MESSAGE_DIGEST_MISMATCH');
  });

  it("DIGEST_ALGORITHM_MISMATCH: the artifact's digest uses another hash than the bundle", async () => {
    const b = pki.bundle();
    const artifact = { digest: { algorithm: 'sha384' as const, value: createHash('sha384').update(b.artifact).digest() } };
    await refusedAt(verifyForged(trust, b, { artifact }), 'signature', 'DIGEST_ALGORITHM_MISMATCH');
  });

  it('DIGEST_UNSUPPORTED: an Ed25519 signature cannot be checked from a digest', async () => {
    const k = generateKeyPairSync('ed25519');
    const b = keyBundle(k, null);
    await verifyForged(trust, b, { policy: { key: k.publicKey } });
    const artifact = { digest: { algorithm: 'sha256' as const, value: sha256(b.artifact) } };
    await refusedAt(verifyForged(trust, b, { policy: { key: k.publicKey }, artifact }), 'signature', 'DIGEST_UNSUPPORTED');
  });
});

describe('signature step: keys and files', () => {
  /** A managed-key bundle over a file, without a message digest (the hash is the key's default). */
  async function fileBundle(key: ReturnType<typeof generateKeyPairSync>, hash: 'sha256' | 'sha384' | null) {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const artifact = Buffer.from('forged artifact on disk\n');
    const path = join(scratchDir('sigstore-ts-codes-'), 'artifact');
    writeFileSync(path, artifact);
    const sig = nodeSign(hash, artifact, key.privateKey);
    const spkiPem = key.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const alg = hash ?? 'sha256';
    const b = pki.bundle({
      artifact,
      body: (body) => {
        body.spec.signature.content = b64(sig);
        body.spec.signature.publicKey.content = b64(spkiPem);
        body.spec.data.hash = { algorithm: alg, value: createHash(alg).update(artifact).digest('hex') };
      },
      json: (j) => {
        j.messageSignature = { signature: b64(sig) };
        delete j.verificationMaterial.certificate;
        j.verificationMaterial.publicKey = { hint: 'forged' };
      },
    });
    return { b, path };
  }

  it('a P-384 key signs over SHA-384 by default; a file is verified in one streaming pass', async () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const { b, path } = await fileBundle(k, 'sha384');
    await verifyForged(trust, b, { policy: { key: k.publicKey }, artifact: { path } });
    await verifyForged(trust, b, { policy: { key: k.publicKey }, artifact: { data: b.artifact } });
  });

  it('an Ed25519 key verifies a file (read whole: Ed25519 cannot stream)', async () => {
    const k = generateKeyPairSync('ed25519');
    const { b, path } = await fileBundle(k, null);
    await verifyForged(trust, b, { policy: { key: k.publicKey }, artifact: { path } });
  });
});

describe('signature step: DSSE', () => {
  const statement = (o: Json): Buffer => Buffer.from(JSON.stringify(o));
  const subject = (a: Buffer) => [{ name: 'artifact', digest: { sha256: sha256(a).toString('hex') } }];
  const artifact = Buffer.from('forged artifact\n');

  it('DSSE_SIGNATURE_INVALID: the envelope signature changed', async () => {
    const b = pki.bundle({ kind: 'dsse', json: (j) => { j.dsseEnvelope.signatures[0].sig = flipB64(j.dsseEnvelope.signatures[0].sig); } });
    await refusedAt(verifyForged(trust, b), 'signature', 'DSSE_SIGNATURE_INVALID');
  });

  it('DSSE_SIGNATURE_INVALID: the payload type changed after signing', async () => {
    const b = pki.bundle({ kind: 'dsse', json: (j) => { j.dsseEnvelope.payloadType = 'application/vnd.in-toto+jsoN'; } });
    await refusedAt(verifyForged(trust, b), 'signature', 'DSSE_SIGNATURE_INVALID');
  });

  it('DSSE_PAYLOAD_TYPE: a correctly signed envelope of another payload type', async () => {
    const b = pki.bundle({ kind: 'dsse', payloadType: 'application/json' });
    await refusedAt(verifyForged(trust, b), 'signature', 'DSSE_PAYLOAD_TYPE');
  });

  const malformed: [string, Buffer, RegExp][] = [
    ['not JSON', Buffer.from('{not json'), /not JSON/],
    ['JSON null', Buffer.from('null'), /needs subject/],
    ['no subject', statement({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'p' }), /needs subject/],
    ['no predicate type', statement({ _type: 'https://in-toto.io/Statement/v1', subject: subject(artifact) }), /needs subject/],
    ['another statement type', statement({ _type: 'https://in-toto.io/Statement/v2', subject: subject(artifact), predicateType: 'p' }), /statement type/],
    ['a subject without digest', statement({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x' }], predicateType: 'p' }), /no digest/],
    ['a null subject', statement({ _type: 'https://in-toto.io/Statement/v1', subject: [null], predicateType: 'p' }), /no digest/],
  ];
  for (const [what, payload, message] of malformed) {
    it(`STATEMENT_MALFORMED: ${what}`, async () => {
      await refusedAt(verifyForged(trust, pki.bundle({ kind: 'dsse', payload })), 'signature', 'STATEMENT_MALFORMED', message);
    });
  }

  it('an in-toto v0.1 statement verifies', async () => {
    const payload = statement({ _type: 'https://in-toto.io/Statement/v0.1', subject: subject(artifact), predicateType: 'p' });
    await verifyForged(trust, pki.bundle({ kind: 'dsse', payload }));
  });

  it('SUBJECT_MISMATCH: the artifact is not a subject (by data and by digest)', async () => {
    const b = pki.bundle({ kind: 'dsse' });
    await refusedAt(verifyForged(trust, b, { artifact: { data: Buffer.from('other') } }), 'signature', 'SUBJECT_MISMATCH');
    const digest = { digest: { algorithm: 'sha256' as const, value: sha256(Buffer.from('other')) } };
    await refusedAt(verifyForged(trust, b, { artifact: digest }), 'signature', 'SUBJECT_MISMATCH');
  });
});

describe('time step', () => {
  it('NO_TRUSTED_TIME: an entry without a SET and a bundle without a timestamp', async () => {
    const b = pki.bundle({ set: false, json: (j) => { delete j.verificationMaterial.tlogEntries[0].integratedTime; } });
    await refusedAt(verifyForged(trust, b), 'time', 'NO_TRUSTED_TIME');
  });

  it('NO_TRUSTED_TIME: a second entry without a SET, beside one with a SET, and no timestamp', async () => {
    const first = pki.bundle({ logIndex: 3 });
    const e1 = first.json.verificationMaterial.tlogEntries[0];
    const body = Buffer.from(e1.canonicalizedBody, 'base64');
    const second = pki.bundle({ set: false, logIndex: 2, bodyBytes: body });
    const e2 = second.json.verificationMaterial.tlogEntries[0];
    delete e2.integratedTime;
    first.json.verificationMaterial.tlogEntries.push(e2);
    const b = { ...first, text: JSON.stringify(first.json) };
    await refusedAt(verifyForged(trust, b), 'time', 'NO_TRUSTED_TIME');
  });

  it('KEY_INVALID: a key that is not one PEM public key block', async () => {
    const b = keyBundle(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
    await refusedWith(() => verifyForged(trust, b, { policy: { key: 'not a PEM key' } }), 'KEY_INVALID', /expected one PEM "PUBLIC KEY" block/);
  });

  it('TLOG_MISSING: a bundle without a log entry', async () => {
    const b = pki.bundle({ tsa: true, json: (j) => { j.verificationMaterial.tlogEntries = []; } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'TLOG_MISSING');
  });
});

describe('policy step', () => {
  const b = pki.bundle();
  const id = (identity: string, issuer = FORGED_ISSUER) => new Identity({ identity, issuer });

  it('POLICY_IDENTITY_MISMATCH and POLICY_ISSUER_MISMATCH', async () => {
    await refusedAt(verifyForged(trust, b, { policy: id('other@example.com') }), 'policy', 'POLICY_IDENTITY_MISMATCH');
    await refusedAt(verifyForged(trust, b, { policy: id(FORGED_IDENTITY, 'https://other.test') }), 'policy', 'POLICY_ISSUER_MISMATCH');
  });

  it('POLICY_EXTENSION_MISMATCH: a Fulcio extension with another value, or absent', async () => {
    await verifyForged(trust, b, { policy: new ExtensionPolicy('issuer', { value: FORGED_ISSUER }) });
    await refusedAt(verifyForged(trust, b, { policy: new ExtensionPolicy('issuer', { value: 'https://other.test' }) }), 'policy', 'POLICY_EXTENSION_MISMATCH', /does not match/);
    await refusedAt(
      verifyForged(trust, b, { policy: new ExtensionPolicy('sourceRepositoryURI', { regexp: '.*' }) }),
      'policy',
      'POLICY_EXTENSION_MISMATCH',
      /has no sourceRepositoryURI/,
    );
  });

  it('POLICY_NONE_MATCHED: AnyOf with no matching policy; AllOf fails on the first that does not hold', async () => {
    await verifyForged(trust, b, { policy: new AnyOf([id('other@example.com'), id(FORGED_IDENTITY)]) });
    await refusedAt(verifyForged(trust, b, { policy: new AnyOf([id('a@example.com'), id('b@example.com')]) }), 'policy', 'POLICY_NONE_MATCHED', /no policy matched/);
    await refusedAt(verifyForged(trust, b, { policy: new AnyOf([id('a@example.com')]) }), 'policy', 'POLICY_NONE_MATCHED');
    await refusedAt(verifyForged(trust, b, { policy: new AllOf([id(FORGED_IDENTITY), id('b@example.com')]) }), 'policy', 'POLICY_IDENTITY_MISMATCH');
  });

  it('USAGE, POLICY_REGEXP_INVALID: contradictory or empty policies, or an invalid regexp, are refused when built', async () => {
    await refusedWith(() => new Identity({ identity: 'a', identityRegexp: 'a', issuer: 'b' }), 'USAGE');
    await refusedWith(() => new Identity({ issuer: 'b' }), 'USAGE');
    await refusedWith(() => new Identity({ identity: 'a' }), 'USAGE');
    await refusedWith(() => new Identity({ identityRegexp: '(', issuer: 'b' }), 'POLICY_REGEXP_INVALID');
    await refusedWith(() => new AllOf([]), 'USAGE');
    await refusedWith(() => new AnyOf([]), 'USAGE');
  });
});

describe('in-toto statements for signing', () => {
  it('STATEMENT_INVALID: no subject, not JSON, no hex digest', async () => {
    await refusedWith(() => buildStatement([], 'https://example.com/p', {}), 'STATEMENT_INVALID', /at least one subject/);
    await refusedWith(() => parseStatementForSigning('{not json'), 'STATEMENT_INVALID', /not valid JSON/);
    await refusedWith(() => parseStatementForSigning('[]'), 'STATEMENT_INVALID', /not a JSON object/);
    const st = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'a', digest: { sha256: 'xyz' } }], predicateType: 'https://example.com/p' };
    await refusedWith(() => parseStatementForSigning(JSON.stringify(st)), 'STATEMENT_INVALID', /hex string/);
    await refusedWith(() => parseStatementForSigning(JSON.stringify({ ...st, _type: 'https://in-toto.io/Statement/v0.1' })), 'STATEMENT_INVALID', /_type/);
    await refusedWith(() => parseStatementForSigning(JSON.stringify({ ...st, subject: [] })), 'STATEMENT_INVALID', /non-empty array/);
  });

  it('PREDICATE_INVALID: a predicate type that is not a URI, a predicate that is not an object', async () => {
    await refusedWith(() => validatePredicate('not a uri', {}), 'PREDICATE_INVALID');
    await refusedWith(() => validatePredicate('https://example.com/p', []), 'PREDICATE_INVALID');
    await refusedWith(() => validatePredicate('https://slsa.dev/provenance/v1', {}), 'PREDICATE_INVALID', /buildDefinition/);
  });
});
