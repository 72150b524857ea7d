/**
 * The README's examples are part of the product: its library example runs, its set-up command's
 * main job (npm run demo) works, and its command-line examples against the shipped example run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ROOT, runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/tmp.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = (lang: string) => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

it('the README has exactly two set-up commands: install + main job, and npm test', () => {
  const setup = readme.slice(readme.indexOf('## Set-up'), readme.indexOf('## Verifying'));
  const cmds = [...setup.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  assert.equal(cmds[0], 'npm install && npm run demo');
  assert.equal(cmds[1], 'npm test');
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  assert.match(ci, /^npm test$/m, '.ci/run runs the README test command');
});

it('the library example runs and prints the signer', () => {
  const [code] = blocks('ts');
  assert.ok(code);
  const dir = scratchDir('sigstore-ts-readme-');
  const file = join(dir, 'example.mts');
  writeFileSync(file, code.replace("from 'sigstore-ts'", `from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))}`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2');
});

it('the command-line example verifying the shipped PyPI distribution works', () => {
  const line = blocks('sh').map((b) => b.trim()).find((b) => b.startsWith('./bin/sigstore verify github examples/'));
  assert.ok(line);
  const r = runCli(line.split(/\s+/).slice(1));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^OK: examples\/pypi_attestation_models-0\.0\.4a2\.tar\.gz$/m);
});

it('the main job (npm run demo) signs and verifies against the local instance', { timeout: 120_000 }, () => {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'demo.sh')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /^OK: .*hello\.txt$/m);
  assert.match(r.stderr, /signer: {2}demo@example\.com/);
});
