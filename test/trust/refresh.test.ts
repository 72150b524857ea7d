/**
 * Refresh decisions and messages that need no Sigstore instance: tuf-js refusals named after the
 * attack they stop; with nothing cached and no network, a refusal that names --offline, the
 * failure remembered only for a short back-off; the time budget kept against a repository
 * that answers 503 or never answers, the expired cache left in place; a pin that is not a TUF root.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NetworkError, TrustError } from '../../src/errors.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { cachePaths, commitCache } from '../../src/trust/cache.js';
import { loadSigningConfigJson, loadTrust, resetTrustMemory, trustInstance } from '../../src/trust/load.js';
import { REFRESH_BACKOFF_MS } from '../../src/trust/refresh.js';
import { describeTufError } from '../../src/trust/tuf.js';
import { sleep, snapshotDir, startRecorder, tempDir } from './helpers.js';
import { fixture } from './tuf-fixture.js';

const tmp = tempDir('sigstore-refresh-');
after(() => tmp.cleanup());

function named(name: string, message: string): Error {
  const C = { [name]: class extends Error {} }[name]!;
  return new C(message);
}

describe('refusals are named after the attack they stop', () => {
  const repo = 'https://tuf.example';
  const cases: [Error, string, RegExp][] = [
    [named('UnsignedMetadataError', 'root was signed by 0/1 keys'), 'TUF_THRESHOLD', /threshold of trusted keys \(arbitrary metadata attack\): root was signed by 0\/1 keys/],
    [named('ExpiredMetadataError', 'Final timestamp.json is expired'), 'TUF_EXPIRED', /freeze attack/],
    [named('LengthOrHashMismatchError', 'Expected hash a but got b'), 'TUF_HASH_MISMATCH', /mix-and-match or tampering\): Expected hash a but got b/],
    [named('BadVersionError', 'Expected version 3, got 2'), 'TUF_ROLLBACK', /rollback or mix-and-match attack/],
    // tuf-js wraps snapshot and targets errors into plain messages
    [named('RuntimeError', 'Unable to load snapshot metadata error Error: Expected hash x but got y'), 'TUF_HASH_MISMATCH', /Unable to load snapshot metadata: Expected hash x/],
    [named('RuntimeError', 'Unable to load targets error Error: Version 3 of targets does not match snapshot version 4'), 'TUF_ROLLBACK', /does not match snapshot version 4/],
    [named('DownloadLengthMismatchError', 'Max length reached'), 'TUF_TOO_LARGE', /endless data/],
    [new Error('something else'), 'TUF_UPDATE_FAILED', /invalid metadata: something else/],
  ];
  for (const [err, code, re] of cases) {
    it(`${err.constructor.name}: ${err.message}`, () => {
      const e = describeTufError(err, repo);
      assert.ok(e instanceof TrustError);
      assert.equal(e.code, code);
      assert.match(e.message, /^TUF update from https:\/\/tuf\.example refused: /);
      assert.match(e.message, re);
    });
  }
  it('passes sigstore errors through', () => {
    const n = new NetworkError('SERVICE_UNAVAILABLE', 'down');
    assert.equal(describeTufError(n, repo), n);
  });
});

/** A TUF repository on loopback that answers every request with `mode`: 503 (with Retry-After) or never. */
async function badRepository(mode: '503' | 'hang'): Promise<{ url: string; requests: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { requests: 0 };
  const server = createServer((_req, res) => {
    state.requests++;
    if (mode === '503') res.writeHead(503, { 'retry-after': '1' }).end('busy');
    // 'hang': never answer
  });
  server.on('connection', (c: Socket) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tuf`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        server.close(() => r());
      }),
  };
}

/** A cache for `url` whose metadata expired a minute ago (signed by a fixture repository). */
function expiredCache(name: string, url: string): string {
  const dir = join(tmp.dir, name);
  const expired = new Date(Date.now() - 60_000);
  commitCache(cachePaths(url, dir), fixture(join(tmp.dir, `${name}-repo`)).publish({ 'trusted_root.json': Buffer.from(JSON.stringify(EMBEDDED.staging.trustedRoot)) }, { timestamp: expired }));
  return dir;
}

describe('automatic refreshes', () => {
  it('with nothing cached and the repository unreachable: refuses, naming --offline; the next call retries after a short back-off', async () => {
    resetTrustMemory();
    const proxy = await startRecorder(); // refuses every tunnel
    const saved = { ...process.env };
    process.env.HTTPS_PROXY = proxy.url;
    try {
      const cacheDir = join(tmp.dir, 'sign');
      const t0 = Date.now();
      const refused = (e: Error) => {
        assert.ok(e instanceof TrustError, e.message);
        assert.equal(e.code, 'TRUST_REFRESH_FAILED');
        assert.match(e.message, /^cannot refresh the trust material of staging \(.*\); nothing is cached and the embedded copy expired on 2026-10-16T19:39:43Z; --offline verifies with the embedded copy$/);
        return true;
      };
      await assert.rejects(loadSigningConfigJson({ staging: true, cacheDir }), refused);
      assert.ok(Date.now() - t0 < 6000, 'within the refresh budget');
      const tried = proxy.requests.length;
      assert.ok(tried > 0);
      // Within the back-off: the same refusal at once, no new request.
      await assert.rejects(loadTrust({ staging: true, cacheDir }), refused);
      assert.equal(proxy.requests.length, tried);
      // After it: tried again (a failure is not remembered for the life of the process).
      await sleep(REFRESH_BACKOFF_MS + 100);
      await assert.rejects(loadTrust({ staging: true, cacheDir }), refused);
      assert.ok(proxy.requests.length > tried, 'retried after the back-off');
      // Offline: no request, the embedded copy.
      const before = proxy.requests.length;
      const v = await loadTrust({ staging: true, cacheDir, offline: true, onWarning: () => {} });
      assert.equal(v.origin.kind, 'embedded');
      assert.equal(proxy.requests.length, before);
    } finally {
      process.env = saved;
      await proxy.close();
    }
  });

  for (const mode of ['503', 'hang'] as const) {
    it(`keeps to its time budget against a repository that ${mode === '503' ? 'answers 503' : 'never answers'}, then refuses naming --offline, cache untouched`, async () => {
      resetTrustMemory();
      const repo = await badRepository(mode);
      try {
        const cacheDir = expiredCache(`bad-${mode}`, repo.url);
        const snap = snapshotDir(cacheDir);
        const t0 = Date.now();
        await assert.rejects(loadTrust({ instance: repo.url, cacheDir, timeoutMs: 1500 }), (e: Error) => {
          assert.ok(e instanceof TrustError, e.message);
          assert.equal(e.code, 'TRUST_REFRESH_FAILED');
          assert.match(e.message, /^cannot refresh the trust material of http:\/\/127\.0\.0\.1:\d+\/tuf \(.*\); the cached copy expired on \S+; --offline verifies with the cached copy$/);
          return true;
        });
        const took = Date.now() - t0;
        assert.ok(took < 1500 + 400, `took ${took} ms against a budget of 1500 ms`);
        assert.ok(repo.requests >= 1);
        assert.deepEqual(snapshotDir(cacheDir), snap);
        const off = await loadTrust({ instance: repo.url, cacheDir, offline: true, onWarning: () => {} });
        assert.equal(off.origin.kind, 'tuf');
        assert.equal(off.origin.stale, true);
      } finally {
        await repo.close();
      }
    });
  }

  it('refuses a pin that is not TUF root metadata before any request', async () => {
    await assert.rejects(trustInstance('{"signed":{}}', 'http://127.0.0.1:9/tuf', { cacheDir: join(tmp.dir, 'pin') }), /not TUF root metadata/);
  });
});
