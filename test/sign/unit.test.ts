/**
 * The signing building blocks on their own: ephemeral keys, the CSR (proof of possession), the
 * RFC 3161 request, DSSE, in-toto statements and SLSA predicate validation, bundle serialization
 * (round trip through our parser and protobuf-specs), Rekor v1 answers, and atomic outputs.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Bundle } from '@sigstore/protobuf-specs';
import { createEnvelope, envelopeToJson, IN_TOTO_PAYLOAD_TYPE, pae } from '../../src/bundle/dsse.js';
import { buildStatement, IN_TOTO_STATEMENT_V1, parseStatementForSigning, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, validatePredicate } from '../../src/bundle/intoto.js';
import { parseBundle } from '../../src/bundle/parse.js';
import { bundleToText, serializeBundle } from '../../src/bundle/serialize.js';
import { planOutputs } from '../../src/cli/output.js';
import { writeAllAtomic, writeAtomic } from '../../src/cli/write-outputs.js';
import { NetworkError, UsageError } from '../../src/errors.js';
import { Der, Tag } from '../../src/lib/der.js';
import { verifyDigest } from '../../src/lib/signature.js';
import { int, oid } from '../../src/lib/der-write.js';
import { buildCsr, identityFromToken } from '../../src/sign/fulcio.js';
import { EphemeralKey, IN_MEMORY_LIMIT } from '../../src/sign/keys.js';
import { toTlogEntry } from '../../src/sign/rekor-v1.js';
import { timeStampRequest } from '../../src/sign/tsa.js';

const tmp = mkdtempSync(join(tmpdir(), 'sign-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('ephemeral keys', () => {
  it('signs messages, files and digests that verify, with the natural hash of the key', async () => {
    const file = join(tmp, 'k.txt');
    writeFileSync(file, 'some content');
    for (const [type, hash, details] of [
      ['p256', 'sha256', 'PKIX_ECDSA_P256_SHA_256'],
      ['p384', 'sha384', 'PKIX_ECDSA_P384_SHA_384'],
    ] as const) {
      const k = new EphemeralKey(type);
      assert.equal(k.hash, hash);
      assert.equal(k.keyDetails, details);
      const data = Buffer.from('some content');
      assert.ok(nodeVerify(hash, data, k.publicKey, k.sign(data)));
      const { digest, signature } = await k.signFile(file);
      assert.deepEqual(digest, createHash(hash).update(data).digest());
      assert.ok(nodeVerify(hash, data, k.publicKey, signature));
      const sigOverDigest = await k.signDigest(digest);
      assert.ok(await verifyDigest(k.publicKey, digest, sigOverDigest, hash));
      await assert.rejects(k.signDigest(Buffer.alloc(20)), UsageError);
      await assert.rejects(k.signFile(join(tmp, 'missing')), /cannot read .*missing: no such file/);
    }
    const ed = new EphemeralKey('ed25519');
    assert.equal(ed.hash, null);
    assert.ok(nodeVerify(null, Buffer.from('x'), ed.publicKey, ed.sign(Buffer.from('x'))));
    await assert.rejects(ed.signDigest(Buffer.alloc(32)), /Ed25519 key cannot sign a precomputed digest/);
    assert.throws(() => new EphemeralKey('rsa' as never), /unknown key type "rsa"/);
  });

  it('reads a file once: small ones are returned for verification, large ones are signed over their digest', async () => {
    const small = join(tmp, 'small.bin');
    writeFileSync(small, 'x'.repeat(1000));
    const k = new EphemeralKey('p256');
    const s = await k.signFile(small);
    assert.deepEqual(s.data, readFileSync(small));
    const big = join(tmp, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, IN_MEMORY_LIMIT + 1);
    const b = await k.signFile(big);
    assert.equal(b.data, undefined);
    assert.deepEqual(b.digest, createHash('sha256').update(readFileSync(big)).digest());
    assert.ok(await verifyDigest(k.publicKey, b.digest, b.signature, 'sha256'));
    await assert.rejects(k.signFile(tmp), /cannot read .*: is a directory/);
  });

  it('refuses a large file that changes while it is read', async () => {
    const big = join(tmp, 'changing.bin');
    writeFileSync(big, '');
    truncateSync(big, 256 * 1024 * 1024); // sparse; hashing it takes far longer than the delay below
    const k = new EphemeralKey('p256');
    const signing = k.signFile(big);
    // Keep appending until signing settles: some append lands while the file is read, however
    // late the timers fire on a loaded machine.
    let settled = false;
    signing.then(
      () => (settled = true),
      () => (settled = true),
    );
    const timer = setInterval(() => {
      if (!settled) appendFileSync(big, 'appended while signing');
    }, 5);
    try {
      await assert.rejects(signing, (e: UsageError) => e.code === 'INPUT_CHANGED' && /changed while it was being signed; nothing was signed/.test(e.message));
    } finally {
      clearInterval(timer);
    }
    rmSync(big);
  });

  it('builds a CSR whose self-signature (the proof of possession) verifies', async () => {
    const pkijs = await import('pkijs');
    for (const type of ['p256', 'p384', 'ed25519'] as const) {
      const k = new EphemeralKey(type);
      const der = buildCsr(k);
      const csr = pkijs.CertificationRequest.fromBER(der);
      assert.deepEqual(Buffer.from(csr.subjectPublicKeyInfo.toSchema().toBER(false)), k.spki);
      const info = Der.parse(der).child(0).raw;
      const sig = Der.parse(der).child(2).bits();
      assert.equal(Der.parse(der).child(1).child(0).oid(), k.signatureAlgorithmOid);
      assert.ok(nodeVerify(k.hash, info, k.publicKey, sig), `${type} CSR signature verifies`);
    }
  });
});

describe('Fulcio identity check', () => {
  const token = (claims: Record<string, unknown>, issuer = 'https://issuer.example') => ({ rawToken: '', issuer, claims: { iss: issuer, ...claims } });
  it('accepts identities Fulcio derives from the token', () => {
    assert.equal(identityFromToken('me@example.com', 'https://issuer.example', token({ sub: '123', email: 'me@example.com' })), undefined);
    assert.equal(identityFromToken('https://example.com/svc', 'https://issuer.example', token({ sub: 'https://example.com/svc' })), undefined);
    const gh = token({ sub: 'repo:o/r:ref:refs/heads/main', job_workflow_ref: 'o/r/.github/workflows/x.yml@refs/heads/main' }, 'https://token.actions.githubusercontent.com');
    assert.equal(identityFromToken('https://github.com/o/r/.github/workflows/x.yml@refs/heads/main', 'https://token.actions.githubusercontent.com', gh), undefined);
    const fed = { ...token({ email: 'me@example.com' }, 'https://oauth2.sigstore.dev/auth'), federatedIssuer: 'https://accounts.google.com' };
    assert.equal(identityFromToken('me@example.com', 'https://accounts.google.com', fed), undefined);
  });
  it('refuses another identity or another issuer', () => {
    assert.match(identityFromToken('other@example.com', 'https://issuer.example', token({ sub: '1', email: 'me@example.com' }))!, /for other@example\.com, which is not the identity in the token/);
    assert.match(identityFromToken('me@example.com', 'https://evil.example', token({ email: 'me@example.com' }))!, /for issuer https:\/\/evil\.example/);
  });
});

describe('RFC 3161 request', () => {
  it('is a DER TimeStampReq v1 with a SHA-256 imprint, the nonce and certReq', () => {
    const digest = createHash('sha256').update('sig').digest();
    const req = Der.parse(timeStampRequest(digest, 0x7fffffffffffffffn));
    assert.equal(req.child(0).int(), 1);
    const mi = req.child(1);
    assert.equal(mi.child(0).child(0).oid(), '2.16.840.1.101.3.4.2.1');
    assert.equal(mi.child(0).child(1).tag, Tag.NULL);
    assert.deepEqual(mi.child(1).value, digest);
    assert.equal(req.child(2).bigint(), 0x7fffffffffffffffn);
    assert.equal(req.child(3).bool(), true);
  });
  it('encodes INTEGERs and OIDs minimally', () => {
    assert.deepEqual(int(0), Buffer.from('020100', 'hex'));
    assert.deepEqual(int(128), Buffer.from('02020080', 'hex'));
    assert.deepEqual(int(0x7fn), Buffer.from('02017f', 'hex'));
    assert.deepEqual(oid('1.2.840.10045.4.3.2'), Buffer.from('06082a8648ce3d040302', 'hex'));
    assert.equal(Der.parse(oid('2.16.840.1.101.3.4.2.1')).oid(), '2.16.840.1.101.3.4.2.1');
  });
});

describe('DSSE and in-toto', () => {
  it('computes the PAE and signs envelopes', () => {
    assert.equal(pae('application/vnd.in-toto+json', Buffer.from('{}')).toString(), 'DSSEv1 28 application/vnd.in-toto+json 2 {}');
    const k = new EphemeralKey();
    const env = createEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"a":1}'), (d) => k.sign(d));
    assert.ok(nodeVerify('sha256', pae(env.payloadType, env.payload), k.publicKey, env.signature));
    assert.deepEqual(envelopeToJson(env), { payload: 'eyJhIjoxfQ==', payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: env.signature.toString('base64'), keyid: '' }] });
    assert.throws(() => createEnvelope('', Buffer.alloc(0), () => Buffer.alloc(0)), /must not be empty/);
  });

  const slsa1 = {
    buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: { ref: 'main' }, resolvedDependencies: [{ uri: 'git+https://x', digest: { sha1: 'ab' } }] },
    runDetails: { builder: { id: 'https://example.com/builder' }, metadata: { startedOn: '2025-01-01T00:00:00Z' } },
  };
  const slsa02 = {
    builder: { id: 'https://example.com/builder' },
    buildType: 'https://example.com/type',
    invocation: { configSource: { uri: 'git+https://x', digest: { sha1: 'ab' }, entryPoint: 'build.yml' } },
    metadata: { buildStartedOn: '2025-01-01T00:00:00Z', completeness: { parameters: true } },
    materials: [{ uri: 'git+https://x', digest: { sha1: 'ab' } }],
  };

  it('validates SLSA provenance v1 and v0.2 predicates field by field', () => {
    assert.deepEqual(validatePredicate(SLSA_PROVENANCE_V1, slsa1), slsa1);
    assert.deepEqual(validatePredicate(SLSA_PROVENANCE_V02, slsa02), slsa02);
    const bad = (type: string, p: unknown, re: RegExp) =>
      assert.throws(() => validatePredicate(type, p), (e: unknown) => e instanceof UsageError && e.code === 'PREDICATE_INVALID' && re.test(e.message));
    bad(SLSA_PROVENANCE_V1, { ...slsa1, runDetails: undefined }, /runDetails is required/);
    bad(SLSA_PROVENANCE_V1, { ...slsa1, buildDefinition: { ...slsa1.buildDefinition, buildType: 5 } }, /buildDefinition\.buildType must be a string/);
    bad(SLSA_PROVENANCE_V1, { ...slsa1, buildDefinition: { ...slsa1.buildDefinition, externalParameters: undefined } }, /buildDefinition\.externalParameters is required/);
    bad(SLSA_PROVENANCE_V1, { ...slsa1, buildDefinition: { ...slsa1.buildDefinition, resolvedDependencies: [{ name: 'x' }] } }, /resolvedDependencies\[0\] needs at least one of uri, digest and content/);
    bad(SLSA_PROVENANCE_V1, { ...slsa1, runDetails: { builder: { id: 'not a uri' } } }, /runDetails\.builder\.id must be a URI/);
    bad(SLSA_PROVENANCE_V1, { ...slsa1, runDetails: { ...slsa1.runDetails, metadata: { finishedOn: 'tomorrow' } } }, /runDetails\.metadata\.finishedOn must be an RFC 3339 timestamp/);
    bad(SLSA_PROVENANCE_V02, { ...slsa02, builder: {} }, /builder\.id is required/);
    bad(SLSA_PROVENANCE_V02, { ...slsa02, materials: [{ digest: { sha1: 5 } }] }, /materials\[0\]\.digest\.sha1 must be a non-empty string/);
    bad(SLSA_PROVENANCE_V02, { ...slsa02, metadata: { reproducible: 'yes' } }, /metadata\.reproducible must be a boolean/);
    bad('https://example.com/any/v1', [1, 2], /must be a JSON object/);
    bad('not-a-uri', {}, /predicate type "not-a-uri" is not a URI/);
    // Any other type: any JSON object.
    assert.deepEqual(validatePredicate('https://example.com/any/v1', { free: ['form'] }), { free: ['form'] });
  });

  it('builds statements and checks complete ones', () => {
    const st = buildStatement([{ name: 'a.txt', digest: { sha256: 'ab'.repeat(32) } }], SLSA_PROVENANCE_V1, slsa1);
    assert.equal(st._type, IN_TOTO_STATEMENT_V1);
    assert.throws(() => buildStatement([], 'https://x/y', {}), /at least one subject/);
    const text = `${JSON.stringify(st, null, 2)}\n`;
    const parsed = parseStatementForSigning(text);
    assert.equal(parsed.payload.toString(), text, 'signed exactly as given');
    const bad = (s: unknown, re: RegExp) => assert.throws(() => parseStatementForSigning(typeof s === 'string' ? s : JSON.stringify(s)), re);
    bad('{', /not valid JSON/);
    bad({ ...st, _type: 'https://in-toto.io/Statement/v0.1' }, /_type must be "https:\/\/in-toto\.io\/Statement\/v1"/);
    bad({ ...st, subject: [] }, /subject must be a non-empty array/);
    bad({ ...st, subject: [{ name: 'a', digest: {} }] }, /subject\[0\]\.digest must be a non-empty object/);
    bad({ ...st, subject: [{ name: 'a', digest: { sha256: 'xyz' } }] }, /subject\[0\]\.digest\.sha256 must be a hex string/);
    bad({ ...st, predicate: { ...slsa1, runDetails: 1 } }, /runDetails must be an object/);
  });
});

describe('bundle serialization', () => {
  const entry = {
    logIndex: '0',
    logId: { keyId: Buffer.alloc(32, 1).toString('base64') },
    kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
    integratedTime: '1700000000',
    inclusionPromise: { signedEntryTimestamp: Buffer.from('set').toString('base64') },
    inclusionProof: { logIndex: '0', rootHash: Buffer.alloc(32, 2).toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope: 'origin\n1\nAA==\n\n— x y\n' } },
    canonicalizedBody: Buffer.from('{}').toString('base64'),
    extra: 'dropped',
  };

  it('writes v0.3 bundles that round-trip through parseBundle and protobuf-specs', async () => {
    const { Certificate } = await import('../../src/lib/x509.js');
    const pem = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'conformance', 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8');
    const cert = Buffer.from(JSON.parse(pem).verificationMaterial.certificate.rawBytes, 'base64');
    assert.ok(new Certificate(cert));
    const digest = createHash('sha256').update('x').digest();
    const b = serializeBundle({
      certificate: cert,
      tlogEntries: [entry],
      timestamps: [Buffer.from([0x30, 0])],
      content: { kind: 'messageSignature', digest: { algorithm: 'sha256', value: digest }, signature: Buffer.from('sig') },
    });
    assert.deepEqual(Object.keys(b), ['mediaType', 'verificationMaterial', 'messageSignature']);
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    const vm = b.verificationMaterial as Record<string, unknown>;
    assert.deepEqual(Object.keys(vm), ['certificate', 'tlogEntries', 'timestampVerificationData']);
    const e = (vm.tlogEntries as Record<string, unknown>[])[0]!;
    assert.equal(e.extra, undefined);
    assert.equal(e.logIndex, '0', 'a zero log index is written out');
    const parsed = parseBundle(bundleToText(b));
    assert.equal(parsed.version, '0.3');
    assert.equal(parsed.tlogEntries[0]!.logIndex, 0n);
    assert.deepEqual(parsed.content, { kind: 'messageSignature', digest: { algorithm: 'sha256', value: digest }, signature: Buffer.from('sig') });
    // protobuf-specs reads it and writes the same JSON (it only leaves out the zero defaults).
    const again = Bundle.toJSON(Bundle.fromJSON(JSON.parse(bundleToText(b)))) as Record<string, unknown>;
    const strip = (x: Record<string, unknown>) => JSON.parse(JSON.stringify(x).replaceAll('"logIndex":"0",', '').replaceAll('"hashes":[],', ''));
    assert.deepEqual(strip(again), strip(b));

    const env = createEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{}'), () => Buffer.from('s'));
    const d = serializeBundle({ certificate: cert, tlogEntries: [{ ...entry, integratedTime: '0', inclusionPromise: undefined }], timestamps: [], content: { kind: 'dsseEnvelope', envelope: env } });
    assert.deepEqual(Object.keys(d), ['mediaType', 'verificationMaterial', 'dsseEnvelope']);
    assert.equal((d.verificationMaterial as Record<string, unknown>).timestampVerificationData, undefined);
    const de = ((d.verificationMaterial as Record<string, unknown>).tlogEntries as Record<string, unknown>[])[0]!;
    assert.equal(de.integratedTime, undefined, 'Rekor v2 entries have no integrated time');
    assert.equal(parseBundle(d).content.kind, 'dsseEnvelope');
  });
});

describe('Rekor v1 answers', () => {
  const body = Buffer.from(JSON.stringify({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: {} })).toString('base64');
  const answer = {
    '24296fb24b8ad77a': {
      body,
      integratedTime: 1700000000,
      logID: 'ab'.repeat(32),
      logIndex: 7,
      verification: {
        inclusionProof: { checkpoint: 'cp', hashes: ['cd'.repeat(32)], logIndex: 7, rootHash: 'ef'.repeat(32), treeSize: 8 },
        signedEntryTimestamp: 'c2V0',
      },
    },
  };
  it('become TransparencyLogEntry JSON', () => {
    const e = toTlogEntry(answer, 'Rekor v1 at x');
    assert.deepEqual(e, {
      logIndex: '7',
      logId: { keyId: Buffer.from('ab'.repeat(32), 'hex').toString('base64') },
      kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
      integratedTime: '1700000000',
      inclusionPromise: { signedEntryTimestamp: 'c2V0' },
      inclusionProof: { logIndex: '7', rootHash: Buffer.from('ef'.repeat(32), 'hex').toString('base64'), treeSize: '8', hashes: [Buffer.from('cd'.repeat(32), 'hex').toString('base64')], checkpoint: { envelope: 'cp' } },
      canonicalizedBody: body,
    });
  });
  it('are refused when malformed, naming the log', () => {
    const v = answer['24296fb24b8ad77a'];
    const bad = (a: unknown, re: RegExp) => assert.throws(() => toTlogEntry(a, 'Rekor v1 at x'), (e: unknown) => e instanceof NetworkError && /Rekor v1 at x answered with an unusable log entry/.test(e.message) && re.test(e.message));
    bad([], /not a JSON object/);
    bad({ a: v, b: v }, /expected one entry, got 2/);
    bad({ a: { ...v, verification: undefined } }, /verification is missing/);
    bad({ a: { ...v, logID: 'xyz' } }, /logID is not hex/);
    bad({ a: { ...v, logIndex: -1 } }, /logIndex is not a non-negative integer/);
    bad({ a: { ...v, body: Buffer.from('nope').toString('base64') } }, /body is not base64 of JSON/);
    bad({ a: { ...v, verification: { ...v.verification, inclusionProof: { ...v.verification.inclusionProof, checkpoint: undefined } } } }, /checkpoint is missing/);
  });
});

describe('outputs', () => {
  it('refuses existing outputs without overwrite, duplicates, inputs and missing directories', () => {
    const a = join(tmp, 'exists.json');
    writeFileSync(a, 'old');
    assert.throws(() => planOutputs([a, join(tmp, 'new.json')]), (e: unknown) => e instanceof UsageError && e.code === 'OUTPUT_EXISTS' && e.message.includes(a));
    planOutputs([a], { overwrite: true });
    assert.throws(() => planOutputs([join(tmp, 'x'), join(tmp, '.', 'x')]), /would be written twice/);
    assert.throws(() => planOutputs([a], { overwrite: true, inputs: [a] }), /is also an input/);
    assert.throws(() => planOutputs([join(tmp, 'nodir', 'x.json')]), /the directory .*nodir does not exist/);
    assert.throws(() => planOutputs([tmp], { overwrite: true }), /it is a directory/);
  });

  it('writes atomically, never clobbers without overwrite, and leaves no temporary files', async () => {
    const p = join(tmp, 'atomic.json');
    await writeAtomic(p, 'one');
    assert.equal(readFileSync(p, 'utf8'), 'one');
    await assert.rejects(writeAtomic(p, 'two'), (e: unknown) => e instanceof UsageError && e.code === 'OUTPUT_EXISTS');
    assert.equal(readFileSync(p, 'utf8'), 'one');
    await writeAtomic(p, 'three', { overwrite: true });
    assert.equal(readFileSync(p, 'utf8'), 'three');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
    await assert.rejects(writeAtomic(join(tmp, 'nodir', 'x'), 'y'), /cannot write/);
  });

  it('removes the files it created when a later write fails', async () => {
    const a = join(tmp, 'set-a.json');
    const b = join(tmp, 'set-b.json');
    writeFileSync(b, 'existing');
    await assert.rejects(writeAllAtomic([{ path: a, data: 'A' }, { path: b, data: 'B' }]), /Refusing to overwrite/);
    assert.equal(existsSync(a), false, 'the created file was removed again');
    assert.equal(readFileSync(b, 'utf8'), 'existing');
  });

  it('writes many files concurrently, and leaves nothing behind when one cannot be written', async () => {
    const dir = mkdtempSync(join(tmp, 'many-'));
    const files = Array.from({ length: 40 }, (_, i) => ({ path: join(dir, `f${i}.json`), data: `content ${i}` }));
    await writeAllAtomic(files);
    for (const f of files) assert.equal(readFileSync(f.path, 'utf8'), f.data);
    const dir2 = mkdtempSync(join(tmp, 'many-'));
    const broken = [...files.map((f) => ({ ...f, path: join(dir2, basename(f.path)) })), { path: join(dir2, 'missing-dir', 'x.json'), data: 'x' }];
    await assert.rejects(writeAllAtomic(broken), /cannot write .*missing-dir/);
    assert.deepEqual(readdirSync(dir2), [], 'no output and no temporary file is left');
  });
});

it('keys and certificates from a key are consistent', () => {
  const k = new EphemeralKey('p384');
  assert.deepEqual(createPublicKey(k.publicKeyPem).export({ format: 'der', type: 'spki' }), k.spki);
});
