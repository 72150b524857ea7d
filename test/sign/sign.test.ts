/**
 * Signing end to end against the local Sigstore instance (in-process, 127.0.0.1): files, bytes,
 * digests and DSSE attestations, with Rekor v1 and v2, with and without a TSA, for every key
 * type; verified by our Verifier and by sigstore-js, and sigstore-js bundles signed against the
 * instance verified by ours. Service selection follows the signing config, never fixed URLs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier as JsVerifier } from '@sigstore/verify';
import { pae } from '../../src/bundle/dsse.js';
import { IN_TOTO_STATEMENT_V1, SLSA_PROVENANCE_V1 } from '../../src/bundle/intoto.js';
import { parseBundle } from '../../src/bundle/parse.js';
import { bundleToText, type BundleJson } from '../../src/bundle/serialize.js';
import { SigstoreError, TrustError, UsageError } from '../../src/errors.js';
import { Signer } from '../../src/sign/signer.js';
import { parseSigningConfig } from '../../src/trust/signing-config.js';
import { Identity } from '../../src/verify/policy.js';
import type { Artifact } from '../../src/verify/types.js';
import { Verifier } from '../../src/verify/verifier.js';
import { onlyRekor, signer, startTestInstance, type TestInstance, viaProxy, withSigningConfig } from './helpers.js';
import { type FaultProxy, startFaultProxy } from './proxy.js';

let t: TestInstance;
let file: string;
const CONTENT = Buffer.from('the artifact to sign\n');

before(async () => {
  t = await startTestInstance();
  file = join(t.dir, 'artifact.txt');
  writeFileSync(file, CONTENT);
});
after(async () => {
  await t?.stop();
});

/** Verifies with our own Verifier, from the bundle's text, as a fresh reader would. */
async function verifyOurs(b: BundleJson, artifact: Artifact) {
  const policy = new Identity({ identity: t.inst.identity, issuer: t.inst.issuer });
  return new Verifier(t.trustConfig.trustedRoot).verify(bundleToText(b), artifact, policy);
}

/** Verifies with sigstore-js (@sigstore/verify) against the instance's trusted root. */
function verifyJs(b: BundleJson, data?: Buffer) {
  const tm = toTrustMaterial(TrustedRoot.fromJSON(t.inst.trustedRoot));
  return new JsVerifier(tm).verify(toSignedEntity(bundleFromJSON(JSON.parse(bundleToText(b))), data), {
    subjectAlternativeName: t.inst.identity,
    extensions: { issuer: t.inst.issuer },
  });
}

function config(version: 1 | 2, tsa: boolean) {
  return withSigningConfig(t, onlyRekor(version, tsa), `v${version}-${tsa ? 'tsa' : 'notsa'}.json`).config;
}

const statement = (digest: Buffer) => ({
  _type: IN_TOTO_STATEMENT_V1,
  subject: [{ name: 'artifact.txt', digest: { sha256: digest.toString('hex') } }],
  predicateType: 'https://example.com/predicate/v1',
  predicate: { built: true },
});

