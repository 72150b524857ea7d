#!/usr/bin/env node
// The project's test command: lint, type-check, build, then every test file under test/ with
// node's test runner (TypeScript through tsx). `node scripts/test.mjs FILTER...` runs only test
// files whose path contains one of the filters, and skips lint and type-check.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
// Tests run the checkout's bin/sigstore side by side: one that rebuilt dist/ meanwhile (a build
// swaps in a new tree) would fail others at random. The run fails if dist/ was replaced.
const distBuilt = statSync('dist').ino;
// Browser tests drive Debian's chromium, installed by scripts/install-browser.sh (which .ci/run
// calls; a test never installs system packages). Without it they skip with the reason, except in
// CI, where a missing browser is a failure rather than a silent skip.
const chromium = process.env.SIGSTORE_CHROMIUM ?? '/usr/bin/chromium';
if (process.env.CI && process.platform === 'linux' && !existsSync(chromium)) {
  console.error(`${chromium} is missing: the browser tests cannot run (install it with: bash scripts/install-browser.sh)`);
  process.exit(1);
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
// No global SIGSTORE_OFFLINE: a test that relies on the embedded public-good trust material says so
// (--offline on the command line, `offline: true` or an explicit trusted root in the library), and
// one set in the caller's shell is dropped so that it cannot hide a test that does not.
delete process.env.SIGSTORE_OFFLINE;
// A concise report on stdout (dots, every failure in full, the totals); the whole TAP stream in
// test/.tmp/last-run.tap for the details of a failure. SIGSTORE_TEST_REPORTER=spec (or tap) for another.
mkdirSync('test/.tmp', { recursive: true });
const reporter = process.env.SIGSTORE_TEST_REPORTER ?? './scripts/test-reporter.mjs';
// Tests leave no temporary files behind: each test file gets its own TMPDIR inside this run's
// directory (scripts/test-tmpdir.mjs), and whatever is left there at the end fails the run,
// named by test file. The directory is removed either way.
const tmpRoot = mkdtempSync(join(tmpdir(), 'sigstore-ts-test-run-'));
chmodSync(tmpRoot, 0o755);
process.env.SIGSTORE_TEST_TMP_ROOT = tmpRoot;
delete process.env.SIGSTORE_TEST_TMP_FILE;
const r = spawnSync(
  node,
  ['--import', 'tsx', '--import', './scripts/test-tmpdir.mjs', '--test', '--test-concurrency=2', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', '--test-reporter=tap', '--test-reporter-destination=test/.tmp/last-run.tap', ...files],
  { stdio: 'inherit' },
);
// The name scripts/test-tmpdir.mjs gives a file's directory -> the file.
const byDirName = new Map(files.map((f) => [f.slice('test/'.length).replaceAll('/', '-').replaceAll('\\', '-'), f]));
const leftovers = [];
for (const name of readdirSync(tmpRoot).sort()) {
  // tsx-UID is tsx's compile cache (test files that start TypeScript programs through tsx).
  const left = readdirSync(join(tmpRoot, name)).filter((n) => !/^tsx-\d+$/.test(n));
  if (left.length > 0) leftovers.push(`  ${byDirName.get(name) ?? name}: ${left.sort().join(', ')}`);
}
rmSync(tmpRoot, { recursive: true, force: true });
if (leftovers.length > 0) {
  console.log(`\nFAIL: ${leftovers.length} test file(s) left temporary files behind (in their TMPDIR):`);
  for (const l of leftovers) console.log(l);
}
const distReplaced = statSync('dist', { throwIfNoEntry: false })?.ino !== distBuilt;
if (distReplaced) console.log('\nFAIL: a test rebuilt dist/ while other tests ran it (build in a copy of the checkout instead)');
if (r.status !== 0) console.log('the full report of this run: test/.tmp/last-run.tap');
process.exit((leftovers.length > 0 || distReplaced) && r.status === 0 ? 1 : (r.status ?? 1));
