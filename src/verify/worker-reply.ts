/**
 * A worker's replies made into outcomes on the calling thread: errors rebuilt as the same
 * classes, results completed (signer, policy, the parsed bundle on demand) from what the worker
 * verified.
 */
import { type ParsedBundle, parseBundle } from '../bundle/parse.js';
import { BundleError, NetworkError, PolicyError, SigstoreError, TrustError, UsageError, VerificationError, type VerificationStep } from '../errors.js';
import { freezeCertificate } from '../lib/freeze.js';
import { remember } from '../lib/remember.js';
import { Certificate } from '../lib/x509.js';
import { certificateSigner } from './extensions.js';
import type { VerificationPolicy } from './policy.js';
import type { VerifyManyItem } from './pool.js';
import type { CertificateSigner, VerificationResult } from './types.js';
import type { KeyPolicy } from './verifier.js';
import type { WorkerReply } from './worker-start.js';
import type { ErrorCode } from '../errors.js';

/** Rebuilds an error a worker reported, as the same class. */
export function rebuild(e: Extract<WorkerReply, { ok: false }>['error']): Error {
  const code = e.code ?? 'UNKNOWN';
  switch (e.name) {
    case 'BundleError':
      return new BundleError(code as ErrorCode, e.message);
    case 'PolicyError':
      return new PolicyError(code as ErrorCode, e.message);
    case 'VerificationError':
      return new VerificationError((e.step ?? 'bundle') as VerificationStep, code as ErrorCode, e.message);
    case 'UsageError':
      return new UsageError(code as ErrorCode, e.message);
    case 'TrustError':
      return new TrustError(code as ErrorCode, e.message);
    case 'NetworkError':
      return new NetworkError(code as ErrorCode, e.message);
    case 'SigstoreError':
      return new SigstoreError(code as ErrorCode, e.message);
    default:
      return new Error(e.message);
  }
}

/** Signers by certificate (base64 DER): bundles of one signing session share their certificate. */
const signers = new Map<string, CertificateSigner>();

function signerOf(der: Uint8Array): CertificateSigner {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  return remember(signers, 256, buf.toString('base64'), () => certificateSigner(freezeCertificate(new Certificate(Buffer.from(buf)))));
}

/**
 * The result a worker vouched for, rebuilt on this thread, with the policy checked. The signer
 * comes from the certificate the worker verified; the parsed bundle (and its log entries) only
 * when asked for: `item` is the pool's private copy of what the caller submitted (see
 * VerifierPool.verify), the very bytes the worker parsed and verified, so the parse made then
 * is that bundle whatever the caller did to its input since.
 */
export function complete(item: VerifyManyItem, reply: Extract<WorkerReply, { ok: true }>, policy: VerificationPolicy | KeyPolicy): VerificationResult {
  let parsed: ParsedBundle | undefined;
  const bundle = (): ParsedBundle => {
    parsed ??= parseBundle(item.bundle);
    return parsed;
  };
  const timestamps = reply.timestamps.map((t) => ({ time: new Date(t.time), source: t.source, authority: t.authority }));
  let signer: VerificationResult['signer'];
  if (reply.certificate) {
    signer = signerOf(reply.certificate);
    (policy as VerificationPolicy).check(signer);
  } else {
    const mat = bundle().material;
    signer = { kind: 'key', keyId: reply.keyId!, hint: mat.kind === 'publicKey' ? mat.hint : '' };
  }
  const result = { signer, timestamps, statement: reply.statement, payloadType: reply.payloadType } as VerificationResult;
  // The entries as the worker verified them: an entry without a SET reports its proven index.
  let entries: VerificationResult['tlogEntries'] | undefined;
  const tlogEntries = () =>
    (entries ??= bundle().tlogEntries.map((e, i) => {
      const proven = reply.logIndexes[i];
      return proven === undefined || proven === e.logIndex ? e : Object.freeze({ ...e, logIndex: proven });
    }));
  Object.defineProperties(result, {
    bundle: { enumerable: true, get: bundle },
    tlogEntries: { enumerable: true, get: tlogEntries },
  });
  return result;
}

