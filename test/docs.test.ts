/**
 * Documentation is part of the product: every symbol each entry point of the public API exports
 * (src/index.ts, src/pypi/index.ts, src/inspect/index.ts, src/instance/index.ts) has a TSDoc
 * comment with an `@example`. The README's usage examples are exercised in readme.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import ts from 'typescript';
import { VERSION } from '../src/version.js';
import { ENTRY_POINTS, entryExports } from './helpers/examples.js';

const root = join(import.meta.dirname, '..');

it('package.json exports exactly the documented entry points, each with import and require', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  assert.deepEqual(subpaths.map((k) => (k === '.' ? 'sigstore-ts' : `sigstore-ts/${k.slice(2)}`)).sort(), Object.keys(ENTRY_POINTS).sort());
  for (const k of subpaths) {
    const e = pkg.exports[k] as Record<string, { types: string; default: string }>;
    assert.ok(e.import?.types.endsWith('.d.ts') && e.require?.types.endsWith('.d.cts'), `${k} has ESM and CommonJS types`);
  }
});

for (const { name, exports } of entryExports(root)) {
  it(`every export of ${name} has a TSDoc comment with an @example`, () => {
    assert.ok(exports.length > 3, 'the entry point exports symbols');
    const missing = exports
      .filter((exp) => !exp.declarations.some((d) => ts.getJSDocCommentsAndTags(d).length > 0 && ts.getJSDocTags(d).some((t) => t.tagName.text === 'example')))
      .map((exp) => exp.name);
    assert.deepEqual(missing, [], `exports without a TSDoc @example: ${missing.join(', ')}`);
  });
}

it('the version constant matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(VERSION, pkg.version);
});

it('the changelog has an entry for the current version', () => {
  assert.match(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), new RegExp(`## \\[${VERSION.replace(/\./g, '\\.')}\\]`));
});
