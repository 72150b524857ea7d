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
 * are base64 and hex text (no character JSON would escape) and non-negative integers, written
 * with their exact decimal digits from the bigints (never through a double: a SET over index
 * 2^53 must not verify an entry claiming 2^53+1). Below 2^53 this is RFC 8785's form.
 */
export function setPayload(entry: TlogEntry): Buffer {
  const body = entry.canonicalizedBody.toString('base64');
  const logId = entry.logId.toString('hex');
  return Buffer.from(
    `{"body":${JSON.stringify(body)},"integratedTime":${entry.integratedTime},"logID":${JSON.stringify(logId)},"logIndex":${entry.logIndex}}`,
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
