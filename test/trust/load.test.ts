/**
 * Choosing trust material without the network: explicit files (trusted root v0.1/v0.2, client
 * trust configs in either protobuf JSON spelling, malformed ones refused with the field named),
 * the embedded public-good material offline, unusable cache directories, fresh and expired
 * caches. Nothing here refreshes, so tuf-js must never be loaded (checked last).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TrustError, UsageError } from '../../src/errors.js';
import type { JsonObject } from '../../src/lib/json.js';
import { Certificate } from '../../src/lib/x509.js';
import { cachePaths, commitCache } from '../../src/trust/cache.js';
import { fixture } from './tuf-fixture.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { trustSourceFromFlags } from '../../src/trust/instances.js';
import { loadRekorV2SigningConfigJson, loadSigningConfigJson, loadTrust, loadTrustMaterial, resetTrustMemory } from '../../src/trust/load.js';
import { parseSigningConfig } from '../../src/trust/signing-config.js';
import { parseTrustedRoot } from '../../src/trust/trusted-root.js';
import { Identity } from '../../src/verify/policy.js';
import { Verifier } from '../../src/verify/verifier.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('sigstore-load-');
after(() => tmp.cleanup());

const embeddedRootExpiry = (kind: 'production' | 'staging') => new Date((EMBEDDED[kind].tufRoot as { signed: { expires: string } }).signed.expires);

function writeJson(name: string, value: unknown): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

function collect(): { warnings: string[]; onWarning: (m: string) => void } {
  const warnings: string[] = [];
  return { warnings, onWarning: (m) => warnings.push(m) };
}

/** Puts `trustedRoot` into a cache for `url`, signed by a fixture repository, expiring at `expires`. */
function seedCache(dir: string, url: string, trustedRoot: object, expires: Date, signingConfig?: object): void {
  const files: Record<string, Buffer> = { 'trusted_root.json': Buffer.from(JSON.stringify(trustedRoot)) };
  if (signingConfig) files['signing_config.v0.2.json'] = Buffer.from(JSON.stringify(signingConfig));
  const f = fixture(join(dir, '..', `${dir.split('/').pop()}-repo`));
  commitCache(cachePaths(url, dir), f.publish(files, { timestamp: expires, snapshot: expires }));
}

