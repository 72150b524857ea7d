/**
 * Signed entry timestamps (Rekor v1 inclusion promises): the log's signature over the RFC 8785
 * canonical JSON of the entry's body, integrated time, log ID and index.
 */
import canonicalize from 'canonicalize';
import type { TlogEntry } from '../../bundle/parse.js';
import { VerificationError } from '../../errors.js';
import { verifyMessage } from '../../lib/signature.js';
import type { TransparencyLog } from '../../trust/trusted-root.js';

/** The exact bytes a Rekor v1 SET signs. */
export function setPayload(entry: TlogEntry): Buffer {
  return Buffer.from(
    canonicalize({
      body: entry.canonicalizedBody.toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logID: entry.logId.toString('hex'),
      logIndex: Number(entry.logIndex),
    })!,
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
