/**
 * Reading the documents the CLI parses whole (bundles, attestations, provenance files,
 * statements, predicates): what cannot be one is refused before it is read. A FIFO or device
 * would block the command or never end; a file of gigabytes would be read into memory.
 */
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { readFailure } from '../lib/input-file.js';
import { usage } from './args.js';
import type { ErrorCode } from '../errors.js';

/** The largest document read whole (the same limit as `sigstore verify`'s bundles). */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

/**
 * Reads a whole document. Throws the file system's error (`ENOENT`, `EIO`, ...), or an error with
 * code `EISDIR` ("is a directory"), `ENOTREG` ("not a regular file") or `EFBIG` ("larger than 32
 * MiB"), for the caller to word.
 *
 * @example
 * ```ts
 * const data = readDocument('a.whl.publish.attestation');
 * ```
 */
export function readDocument(path: string, maxBytes = MAX_DOCUMENT_BYTES): Buffer {
  const st = statSync(path);
  const refuse = (code: string, message: string): never => {
    throw Object.assign(new Error(message), { code });
  };
  if (st.isDirectory()) refuse('EISDIR', 'is a directory');
  if (!st.isFile()) refuse('ENOTREG', 'not a regular file');
  if (st.size > maxBytes) refuse('EFBIG', `larger than ${maxBytes / 1024 / 1024} MiB`);
  return readFileSync(path);
}

/**
 * {@link readDocument}, refusing a document that cannot be read as one {@link UsageError} with
 * `code`: "cannot read WHAT PATH: why" (`what`, when given, names the document: "bundle",
 * "the statement", ...).
 *
 * @example
 * ```ts
 * const text = readDocumentOr('a.txt.sigstore.json', 'BUNDLE_UNREADABLE', 'bundle').toString('utf8');
 * ```
 */
export function readDocumentOr(path: string, code: ErrorCode, what?: string): Buffer {
  try {
    return readDocument(path);
  } catch (e) {
    throw new UsageError(code, `cannot read ${what === undefined ? '' : `${what} `}${path}: ${readFailure(e)}`);
  }
}

/**
 * Refuses, as a usage error, an input that does not exist, is a directory or is not a regular
 * file (a FIFO or device would block or never end). `hint` is appended to the last message.
 *
 * @example
 * ```ts
 * requireRegularFile('dist/pkg-1.0.tar.gz', 'input');
 * ```
 */
export function requireRegularFile(path: string, what: string, hint = ''): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    usage(`${what} ${path} does not exist`);
  }
  if (st!.isDirectory()) usage(`${what} ${path} is a directory`);
  if (!st!.isFile()) usage(`${what} ${path} is not a regular file${hint}`);
}

