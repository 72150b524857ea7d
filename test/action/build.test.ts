/**
 * action/index.cjs is committed (the action installs nothing when it runs): it must be
 * exactly what `node action/build.mjs` builds from the current sources. After a change to
 * src/action or to the sign/attest/verify code it bundles, run `node action/build.mjs`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ROOT } from '../helpers/cli.js';

it('the committed action/index.cjs is up to date (node action/build.mjs)', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'action', 'build.mjs'), '--stdout'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr.toString());
  const committed = readFileSync(join(ROOT, 'action', 'index.cjs'));
  assert.ok(committed.equals(r.stdout), 'action/index.cjs is stale: run `node action/build.mjs` and commit the result');
  assert.ok(committed.length < 1_000_000, `the action build is ${committed.length} bytes`);
  // Tracked by git (a `dist/` ignore rule once kept it out of the repository).
  const git = spawnSync('git', ['ls-files', '--error-unmatch', 'action/index.cjs'], { cwd: ROOT });
  if (git.error === undefined && spawnSync('git', ['rev-parse', '--git-dir'], { cwd: ROOT }).status === 0) {
    assert.equal(git.status, 0, 'action/index.cjs is not tracked by git');
  }
});
