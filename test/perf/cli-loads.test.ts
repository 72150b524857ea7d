/**
 * Structural checks of the one-shot path (no timings: they flake): a `sigstore verify` loads the
 * single-file CLI and nothing else of sigstore-ts, no TUF client and no HTTP stack; a digest
 * input adds only the prehashed-ECDSA code (@noble/curves, from node_modules). Recorded with a require hook and Node's list of
 * loaded built-in modules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const C = 'test/fixtures/conformance';
const ID = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const dir = mkdtempSync(join(tmpdir(), 'cli-loads-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hook = join(dir, 'hook.cjs');
writeFileSync(
  hook,
  `const Module = require('node:module');
const fs = require('node:fs');
const loaded = [];
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const m = load.apply(this, arguments);
  try { loaded.push(Module._resolveFilename(request, parent, isMain)); } catch { loaded.push(request); }
  return m;
};
process.on('exit', () => fs.writeFileSync(process.env.LOADS_OUT, JSON.stringify({ loaded, builtins: process.moduleLoadList })));
`,
);

function loadsOf(args: string[]): { status: number | null; loaded: string[]; builtins: string[] } {
  const out = join(dir, `loads-${Math.random().toString(36).slice(2)}.json`);
  const r = spawnSync(process.execPath, ['-r', hook, 'bin/sigstore', ...args], { env: { ...process.env, LOADS_OUT: out }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(out, 'utf8')) as { loaded: string[]; builtins: string[] };
  return { status: r.status, ...j };
}

const verifyArgs = (input: string): string[] => [
  'verify',
  'identity',
  '--bundle',
  `${C}/happy-path-v0.3/bundle.sigstore.json`,
  '--cert-identity',
  ID,
  '--cert-oidc-issuer',
  'https://token.actions.githubusercontent.com',
  '--trusted-root',
  'trust/production/trusted_root.json',
  input,
];

/**
 * sigstore-ts files required, relative to dist/, besides dist/sigstore.cjs itself (which
 * bin/sigstore compiles from its code cache, or requires when there is none).
 */
const ours = (loaded: string[]): string[] =>
  loaded
    .filter((f) => f.includes('/dist/'))
    .map((f) => f.slice(f.lastIndexOf('/dist/') + 6))
    .filter((f) => f !== 'sigstore.cjs');

test('verify of a file loads only the single-file CLI: no TUF, no HTTP, no ESM chunks', () => {
  const r = loadsOf(verifyArgs(`${C}/a.txt`));
  assert.equal(r.status, 0);
  assert.deepEqual(ours(r.loaded), []);
  for (const m of ['NativeModule http', 'NativeModule https', 'NativeModule tls', 'NativeModule http2']) assert.ok(!r.builtins.includes(m), `${m} was loaded`);
  // Output goes to the descriptors (no tty or net stream), flags are parsed without node's
  // parse_args, and one input needs no worker pool.
  for (const m of ['NativeModule tty', 'NativeModule net', 'NativeModule internal/util/parse_args/parse_args', 'NativeModule worker_threads']) {
    assert.ok(!r.builtins.includes(m), `${m} was loaded`);
  }
  // No ESM module was loaded (the ESM loader's module jobs are not started for CommonJS).
  assert.ok(!r.builtins.includes('NativeModule internal/modules/esm/module_job'), 'the ESM loader ran');
});

test('verify of a digest adds only the prehashed ECDSA code (@noble/curves, a dependency)', () => {
  const digest = `sha256:${spawnSync('sha256sum', [`${C}/a.txt`], { encoding: 'utf8' }).stdout.slice(0, 64)}`;
  const r = loadsOf(verifyArgs(digest));
  assert.equal(r.status, 0);
  assert.deepEqual(ours(r.loaded), []);
  assert.ok(r.loaded.some((f) => f.includes('/node_modules/@noble/curves/')), 'loaded @noble/curves from node_modules');
  assert.ok(!r.builtins.includes('NativeModule https'));
});

test('other commands are handed to the full CLI', () => {
  const r = spawnSync(process.execPath, ['bin/sigstore', 'sign', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /usage: sigstore sign/);
});
