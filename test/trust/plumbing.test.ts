/**
 * `sigstore plumbing fix-bundle`: an older bundle (no inclusion proof, no checkpoint) is completed
 * from the Rekor v1 log that holds its entry (by log index, else by UUID), every fetched proof
 * verified first; --upgrade-version makes a v0.3 bundle; --in-place rewrites the file. Against a
 * stand-in Rekor serving a real production entry, and against the local instance's Rekor v1.
 * Also the plumbing command line itself (help, unknown commands, exclusive flags).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { leafHash } from '../../src/lib/merkle.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { cleanEnv, runCli, tempDir } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON surgery on bundles
type Json = Record<string, any>;

const tmp = tempDir('sigstore-plumbing-');
// fix-bundle finds the log in the embedded production trust material, offline.
const env = cleanEnv({ HOME: tmp.dir, NO_PROXY: '127.0.0.1', SIGSTORE_OFFLINE: '1' });
after(() => tmp.cleanup());

const CASE = join(CONFORMANCE_DIR, 'happy-path-v0.2');
const ARTIFACT = join(CONFORMANCE_DIR, 'a.txt');
const original = JSON.parse(readFileSync(join(CASE, 'bundle.sigstore.json'), 'utf8')) as Json;
const entry = original.verificationMaterial.tlogEntries[0] as Json;
const b64hex = (s: string) => Buffer.from(s, 'base64').toString('hex');

/** The entry as Rekor v1's API returns it. */
function rekorEntry(tamper = false): Json {
  const p = entry.inclusionProof;
  const hashes = (p.hashes as string[]).map(b64hex);
  if (tamper) hashes[2] = hashes[2]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  return {
    body: entry.canonicalizedBody,
    integratedTime: Number(entry.integratedTime),
    logID: b64hex(entry.logId.keyId),
    logIndex: Number(entry.logIndex),
    verification: {
      inclusionProof: { checkpoint: p.checkpoint.envelope, hashes, logIndex: Number(p.logIndex), rootHash: b64hex(p.rootHash), treeSize: Number(p.treeSize) },
      signedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
    },
  };
}

const uuid = leafHash(Buffer.from(entry.canonicalizedBody, 'base64')).toString('hex');

/** A stand-in Rekor v1: `mode` decides what it answers. */
let mode: 'ok' | 'tamper' | 'uuid-only' = 'ok';
const seen: string[] = [];
let server: Server;
let rekorUrl: string;

