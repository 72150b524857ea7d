/**
 * A parsed bundle is one parseBundle returned (branded, deep-frozen), never an object that merely
 * has its keys; and a VerifierPool verifies, and reports, the bundle as it was submitted, not as
 * the caller's reused or changed input is later. The pool part runs the built library
 * (dist/index.js), as its workers do.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isParsedBundle, type ParsedBundle, parseBundle } from '../../src/bundle/parse.js';
import { BundleError } from '../../src/errors.js';
import type * as Lib from '../../src/index.js';
import { parseTrustedRoot } from '../../src/trust/trusted-root.js';
import { unsafeAcceptAnyIdentity } from '../../src/verify/policy.js';
import { Verifier } from '../../src/verify/verifier.js';

const C = join(import.meta.dirname, '..', 'fixtures', 'conformance');
const ROOT = join(import.meta.dirname, '..', '..', 'trust', 'production', 'trusted_root.json');
const TEXT = readFileSync(join(C, 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8');
const OTHER = readFileSync(join(C, 'happy-path-intoto-in-dsse-v3', 'bundle.sigstore.json'), 'utf8');
const artifact = { path: join(C, 'a.txt') };
const policy = unsafeAcceptAnyIdentity();
const verifier = new Verifier(parseTrustedRoot(readFileSync(ROOT, 'utf8')));

const notParsed = (e: unknown) => e instanceof BundleError && e.step === 'bundle' && e.code === 'BUNDLE_NOT_PARSED';

describe('Verifier.verify takes a parsed bundle only from parseBundle', () => {
  it('what parseBundle returned verifies, and is branded', async () => {
    const parsed = parseBundle(TEXT);
    assert.ok(isParsedBundle(parsed));
    await verifier.verify(parsed, artifact, policy);
  });

  it('a copy, a hand-made object or an object inheriting from a parsed bundle is refused (BUNDLE_NOT_PARSED)', async () => {
    const parsed = parseBundle(TEXT);
    const forged: ParsedBundle[] = [
      { ...parsed },
      Object.create(parsed),
      { mediaType: parsed.mediaType, version: parsed.version, material: parsed.material, tlogEntries: parsed.tlogEntries, timestamps: [], content: parsed.content, json: parsed.json },
      // The content of another bundle under this one's verified material: what a forged parse would do.
      { ...parsed, content: parseBundle(OTHER).content },
      { material: parsed.material } as ParsedBundle,
    ];
    for (const f of forged) {
      assert.equal(isParsedBundle(f), false);
      await assert.rejects(verifier.verify(f, artifact, policy), notParsed);
    }
  });

  it('a parsed bundle is deep-frozen: changing it throws', () => {
    const parsed = parseBundle(TEXT);
    const attempts: [string, () => unknown][] = [
      ['replace the material', () => ((parsed as { material: unknown }).material = { kind: 'publicKey', hint: '' })],
      ['replace the certificate', () => ((parsed.material as { certificate: unknown }).certificate = undefined)],
      ['add a log entry', () => parsed.tlogEntries.push(parsed.tlogEntries[0]!)],
      ['change a log index', () => ((parsed.tlogEntries[0] as { logIndex: bigint }).logIndex = 1n)],
      ['change the proof', () => parsed.tlogEntries[0]!.inclusionProof!.hashes.pop()],
      ['replace the signature', () => ((parsed.content as { signature: unknown }).signature = Buffer.alloc(0))],
      ['change the JSON', () => ((parsed.json as { mediaType: string }).mediaType = 'x')],
      ['add a timestamp', () => parsed.timestamps.push(Buffer.alloc(1))],
    ];
    for (const [what, f] of attempts) assert.throws(f, TypeError, what);
  });

  it('parsing a JSON object copies it: changing the object afterwards changes nothing parsed', () => {
    const obj = JSON.parse(TEXT);
    const parsed = parseBundle(obj);
    obj.mediaType = 'changed';
    obj.verificationMaterial.tlogEntries.length = 0;
    assert.equal(parsed.json.mediaType, JSON.parse(TEXT).mediaType);
    assert.equal(parsed.tlogEntries.length, 1);
    assert.equal((parsed.json.verificationMaterial!.tlogEntries as unknown[]).length, 1);
    assert.throws(() => parseBundle({ mediaType: () => 1 } as never), (e: unknown) => e instanceof BundleError && e.code === 'BUNDLE_INVALID');
  });
});

describe('VerifierPool results come from what was submitted and verified', async () => {
  const lib = (await import(pathToFileURL('dist/index.js').href)) as typeof Lib;
  const trust = lib.parseTrustedRoot(readFileSync(ROOT, 'utf8'));
  const certOf = (text: string) => (JSON.parse(text) as { verificationMaterial: { certificate: { rawBytes: string } } }).verificationMaterial.certificate.rawBytes;

  for (const options of [
    { workers: 1, callingThread: false },
    { workers: 0, callingThread: true },
  ]) {
    it(`${JSON.stringify(options)}: input changed right after submitting, and after the outcome`, async () => {
      const pool = await lib.VerifierPool.start(trust, options);
      try {
        const bytes = Buffer.from(TEXT);
        const obj = JSON.parse(TEXT);
        const data = readFileSync(artifact.path);
        const pending = [pool.verify(bytes, artifact, policy), pool.verify(obj, artifact, policy), pool.verify(TEXT, { data }, policy)];
        // Before the pool has sent anything: the caller reuses its buffers and objects.
        bytes.fill(0x20);
        Object.assign(obj, JSON.parse(OTHER));
        data.fill(0);
        const outcomes = await Promise.all(pending);
        for (const o of outcomes) assert.ok(o.ok, o.ok ? '' : o.error.message);
        // After the outcome, before the parsed bundle is asked for.
        obj.mediaType = 'changed';
        obj.verificationMaterial = {};
        for (const o of outcomes) {
          assert.ok(o.ok);
          assert.equal(o.result.bundle.mediaType, JSON.parse(TEXT).mediaType);
          assert.equal(o.result.bundle.content.kind, 'messageSignature');
          const cert = o.result.bundle.material.kind === 'certificate' ? o.result.bundle.material.certificate.raw.toString('base64') : '';
          assert.equal(cert, certOf(TEXT));
          assert.ok(o.result.signer.kind === 'certificate' && o.result.signer.certificate.raw.toString('base64') === certOf(TEXT));
        }
      } finally {
        await pool.close();
      }
    });
  }
});
