/**
 * Output formatting shared by commands: a verification result as text (JSON output is
 * json-output.ts's).
 */
import type { VerificationResult } from '../verify/types.js';

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
