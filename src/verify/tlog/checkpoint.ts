/**
 * Signed checkpoints (C2SP signed notes, as Rekor v1 and v2 publish them): parse the note, check
 * it the way Go's reference verifier (golang.org/x/mod/sumdb/note `Open`) does, and read origin,
 * tree size and root hash.
 *
 * The rules: at most {@link MAX_NOTE_SIGNATURES} signature lines (counted before any other work);
 * the first line from the known key (the log's key name and 4-byte key hash) must be there and
 * verify, or the note is refused whatever other lines say; lines from other keys (witness
 * cosignatures) are ignored. The checkpoint's origin must be the trusted log's (its base URL's
 * host; Rekor v1 appends ` - <tree ID>`).
 */
import { VerificationError } from '../../errors.js';
import { digits, hasControlCharacter, hasJsWhitespace, isBase64Of32, isPaddedBase64, isPlainDecimal } from '../../lib/shapes.js';
import { verifyMessageCached } from '../../lib/signature.js';
import type { TransparencyLog } from '../../trust/trusted-root.js';
import type { ErrorCode } from '../../errors.js';

/** More signature lines than this and a note is refused unread (Go's sumdb/note `maxSignatures`). */
export const MAX_NOTE_SIGNATURES = 100;

/** A checkpoint body: the log's claim about its tree. */
export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Buffer;
  /** Extension lines after the root hash (e.g. Rekor v1's `Timestamp: ...`). */
  extensions: string[];
}

interface NoteSignature {
  name: string;
  keyHint: Buffer;
  signature: Buffer;
}

function fail(code: ErrorCode, message: string): never {
  throw new VerificationError('tlog', code, message);
}

/**
 * A signature line, `— <name> <base64>`: the key name non-empty, without whitespace or `+` (C2SP
 * signed-note), the signature base64 (`/^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u` and the name
 * `/^[^\s+]+$/u`, checked without compiling them).
 */
function signatureLine(line: string): { name: string; b64: string } | undefined {
  if (!line.startsWith('\u2014 ')) return undefined;
  const sp = line.indexOf(' ', 2);
  if (sp < 3) return undefined;
  const name = line.slice(2, sp);
  const b64 = line.slice(sp + 1);
  if (name.includes('+') || hasJsWhitespace(name) || !isPaddedBase64(b64)) return undefined;
  return { name, b64 };
}

/**
 * Parses a signed note into its body text and signature lines, as Go's `note.Open` splits it:
 * the body ends at the last blank line, every line of the signature block is a signature line.
 */
export function parseNote(note: string): { body: string; signatures: NoteSignature[] } {
  // ASCII control characters other than newline are refused anywhere in a note.
  if (hasControlCharacter(note)) fail('CHECKPOINT_MALFORMED', 'checkpoint contains a control character');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) fail('CHECKPOINT_MALFORMED', 'checkpoint is not a signed note (no blank line before the signatures)');
  const body = note.slice(0, split + 1);
  const sigText = note.slice(split + 2);
  if (sigText.length === 0) fail('CHECKPOINT_UNSIGNED', 'checkpoint has no signatures');
  if (!sigText.endsWith('\n')) fail('CHECKPOINT_MALFORMED', 'checkpoint signatures do not end with a newline');
  // Bound the work before reading any line: count the lines first.
  let lines = 0;
  for (let i = sigText.indexOf('\n'); i >= 0; i = sigText.indexOf('\n', i + 1)) {
    if (++lines > MAX_NOTE_SIGNATURES) {
      fail('CHECKPOINT_TOO_MANY_SIGNATURES', `checkpoint has more than ${MAX_NOTE_SIGNATURES} signature lines`);
    }
  }
  const signatures: NoteSignature[] = [];
  for (const line of sigText.slice(0, -1).split('\n')) {
    const m = signatureLine(line);
    if (!m) fail('CHECKPOINT_MALFORMED', `malformed checkpoint signature line ${JSON.stringify(line.slice(0, 200))}`);
    const raw = Buffer.from(m.b64, 'base64');
    // Only canonical base64: other spellings of the same bytes would let a note change unseen.
    if (raw.toString('base64') !== m.b64) fail('CHECKPOINT_MALFORMED', 'checkpoint signature is not canonical base64');
    if (raw.length < 5) fail('CHECKPOINT_MALFORMED', 'checkpoint signature is too short');
    signatures.push({ name: m.name, keyHint: raw.subarray(0, 4), signature: raw.subarray(4) });
  }
  return { body, signatures };
}

