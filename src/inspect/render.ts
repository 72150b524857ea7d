/**
 * Text rendering of inspections: a stable, readable layout (covered by snapshot tests), headed
 * by the plain statement that inspecting is not verifying.
 */
import type { BundleInspection, Inspection, InspectedTlogEntry, InspectedTimestamp } from './model.js';

const W = 17;

function row(indent: string, label: string, value: string): string {
  const pad = label.length >= W ? `${label} ` : label.padEnd(W);
  const cont = `\n${indent}${' '.repeat(Math.max(W, label.length + 1))}`;
  return `${indent}${pad}${value.split('\n').join(cont)}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function renderEntry(e: InspectedTlogEntry, i: number, ind: string): string[] {
  const out = [`${ind}[${i}] ${e.kind} ${e.version}, log index ${e.logIndex}`];
  const d = `${ind}    `;
  out.push(row(d, 'log ID', e.logId));
  out.push(row(d, 'integrated time', e.integratedTime ?? 'none (the entry must be dated by an RFC 3161 timestamp)'));
  out.push(row(d, 'promise', e.inclusionPromise ? 'signed entry timestamp present' : 'none'));
  if (e.inclusionProof) {
    const p = e.inclusionProof;
    out.push(row(d, 'inclusion proof', `index ${p.logIndex} in a tree of size ${p.treeSize} (${plural(p.hashes, 'hash', 'hashes')})`));
    out.push(row(d, 'root hash', p.rootHash));
    out.push(row(d, 'checkpoint', p.checkpointOrigin ?? 'none'));
  } else {
    out.push(row(d, 'inclusion proof', 'none'));
  }
  if (e.body) {
    const hashes = Object.entries(e.body.hashes).map(([k, v]) => `${k} ${v}`);
    out.push(row(d, 'body', `${e.body.kind ?? '?'} ${e.body.apiVersion ?? '?'}${hashes.length ? `\n${hashes.join('\n')}` : ''}`));
  } else {
    out.push(row(d, 'body', 'unreadable (not JSON)'));
  }
  return out;
}

function renderTimestamp(t: InspectedTimestamp, i: number, ind: string): string[] {
  if ('error' in t) return [`${ind}[${i}] ${t.error}`];
  const d = `${ind}    `;
  return [`${ind}[${i}] ${t.genTime}`, row(d, 'authority', t.authority ?? 'unnamed'), row(d, 'serial', t.serial), row(d, 'hash', t.hashAlgorithm), row(d, 'policy', t.policy)];
}

function renderBundle(b: BundleInspection, ind: string): string[] {
  const out: string[] = [];
  const i2 = `${ind}  `;
  out.push(`${ind}Format`);
  if (b.format === 'attestation') {
    out.push(row(i2, 'kind', `PEP 740 attestation, version ${b.attestationVersion}`));
    out.push(row(i2, 'as a bundle', `${b.mediaType} (v${b.bundleVersion})`));
  } else {
    out.push(row(i2, 'kind', `Sigstore bundle v${b.bundleVersion}`));
    out.push(row(i2, 'media type', b.mediaType));
  }
  out.push('');
  const c = b.content;
  if (c.kind === 'dsseEnvelope') {
    out.push(`${ind}Statement (DSSE envelope)`);
    out.push(row(i2, 'payload type', `${c.payloadType} (${plural(c.payloadSize, 'byte')}, ${plural(c.signatures, 'signature')})`));
    if (c.statement) {
      const s = c.statement;
      out.push(row(i2, 'statement type', s.type ?? '(missing)'));
      out.push(row(i2, 'predicate type', s.predicateType ?? '(missing)'));
      out.push(`${i2}subjects (${s.subjects.length})`);
      for (const sub of s.subjects) {
        out.push(`${i2}  ${sub.name ?? '(no name)'}`);
        const digests = Object.entries(sub.digest);
        if (digests.length === 0) out.push(`${i2}    (no digest)`);
        for (const [alg, v] of digests) out.push(`${i2}    ${alg}:${v}`);
      }
      out.push(row(i2, 'predicate', s.predicate === null ? 'null' : JSON.stringify(s.predicate, null, 2)));
    } else {
      out.push(row(i2, 'statement', `unreadable: ${c.statementError}`));
    }
  } else {
    out.push(`${ind}Message signature`);
    out.push(row(i2, 'digest', c.digest ? `${c.digest.algorithm}:${c.digest.value}` : '(none)'));
    out.push(row(i2, 'signature', plural(c.signatureSize, 'byte')));
  }
  out.push('');
  const s = b.signer;
  if (s.kind === 'certificate') {
    out.push(`${ind}Signer (certificate)`);
    if (s.subjectAltNames.length === 0) out.push(row(i2, 'identity', '(no subject alternative name)'));
    for (const san of s.subjectAltNames) out.push(row(i2, 'identity', `${san.value} (${san.type === 'uri' ? 'URI' : san.type})`));
    out.push(row(i2, 'OIDC issuer', s.oidcIssuer ?? '(none)'));
    out.push(row(i2, 'serial', s.serial));
    out.push(row(i2, 'issued by', s.issuer));
    out.push(row(i2, 'subject', s.subject));
    out.push(row(i2, 'valid', `${s.notBefore} to ${s.notAfter}`));
    out.push(row(i2, 'public key', s.publicKey));
    out.push(row(i2, 'sha256', s.sha256));
    out.push(row(i2, 'chain', s.chain.length === 0 ? 'leaf only' : s.chain.join('\n')));
    const fulcio = s.extensions.filter((e) => e.value !== undefined);
    if (fulcio.length > 0) {
      out.push(`${i2}Fulcio extensions (${fulcio.length})`);
      const w = Math.max(...fulcio.map((e) => e.name.length + e.oid.length + 3));
      for (const e of fulcio) out.push(`${i2}  ${`${e.name} (${e.oid})`.padEnd(w)}  ${e.value}`);
    }
    const other = s.extensions.filter((e) => e.value === undefined);
    if (other.length > 0) out.push(row(i2, 'other extensions', other.map((e) => (e.name === 'unknown extension' ? e.oid : e.name)).join(', ')));
  } else {
    out.push(`${ind}Signer (managed key)`);
    out.push(row(i2, 'key hint', s.hint || '(none)'));
  }
  out.push('');
  out.push(`${ind}Transparency log entries (${b.tlogEntries.length})`);
  if (b.tlogEntries.length === 0) out.push(`${i2}none`);
  b.tlogEntries.forEach((e, i) => {
    out.push(...renderEntry(e, i, i2));
  });
  out.push('');
  out.push(`${ind}RFC 3161 timestamps (${b.timestamps.length})`);
  if (b.timestamps.length === 0) out.push(`${i2}none`);
  b.timestamps.forEach((t, i) => {
    out.push(...renderTimestamp(t, i, i2));
  });
  return out;
}

function hint(b: BundleInspection, file: string): string {
  const id = b.signer.kind === 'certificate' ? b.signer.subjectAltNames[0]?.value : undefined;
  if (b.format === 'attestation') {
    const dist = file.replace(/\.(publish|slsa)?\.?attestation$/, '') || 'DIST';
    return `To verify it: sigstore attestation verify --identity ${id ?? 'IDENTITY'} ${dist}`;
  }
  if (b.signer.kind === 'publicKey') return `To verify it: sigstore verify identity --key KEY.pub --bundle ${file} FILE`;
  const issuer = b.signer.oidcIssuer ?? 'ISSUER';
  return `To verify it: sigstore verify identity --cert-identity ${id ?? 'IDENTITY'} --cert-oidc-issuer ${issuer} --bundle ${file} FILE`;
}

/**
 * Renders an inspection as readable text. `file` names the inspected file in the heading.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { inspectDocument, renderInspection } from 'sigstore-ts/inspect';
 * const file = 'pkg-1.0.tar.gz.publish.attestation';
 * process.stdout.write(renderInspection(inspectDocument(readFileSync(file)), file));
 * ```
 */
export function renderInspection(i: Inspection, file = '-'): string {
  const out: string[] = [`${file}`, `NOT VERIFIED. ${i.notice}`, ''];
  if (i.format === 'provenance') {
    out.push('Format');
    out.push(row('  ', 'kind', `PyPI provenance, version ${i.version}`));
    out.push(row('  ', 'bundles', plural(i.attestationBundles.length, 'attestation bundle')));
    i.attestationBundles.forEach((b, n) => {
      out.push('');
      out.push(`Attestation bundle [${n}]`);
      out.push(row('  ', 'publisher', b.publisher));
      out.push(row('  ', 'attestations', String(b.attestations.length)));
      b.attestations.forEach((a, k) => {
        out.push('');
        out.push(`  Attestation [${n}.${k}]`);
        out.push(...renderBundle(a, '    '));
      });
    });
    out.push('');
    out.push(`To verify it: sigstore attestation verify-provenance --provenance-file ${file} --repository URL DIST`);
  } else {
    out.push(...renderBundle(i, ''));
    out.push('');
    out.push(hint(i, file));
  }
  return `${out.join('\n')}\n`;
}
