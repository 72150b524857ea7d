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
      : { kind: 'key', keyId: r.signer.keyId, hint: r.signer.hint };
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

/** A short human-readable account of what was verified (printed under `OK:`). */
export function describeResult(r: VerificationResult): string {
  const lines: string[] = [];
  if (r.signer.kind === 'certificate') {
    lines.push(`signer:  ${r.signer.identity}${r.signer.issuer ? ` (issuer ${r.signer.issuer})` : ''}`);
  } else {
    lines.push(`signer:  managed key sha256:${r.signer.keyId}`);
  }
  if (r.statement) lines.push(`signed:  in-toto statement, predicate ${r.statement.predicateType}`);
  for (const e of r.tlogEntries) lines.push(`log:     ${e.kind} ${e.version} entry, index ${e.logIndex}`);
  for (const t of r.timestamps) lines.push(`time:    ${t.time.toISOString()} (${t.source === 'tsa' ? 'RFC 3161 timestamp' : 'log integrated time'}, ${t.authority})`);
  return lines.map((l) => `  ${l}\n`).join('');
}
