/**
 * Signed notes and checkpoints (C2SP signed-note and tlog-checkpoint).
 *
 * A checkpoint body is `<origin>\n<size>\n<base64 root>\n`; the signed note appends a blank line
 * and one signature line per signer: `— <key name> <base64(4-byte key hint || signature)>\n`.
 * Rekor v1 signs with ECDSA and uses the first 4 bytes of its log ID as the hint; Ed25519 keys
 * (Rekor v2) use the C2SP key ID SHA-256(name || 0x0A || 0x01 || public key).
 */
import { createHash, sign as nodeSign, type KeyObject } from 'node:crypto';
import { ed25519Raw, spki } from './keys.js';

/** The full C2SP key ID of an Ed25519 note key: SHA-256(name || "\n" || 0x01 || key). */
export function ed25519NoteKeyId(name: string, key: KeyObject): Buffer {
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.from([0x01]))
    .update(ed25519Raw(key))
    .digest();
}

/** SHA-256 of the key's SPKI: RFC 6962 log ID, Rekor v1 log ID, and the ECDSA note key ID. */
export function spkiLogId(key: KeyObject): Buffer {
  return createHash('sha256').update(spki(key)).digest();
}

export interface NoteSigner {
  /** The key name on the signature line. */
  name: string;
  /** The 4-byte key hint. */
  hint: Buffer;
  key: KeyObject;
}

export function checkpointBody(origin: string, size: number, root: Buffer, extra: string[] = []): string {
  return `${origin}\n${size}\n${root.toString('base64')}\n${extra.map((l) => `${l}\n`).join('')}`;
}

/** Signs a note body and returns the full signed note text. */
export function signNote(body: string, signer: NoteSigner): string {
  if (!body.endsWith('\n')) throw new Error('note body must end with a newline');
  const data = Buffer.from(body, 'utf8');
  const sig = signer.key.asymmetricKeyType === 'ed25519' ? nodeSign(null, data, signer.key) : nodeSign('sha256', data, signer.key);
  return `${body}\n\u2014 ${signer.name} ${Buffer.concat([signer.hint, sig]).toString('base64')}\n`;
}

/** Splits a signed note into its body and signature lines (no verification). */
export function parseNote(text: string): { body: string; origin: string; size: number; root: Buffer; signatures: { name: string; hint: Buffer; sig: Buffer }[] } {
  const split = text.indexOf('\n\n');
  if (split < 0) throw new Error('not a signed note');
  const body = text.slice(0, split + 1);
  const lines = body.split('\n');
  const signatures = text
    .slice(split + 2)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(l);
      if (!m) throw new Error(`malformed signature line ${JSON.stringify(l)}`);
      const raw = Buffer.from(m[2]!, 'base64');
      return { name: m[1]!, hint: raw.subarray(0, 4), sig: raw.subarray(4) };
    });
  return { body, origin: lines[0]!, size: Number(lines[1]), root: Buffer.from(lines[2] ?? '', 'base64'), signatures };
}
