/**
 * Temporary directories for tests, removed when the test file's process exits (whatever the
 * tests did, even when one failed half-way). scripts/test.mjs fails the run on any leftover.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();

/** A new directory under os.tmpdir() named PREFIX + random, removed at exit. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (dirs.size === 0) process.on('exit', removeAll);
  dirs.add(dir);
  return dir;
}

function removeAll(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
