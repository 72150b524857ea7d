/**
 * A verification worker of {@link verifyMany} (src/verify/batch.ts), as a worker thread or a
 * child process: parses the trusted root once, then runs every check except the identity policy
 * on the bundles it is sent, and answers with what the main thread needs to rebuild the result
 * (or the error, as plain data). The policy runs on the main thread (policies are arbitrary
 * objects, not cloneable). A thread gets its set-up as workerData, a process as its first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SigstoreError, VerificationError } from '../errors.js';
import { parseTrustedRoot } from '../trust/trusted-root.js';
import { unsafeAcceptAnyIdentity, type VerificationPolicy } from './policy.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './batch.js';
import { type KeyPolicy, Verifier } from './verifier.js';

let verifier: Verifier;
let policy: KeyPolicy | VerificationPolicy;

function setUp(init: WorkerInit): void {
  verifier = new Verifier(parseTrustedRoot(init.trustedRoot as never, init.source), init.now === undefined ? {} : { now: new Date(init.now) });
  policy = init.key ? { key: typeof init.key === 'string' ? init.key : buf(init.key) } : unsafeAcceptAnyIdentity();
}

/** Structured clone turns Buffers into Uint8Arrays: make them Buffers again (no copy). */
function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

async function verifyOne(req: WorkerRequest): Promise<WorkerReply> {
  let reply: WorkerReply;
  try {
    const bundle = typeof req.bundle === 'string' || !(req.bundle instanceof Uint8Array) ? req.bundle : buf(req.bundle);
    const a = req.artifact;
    const artifact = 'digest' in a ? { digest: { algorithm: a.digest.algorithm, value: buf(a.digest.value) } } : 'data' in a ? { data: buf(a.data) } : a;
    const r = await verifier.verify(bundle as never, artifact, policy);
    reply = {
      id: req.id,
      ok: true,
      timestamps: r.timestamps.map((t) => ({ time: t.time.getTime(), source: t.source, authority: t.authority })),
      statement: r.statement,
      keyId: r.signer.kind === 'key' ? r.signer.keyId : undefined,
    };
  } catch (e) {
    const err = e as Error;
    reply = {
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
  return reply;
}

async function verifyAll(reqs: WorkerRequest[]): Promise<WorkerReply[]> {
  const replies: WorkerReply[] = [];
  for (const req of reqs) replies.push(await verifyOne(req));
  return replies;
}

if (parentPort) {
  const port = parentPort;
  setUp(workerData as WorkerInit);
  port.on('message', async (reqs: WorkerRequest[]) => port.postMessage(await verifyAll(reqs)));
} else if (process.send) {
  process.once('message', (init: WorkerInit) => {
    setUp(init);
    process.on('message', async (reqs: WorkerRequest[]) => process.send!(await verifyAll(reqs)));
  });
  process.on('disconnect', () => process.exit(0));
}
