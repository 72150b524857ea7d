/**
 * Output formatting shared by commands: verification results as JSON-friendly objects.
 */
import type { VerificationResult } from '../verify/types.js';

/** A verification result as plain JSON (what `--json` prints). */
export function resultToJson(input: string, bundlePath: string, r: VerificationResult): Record<string, unknown> {
  const signer =
    r.signer.kind === 'certificate'
      ? {
          kind: 'certificate',
          identity: r.signer.identity,
          issuer: r.signer.issuer,
          extensions: r.signer.extensions,
          certificate: {
            serial: r.signer.certificate.serial.toString(16),
            notBefore: r.signer.certificate.notBefore.toISOString(),
            notAfter: r.signer.certificate.notAfter.toISOString(),
            sha256: r.signer.certificate.fingerprint,
          },
        }
      : { kind: 'key', hint: r.signer.hint };
  return {
    input,
    bundle: bundlePath,
    verified: true,
    bundleVersion: r.bundle.version,
    signer,
    timestamps: r.timestamps.map((t) => ({ time: t.time.toISOString(), source: t.source, authority: t.authority })),
    tlogEntries: r.tlogEntries.map((e) => ({
      logIndex: e.logIndex.toString(),
      logId: e.logId.toString('base64'),
      kind: e.kind,
      version: e.version,
      integratedTime: e.integratedTime > 0n ? new Date(Number(e.integratedTime) * 1000).toISOString() : undefined,
    })),
    payloadType: r.payloadType,
    statement: r.statement,
  };
}