describe('explicit trust files', () => {
  it('reads a trusted root with the v0.1 and the v0.2 media type', async () => {
    const v01 = writeJson('tr01.json', EMBEDDED.production.trustedRoot);
    const v02 = writeJson('tr02.json', { ...EMBEDDED.production.trustedRoot, mediaType: 'application/vnd.dev.sigstore.trustedroot.v0.2+json' });
    for (const trustedRoot of [v01, v02]) {
      const { trustMaterial, origin, signingConfigJson } = await loadTrust({ trustedRoot });
      assert.ok(trustMaterial.tlogs.length > 0);
      assert.equal(origin.kind, 'file');
      assert.equal(signingConfigJson, undefined);
    }
  });

  it('refuses a trusted root whose transparency log has no validFor.start, naming the field', async () => {
    const trustedRoot = join(CONFORMANCE_DIR, 'trust-root-tlog-missing-validity-start_fail', 'trusted_root.json');
    await assert.rejects(loadTrustMaterial({ trustedRoot }), (e: Error) => e instanceof TrustError && /tlogs\[\d+\]\.publicKey\.validFor\.start/.test(e.message));
  });

  it('reads a client trust config: its trusted root and its signing config', async () => {
    const trustConfig = writeJson('tc.json', {
      mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
      trustedRoot: EMBEDDED.staging.trustedRoot,
      signingConfig: EMBEDDED.staging.signingConfig,
    });
    const active = await loadTrust({ trustConfig });
    assert.equal(active.origin.kind, 'trust-config');
    assert.deepEqual(active.signingConfigJson, EMBEDDED.staging.signingConfig);
    assert.deepEqual(await loadSigningConfigJson({ trustConfig }), EMBEDDED.staging.signingConfig);
  });

  it('accepts both protobuf JSON spellings of every field (signing_config and signingConfig), refusing a field given twice', async () => {
    const snake = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(snake) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(x)])) : v;
    const doc = { mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot: EMBEDDED.staging.trustedRoot, signingConfig: EMBEDDED.staging.signingConfig };
    const snaked = snake(doc) as Record<string, unknown>;
    assert.ok('signing_config' in snaked && 'base_url' in JSON.parse(JSON.stringify(snaked)).trusted_root.tlogs[0]);
    const active = await loadTrust({ trustConfig: writeJson('tc-snake.json', snaked) });
    assert.deepEqual(active.signingConfigJson, EMBEDDED.staging.signingConfig);
    assert.deepEqual(active.trustedRootJson, EMBEDDED.staging.trustedRoot);
    const camel = await loadTrust({ trustConfig: writeJson('tc-camel.json', doc) });
    assert.deepEqual(active.trustMaterial.tlogs.map((t) => t.logId), camel.trustMaterial.tlogs.map((t) => t.logId));
    const tr = await loadTrust({ trustedRoot: writeJson('tr-snake.json', snaked.trusted_root) });
    assert.equal(tr.trustMaterial.tlogs.length, camel.trustMaterial.tlogs.length);
    assert.equal(parseSigningConfig(snaked.signing_config as Record<string, unknown>).rekorTlogUrls[0]?.url, 'https://global.rekor.sigstage.dev');
    const twice = { ...doc, signing_config: doc.signingConfig };
    await assert.rejects(loadTrust({ trustConfig: writeJson('tc-twice.json', twice) }), (e: Error) => e instanceof TrustError && /signingConfig is given twice \(as signingConfig and as signing_config\)/.test(e.message));
    const tlog = (EMBEDDED.staging.trustedRoot as { tlogs: Record<string, unknown>[] }).tlogs[0]!;
    const twiceDeep = { ...EMBEDDED.staging.trustedRoot, tlogs: [{ ...tlog, base_url: 'https://elsewhere.example' }] };
    assert.throws(() => parseTrustedRoot(twiceDeep), /tlogs\[0\]\.baseUrl is given twice/);
  });

  it('refuses malformed client trust configs, naming what is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.2+json', trustedRoot: {}, signingConfig: {} }, /unsupported mediaType/],
      [{ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', signingConfig: {} }, /trustedRoot is missing/],
      [{ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot: EMBEDDED.staging.trustedRoot }, /signingConfig is missing/],
      [
        {
          mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
          trustedRoot: { ...EMBEDDED.staging.trustedRoot, tlogs: [{ baseUrl: 'x' }] },
          signingConfig: {},
        },
        /tlogs\[0\]\.publicKey must be an object/,
      ],
      ['[1,2]', /not a JSON object/],
    ];
    for (const [i, [doc, re]] of cases.entries()) {
      const trustConfig = join(tmp.dir, `bad-tc-${i}.json`);
      writeFileSync(trustConfig, typeof doc === 'string' ? doc : JSON.stringify(doc));
      await assert.rejects(loadTrustMaterial({ trustConfig }), (e: Error) => e instanceof TrustError && re.test(e.message), `case ${i}`);
    }
  });

  it('says when a file cannot be read', async () => {
    await assert.rejects(loadTrustMaterial({ trustedRoot: join(tmp.dir, 'nope.json') }), (e: Error) => e instanceof UsageError && /no such file/.test(e.message));
  });
});

