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

const root = join(import.meta.dirname, '..');

/** The package's entry points (package.json "exports") and their sources. */
export const ENTRY_POINTS: Record<string, string> = {
  'sigstore-ts': 'src/index.ts',
  'sigstore-ts/pypi': 'src/pypi/index.ts',
  'sigstore-ts/inspect': 'src/inspect/index.ts',
  'sigstore-ts/instance': 'src/instance/index.ts',
};

it('package.json exports exactly the documented entry points, each with import and require', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  assert.deepEqual(subpaths.map((k) => (k === '.' ? 'sigstore-ts' : `sigstore-ts/${k.slice(2)}`)).sort(), Object.keys(ENTRY_POINTS).sort());
  for (const k of subpaths) {
    const e = pkg.exports[k] as Record<string, { types: string; default: string }>;
    assert.ok(e.import?.types.endsWith('.d.ts') && e.require?.types.endsWith('.d.cts'), `${k} has ESM and CommonJS types`);
  }
});

for (const [name, source] of Object.entries(ENTRY_POINTS)) {
  it(`every export of ${name} has a TSDoc comment with an @example`, () => {
    const entry = join(root, source);
    const program = ts.createProgram([entry], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      resolveJsonModule: true,
      skipLibCheck: true,
      noEmit: true,
    });
    const checker = program.getTypeChecker();
    const sf = program.getSourceFile(entry)!;
    const moduleSymbol = checker.getSymbolAtLocation(sf)!;
    const missing: string[] = [];
    const exports = checker.getExportsOfModule(moduleSymbol);
    assert.ok(exports.length > 3, 'the entry point exports symbols');
    for (const exp of exports) {
      const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      const decls = sym.getDeclarations() ?? [];
      const documented = decls.some((d) => {
        const tags = ts.getJSDocTags(d);
        const hasComment = ts.getJSDocCommentsAndTags(d).length > 0;
        return hasComment && tags.some((t) => t.tagName.text === 'example');
      });
      if (!documented) missing.push(exp.getName());
    }
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