before(async () => {
  server = createServer((req, res) => {
    seen.push(req.url!);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === `/api/v1/log/entries?logIndex=${entry.logIndex}` && mode !== 'uuid-only') return send(200, { [`24296fb24b8ad77a${uuid}`]: rekorEntry(mode === 'tamper') });
    if (req.url === `/api/v1/log/entries/${uuid}`) return send(200, { [uuid]: rekorEntry() });
    return send(404, { code: 404, message: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rekorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

/** The bundle as an older client wrote it: v0.1, an inclusion promise only. */
function oldBundle(name: string): string {
  const b = structuredClone(original);
  b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
  delete b.verificationMaterial.tlogEntries[0].inclusionProof;
  const path = join(tmp.dir, name);
  writeFileSync(path, JSON.stringify(b));
  return path;
}

async function verify(bundle: string) {
  return runCli(['verify', 'identity', '--offline', '--bundle', bundle, '--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER, ARTIFACT], { env });
}

describe('plumbing fix-bundle (stand-in Rekor serving a production entry)', () => {
  it('restores the inclusion proof and checkpoint of an entry, found by log index', async () => {
    mode = 'ok';
    const path = oldBundle('old.json');
    const r = await runCli(['plumbing', 'fix-bundle', '--bundle', path, '--rekor-url', rekorUrl], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /completed 1 log entry/);
    const fixed = JSON.parse(r.stdout) as Json;
    assert.equal(fixed.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.1');
    assert.deepEqual(fixed.verificationMaterial.tlogEntries[0].inclusionProof, entry.inclusionProof);
    const out = join(tmp.dir, 'fixed.json');
    writeFileSync(out, r.stdout);
    const v = await verify(out);
    assert.equal(v.status, 0, v.stderr);
  });

  it('upgrades to v0.3 (a single certificate) and rewrites the file in place', async () => {
    mode = 'ok';
    const path = oldBundle('upgrade.json');
    const r = await runCli(['plumbing', 'fix-bundle', '--bundle', path, '--rekor-url', rekorUrl, '--upgrade-version', '--in-place'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /completed 1 log entry, upgraded to application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json/);
    const fixed = JSON.parse(readFileSync(path, 'utf8')) as Json;
    assert.equal(fixed.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(fixed.verificationMaterial.x509CertificateChain, undefined);
    assert.equal(fixed.verificationMaterial.certificate.rawBytes, original.verificationMaterial.x509CertificateChain.certificates[0].rawBytes);
    const v = await verify(path);
    assert.equal(v.status, 0, v.stderr);
  });

  it('falls back to the entry UUID when the log index lookup finds nothing', async () => {
    mode = 'uuid-only';
    seen.length = 0;
    const r = await runCli(['plumbing', 'fix-bundle', '--bundle', oldBundle('uuid.json'), '--rekor-url', rekorUrl], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(seen, [`/api/v1/log/entries?logIndex=${entry.logIndex}`, `/api/v1/log/entries/${uuid}`]);
    assert.deepEqual((JSON.parse(r.stdout) as Json).verificationMaterial.tlogEntries[0].inclusionProof, entry.inclusionProof);
  });

  it('refuses a proof that does not verify, and leaves the file alone', async () => {
    mode = 'tamper';
    const path = oldBundle('tampered.json');
    const before = readFileSync(path, 'utf8');
    const r = await runCli(['plumbing', 'fix-bundle', '--bundle', path, '--rekor-url', rekorUrl, '--in-place'], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /inclusion proof .* does not verify: inclusion proof does not lead to its root hash/);
    assert.equal(readFileSync(path, 'utf8'), before);
  });

  it('does nothing (and asks nothing) for a complete bundle; upgrades it on request', async () => {
    seen.length = 0;
    const path = join(CASE, 'bundle.sigstore.json');
    const r = await runCli(['plumbing', 'fix-bundle', '--bundle', path, '--rekor-url', rekorUrl], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /nothing to fix/);
    assert.deepEqual(JSON.parse(r.stdout), original);
    const up = await runCli(['plumbing', 'fix-bundle', '--bundle', path, '--upgrade-version'], { env });
    assert.equal(up.status, 0, up.stderr);
    assert.equal((JSON.parse(up.stdout) as Json).mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.deepEqual(seen, []);
  });

  it('refuses an entry of a log the trusted root does not know', async () => {
    const b = JSON.parse(readFileSync(oldBundle('unknown-log.json'), 'utf8')) as Json;
    b.verificationMaterial.tlogEntries[0].logId.keyId = Buffer.alloc(32, 7).toString('base64');
    const path = join(tmp.dir, 'unknown-log.json');
    writeFileSync(path, JSON.stringify(b));
    const r = await runCli(['plumbing', 'fix-bundle', '--bundle', path], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /comes from a log not in the trusted root/);
  });
});

describe('plumbing fix-bundle (the local instance)', () => {
  it('completes a bundle from the instance Rekor v1 log', async () => {
    const { startInstance } = await import('../../src/instance/index.js');
    const inst = await startInstance({ dataDir: join(tmp.dir, 'instance'), port: 0 });
    try {
      const artifact = join(tmp.dir, 'signed.txt');
      writeFileSync(artifact, 'signed with Rekor v1\n');
      const bundle = join(tmp.dir, 'signed.sigstore.json');
      const token = await inst.token();
      const s = await runCli(['sign', '--trust-config', inst.files.trustConfig, '--rekor-version', '1', '--identity-token', token, '--bundle', bundle, artifact], { env });
      assert.equal(s.status, 0, s.stderr);
      const b = JSON.parse(readFileSync(bundle, 'utf8')) as Json;
      const proof = b.verificationMaterial.tlogEntries[0].inclusionProof;
      assert.ok(proof?.checkpoint?.envelope, 'a Rekor v1 entry with a checkpoint');
      // An older client's bundle: no proof, v0.1 with a certificate chain.
      delete b.verificationMaterial.tlogEntries[0].inclusionProof;
      b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
      b.verificationMaterial.x509CertificateChain = { certificates: [b.verificationMaterial.certificate] };
      delete b.verificationMaterial.certificate;
      writeFileSync(bundle, JSON.stringify(b));
      const f = await runCli(['--trust-config', inst.files.trustConfig, 'plumbing', 'fix-bundle', '--bundle', bundle, '--upgrade-version', '--in-place'], { env });
      assert.equal(f.status, 0, f.stderr);
      const fixed = JSON.parse(readFileSync(bundle, 'utf8')) as Json;
      assert.equal(fixed.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.equal(fixed.verificationMaterial.tlogEntries[0].inclusionProof.treeSize, proof.treeSize);
      const v = await runCli(['verify', 'identity', '--trust-config', inst.files.trustConfig, '--bundle', bundle, '--cert-identity', inst.identity, '--cert-oidc-issuer', inst.issuer, artifact], { env });
      assert.equal(v.status, 0, v.stderr);
    } finally {
      await inst.stop();
    }
  });
});

describe('plumbing command line', () => {
  it('prints help, and refuses unknown commands and contradictory flags with exit 2', async () => {
    const h = await runCli(['plumbing', '--help'], { env });
    assert.equal(h.status, 0);
    assert.match(h.stdout, /update-trust-root/);
    const u = await runCli(['plumbing', 'frobnicate'], { env });
    assert.equal(u.status, 2);
    assert.match(u.stderr, /unknown plumbing command 'frobnicate'/);
    const x = await runCli(['--staging', 'plumbing', 'trust-root', '--instance', 'http://127.0.0.1:9/tuf'], { env });
    assert.equal(x.status, 2);
    assert.match(x.stderr, /--staging and --instance cannot be used together/);
    const tc = await runCli(['plumbing', 'update-trust-root', '--trust-config', join(tmp.dir, 'x.json')], { env });
    assert.equal(tc.status, 2);
    const fb = await runCli(['plumbing', 'fix-bundle'], { env });
    assert.equal(fb.status, 2);
    assert.match(fb.stderr, /--bundle/);
    const ti = await runCli(['trust-instance', 'root.json'], { env });
    assert.equal(ti.status, 2);
    assert.match(ti.stderr, /--instance URL/);
  });

  it('update-trust-root of an unreachable public-good repository fails with a clear message', async () => {
    const r = await runCli(['--staging', 'plumbing', 'update-trust-root'], { env: cleanEnv({ HOME: tmp.dir, HTTPS_PROXY: 'http://127.0.0.1:9' }) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: cannot update the trust material of staging: .*tuf-repo-cdn\.sigstage\.dev/);
  });
});
