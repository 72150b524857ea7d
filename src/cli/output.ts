/**
 * Output files for the commands that write (sign, attest, PEP 740 attestations, ...):
 *
 * - {@link planOutputs} checks every planned output before any work starts: no output is given
 *   twice or is also an input, its directory exists and can be written (a probe file; free space
 *   for the outputs), and none exists already, not even as a link (dangling or not), unless
 *   `overwrite`. It also removes the temporary files earlier runs left in those directories when
 *   killed (see {@link removeStaleTemporaries}).
 *
 * Writing them is write-outputs.ts's work.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { ignore } from './write-outputs.js';

/**
 * Checks planned outputs before any work (and any network request) is done. Throws a
 * {@link UsageError} naming every offending path: outputs that exist (without `overwrite`),
 * outputs given twice, outputs that are also inputs, missing or non-directory parents,
 * directories in the way.
 *
 * @example
 * ```ts
 * planOutputs(['a.txt.sigstore.json', 'b.txt.sigstore.json'], { overwrite: false, inputs: ['a.txt', 'b.txt'] });
 * ```
 */
export function planOutputs(paths: string[], options: { overwrite?: boolean; inputs?: string[] } = {}): void {
  const seen = new Map<string, string>();
  const inputs = new Set((options.inputs ?? []).filter((i) => i !== '-').map((i) => resolve(i)));
  const existing: string[] = [];
  const dirs = new Map<string, { shown: string; count: number }>();
  for (const p of paths) {
    const abs = resolve(p);
    const prev = seen.get(abs);
    if (prev !== undefined) throw new UsageError('OUTPUT_CONFLICT', `the output ${p} would be written twice${prev !== p ? ` (also as ${prev})` : ''}`);
    seen.set(abs, p);
    if (inputs.has(abs)) throw new UsageError('OUTPUT_CONFLICT', `the output ${p} is also an input`);
    const dir = dirname(abs);
    let dst: ReturnType<typeof statSync> | undefined;
    try {
      dst = statSync(dir);
    } catch {
      throw new UsageError('OUTPUT_DIRECTORY_MISSING', `cannot write ${p}: the directory ${dirname(p)} does not exist`);
    }
    if (!dst.isDirectory()) throw new UsageError('OUTPUT_DIRECTORY_MISSING', `cannot write ${p}: ${dirname(p)} is not a directory`);
    const d = dirs.get(dir) ?? { shown: dirname(p), count: 0 };
    d.count++;
    dirs.set(dir, d);
    // lstat: a link (dangling or not) is an existing output too.
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError('OUTPUT_UNWRITABLE', `cannot write ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (st) {
      if (st.isDirectory()) throw new UsageError('OUTPUT_CONFLICT', `cannot write ${p}: it is a directory`);
      existing.push(st.isSymbolicLink() ? `${p} (a link)` : p);
    }
  }
  if (existing.length > 0 && !options.overwrite) {
    throw new UsageError('OUTPUT_EXISTS', `Refusing to overwrite outputs without --overwrite: ${existing.join(', ')}`);
  }
  for (const [dir, d] of dirs) {
    removeStaleTemporaries(dir);
    checkWritable(dir, d.shown, d.count);
  }
}

/**
 * `--output-directory DIR` as sigstore-python treats it: created (with its parents) when missing,
 * refused when something else is in the way. Called before {@link planOutputs}, so before any
 * request: a directory that cannot be created stops the run before anything is signed.
 *
 * @example
 * ```ts
 * ensureOutputDirectory('dist/signatures');
 * ```
 */
export function ensureOutputDirectory(dir: string): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError('OUTPUT_UNWRITABLE', `cannot create the output directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing was signed`);
  }
  if (st) {
    if (!st.isDirectory()) throw new UsageError('OUTPUT_DIRECTORY_MISSING', `Output directory exists and is not a directory: ${dir}`);
    return;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError('OUTPUT_UNWRITABLE', `cannot create the output directory ${dir}: ${err.code ?? err.message}; nothing was signed`);
  }
}

/** Room kept per planned output (a bundle with a certificate, entries and timestamps is < 16 KiB). */
export const BYTES_PER_OUTPUT = 16 * 1024;

/**
 * Refuses a directory the outputs cannot be written to, before any work: a probe file is created,
 * written and removed (read-only file systems, permissions, a full disk), and the free space must
 * hold `count` outputs.
 */
function checkWritable(dir: string, shown: string, count: number): void {
  const refuse = (why: string): never => {
    throw new UsageError('OUTPUT_UNWRITABLE', `cannot write the outputs to ${shown}: ${why}; nothing was signed (choose another directory or make room)`);
  };
  const probe = join(dir, `.sigstore-write-check.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(probe, 'wx', 0o600);
    writeSync(fd, Buffer.alloc(1));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why: Record<string, string> = { EROFS: 'the file system is read-only', EACCES: 'permission denied', EPERM: 'permission denied', ENOSPC: 'no space left', EDQUOT: 'disk quota exceeded' };
    refuse(why[err.code ?? ''] ?? `${err.code ?? ''} ${err.message}`.trim());
  } finally {
    if (fd !== undefined) ignore(() => closeSync(fd!));
    ignore(() => unlinkSync(probe));
  }
  let free: number | undefined;
  try {
    const fs = statfsSync(dir);
    free = Number(fs.bavail) * Number(fs.bsize);
  } catch {
    free = undefined; // not available here: the probe is the check
  }
  const need = count * BYTES_PER_OUTPUT;
  if (free !== undefined && free < need) refuse(`only ${free} bytes are free, ${count} output${count === 1 ? '' : 's'} need about ${need}`);
}

/** The temporary files this module creates: `.NAME.PID.RANDOM.tmp`. */
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Temporary files older than this are stale even when their process id is in use again. */
const STALE_AFTER_MS = 60 * 60 * 1000;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes, from `dir`, the temporary files earlier runs of this program left when they were
 * killed: named as this module names them, owned by this user, and whose process is gone or which
 * are older than an hour. Returns how many were removed; failures are ignored (best effort).
 *
 * @example
 * ```ts
 * removeStaleTemporaries('dist');
 * ```
 */
export function removeStaleTemporaries(dir: string, now = Date.now()): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const uid = process.getuid?.();
  let removed = 0;
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isFile() || (uid !== undefined && st.uid !== uid)) continue;
      if (alive(Number(m[1])) && now - st.mtimeMs < STALE_AFTER_MS) continue;
      unlinkSync(path);
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
