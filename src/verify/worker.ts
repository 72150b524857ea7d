/**
 * A verification worker of a {@link VerifierPool} (src/verify/pool.ts), as a worker thread or a
 * child process: parses the trusted root once, then runs every check except the identity policy
 * on the bundles it is sent, and answers with what the calling thread needs to rebuild the
 * result (or the error, as plain data). The identity policy runs on the calling thread (policies
 * are arbitrary objects, not cloneable); a managed key comes with each message. A thread gets
 * its set-up as workerData, a process as its first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SigstoreError, VerificationError } from '../errors.js';
import { parseTrustedRoot } from '../trust/trusted-root.js';
import { unsafeAcceptAnyIdentity, type VerificationPolicy } from './policy.js';
import type { WorkerBatch, WorkerInit, WorkerReply, WorkerRequest } from './worker-start.js';
import { type KeyPolicy, Verifier } from './verifier.js';

let verifier: Verifier;
const anyIdentity = unsafeAcceptAnyIdentity();
/** The last managed key's policy (messages with a key usually come in runs with the same key). */
let keyPolicy: { key: WorkerBatch['key']; policy: KeyPolicy } | undefined;

function setUp(init: WorkerInit): void {
  verifier = new Verifier(parseTrustedRoot(init.trustedRoot, init.source), init.now === undefined ? {} : { now: new Date(init.now) });
}

/** Structured clone turns Buffers into Uint8Arrays: make them Buffers again (no copy). */
function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function policyFor(key: WorkerBatch['key']): KeyPolicy | VerificationPolicy {
  if (key === undefined) return anyIdentity;
  const same = keyPolicy && (typeof key === 'string' ? keyPolicy.key === key : keyPolicy.key instanceof Uint8Array && buf(keyPolicy.key).equals(key));
  if (!same) keyPolicy = { key, policy: { key: typeof key === 'string' ? key : buf(key) } };
  return keyPolicy!.policy;
}

async function verifyOne(req: WorkerRequest, policy: KeyPolicy | VerificationPolicy): Promise<WorkerReply> {
  try {
    const bundle = typeof req.bundle === 'string' || !(req.bundle instanceof Uint8Array) ? req.bundle : buf(req.bundle);
    const a = req.artifact;
    const artifact = 'digest' in a ? { digest: { algorithm: a.digest.algorithm, value: buf(a.digest.value) } } : 'data' in a ? { data: buf(a.data) } : a;
    const r = await verifier.verify(bundle as never, artifact, policy);
    return {
      id: req.id,
      ok: true,
      timestamps: r.timestamps.map((t) => ({ time: t.time.getTime(), source: t.source, authority: t.authority })),
      statement: r.statement,
      payloadType: r.payloadType,
      keyId: r.signer.kind === 'key' ? r.signer.keyId : undefined,
      certificate: r.signer.kind === 'certificate' ? r.signer.certificate.raw : undefined,
      logIndexes: r.tlogEntries.map((e) => e.logIndex),
    };
  } catch (e) {
    const err = e as Error;
    return {
      id: req.id,
      ok: false,
      error: {
        name: err instanceof SigstoreError ? err.name : 'Error',
        code: err instanceof SigstoreError ? err.code : undefined,
        step: err instanceof VerificationError ? err.step : undefined,
        message: err.message ?? String(e),
      },
    };
  }
}

async function verifyAll(batch: WorkerBatch): Promise<WorkerReply[]> {
  const policy = policyFor(batch.key);
  const replies: WorkerReply[] = [];
  for (const req of batch.items) replies.push(await verifyOne(req, policy));
  return replies;
}

if (parentPort) {
  const port = parentPort;
  setUp(workerData as WorkerInit);
  port.on('message', async (batch: WorkerBatch) => port.postMessage(await verifyAll(batch)));
} else if (process.send) {
  process.once('message', (init: WorkerInit) => {
    setUp(init);
    process.on('message', async (batch: WorkerBatch) => process.send!(await verifyAll(batch)));
  });
  process.on('disconnect', () => process.exit(0));
}
