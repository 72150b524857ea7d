/**
 * Signed entry timestamps (Rekor v1 inclusion promises): the log's signature over the RFC 8785
 * canonical JSON of the entry's body, integrated time, log ID and index.
 */
import type { TlogEntry } from '../../bundle/parse.js';
import { VerificationError } from '../../errors.js';
import { verifyMessage } from '../../lib/signature.js';
import type { TransparencyLog } from '../../trust/trusted-root.js';

/**
 * The exact bytes a Rekor v1 SET signs: the RFC 8785 canonical JSON of
 * `{body, integratedTime, logID, logIndex}`. Keys are written in their sorted order; the values
 * are base64 and hex text (no character JSON would escape) and integers, written as their exact
 * decimal digits: the same as RFC 8785 up to 2^53, and beyond it no two indexes share a payload
 * (as doubles, 2^53 and 2^53 + 1 would, letting a SET over one vouch for the other).
 */
export function setPayload(entry: TlogEntry): Buffer {
  const body = entry.canonicalizedBody.toString('base64');
  const logId = entry.logId.toString('hex');
  return Buffer.from(
    `{"body":${JSON.stringify(body)},"integratedTime":${entry.integratedTime.toString()},"logID":${JSON.stringify(logId)},"logIndex":${entry.logIndex.toString()}}`,
    'utf8',
  );
}

/** Verifies the entry's SET with the log's key; throws when it does not verify. */
export function verifySET(entry: TlogEntry, log: TransparencyLog): void {
  if (!entry.signedEntryTimestamp) throw new VerificationError('tlog', 'SET_MISSING', 'entry has no inclusion promise');
  if (!verifyMessage(log.key, setPayload(entry), entry.signedEntryTimestamp)) {
    throw new VerificationError('tlog', 'SET_INVALID', `inclusion promise (SET) does not verify with the key of ${log.baseUrl || 'the log'}`);
  }
}
