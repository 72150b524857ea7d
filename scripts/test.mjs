#!/usr/bin/env node
// The project's test command: lint, type-check, build, then every test file under test/ with
// node's test runner (TypeScript through tsx). `node scripts/test.mjs FILTER...` runs only test
// files whose path contains one of the filters, and skips lint and type-check.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const node = process.execPath;
if (filters.length === 0) {
  run(node, ['node_modules/@biomejs/biome/bin/biome', 'lint', 'src', 'test', 'scripts']);
  run(node, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
}
run(node, ['scripts/build.mjs', '--no-types']);
// Browser tests drive Debian's chromium: install it when missing (as root; otherwise they skip).
if (process.platform === 'linux' && process.env.SIGSTORE_SKIP_BROWSER_INSTALL === undefined) {
  const r = spawnSync('bash', ['scripts/install-browser.sh'], { stdio: 'inherit' });
  // In CI a missing browser is a failure, not a silent skip.
  if (r.status !== 0 && process.env.CI) {
    console.error('chromium could not be installed: the browser tests cannot run');
    process.exit(1);
  }
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'fixtures' || name === '.tmp') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const files = walk('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// There is no network here: command-line tests take their public-good trust material from the
// embedded copy, offline, as a user without network says with SIGSTORE_OFFLINE=1 (--offline).
// Tests of TUF refreshes and freshness (test/trust) run the CLI in an environment without it.
process.env.SIGSTORE_OFFLINE = '1';
run(node, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files]);
