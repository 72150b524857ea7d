/**
 * Offline verification makes no network request and does not load tuf-js: the CLI verifies every
 * conformance bundle with --offline while HTTP_PROXY/HTTPS_PROXY point at a loopback listener
 * that records connections (there must be none), and an import recorder lists the code it
 * loaded. Without --offline and with no cache at all, verification refuses (it would have to
 * refresh the trust material first), in one line that names --offline; with --offline or
 * SIGSTORE_OFFLINE=1 it verifies from the embedded root with one warning.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ConformanceCase, conformanceCases } from '../helpers/conformance.js';
import { cleanEnv, IMPORT_RECORDER, pool, type Recorder, runCli, setReadOnly, otherUser, startRecorder, tempDir } from './helpers.js';

const tmp = tempDir('sigstore-offline-');
let recorder: Recorder;

before(async () => {
  recorder = await startRecorder();
});
after(async () => {
  await recorder.close();
  setReadOnly(tmp.dir, false);
  tmp.cleanup();
});

function args(c: ConformanceCase, extra: string[]): string[] {
  const who = c.keyPath ? ['--key', c.keyPath] : ['--cert-identity', c.identity, '--cert-oidc-issuer', c.issuer];
  return ['verify', 'identity', '--bundle', c.bundlePath, ...who, ...(c.trustedRootPath ? ['--trusted-root', c.trustedRootPath] : []), ...extra, c.artifactPath];
}

/** An environment whose every HTTP(S) request would reach the recorder, with an empty home. */
function recordedEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  mkdirSync(home, { recursive: true });
  return cleanEnv({ HOME: home, HTTP_PROXY: recorder.url, HTTPS_PROXY: recorder.url, http_proxy: recorder.url, https_proxy: recorder.url, ...extra });
}

function loadedTufJs(logFile: string): boolean {
  const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('file://'));
  assert.ok(lines.some((l) => l.includes('/dist/')), 'the import recorder saw the CLI modules');
  return lines.some((l) => l.endsWith('\t1'));
}

const cases = conformanceCases();
const happy = cases.filter((c) => !c.shouldFail && !c.trustedRootPath && !c.keyPath);

describe('offline verification', () => {
  it('verifies every conformance bundle with --offline: right verdicts, no connection, no tuf-js', async () => {
    assert.ok(cases.length > 60);
    const logFile = join(tmp.dir, 'imports.log');
    const env = recordedEnv(join(tmp.dir, 'home-offline'), { SIGSTORE_TEST_IMPORT_LOG: logFile });
    const wrong: string[] = [];
    // The import recorder slows a run down: it watches one case of each kind (identity, key,
    // custom trusted root, expected failure); the proxy recorder watches them all.
    const watched = new Set([happy[0], cases.find((c) => c.keyPath), cases.find((c) => c.trustedRootPath), cases.find((c) => c.shouldFail)].map((c) => c!.name));
    await pool(cases, 4, async (c) => {
      const r = await runCli(args(c, ['--offline']), { env, ...(watched.has(c.name) ? { nodeArgs: ['--import', IMPORT_RECORDER] } : {}) });
      if ((r.status === 0) === c.shouldFail || r.status < 0 || r.status > 2) wrong.push(`${c.name}: exit ${r.status}: ${r.stderr.split('\n').slice(-2).join(' ')}`);
    });
    assert.deepEqual(wrong, []);
    assert.equal(recorder.connections, 0, `requests: ${recorder.requests.join(', ')}`);
    assert.equal(loadedTufJs(logFile), false);
  });

  it('without --offline and with no cache at all, refuses in one line naming --offline; with --offline or SIGSTORE_OFFLINE=1, verifies with one warning', async () => {
    assert.ok(happy.length >= 3);
    const c = happy[0]!;
    const env = recordedEnv(join(tmp.dir, 'home-nocache'));
    const seen = recorder.connections;
    const r = await runCli(args(c, []), { env });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^error: cannot refresh the trust material of production \(.*\); nothing is cached and the embedded copy expired on 2026-11-20T13:58:18Z; --offline verifies with the embedded copy$/m);
    assert.ok(recorder.connections > seen, 'a refresh was attempted');
    for (const [extra, more] of [[['--offline'], {}], [[], { SIGSTORE_OFFLINE: '1' }]] as const) {
      const before = recorder.connections;
      const ok = await runCli(args(c, [...extra]), { env: { ...env, ...more } });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stderr.split('\n').filter((l) => l.startsWith('warning: ')).length, 1, ok.stderr);
      assert.match(ok.stderr, /^warning: embedded production trust material .*expired 2026-11-20T13:58:18Z\): expired; using it anyway because of --offline/m);
      assert.equal(recorder.connections, before, 'offline: no connection');
    }
  });

  it('with a read-only cache directory (and a read-only home), verifies offline from the embedded root', async () => {
    // As root, the CLI runs as uid 65534 (root writes to read-only directories) from a copy it can read.
    const user = otherUser();
    const ro = join(tmp.dir, 'ro');
    const home = join(ro, 'home');
    mkdirSync(join(ro, 'cache'), { recursive: true });
    mkdirSync(home, { recursive: true });
    setReadOnly(ro, true);
    const seen = recorder.connections;
    try {
      for (const extra of [['--trust-cache', join(ro, 'cache'), '--offline'], ['--offline']]) {
        for (const c0 of happy.slice(0, 2)) {
          const c = user ? { ...c0, bundlePath: user.share(c0.bundlePath), artifactPath: user.share(c0.artifactPath) } : c0;
          const r = await runCli(args(c, extra), { env: recordedEnv(home), ...(user ? { asUser: user } : {}) });
          assert.equal(r.status, 0, `${c.name} ${extra.join(' ')}: ${r.stderr}`);
          assert.match(r.stderr, /^OK: /m);
        }
      }
    } finally {
      setReadOnly(ro, false);
      user?.cleanup();
    }
    assert.equal(recorder.connections, seen);
  });

  it('plumbing trust-root --offline prints the embedded 2026-06-12 staging material and says where it came from', async () => {
    const seen = recorder.connections;
    const r = await runCli(['--staging', 'plumbing', 'trust-root', '--offline'], { env: recordedEnv(join(tmp.dir, 'home-tr')) });
    assert.equal(r.status, 0, r.stderr);
    const root = JSON.parse(r.stdout) as { mediaType: string; tlogs: { baseUrl: string }[] };
    assert.equal(root.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    assert.ok(root.tlogs.some((t) => t.baseUrl === 'https://log2026-1.us-east4.rekor.sigstage.dev'));
    assert.match(r.stderr, /trusted root from embedded staging trust material/);
    assert.equal(recorder.connections, seen);
  });
});
