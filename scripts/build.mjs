#!/usr/bin/env node
// Builds dist/: bundled ESM entry points (library, CLI, conformance entrypoint) with lazily
// loaded chunks, plus type declarations. `--no-types` skips the declarations (faster, for tests).
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const withTypes = !process.argv.includes('--no-types');
// Build beside dist/ and swap it in, so a concurrent run of bin/sigstore never sees a half-built tree.
const tmp = `dist.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
await build({
  entryPoints: { index: 'src/index.ts', cli: 'src/cli/bin.ts', conformance: 'src/cli/conformance.ts' },
  outdir: tmp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies bundled into ESM need a require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
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