describe('trusted root keys', () => {
  const json = EMBEDDED.production.trustedRoot as unknown as JsonObject;
  const bundle = readFileSync(join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json'));
  const artifact = { path: join(CONFORMANCE_DIR, 'a.txt') };
  const policy = new Identity({ identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER });
  /** The same DER with the last byte of the key flipped: still shaped like a key, but not a point on its curve. */
  const spoilKey = (b64: string, spki = (der: Buffer) => der): string => {
    const der = Buffer.from(b64, 'base64');
    const key = spki(der);
    der[key.byteOffset - der.byteOffset + key.length - 1]! ^= 1;
    return der.toString('base64');
  };
  const withLogs = (field: 'tlogs' | 'ctlogs', rawBytes: (b64: string) => string) => ({
    ...json,
    [field]: (json[field] as JsonObject[]).map((l) => ({ ...l, publicKey: { ...(l.publicKey as JsonObject), rawBytes: rawBytes((l.publicKey as JsonObject).rawBytes as string) } })),
  });

  it('refuses a log key that is not shaped like a key when the trusted root is parsed', () => {
    for (const field of ['tlogs', 'ctlogs'] as const) {
      for (const bad of ['AAAA', Buffer.from('30030201ff', 'hex').toString('base64')]) {
        assert.throws(
          () => parseTrustedRoot(withLogs(field, () => bad)),
          (e: Error) => e instanceof TrustError && e.code === 'TRUSTED_ROOT_INVALID' && new RegExp(`${field}\\[0\\]\\.publicKey\\.rawBytes is not a valid public key`).test(e.message),
        );
      }
    }
  });

  it('imports keys when first used: a key OpenSSL refuses fails the verification that needs it, naming the field', async () => {
    assert.ok((await new Verifier(parseTrustedRoot(json)).verify(bundle, artifact, policy)).signer);
    const cases: [JsonObject, RegExp][] = [
      [withLogs('tlogs', (b) => spoilKey(b)), /tlogs\[\d\]\.publicKey\.rawBytes is not a valid public key/],
      [withLogs('ctlogs', (b) => spoilKey(b)), /ctlogs\[\d\]\.publicKey\.rawBytes is not a valid public key/],
      [
        {
          ...json,
          certificateAuthorities: (json.certificateAuthorities as JsonObject[]).map((ca) => ({
            ...ca,
            certChain: {
              certificates: ((ca.certChain as JsonObject).certificates as JsonObject[]).map((c) => ({ rawBytes: spoilKey(c.rawBytes as string, (der) => new Certificate(der).spki) })),
            },
          })),
        },
        /certificateAuthorities\[\d\]\.certChain\.certificates\[\d\] is not a valid certificate \(OpenSSL cannot use its public key\)/,
      ],
    ];
    for (const [root, re] of cases) {
      const trust = parseTrustedRoot(root); // shaped right: accepted until a key is used
      await assert.rejects(new Verifier(trust).verify(bundle, artifact, policy), (e: Error) => e instanceof TrustError && e.code === 'TRUSTED_ROOT_INVALID' && re.test(e.message), String(re));
    }
  });
});

describe('selection', () => {
  it('refuses contradictory sources', async () => {
    await assert.rejects(loadTrustMaterial({ staging: true, instance: 'https://tuf.example' }), UsageError);
    await assert.rejects(loadTrustMaterial({ trustedRoot: 'a', trustConfig: 'b' }), /--trusted-root and --trust-config cannot be used together/);
    await assert.rejects(loadTrust({ offline: true, refresh: true }), UsageError);
    await assert.rejects(loadSigningConfigJson({ trustedRoot: 'a' }), /verification only/);
    assert.throws(() => trustSourceFromFlags({ staging: true, trustConfig: 'x' }), /--trust-config and --staging cannot be used together/);
    assert.throws(() => trustSourceFromFlags({ instance: 'ftp://x' }), /only http and https/);
  });

  it('builds a source from flags', () => {
    assert.deepEqual(trustSourceFromFlags({ instance: 'http://127.0.0.1:9/tuf/', trustCache: '/c', offline: true, staging: false }), {
      instance: 'http://127.0.0.1:9/tuf',
      cacheDir: '/c',
      offline: true,
    });
  });
});

describe('public-good material with no cache, offline', () => {
  for (const kind of ['production', 'staging'] as const) {
    it(`uses the embedded ${kind} material without the network, warning once when it is past its TUF expiry`, async () => {
      resetTrustMemory();
      const { warnings, onWarning } = collect();
      const active = await loadTrust({ staging: kind === 'staging', offline: true, cacheDir: join(tmp.dir, `empty-${kind}`), onWarning });
      assert.equal(active.origin.kind, 'embedded');
      assert.equal(active.origin.instance, kind);
      assert.deepEqual(active.trustedRootJson, EMBEDDED[kind].trustedRoot);
      const stale = embeddedRootExpiry(kind).getTime() <= Date.now();
      assert.equal(active.origin.stale, stale);
      assert.deepEqual(active.trustMaterial.freshness, { origin: 'embedded', stale, expires: embeddedRootExpiry(kind) });
      assert.equal(warnings.length, stale ? 1 : 0);
      if (stale) assert.match(warnings[0]!, /embedded .* trust material .*expired .*using it anyway because of --offline/);
      // once per process
      await loadTrust({ staging: kind === 'staging', offline: true, cacheDir: join(tmp.dir, `empty-${kind}`), onWarning });
      assert.equal(warnings.length, stale ? 1 : 0);
    });
  }

  it('works when the cache directory cannot exist (a file is in the way)', async () => {
    const blocker = join(tmp.dir, 'file-not-dir');
    writeFileSync(blocker, 'x');
    const t = await loadTrustMaterial({ cacheDir: join(blocker, 'cache'), offline: true, onWarning: () => {} });
    assert.match(t.source, /embedded production/);
  });

  it('gives the embedded signing configs when nothing else is available offline', async () => {
    const cacheDir = join(tmp.dir, 'empty-sc');
    assert.deepEqual(await loadSigningConfigJson({ staging: true, offline: true, cacheDir, onWarning: () => {} }), EMBEDDED.staging.signingConfig);
    assert.deepEqual(await loadRekorV2SigningConfigJson({ staging: true, offline: true, cacheDir, onWarning: () => {} }), EMBEDDED.staging.rekorV2SigningConfig);
    assert.deepEqual(await loadRekorV2SigningConfigJson({ offline: true, cacheDir, onWarning: () => {} }), EMBEDDED.production.rekorV2SigningConfig);
  });
});

describe('cached material', () => {
  const url = 'http://127.0.0.1:9/tuf'; // nothing listens on port 9: any request would fail

  it('is used while fresh, without the network, and says where it came from', async () => {
    const dir = join(tmp.dir, 'fresh');
    seedCache(dir, url, EMBEDDED.staging.trustedRoot, new Date(Date.now() + 3600_000), EMBEDDED.staging.signingConfig);
    const { warnings, onWarning } = collect();
    const active = await loadTrust({ instance: url, cacheDir: dir, onWarning });
    assert.equal(active.origin.kind, 'tuf');
    assert.equal(active.origin.refreshed, false);
    assert.equal(active.origin.rootVersion, 1);
    assert.match(active.origin.description, /TUF repository http:\/\/127\.0\.0\.1:9\/tuf \(cached in .*timestamp v\d+/);
    assert.deepEqual(active.trustedRootJson, EMBEDDED.staging.trustedRoot);
    assert.equal(active.trustMaterial.freshness?.origin, 'tuf');
    assert.equal(active.trustMaterial.freshness?.stale, false);
    assert.deepEqual(await loadSigningConfigJson({ instance: url, cacheDir: dir, onWarning }), EMBEDDED.staging.signingConfig);
    // An instance that publishes no Rekor v2 config: its default config.
    assert.deepEqual(await loadRekorV2SigningConfigJson({ instance: url, cacheDir: dir, onWarning }), EMBEDDED.staging.signingConfig);
    assert.deepEqual(warnings, []);
  });

  it('a production cache not signed by keys the shipped root leads to is not used (offline: the embedded copy, with one warning)', async () => {
    const dir = join(tmp.dir, 'foreign-prod');
    seedCache(dir, EMBEDDED.production.tufUrl, EMBEDDED.staging.trustedRoot, new Date(Date.now() + 3600_000));
    const { warnings, onWarning } = collect();
    const active = await loadTrust({ cacheDir: dir, offline: true, onWarning });
    assert.equal(active.origin.kind, 'embedded');
    assert.deepEqual(active.trustedRootJson, EMBEDDED.production.trustedRoot);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cached TUF metadata in .*: root\.json v1 is older than the trusted root v\d+ shipped with sigstore-ts \(rollback\): not used; using embedded production trust material/);
  });

  it('is used offline after it expired, with a warning', async () => {
    const dir = join(tmp.dir, 'expired');
    seedCache(dir, url, EMBEDDED.staging.trustedRoot, new Date(Date.now() - 60_000));
    const { warnings, onWarning } = collect();
    const active = await loadTrust({ instance: url, cacheDir: dir, offline: true, onWarning });
    assert.equal(active.origin.stale, true);
    assert.equal(active.trustMaterial.freshness?.stale, true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /TUF repository http:\/\/127\.0\.0\.1:9\/tuf .*expired .*because of --offline/);
  });

  it('refuses an instance that was never pinned, pointing at trust-instance', async () => {
    const other = 'http://127.0.0.1:9/other';
    await assert.rejects(loadTrustMaterial({ instance: other, cacheDir: join(tmp.dir, 'none'), offline: true }), (e: Error) => e instanceof TrustError && /trust-instance ROOT_JSON --instance http:\/\/127\.0\.0\.1:9\/other/.test(e.message));
    await assert.rejects(loadTrustMaterial({ instance: other, cacheDir: join(tmp.dir, 'none') }), (e: Error) => e instanceof TrustError && /not trusted yet/.test(e.message));
  });
});

it('never loaded tuf-js (no refresh happened in this file)', () => {
  // (the test fixture signs metadata with @tufjs/models; the client, tuf-js, must stay unloaded)
  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\/]node_modules[\\/]tuf-js[\\/]/.test(k));
  assert.deepEqual(loaded, []);
});