/** Parses a checkpoint body: origin, decimal tree size, base64 root hash, extension lines. */
export function parseCheckpointBody(body: string): Checkpoint {
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) fail('CHECKPOINT_MALFORMED', 'checkpoint body needs an origin, a tree size and a root hash');
  const [origin, size, root] = lines as [string, string, string];
  if (origin.length === 0) fail('CHECKPOINT_MALFORMED', 'checkpoint has an empty origin line');
  if (!isPlainDecimal(size) || BigInt(size) >= 1n << 64n) {
    fail('CHECKPOINT_MALFORMED', `checkpoint tree size ${JSON.stringify(size.slice(0, 40))} is not a 64-bit number`);
  }
  if (!isBase64Of32(root) || Buffer.from(root, 'base64').toString('base64') !== root) {
    fail('CHECKPOINT_MALFORMED', 'checkpoint root hash is not a canonical base64 SHA-256 hash');
  }
  const extensions = lines.slice(3);
  if (extensions.some((l) => l.length === 0)) fail('CHECKPOINT_MALFORMED', 'checkpoint has an empty extension line');
  return { origin, size: BigInt(size), rootHash: Buffer.from(root, 'base64'), extensions };
}

/** The 4-byte key hint a log's checkpoint signatures carry. */
export function keyHint(log: TransparencyLog): Buffer {
  return (log.checkpointKeyId ?? log.logId).subarray(0, 4);
}

/**
 * The names a trusted log's checkpoints may carry as origin (and its key as name): its base URL
 * without scheme and trailing slash (host, port, path), its host with port, and its hostname.
 */
export function trustedOrigins(log: TransparencyLog): string[] {
  const out = new Set<string>();
  // Without the scheme (`/^[a-z][a-z0-9+.-]*:\/\//i`) and trailing slashes (`/\/+$/`).
  let rest = log.baseUrl;
  const colon = rest.indexOf(':');
  if (colon > 0 && rest.startsWith('//', colon + 1) && isScheme(rest.slice(0, colon))) rest = rest.slice(colon + 3);
  let end = rest.length;
  while (end > 0 && rest[end - 1] === '/') end--;
  rest = rest.slice(0, end);
  out.add(rest);
  // The URL's host (with its port) and host name, as WHATWG URL gives them (lower-cased, no user
  // info), without loading the URL parser into a one-shot verification: up to the first `/`, `?`
  // or `#`, after its first `@` (`/^[^@]*@/`), lower-cased; then without a final `:` and digits (`/:\d*$/`).
  let hostEnd = rest.length;
  for (const c of '/?#') {
    const i = rest.indexOf(c);
    if (i >= 0 && i < hostEnd) hostEnd = i;
  }
  const authority = rest.slice(0, hostEnd);
  const host = authority.slice(authority.indexOf('@') + 1).toLowerCase();
  out.add(host);
  const port = host.lastIndexOf(':');
  out.add(port >= 0 && digits(host, port + 1) ? host.slice(0, port) : host);
  out.delete('');
  return [...out];
}

/** Whether `s` is a URL scheme: an ASCII letter, then ASCII letters, digits, `+`, `.` or `-`. */
function isScheme(s: string): boolean {
  const letter = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
  if (s.length === 0 || !letter(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!letter(c) && !(c >= 0x30 && c <= 0x39) && c !== 0x2b && c !== 0x2e && c !== 0x2d) return false;
  }
  return true;
}

/**
 * The key name of a checkpoint's origin: the origin itself (Rekor v2, C2SP), or for Rekor v1's
 * `<host> - <tree ID>` its host part (`/^(.+) - \d+$/`: the host part non-empty and without a
 * line terminator).
 */
export function originName(origin: string): string {
  const i = origin.lastIndexOf(' - ');
  if (i < 1 || i + 3 === origin.length || !digits(origin, i + 3)) return origin;
  const name = origin.slice(0, i);
  return ['\n', '\r', '\u2028', '\u2029'].some((t) => name.includes(t)) ? origin : name;
}

/**
 * Verifies a checkpoint against the log that holds the entry (see the module comment for the
 * rules). Signature results are remembered (bundles from one log often share a checkpoint).
 */
export function verifyCheckpoint(note: string, log: TransparencyLog): Checkpoint {
  const { body, signatures } = parseNote(note);
  const cp = parseCheckpointBody(body);
  const name = originName(cp.origin);
  const origins = trustedOrigins(log);
  if (origins.length === 0) {
    fail('CHECKPOINT_ORIGIN_UNKNOWN', 'the trusted root gives no base URL for the log, so its checkpoint origin cannot be checked');
  }
  if (!origins.includes(name)) {
    fail('CHECKPOINT_ORIGIN_MISMATCH', `checkpoint origin ${JSON.stringify(cp.origin.slice(0, 200))} is not the trusted log's (${origins[0]})`);
  }
  // The first line from the known key decides, as in Go's note.Open: it must verify, and later
  // lines from that key are not read (each costs a signature check).
  const hint = keyHint(log);
  const mine = signatures.find((s) => s.name === name && s.keyHint.equals(hint));
  if (!mine) fail('CHECKPOINT_NO_LOG_SIGNATURE', `checkpoint has no signature from the log's key (${name}, key hint ${hint.toString('hex')})`);
  if (!verifyMessageCached(log.key, Buffer.from(body, 'utf8'), mine.signature)) {
    fail('CHECKPOINT_SIGNATURE_INVALID', `checkpoint signature from ${name} does not verify with the log's key`);
  }
  return cp;
}
