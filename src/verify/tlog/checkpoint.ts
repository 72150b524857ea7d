/**
 * Signed checkpoints (C2SP signed notes, as Rekor v1 and v2 publish them): parse the note,
 * check a signature from the trusted log's key, and read origin, tree size and root hash.
 */
import { VerificationError } from '../../errors.js';
import { verifyMessageCached } from '../../lib/signature.js';
import type { TransparencyLog } from '../../trust/trusted-root.js';

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

function fail(code: string, message: string): never {
  throw new VerificationError('tlog', code, message);
}

/** Parses a signed note into its body text and signature lines. */
export function parseNote(note: string): { body: string; signatures: NoteSignature[] } {
  const split = note.indexOf('\n\n');
  if (split < 0) fail('CHECKPOINT_MALFORMED', 'checkpoint is not a signed note (no blank line before the signatures)');
  const body = note.slice(0, split + 1);
  const sigText = note.slice(split + 2);
  if (sigText.length === 0) fail('CHECKPOINT_UNSIGNED', 'checkpoint has no signatures');
  if (!sigText.endsWith('\n')) fail('CHECKPOINT_MALFORMED', 'checkpoint signatures do not end with a newline');
  const signatures: NoteSignature[] = [];
  for (const line of sigText.slice(0, -1).split('\n')) {
    const m = line.match(/^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/);
    if (!m) fail('CHECKPOINT_MALFORMED', `malformed checkpoint signature line ${JSON.stringify(line)}`);
    const raw = Buffer.from(m[2]!, 'base64');
    // Only canonical base64: other spellings of the same bytes would let a note change unseen.
    if (raw.toString('base64') !== m[2]) fail('CHECKPOINT_MALFORMED', 'checkpoint signature is not canonical base64');
    if (raw.length < 5) fail('CHECKPOINT_MALFORMED', 'checkpoint signature is too short');
    signatures.push({ name: m[1]!, keyHint: raw.subarray(0, 4), signature: raw.subarray(4) });
  }
  return { body, signatures };
}

/** Parses a checkpoint body: origin, decimal tree size, base64 root hash, extension lines. */
export function parseCheckpointBody(body: string): Checkpoint {
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) fail('CHECKPOINT_MALFORMED', 'checkpoint body needs an origin, a tree size and a root hash');
  const [origin, size, root] = lines as [string, string, string];
  if (origin.length === 0) fail('CHECKPOINT_MALFORMED', 'checkpoint has an empty origin line');
  if (!/^(0|[1-9]\d*)$/.test(size)) fail('CHECKPOINT_MALFORMED', `checkpoint tree size ${JSON.stringify(size)} is not a number`);
  if (!/^[A-Za-z0-9+/]{43}=$/.test(root) || Buffer.from(root, 'base64').toString('base64') !== root) {
    fail('CHECKPOINT_MALFORMED', 'checkpoint root hash is not a canonical base64 SHA-256 hash');
  }
  return { origin, size: BigInt(size), rootHash: Buffer.from(root, 'base64'), extensions: lines.slice(3) };
}

/** The 4-byte key hint a log's checkpoint signatures carry. */
export function keyHint(log: TransparencyLog): Buffer {
  return (log.checkpointKeyId ?? log.logId).subarray(0, 4);
}

/**
 * Verifies a checkpoint against the log that holds the entry: at least one signature line with
 * the log's key hint and name must verify over the note body. Signatures from other keys
 * (witness cosignatures) are ignored. Signature results are remembered (bundles from one
 * log often carry the same checkpoint).
 */
export function verifyCheckpoint(note: string, log: TransparencyLog): Checkpoint {
  const { body, signatures } = parseNote(note);
  const cp = parseCheckpointBody(body);
  const name = cp.origin.split(' - ')[0];
  const hint = keyHint(log);
  const candidates = signatures.filter((s) => s.keyHint.equals(hint));
  if (candidates.length === 0) {
    fail('CHECKPOINT_NO_LOG_SIGNATURE', `checkpoint has no signature from the log's key (key hint ${hint.toString('hex')})`);
  }
  const data = Buffer.from(body, 'utf8');
  const ok = candidates.some((s) => s.name === name && verifyMessageCached(log.key, data, s.signature));
  if (!ok) fail('CHECKPOINT_SIGNATURE_INVALID', `checkpoint signature from ${name} does not verify with the log's key`);
  return cp;
}
