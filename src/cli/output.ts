/**
 * Output files for the commands that write (sign, attest, PEP 740 attestations, ...):
 *
 * - {@link planOutputs} checks every planned output before any work starts: no output is given
 *   twice or is also an input, its directory exists, and none exists already unless `overwrite`.
 * - {@link writeAtomic} writes one file atomically: a temporary file in the same directory,
 *   flushed to disk, then renamed over the target (or, without `overwrite`, linked to it, which
 *   fails if the target appeared meanwhile). An interrupted run leaves the old file or the
 *   complete new one, never a partial file.
 * - {@link writeAllAtomic} writes a set of files, and removes the ones it created when a later
 *   one fails.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';

/**
 * One file to write.
 *
 * @example
 * ```ts
 * const out: OutputFile = { path: 'a.txt.sigstore.json', data: JSON.stringify(bundle) };
 * ```
 */
export interface OutputFile {
  path: string;
  data: string | Buffer;
  /** File mode for a new file (default 0o644, less the umask). */
  mode?: number;
}

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
    if (existsSync(abs)) {
      if (statSync(abs).isDirectory()) throw new UsageError('OUTPUT_CONFLICT', `cannot write ${p}: it is a directory`);
      existing.push(p);
    }
  }
  if (existing.length > 0 && !options.overwrite) {
    throw new UsageError('OUTPUT_EXISTS', `refusing to overwrite outputs without --overwrite: ${existing.join(', ')}`);
  }
}

/**
 * Writes `data` to `path` atomically (temporary file in the same directory, fsync, rename). With
 * `overwrite: false` an existing file is never replaced, even one created after the checks.
 *
 * @example
 * ```ts
 * await writeAtomic('a.txt.sigstore.json', JSON.stringify(bundle), { overwrite: true });
 * ```
 */
export async function writeAtomic(path: string, data: string | Buffer, options: { overwrite?: boolean; mode?: number } = {}): Promise<void> {
  const dir = dirname(resolve(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fail = (e: unknown): never => {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new UsageError('OUTPUT_EXISTS', `refusing to overwrite ${path} (it appeared while signing) without --overwrite`);
    throw new SigstoreError('OUTPUT_WRITE_FAILED', `cannot write ${path}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '), { cause: e });
  };
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(tmp, 'wx', options.mode ?? 0o644);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    if (options.overwrite) {
      await rename(tmp, path);
    } else {
      try {
        // link() refuses an existing target: no check-then-rename race.
        await link(tmp, path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw e;
        // File systems without hard links: best effort.
        if (existsSync(path)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        await rename(tmp, path);
        return;
      }
      await unlink(tmp).catch(() => {});
    }
    await syncDir(dir);
  } catch (e) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    fail(e);
  }
}

/** Makes the rename durable (best effort: not every platform can open a directory). */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // not supported here
  }
}

/**
 * Writes several files atomically, one after the other. If one fails, the files this call
 * created (not the ones it overwrote) are removed again, and the error is thrown.
 *
 * @example
 * ```ts
 * await writeAllAtomic([{ path: 'a.sig', data: sig }, { path: 'a.crt', data: pem }], { overwrite: false });
 * ```
 */
export async function writeAllAtomic(files: OutputFile[], options: { overwrite?: boolean } = {}): Promise<void> {
  const created: string[] = [];
  try {
    for (const f of files) {
      const existed = existsSync(f.path);
      await writeAtomic(f.path, f.data, { overwrite: options.overwrite ?? false, ...(f.mode !== undefined ? { mode: f.mode } : {}) });
      if (!existed) created.push(f.path);
    }
  } catch (e) {
    for (const p of created) await unlink(p).catch(() => {});
    throw e;
  }
}