describe('sign and verify', () => {
  for (const version of [1, 2] as const) {
    for (const tsa of version === 1 ? [true, false] : [true]) {
      for (const keyType of ['p256', 'p384'] as const) {
        it(`signs a file, bytes and a digest: Rekor v${version}, ${tsa ? 'with' : 'without'} a TSA, ${keyType}`, async () => {
          const s = signer(t, { trustConfig: config(version, tsa), keyType });
          const hash = keyType === 'p256' ? 'sha256' : 'sha384';
          const digest = createHash(hash).update(CONTENT).digest();
          const [fromFile, fromBytes, fromDigest] = await Promise.all([
            s.sign({ path: file }),
            s.sign(new Uint8Array(CONTENT)),
            s.sign({ digest: { algorithm: hash, value: digest } }),
          ]);
          for (const b of [fromFile, fromBytes, fromDigest]) {
            const parsed = parseBundle(bundleToText(b));
            assert.equal(parsed.version, '0.3');
            assert.equal(parsed.tlogEntries.length, 1);
            assert.equal(parsed.tlogEntries[0]!.kind, 'hashedrekord');
            assert.equal(parsed.tlogEntries[0]!.version, version === 1 ? '0.0.1' : '0.0.2');
            assert.equal(parsed.timestamps.length, tsa ? 1 : 0);
            assert.deepEqual(parsed.content.kind === 'messageSignature' && parsed.content.digest?.value, digest);
            for (const artifact of [{ path: file }, { data: CONTENT }, { digest: { algorithm: hash, value: digest } }] as Artifact[]) {
              const r = await verifyOurs(b, artifact);
              assert.equal(r.signer.kind === 'certificate' && r.signer.identity, t.inst.identity);
              assert.deepEqual(r.timestamps.map((x) => x.source).sort(), [...(tsa ? ['tsa'] : []), ...(version === 1 ? ['tlog'] : [])].sort());
            }
            await assert.rejects(verifyOurs(b, { data: Buffer.from('another artifact') }), /digest does not match|signature does not verify/);
          }
          // One certificate for the session.
          const certs = new Set([fromFile, fromBytes, fromDigest].map((b) => (b.verificationMaterial as { certificate: { rawBytes: string } }).certificate.rawBytes));
          assert.equal(certs.size, 1);
        });
      }
    }
  }

  for (const version of [1, 2] as const) {
    for (const keyType of ['p256', 'p384', 'ed25519'] as const) {
      it(`attests (DSSE, in-toto): Rekor v${version}, ${keyType}`, async () => {
        const s = signer(t, { trustConfig: config(version, true), keyType });
        const digest = createHash('sha256').update(CONTENT).digest();
        if (version === 2 && keyType === 'ed25519') {
          // Rekor v2 takes hashedrekord only and refuses pure Ed25519: refused before any request.
          const before = t.inst.rekorV2.log.size;
          await assert.rejects(s.attest(statement(digest)), (e: SigstoreError) => e.code === 'KEY_TYPE_UNSUPPORTED' && /use p256 or p384, or --rekor-version 1/.test(e.message));
          assert.equal(t.inst.rekorV2.log.size, before);
          return;
        }
        const b = await s.attest(statement(digest));
        const parsed = parseBundle(bundleToText(b));
        assert.equal(parsed.content.kind, 'dsseEnvelope');
        // Rekor v2: a hashedrekord 0.0.2 over the PAE's digest (with the key's hash), not a dsse entry.
        assert.equal(parsed.tlogEntries[0]!.kind, version === 1 ? 'dsse' : 'hashedrekord');
        assert.equal(parsed.tlogEntries[0]!.version, version === 1 ? '0.0.1' : '0.0.2');
        if (version === 2 && parsed.content.kind === 'dsseEnvelope') {
          const env = parsed.content.envelope;
          const body = JSON.parse(parsed.tlogEntries[0]!.canonicalizedBody.toString('utf8'));
          const alg = keyType === 'p384' ? 'sha384' : 'sha256';
          assert.equal(body.spec.hashedRekordV002.data.algorithm, keyType === 'p384' ? 'SHA2_384' : 'SHA2_256');
          assert.equal(body.spec.hashedRekordV002.data.digest, createHash(alg).update(pae(env.payloadType, env.payload)).digest('base64'));
          assert.equal(body.spec.hashedRekordV002.signature.content, env.signatures[0]!.sig.toString('base64'));
        }
        const r = await verifyOurs(b, { path: file });
        assert.equal(r.statement?.predicateType, 'https://example.com/predicate/v1');
        await assert.rejects(verifyOurs(b, { data: Buffer.from('not a subject') }), /not a subject/);
      });
    }
  }

  it('attests a statement given as bytes exactly as given, and SLSA provenance', async () => {
    const s = signer(t);
    const digest = createHash('sha256').update(CONTENT).digest();
    const text = `${JSON.stringify(statement(digest), null, 4)}\n`;
    const b = await s.attest(Buffer.from(text));
    assert.equal(Buffer.from((b.dsseEnvelope as { payload: string }).payload, 'base64').toString(), text);
    const slsa = await s.attest({
      ...statement(digest),
      predicateType: SLSA_PROVENANCE_V1,
      predicate: { buildDefinition: { buildType: 'https://example.com/t', externalParameters: {} }, runDetails: { builder: { id: 'https://example.com/b' } } },
    });
    assert.equal((await verifyOurs(slsa, { data: CONTENT })).statement?.predicateType, SLSA_PROVENANCE_V1);
    await assert.rejects(s.attest({ ...statement(digest), predicateType: SLSA_PROVENANCE_V1, predicate: {} }), /buildDefinition is required/);
    await assert.rejects(s.attest({ ...statement(digest), subject: [{ name: 'x', digest: { gitCommit: 'ab' } }] }), /no subject with a sha256, sha384 or sha512 digest/);
  });

  it('refuses to sign artifacts with Ed25519 (hashedrekord needs a prehashed signature), before any request', async () => {
    const p = await startFaultProxy(t.inst.url);
    try {
      const s = signer(t, { trustConfig: viaProxy(t, p.url).config, keyType: 'ed25519' });
      await assert.rejects(s.sign({ path: file }), (e: unknown) => e instanceof UsageError && e.code === 'KEY_TYPE_UNSUPPORTED' && /use p256 or p384, or attest/.test(e.message));
      assert.deepEqual(p.log, []);
    } finally {
      await p.close();
    }
  });

  it('signs many files with one certificate, concurrently, in order', async () => {
    const p = await startFaultProxy(t.inst.url, { latencyMs: 20 });
    try {
      const files = Array.from({ length: 40 }, (_, i) => {
        const f = join(t.dir, `many-${i}.txt`);
        writeFileSync(f, `file number ${i}\n`);
        return f;
      });
      const s = signer(t, { trustConfig: viaProxy(t, p.url).config });
      // Paths as strings or as { path }.
      const bundles = await s.signMany(files.map((path, i) => (i % 2 ? path : { path })));
      assert.equal(bundles.length, files.length);
      for (const [i, b] of bundles.entries()) await verifyOurs(b, { path: files[i]! });
      assert.equal(p.log.filter((l) => l === 'POST /api/v2/signingCert').length, 1, 'one certificate');
      assert.ok(p.maxInFlight > 8, `requests ran concurrently (at most ${p.maxInFlight} at once)`);
      await assert.rejects(verifyOurs(bundles[0]!, { path: files[1]! }));
    } finally {
      await p.close();
    }
  });
});

