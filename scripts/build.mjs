#!/usr/bin/env node
// Builds dist/:
// - index.js, pypi.js, inspect.js, instance.js (the library's entry points), cli.js and
//   conformance.js (the full CLI): bundled ESM with lazily loaded chunks;
// - sigstore.cjs: the one-shot CLI as one CommonJS module function (what bin/sigstore runs). It holds the
//   dispatcher and the `verify` command with everything it needs and nothing else: CommonJS
//   skips the ESM loader and one file skips resolving a dozen chunks, which is most of a
//   verification's start-up cost. Other commands (and verify with --certificate/--signature,
//   which needs the network) are handed to the full ESM CLI by src/cli/bin.ts. A TUF refresh,
//   which a verification rarely needs, lives beside it in lazy/tuf.cjs (sharing the error
//   classes of sigstore.cjs); lazy/verify-worker.cjs is the worker thread of `verify` over many
//   inputs;
// - type declarations (skipped with `--no-types`, faster for tests): ESM ones under dist/types,
//   and the same as CommonJS declarations (.d.cts) under dist/types-cjs for `require` users.
// Only the project's own code is bundled: third-party packages stay real `dependencies`, loaded
// from node_modules (lazily, on the paths that need them), visible to npm audit and SBOM tools.
// The build fails if anything from node_modules ends up in dist/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const withTypes = !process.argv.includes('--no-types');
// Build beside dist/ and swap it in, so a concurrent run of bin/sigstore never sees a half-built tree.
const tmp = `dist.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });

const common = { metafile: true, bundle: true, packages: 'external', platform: 'node', target: 'node20', legalComments: 'linked', logLevel: 'warning' };
// src/verify/batch.ts reads import.meta.url only in the ESM build (the CommonJS one uses __dirname).
const quietImportMeta = { 'empty-import-meta': 'silent' };

const esm = build({
  ...common,
  entryPoints: { index: 'src/index.ts', pypi: 'src/pypi/index.ts', inspect: 'src/inspect/index.ts', instance: 'src/instance/index.ts', cli: 'src/cli/bin.ts', conformance: 'src/cli/conformance.ts', 'verify-worker': 'src/verify/worker.ts' },
  outdir: tmp,
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  define: { __SIGSTORE_SINGLE_FILE__: 'false' },
  // require() in ESM (src/cli/bin.ts uses it in the single-file build only; harmless here).
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
  entryPoints: { 'lazy/tuf': 'src/trust/tuf.ts' },
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

// Nothing from node_modules may be bundled: third-party code ships as real dependencies.
const vendored = new Set();
for (const r of results) {
  for (const input of Object.keys(r.metafile.inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (m) vendored.add(m[1]);
  }
}
if (vendored.size > 0) {
  console.error(`build: third-party code bundled into dist/ (${[...vendored].join(', ')}); declare it in dependencies and keep it external`);
  process.exit(1);
}

// sigstore.cjs is stored already wrapped as a CommonJS module function (what Module.wrap gives):
// bin/sigstore compiles it as it is, without building a second copy of 240 KB of source text in
// every run (see there). Run any other way, the file defines that function and does nothing.
{
  const f = join(tmp, 'sigstore.cjs');
  const code = readFileSync(f, 'utf8');
  if (code.startsWith('#!')) throw new Error('build: sigstore.cjs must not start with a hashbang');
  // bin/sigstore reads it as latin1 (no UTF-8 decoding): esbuild's default charset keeps it ASCII.
  if (/[^\x00-\x7f]/.test(code)) throw new Error('build: sigstore.cjs must be ASCII');
  writeFileSync(f, `(function (exports, require, module, __filename, __dirname) {${code}\n});\n`);
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
  writeCjsTypes('dist/types', 'dist/types-cjs');
}

/**
 * The declarations again as CommonJS ones, for `require('sigstore-ts')` under TypeScript's
 * node16/nodenext resolution: each .d.ts copied to .d.cts with its relative `.js` specifiers
 * pointed at `.cjs` (the runtime is the same ESM code, loaded by Node's require(esm)).
 */
function writeCjsTypes(from, to) {
  rmSync(to, { recursive: true, force: true });
  const walk = (dir) => {
    for (const name of readdirSync(join(from, dir), { withFileTypes: true })) {
      const rel = join(dir, name.name);
      if (name.isDirectory()) walk(rel);
      else if (name.name.endsWith('.d.ts')) {
        const text = readFileSync(join(from, rel), 'utf8').replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.js(['"])/g, '$1$2.cjs$3');
        mkdirSync(join(to, dir), { recursive: true });
        writeFileSync(join(to, rel.replace(/\.d\.ts$/, '.d.cts')), text);
      }
    }
  };
  walk('.');
}
