/**
 * The error code union (src/error-codes.ts) is the list of codes sigstore-ts throws: the compiler
 * refuses a thrown code that is not in it (every error class takes an ErrorCode), and this test
 * refuses a listed code that no source uses, so the list never carries dead codes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ERROR_CODES } from '../src/error-codes.js';

const SRC = join(import.meta.dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') && n !== 'error-codes.ts' ? [p] : [];
  });
}

it('every listed error code is used by the sources, and the list has no duplicates', () => {
  const text = sources(SRC)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const unused = ERROR_CODES.filter((c) => !text.includes(`'${c}'`));
  assert.deepEqual(unused, [], `codes nothing throws: ${unused.join(', ')}`);
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
});
