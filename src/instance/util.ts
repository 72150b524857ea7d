/**
 * Small helpers shared by the local instance's services: HTTP errors, encodings, PEM, canonical
 * JSON and durable file writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { SigstoreError } from '../errors.js';

/**
 * A request the instance refuses: `status` is the HTTP status it answers with (4xx for the
 * caller's mistakes), `message` says what is wrong in one line.
 */
export class HttpError extends SigstoreError {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The JSON answer, when not the default `{"code": status, "message": message}`. */
  readonly body: Record<string, unknown> | undefined;
  constructor(status: number, message: string, headers: Record<string, string> = {}, body?: Record<string, unknown>) {
    super(`HTTP_${status}`, message);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/** An OAuth 2.0 error answer (RFC 6749 §5.2): `{"error": code, "error_description": ...}`. */
export function oauthError(status: number, error: string, description: string): HttpError {
  return new HttpError(status, `${error}: ${description}`, {}, { error, error_description: description });
}

/** Throws a 400 Bad Request with `message`. */
export function badRequest(message: string): never {
  throw new HttpError(400, message);
}

export function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function b64(data: Buffer | Uint8Array): string {
  return Buffer.from(data).toString('base64');
}

export function hex(data: Buffer | Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict standard base64 (padding required), or fails with a message naming `what`. */
export function fromB64(v: unknown, what: string, { allowEmpty = false } = {}): Buffer {
  if (typeof v !== 'string') badRequest(`${what} is missing or not a base64 string`);
  const s = (v as string).replace(/\s+/g, '');
  if (!B64_RE.test(s)) badRequest(`${what} is not valid base64`);
  const out = Buffer.from(s, 'base64');
  if (out.length === 0 && !allowEmpty) badRequest(`${what} is empty`);
  return out;
}

/** Encodes DER as PEM with 64-column lines and a trailing newline (Go's pem.EncodeToMemory). */
export function toPem(der: Buffer | Uint8Array, label: string): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** All PEM blocks in `text`, in order. */
export function fromPem(text: string): { label: string; der: Buffer }[] {
  const out: { label: string; der: Buffer }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  return out;
}

/** Whether `v` is a plain JSON object. */
export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads `o[key]` as an object, or fails naming `path`. */
export function objAt(o: unknown, path: string): Record<string, unknown> {
  if (!isObj(o)) badRequest(`${path} must be a JSON object`);
  return o as Record<string, unknown>;
}

/** Reads a non-empty string, or fails naming `path`. */
export function strAt(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') badRequest(`${path} is missing or not a non-empty string`);
  return v as string;
}

let canonicalizeFn: ((v: unknown) => string | undefined) | undefined;

/** RFC 8785 (JCS) canonical JSON, through the `canonicalize` package. */
export async function canonicalJson(v: unknown): Promise<string> {
  if (!canonicalizeFn) {
    const mod = (await import('canonicalize')) as unknown as { default: (v: unknown) => string | undefined };
    canonicalizeFn = mod.default;
  }
  const s = canonicalizeFn(v);
  if (s === undefined) throw new Error('value cannot be canonicalized');
  return s;
}

/**
 * Writes `data` to `path` durably and atomically: temp file, fsync, rename, fsync of the
 * directory. A reader sees the old or the new content, never a torn file.
 */
export function writeFileDurable(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** fsyncs a directory so that a rename or a new file in it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync directories; the data itself was already synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** RFC 3339 UTC timestamp with second precision, as protobuf JSON writes Timestamps. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
