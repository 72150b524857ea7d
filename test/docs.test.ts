/**
 * Documentation is part of the product: every symbol the public API (src/index.ts) exports has a
 * TSDoc comment with an `@example`. The README's usage examples are exercised in readme.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import ts from 'typescript';
import { VERSION } from '../src/version.js';

const root = join(import.meta.dirname, '..');

it('every public export has a TSDoc comment with an @example', () => {
  const entry = join(root, 'src', 'index.ts');
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
  assert.ok(exports.length > 10, 'the public API exports symbols');
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

it('the version constant matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(VERSION, pkg.version);
});

it('the changelog has an entry for the current version', () => {
  assert.match(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), new RegExp(`## \\[${VERSION.replace(/\./g, '\\.')}\\]`));
});