describe('service selection', () => {
  let p: FaultProxy;
  before(async () => {
    p = await startFaultProxy(t.inst.url);
  });
  after(async () => {
    await p.close();
  });

  it('uses the highest Rekor version the signing config offers, and the services it names', async () => {
    p.log.length = 0;
    const s = signer(t, { trustConfig: viaProxy(t, p.url).config });
    assert.deepEqual(s.services(), {
      fulcio: p.url,
      rekor: [{ url: p.url, version: 2 }],
      tsa: [`${p.url}/api/v1/timestamp`],
    });
    const b = await s.sign({ path: file });
    assert.equal(parseBundle(b).tlogEntries[0]!.version, '0.0.2');
    assert.deepEqual(p.log.sort(), ['POST /api/v1/timestamp', 'POST /api/v2/log/entries', 'POST /api/v2/signingCert']);
    const v1 = signer(t, { trustConfig: viaProxy(t, p.url).config, rekorVersion: 1 });
    assert.equal(parseBundle(await v1.sign({ path: file })).tlogEntries[0]!.version, '0.0.1');
  });

  it('with selector ALL, logs to every log of distinct operators (two instances)', async () => {
    const other = await startTestInstance();
    try {
      const { config } = viaProxy(t, p.url, (sc) => {
        sc.rekorTlogUrls = [
          { url: p.url, majorApiVersion: 1, validFor: { start: '2020-01-01T00:00:00Z' }, operator: 'a' },
          { url: `${p.url}/`, majorApiVersion: 1, validFor: { start: '2021-01-01T00:00:00Z' }, operator: 'a' },
          { url: other.inst.url, majorApiVersion: 1, validFor: { start: '2020-01-01T00:00:00Z' }, operator: 'b' },
        ];
        sc.rekorTlogConfig = { selector: 'ALL' };
      });
      // The trusted root lists both instances' logs.
      const trustedRoot = { ...config.trustedRoot, tlogs: [...config.trustedRoot.tlogs, ...other.trustConfig.trustedRoot.tlogs] };
      const s = new Signer({ trustedRoot, signingConfig: config.signingConfig, tokenProvider: () => t.inst.token() });
      assert.deepEqual(s.services().rekor.map((r) => r.url), [p.url, other.inst.url], 'one log per operator, the newest first');
      const b = await s.sign({ path: file });
      assert.equal(parseBundle(b).tlogEntries.length, 2);
      await new Verifier(trustedRoot).verify(b, { path: file }, new Identity({ identity: t.inst.identity, issuer: t.inst.issuer }));
    } finally {
      await other.stop();
    }
  });

  it('refuses before any request when the config cannot be satisfied', async () => {
    p.log.length = 0;
    const cases: [(sc: Record<string, unknown>) => void, Partial<ConstructorParameters<typeof Signer>[0]>, RegExp][] = [
      [(sc) => (sc.rekorTlogConfig = { selector: 'EXACT', count: 2 }), { rekorVersion: 1 }, /asks for exactly 2 Rekor v1 logs, but only 1 is usable/],
      [(sc) => (sc.caUrls = []), {}, /no usable Fulcio CA .*none is configured/],
      [onlyRekor(1), { rekorVersion: 2 }, /no usable Rekor v2 log .*need API v2, but those valid now speak v1/],
      [
        (sc) => {
          onlyRekor(2)(sc);
          (sc.rekorTlogUrls as { validFor: unknown }[])[0]!.validFor = { start: '2099-01-01T00:00:00Z' };
        },
        {},
        /none of the 1 configured is valid/,
      ],
    ];
    for (const [edit, opts, re] of cases) {
      const s = signer(t, { trustConfig: viaProxy(t, p.url, edit).config, ...opts });
      await assert.rejects(s.sign({ path: file }), (e: unknown) => e instanceof TrustError && re.test(e.message));
    }
    const noTsa = signer(t, { trustConfig: viaProxy(t, p.url, onlyRekor(2, false)).config });
    await assert.rejects(noTsa.sign({ path: file }), (e: unknown) => e instanceof SigstoreError && e.code === 'TSA_REQUIRED');
    assert.deepEqual(p.log, []);
  });

  it('checks its options', () => {
    assert.throws(() => new Signer({ identityToken: 'x' } as never), /needs a trustConfig/);
    assert.throws(() => new Signer({ trustConfig: t.trustConfig } as never), /needs an identityToken or a tokenProvider/);
    assert.throws(() => new Signer({ trustConfig: t.trustConfig, identityToken: 'x', rekorVersion: 3 as never }), /unsupported Rekor version 3/);
    assert.throws(() => new Signer({ trustConfig: t.trustConfig, identityToken: 'x', keyType: 'rsa' as never }), /unknown key type "rsa"/);
    assert.throws(() => new Signer({ trustConfig: t.trustConfig, trustedRoot: t.trustConfig.trustedRoot, identityToken: 'x' }), /not both/);
    const sc = parseSigningConfig(t.inst.signingConfig);
    assert.ok(new Signer({ trustedRoot: t.trustConfig.trustedRoot, signingConfig: sc, identityToken: 'x' }));
  });

  it('refuses an expired or malformed identity token before asking Fulcio', async () => {
    p.log.length = 0;
    const expired = await t.inst.token({ ttl: 60, issuedAt: new Date(Date.now() - 600_000) });
    await assert.rejects(new Signer({ trustConfig: viaProxy(t, p.url).config, identityToken: expired }).sign({ path: file }), /expired/);
    await assert.rejects(new Signer({ trustConfig: viaProxy(t, p.url).config, identityToken: 'not.a.jwt' }).sign({ path: file }), /identity token/);
    assert.deepEqual(p.log, []);
  });
});

