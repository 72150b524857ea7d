/**
 * Layering: the local instance (src/instance) imports from the client's code only through
 * src/lib (and the error classes); never from src/sign, src/verify, src/trust, src/bundle,
 * src/oidc, src/pypi or src/cli. So it can model services independently of the client it tests.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

const DIR = join(import.meta.dirname, '..', '..', 'src', 'instance');

it('src/instance imports only src/lib, the error classes and its own files', () => {
  const bad: string[] = [];
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(DIR, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*'(\.\.\/[^']+)'/g)) {
      const target = m[1]!;
      if (!/^\.\.\/(lib\/[^/]+|errors)\.js$/.test(target)) bad.push(`${f}: ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});
