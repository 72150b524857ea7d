#!/usr/bin/env node
// Builds dist/:
// - index.js, cli.js, conformance.js: bundled ESM entry points with lazily loaded chunks (the
//   library, and the full CLI);
// - sigstore.cjs: the one-shot CLI as one CommonJS file (what bin/sigstore runs). It holds the
//   dispatcher and the `verify` command with everything it needs and nothing else: CommonJS
//   skips the ESM loader and one file skips resolving a dozen chunks, which is most of a
//   verification's start-up cost. Other commands (and verify with --certificate/--signature,
//   which needs the network) are handed to the full ESM CLI by src/cli/bin.ts. The two code
//   paths a verification rarely needs live beside it, loaded only then: lazy/tuf.cjs (a TUF
//   refresh, sharing the error classes of sigstore.cjs) and lazy/noble.cjs (ECDSA over a digest);
//   lazy/verify-worker.cjs is the worker thread of `verify` over many inputs;
// - type declarations (skipped with `--no-types`, faster for tests).
// Dependencies are all bundled: the published package needs none at run time. Their licence
// texts are kept: dist/THIRD_PARTY_LICENSES.txt, and legal comments in *.LEGAL.txt beside each file.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const withTypes = !process.argv.includes('--no-types');
// Build beside dist/ and swap it in, so a concurrent run of bin/sigstore never sees a half-built tree.
const tmp = `dist.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });

const common = { metafile: true, bundle: true, platform: 'node', target: 'node20', legalComments: 'linked', logLevel: 'warning' };
// src/verify/batch.ts reads import.meta.url only in the ESM build (the CommonJS one uses __dirname).
const quietImportMeta = { 'empty-import-meta': 'silent' };

const esm = build({
  ...common,
  entryPoints: { index: 'src/index.ts', cli: 'src/cli/bin.ts', conformance: 'src/cli/conformance.ts', 'verify-worker': 'src/verify/worker.ts' },
  outdir: tmp,
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  define: { __SIGSTORE_SINGLE_FILE__: 'false' },
  // CommonJS dependencies bundled into ESM need a require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

/** The error classes the single-file CLI shares with its lazily loaded parts (instanceof must hold). */
const SHARED_ERRORS = "module.exports = globalThis[Symbol.for('sigstore-ts.errors')];";
/** Command modules the single-file CLI never loads: src/cli/bin.ts hands those commands to dist/cli.js. */
const OTHER_COMMANDS = /^\.\/(sign|attest|get-identity-token|inspect|attestation|trust-instance|plumbing|instance)\.js$/;

const singleFile = {
  name: 'single-file',
  setup(b) {
    b.onResolve({ filter: OTHER_COMMANDS }, (a) =>
      a.importer.endsWith('main.ts') && a.kind === 'dynamic-import' ? { path: a.path, namespace: 'elsewhere' } : undefined,
    );
    b.onResolve({ filter: /^\.\.\/sign\/detached\.js$/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, namespace: 'elsewhere' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'elsewhere' }, (a) => ({
      contents: `export function run() { throw new Error('internal: ${a.path} is not part of the single-file CLI'); }\nexport const verifyDetached = run;`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^\.\/tuf\.js$/ }, (a) => (a.kind === 'dynamic-import' ? { path: './lazy/tuf.cjs', external: true } : undefined));
    b.onResolve({ filter: /^@noble\/curves\/nist\.js$/ }, (a) => (a.kind === 'dynamic-import' ? { path: './lazy/noble.cjs', external: true } : undefined));
  },
};

const cjs = build({
  ...common,
  entryPoints: { sigstore: 'src/cli/bin.ts' },
  outdir: tmp,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  define: { __SIGSTORE_SINGLE_FILE__: 'true' },
  logOverride: quietImportMeta,
  // import() of built-ins and of dist/lazy/*.cjs becomes require(): the code runs from a V8 code
  // cache through vm.Script (see bin/sigstore), which has no dynamic import of its own.
  supported: { 'dynamic-import': false },
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: false,
  plugins: [singleFile],
});

const lazy = build({
  ...common,
  entryPoints: { 'lazy/tuf': 'src/trust/tuf.ts', 'lazy/noble': 'node_modules/@noble/curves/nist.js' },
  outdir: tmp,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  minifySyntax: true,
  minifyWhitespace: true,
  plugins: [
    {
      name: 'shared-errors',
      setup(b) {
        b.onResolve({ filter: /\/errors\.js$/ }, (a) => (a.importer.includes('/src/') ? { path: 'errors', namespace: 'shared' } : undefined));
        b.onLoad({ filter: /.*/, namespace: 'shared' }, () => ({ contents: SHARED_ERRORS, loader: 'js' }));
      },
    },
  ],
});

// The verification worker of verifyMany for the single-file CLI (its own thread: nothing shared).
const worker = build({
  ...common,
  entryPoints: { 'lazy/verify-worker': 'src/verify/worker.ts' },
  outdir: tmp,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  define: { __SIGSTORE_SINGLE_FILE__: 'true' },
  logOverride: quietImportMeta,
  minifySyntax: true,
  minifyWhitespace: true,
  plugins: [singleFile],
});

const results = await Promise.all([esm, cjs, lazy, worker]);

// The licence of every bundled package, in one file beside the code (most carry no legal comment
// for esbuild to keep).
const packages = new Map();
for (const r of results) {
  for (const input of Object.keys(r.metafile.inputs)) {
    const m = input.match(/^(.*?node_modules\/((?:@[^/]+\/)?[^/]+))\//);
    if (m) packages.set(m[2], m[1]);
  }
}
const notices = [];
for (const [name, dir] of [...packages].sort((a, b) => a[0].localeCompare(b[0]))) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${pkg.license ?? 'see the package'}`;
  notices.push(`${'='.repeat(78)}\n${name}@${pkg.version} (${pkg.license ?? 'unknown licence'})\n${'='.repeat(78)}\n${text}\n`);
}
writeFileSync(join(tmp, 'THIRD_PARTY_LICENSES.txt'), `Packages bundled into sigstore-ts's dist/ and their licences.\n\n${notices.join('\n')}`);
// A V8 code cache for the single-file CLI (bin/sigstore uses it when the running Node accepts
// it): made after one verification, so it also holds the functions a verification compiles.
const CACHE_MAKER = `
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const vm = require('node:vm');
// argv: the file built, its name in stack traces, the verify argv. V8 keeps the name a code cache
// was made under, whatever the file is called when it is used: a neutral one, not this build's path.
const file = process.argv[1];
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: process.argv[2] });
process.argv = [process.argv[0], file, ...process.argv.slice(3)];
process.on('exit', () => writeFileSync(file + '.cache', script.createCachedData()));
const m = new Module(file, module);
m.filename = file;
script.runInThisContext()(m.exports, Module.createRequire(file), m, file, dirname(file));
`;
const C = 'test/fixtures/conformance';
const made = spawnSync(
  process.execPath,
  ['-e', CACHE_MAKER, resolve(tmp, 'sigstore.cjs'), 'sigstore-ts/dist/sigstore.cjs', 'verify', 'identity', '--bundle', `${C}/happy-path-v0.3/bundle.sigstore.json`, '--cert-identity',
    'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
    '--cert-oidc-issuer', 'https://token.actions.githubusercontent.com', '--trusted-root', 'trust/production/trusted_root.json', '-q', `${C}/a.txt`],
  { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
);
if (made.status !== 0) {
  rmSync(join(tmp, 'sigstore.cjs.cache'), { force: true });
  console.warn(`warning: no code cache for dist/sigstore.cjs (the verification run failed: ${made.stderr.trim().split('\n').pop()})`);
}

const old = `dist.old-${process.pid}`;
try {
  renameSync('dist', old);
} catch {
  // no previous build
}
renameSync(tmp, 'dist');
rmSync(old, { recursive: true, force: true });
if (withTypes) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
