/**
 * Entry point of bin/sigstore. Bundled twice (scripts/build.mjs):
 * - dist/sigstore.cjs, the single-file CLI that bin/sigstore runs: it runs `verify` (and help,
 *   version, usage errors) itself and hands every other command to the full CLI, dist/cli.js,
 *   so a verification loads one file and nothing it does not use;
 * - dist/cli.js, the full CLI (ESM, lazily loaded chunks per command).
 */
import * as errors from '../errors.js';
import { commandIndex, isDetachedOption } from './args.js';
import { main, reportError } from './main.js';
import { outputWritten } from '../lib/stdio.js';

/** `true` in dist/sigstore.cjs, `false` in dist/cli.js; undefined when run from source. */
declare const __SIGSTORE_SINGLE_FILE__: boolean;

/** Whether the single-file CLI leaves this command line to the full CLI (the command found as main.ts finds it). */
export function needsFullCli(argv: string[]): boolean {
  const idx = commandIndex(argv);
  if (idx < 0) return false;
  if (argv[idx] !== 'verify') return true;
  // Detached certificate/signature verification looks the entry up online (HTTP client, Rekor).
  return argv.some(isDetachedOption);
}

const argv = process.argv.slice(2);
const singleFile = typeof __SIGSTORE_SINGLE_FILE__ !== 'undefined' && __SIGSTORE_SINGLE_FILE__;
if (singleFile && needsFullCli(argv)) {
  // The full CLI runs the command line itself when loaded.
  const { join } = require('node:path') as typeof import('node:path');
  const { pathToFileURL } = require('node:url') as typeof import('node:url');
  // bin/sigstore passes its import() (code compiled from a V8 code cache has none of its own).
  const importEsm =
    ((globalThis as Record<symbol, unknown>)[Symbol.for('sigstore-ts.import')] as ((url: string) => Promise<unknown>) | undefined) ??
    (new Function('url', 'return import(url)') as (url: string) => Promise<unknown>);
  importEsm(pathToFileURL(join(__dirname, 'cli.js')).href).catch((e: unknown) => {
    process.exitCode = reportError(e, 0);
  });
} else {
  // Lazily loaded parts of the single-file CLI (dist/lazy/*.cjs) throw these same classes.
  if (singleFile) (globalThis as Record<symbol, unknown>)[Symbol.for('sigstore-ts.errors')] = errors;
  // The single-file CLI ends with process.exit once its command is done and its output is out
  // (written synchronously by src/lib/stdio.ts; after a fall-back to a stream it exits
  // naturally, which waits for the writes): tearing the isolate down at a natural exit costs a
  // one-shot verification 1-2 ms. The full CLI exits naturally.
  const end = (code: number) => {
    if (singleFile && outputWritten()) process.exit(code);
    process.exitCode = code;
  };
  main(argv).then(end, (e) => end(reportError(e, 0)));
}
