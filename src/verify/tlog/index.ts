/**
 * Transparency log checks for one entry: the log is trusted, the inclusion proof leads to the
 * checkpoint's root, the checkpoint is signed by the log, the SET (when present) verifies, and
 * the integrated time is plausible and inside the log key's validity window.
 */
import type { TlogEntry } from '../../bundle/parse.js';
import { VerificationError } from '../../errors.js';
import { type TransparencyLog, type TrustMaterial, within } from '../../trust/trusted-root.js';
import { verifyCheckpoint } from './checkpoint.js';
import { leafHash, rootFromInclusionProof } from '../../lib/merkle.js';
import { verifySET } from './set.js';
import type { ErrorCode } from '../../errors.js';

/** How far ahead of the local clock an integrated time may be (clock skew). */
export const MAX_CLOCK_SKEW_MS = 60_000;

export interface VerifiedTlogEntry {
  entry: TlogEntry;
  log: TransparencyLog;
  /** The integrated time, when a verified SET vouches for it. */
  integratedTime: Date | undefined;
  /**
   * The entry as a result reports it: its log index is the one a check vouches for (the SET's,
   * else the inclusion proof's: on a sharded log the entry's own index is the global one, which
   * nothing authenticates without a SET).
   */
  reported: TlogEntry;
}

function fail(code: ErrorCode, message: string): never {
  throw new VerificationError('tlog', code, message);
}

/** Finds the trusted log an entry names. */
export function findLog(entry: TlogEntry, trust: TrustMaterial): TransparencyLog {
  const log = trust.tlogs.find((l) => l.logId.equals(entry.logId));
  if (!log) fail('TLOG_UNTRUSTED', `log entry comes from a log not in the trusted root (log ID ${entry.logId.toString('base64')})`);
  return log;
}

/** Verifies the inclusion proof and its checkpoint. */
export function verifyInclusionProof(entry: TlogEntry, log: TransparencyLog): void {
  const proof = entry.inclusionProof;
  if (!proof) fail('TLOG_NO_INCLUSION_PROOF', 'log entry has no inclusion proof');
  const root = rootFromInclusionProof(proof.logIndex, proof.treeSize, leafHash(entry.canonicalizedBody), proof.hashes);
  if (!root) fail('TLOG_INCLUSION_PROOF_INVALID', `inclusion proof has the wrong shape for index ${proof.logIndex} in a tree of ${proof.treeSize}`);
  if (!root.equals(proof.rootHash)) fail('TLOG_INCLUSION_PROOF_INVALID', 'inclusion proof does not lead to its root hash');
  if (!proof.checkpoint) fail('TLOG_NO_CHECKPOINT', 'inclusion proof has no checkpoint');
  const cp = verifyCheckpoint(proof.checkpoint, log);
  // The signed checkpoint is what makes the proof's root and size the log's: both must be its.
  if (!cp.rootHash.equals(root)) fail('CHECKPOINT_ROOT_MISMATCH', "checkpoint root hash differs from the inclusion proof's");
  if (cp.size !== proof.treeSize) fail('CHECKPOINT_SIZE_MISMATCH', `checkpoint tree size ${cp.size} differs from the inclusion proof's ${proof.treeSize}`);
}

/** Runs every transparency log check on one entry. */
export function verifyTlogEntry(entry: TlogEntry, trust: TrustMaterial, now: Date = new Date()): VerifiedTlogEntry {
  const log = findLog(entry, trust);
  if (!entry.inclusionProof && !entry.signedEntryTimestamp) {
    fail('TLOG_NO_PROOF', 'log entry has neither an inclusion proof nor an inclusion promise');
  }
  if (entry.inclusionProof) verifyInclusionProof(entry, log);
  // The entry's own log index is authenticated only by a SET. Without one it is not compared
  // with the proof's: on a sharded log (Rekor v1 production and staging) it is the global index
  // and the proof's is the index in the shard, so they always differ. The proven one is reported.
  let reported = entry;
  if (!entry.signedEntryTimestamp && entry.inclusionProof && entry.inclusionProof.logIndex !== entry.logIndex) {
    reported = Object.freeze({ ...entry, logIndex: entry.inclusionProof.logIndex });
  }
  let integratedTime: Date | undefined;
  if (entry.signedEntryTimestamp) {
    verifySET(entry, log);
    integratedTime = new Date(Number(entry.integratedTime) * 1000);
  }
  if (entry.integratedTime > 0n) {
    const t = new Date(Number(entry.integratedTime) * 1000);
    if (t.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) fail('TLOG_TIME_IN_FUTURE', `integrated time ${t.toISOString()} is in the future`);
    if (!within(log.validFor, t)) {
      fail('TLOG_KEY_NOT_VALID', `integrated time ${t.toISOString()} is outside the validity window of the log key of ${log.baseUrl || 'the log'}`);
    }
  }
  return { entry, log, integratedTime, reported };
}
