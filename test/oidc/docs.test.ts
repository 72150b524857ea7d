/**
 * Every export of the OIDC modules and of `get-identity-token` has a TSDoc comment with an
 * `@example`, as the project requires of its public API.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');
const files = [
  ...readdirSync(join(root, 'src', 'oidc'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, 'src', 'oidc', f)),
  join(root, 'src', 'cli', 'get-identity-token.ts'),
];

it('every export of src/oidc and get-identity-token has a TSDoc @example', () => {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  let count = 0;
  for (const file of files) {
    const sf = program.getSourceFile(file)!;
    const mod = checker.getSymbolAtLocation(sf);
    if (!mod) continue;
    for (const exp of checker.getExportsOfModule(mod)) {
      if (exp.flags & ts.SymbolFlags.Alias) continue; // re-exports are checked where declared
      count++;
      const documented = (exp.getDeclarations() ?? []).some((d) => {
        const node = ts.isVariableDeclaration(d) ? d.parent.parent : d;
        return ts.getJSDocTags(node).some((t) => t.tagName.text === 'example');
      });
      if (!documented) missing.push(`${file.slice(root.length + 1)}: ${exp.getName()}`);
    }
  }
  assert.ok(count > 25, `found ${count} exports`);
  assert.deepEqual(missing, []);
});
