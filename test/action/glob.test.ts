/**
 * The action's `inputs` globs, as gh-action-sigstore-python expands them (Python's glob):
 * components matched one by one, hidden names only by a dot pattern, `**` across directories.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { expandGlob } from '../../src/action/glob.js';

const dir = mkdtempSync(join(tmpdir(), 'sigstore-glob-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['a.txt', 'b.txt', 'c.tar.gz', '.hidden.txt', 'dist/x-1.whl', 'dist/y-1.whl', 'dist/sub/z.whl', 'white space.txt', 'br[a]ck.txt']) {
  mkdirSync(join(dir, f, '..'), { recursive: true });
  writeFileSync(join(dir, f), f);
}

it('expands *, ?, [...] per component, sorted; literal paths as given; nothing for no match', () => {
  assert.deepEqual(expandGlob('*.txt', dir), ['a.txt', 'b.txt', 'br[a]ck.txt', 'white space.txt']);
  assert.deepEqual(expandGlob('?.txt', dir), ['a.txt', 'b.txt']);
  assert.deepEqual(expandGlob('[ab].txt', dir), ['a.txt', 'b.txt']);
  assert.deepEqual(expandGlob('[!a].txt', dir), ['b.txt']);
  assert.deepEqual(expandGlob('dist/*.whl', dir), ['dist/x-1.whl', 'dist/y-1.whl']);
  assert.deepEqual(expandGlob('*/*.whl', dir), ['dist/x-1.whl', 'dist/y-1.whl']);
  assert.deepEqual(expandGlob('c.tar.gz', dir), ['c.tar.gz']);
  assert.deepEqual(expandGlob('missing.txt', dir), []);
  assert.deepEqual(expandGlob('*.none', dir), []);
  assert.deepEqual(expandGlob(join(dir, 'dist', '*.whl'), '/'), [join(dir, 'dist', 'x-1.whl'), join(dir, 'dist', 'y-1.whl')]);
});

it('hidden files only for a dot pattern; ** spans directories', () => {
  assert.ok(!expandGlob('*', dir).includes('.hidden.txt'));
  assert.deepEqual(expandGlob('.*.txt', dir), ['.hidden.txt']);
  assert.deepEqual(expandGlob('**/*.whl', dir), ['dist/sub/z.whl', 'dist/x-1.whl', 'dist/y-1.whl']);
  assert.deepEqual(expandGlob('dist/**/z.whl', dir), ['dist/sub/z.whl']);
});