describe('cross-client (sigstore-js)', () => {
  for (const version of [1, 2] as const) {
    it(`our bundles verify with sigstore-js: Rekor v${version}`, async () => {
      for (const keyType of ['p256', 'p384'] as const) {
        const s = signer(t, { trustConfig: config(version, true), keyType });
        const b = await s.sign({ path: file });
        const signer1 = verifyJs(b, CONTENT);
        assert.equal(signer1.identity?.subjectAlternativeName, t.inst.identity);
        // And sigstore-js refuses it for another artifact.
        assert.throws(() => verifyJs(b, Buffer.from('other')));
      }
      // DSSE: P-256 (sigstore-js checks DSSE signatures with SHA-256 whatever the curve). Rekor v2
      // DSSE bundles (hashedrekord over the PAE) are in PEER_CANNOT_VERIFY below.
      if (version === 1) {
        for (const keyType of ['p256', 'ed25519'] as const) {
          const s = signer(t, { trustConfig: config(version, true), keyType });
          verifyJs(await s.attest(statement(createHash('sha256').update(CONTENT).digest())));
        }
      }
    });
  }

  /**
   * Every combination we sign that sigstore-js (sigstore 4.1, @sigstore/verify 3.1) cannot verify,
   * and why. Each is checked to fail, so this list notices when the peer catches up.
   */
  const PEER_CANNOT_VERIFY: { what: string; why: RegExp; reason: string; options: { version: 1 | 2; keyType: 'p256' | 'p384' } }[] = [
    {
      what: 'DSSE, P-384, Rekor v1',
      options: { version: 1, keyType: 'p384' },
      why: /signature/i,
      reason: 'sigstore-js checks DSSE signatures with SHA-256 whatever the curve; a P-384 key signs the PAE with SHA-384',
    },
    {
      what: 'DSSE, P-256, Rekor v2',
      options: { version: 2, keyType: 'p256' },
      why: /digest mismatch/,
      reason: "sigstore-js compares a DSSE bundle's hashedrekord digest with the SHA-256 of the payload, not of the PAE that Rekor v2 logs",
    },
    {
      what: 'DSSE, P-384, Rekor v2',
      options: { version: 2, keyType: 'p384' },
      why: /signature|digest mismatch/i,
      reason: 'both of the above',
    },
  ];
  for (const c of PEER_CANNOT_VERIFY) {
    it(`sigstore-js cannot verify: ${c.what} (${c.reason}); ours does`, async () => {
      const s = signer(t, { trustConfig: config(c.options.version, true), keyType: c.options.keyType });
      const b = await s.attest(statement(createHash('sha256').update(CONTENT).digest()));
      await verifyOurs(b, { path: file });
      assert.throws(() => verifyJs(b), c.why);
    });
  }

  it('sigstore-js cannot attest to Rekor v2: it sends a dsseRequestV002, which rekor-tiles (and the instance) refuse with 400', async () => {
    const sc = structuredClone(t.inst.signingConfig) as { rekorTlogUrls: { majorApiVersion: number }[] };
    sc.rekorTlogUrls = sc.rekorTlogUrls.filter((r) => r.majorApiVersion === 2);
    const builder = bundleBuilderFromSigningConfig({ signingConfig: SigningConfig.fromJSON(sc), identityProvider: { getToken: () => t.inst.token() }, bundleType: 'dsseEnvelope' });
    const data = Buffer.from(JSON.stringify(statement(createHash('sha256').update(CONTENT).digest())));
    await assert.rejects(builder.create({ data, type: 'application/vnd.in-toto+json' }), /\(400\) dsseRequestV002 is not supported/);
  });

  for (const version of [1, 2] as const) {
    for (const bundleType of ['messageSignature', ...(version === 1 ? (['dsseEnvelope'] as const) : [])] as const) {
      it(`sigstore-js bundles signed against the instance verify with ours: Rekor v${version}, ${bundleType}`, async () => {
        const sc = t.inst.signingConfig as { rekorTlogUrls: { majorApiVersion: number }[] };
        sc.rekorTlogUrls = sc.rekorTlogUrls.filter((r) => r.majorApiVersion === version);
        const builder = bundleBuilderFromSigningConfig({
          signingConfig: SigningConfig.fromJSON(sc),
          identityProvider: { getToken: () => t.inst.token() },
          bundleType,
        });
        const digest = createHash('sha256').update(CONTENT).digest();
        const data = bundleType === 'messageSignature' ? CONTENT : Buffer.from(JSON.stringify(statement(digest)));
        const js = bundleToJSON(await builder.create({ data, type: 'application/vnd.in-toto+json' }));
        const r = await new Verifier(t.trustConfig.trustedRoot).verify(js as never, { path: file }, new Identity({ identity: t.inst.identity, issuer: t.inst.issuer }));
        assert.equal(r.signer.kind === 'certificate' && r.signer.identity, t.inst.identity);
        assert.equal(r.tlogEntries[0]!.version, version === 1 ? '0.0.1' : '0.0.2');
      });
    }
  }
});
