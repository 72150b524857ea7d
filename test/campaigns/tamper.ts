/**
 * Tamper campaign: from genuine bundles, generate variants that change exactly one authenticated
 * thing (a bit of a signature, certificate, SCT, proof hash, root hash, checkpoint body or
 * signature, SET, log index, integrated time, log ID, entry body, DSSE payload or type, timestamp
 * token, message digest), plus wrong identity, issuer, artifact and digest. Every variant must be
 * rejected with a VerificationError naming a step.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Der } from '../../src/lib/der.js';
import { parseTimeStampToken } from '../../src/lib/cms.js';
import {
  Identity,
  loadTrustMaterial,
  VerificationError,
  type VerificationPolicy,
  Verifier,
} from '../../src/index.js';
import type { Artifact } from '../../src/verify/types.js';
import type { KeyPolicy } from '../../src/verify/verifier.js';
import { conformanceCases } from '../helpers/conformance.js';

type Json = Record<string, unknown>;

/** A genuine bundle with what it verifies against. */
export interface Genuine {
  name: string;
  bundle: string;
  artifactPath: string;
  trust: Awaited<ReturnType<typeof loadTrustMaterial>>;
  policy: VerificationPolicy | KeyPolicy;
  identity?: string;
  issuer?: string;
}

export interface Variant {
  genuine: Genuine;
  what: string;
  bundle: string;
  artifact: Artifact;
  policy: VerificationPolicy | KeyPolicy;
}

const BYTE_FIELDS = new Set([
  'rawBytes',
  'signature',
  'digest',
  'keyId',
  'canonicalizedBody',
  'signedEntryTimestamp',
  'rootHash',
  'payload',
  'sig',
  'signedTimestamp',
]);
const INT_FIELDS = new Set(['logIndex', 'integratedTime', 'treeSize']);

/** Loads the genuine bundles: the passing conformance cases and the real PyPI bundle(s). */
export async function genuineBundles(): Promise<Genuine[]> {
  const out: Genuine[] = [];
  for (const c of conformanceCases()) {
    if (c.shouldFail) continue;
    const trust = await loadTrustMaterial({ trustedRoot: c.trustedRootPath });
    out.push({
      name: `conformance/${c.name}`,
      bundle: readFileSync(c.bundlePath, 'utf8'),
      artifactPath: c.artifactPath,
      trust,
      policy: c.keyPath ? { key: readFileSync(c.keyPath, 'utf8') } : new Identity({ identity: c.identity, issuer: c.issuer }),
      identity: c.keyPath ? undefined : c.identity,
      issuer: c.keyPath ? undefined : c.issuer,
    });
  }
  const ex = join(import.meta.dirname, '..', '..', 'examples');
  const identity = 'https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2';
  const issuer = 'https://token.actions.githubusercontent.com';
  out.push({
    name: 'examples/pypi_attestation_models-0.0.4a2',
    bundle: readFileSync(join(ex, 'pypi_attestation_models-0.0.4a2.tar.gz.sigstore'), 'utf8'),
    artifactPath: join(ex, 'pypi_attestation_models-0.0.4a2.tar.gz'),
    trust: await loadTrustMaterial(),
    policy: new Identity({ identity, issuer }),
    identity,
    issuer,
  });
  return out;
}

/** Byte offsets within a timestamp response that its signature authenticates. */
function authenticatedTimestampRanges(der: Buffer): [number, number][] {
  const token = parseTimeStampToken(der);
  const si = token.signedData.signerInfos[0]!;
  const ranges: Buffer[] = [token.signedData.eContent!, si.signature];
  // The signed attributes: the [0] IMPLICIT element inside the token (its DER re-tagged as SET).
  if (si.signedAttrsDer) {
    const body = si.signedAttrsDer.subarray(1);
    const at = der.indexOf(Buffer.concat([Buffer.from([0xa0]), body]));
    if (at >= 0) ranges.push(der.subarray(at, at + si.signedAttrsDer.length));
  }
  return ranges.map((b) => {
    const start = b.byteOffset - der.byteOffset;
    return [start, start + b.length] as [number, number];
  });
}

/** The checkpoint's authenticated characters: the body, and the log's own signature lines. */
function authenticatedCheckpointRanges(note: string, keyHintB64Prefix: string): [number, number][] {
  const split = note.indexOf('\n\n');
  const ranges: [number, number][] = [[0, split + 1]];
  let off = split + 2;
  for (const line of note.slice(split + 2).split('\n')) {
    const sig = line.split(' ').at(-1) ?? '';
    if (Buffer.from(sig, 'base64').subarray(0, 4).toString('base64').slice(0, 5) === keyHintB64Prefix) {
      ranges.push([off + line.length - sig.length, off + line.length]);
    }
    off += line.length + 1;
  }
  return ranges;
}

function positions(len: number, exhaustive: boolean): number[] {
  if (len <= 0) return [];
  if (exhaustive) return Array.from({ length: len }, (_, i) => i);
  const picks = new Set([0, Math.floor(len / 3), Math.floor(len / 2), Math.floor((2 * len) / 3), len - 1]);
  return [...picks].filter((p) => p >= 0 && p < len);
}

interface Leaf {
  path: (string | number)[];
  key: string;
  value: unknown;
}

function leaves(v: unknown, path: (string | number)[] = []): Leaf[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v && typeof v === 'object') return Object.entries(v as Json).flatMap(([k, x]) => leaves(x, [...path, k]));
  const key = String(path.filter((p) => typeof p === 'string').at(-1) ?? '');
  return [{ path, key, value: v }];
}

function setAt(root: Json, path: (string | number)[], value: unknown): Json {
  const copy = structuredClone(root);
  let cur: Record<string | number, unknown> = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  cur[path.at(-1)!] = value;
  return copy;
}

/** Every single-change variant of one genuine bundle. */
export function* variantsOf(g: Genuine, exhaustive: boolean): Generator<Variant> {
  const json = JSON.parse(g.bundle) as Json;
  const artifact: Artifact = { path: g.artifactPath };
  const mk = (what: string, j: Json): Variant => ({ genuine: g, what, bundle: JSON.stringify(j), artifact, policy: g.policy });
  for (const leaf of leaves(json)) {
    const where = leaf.path.join('.');
    if (leaf.key === 'hashes' || BYTE_FIELDS.has(leaf.key)) {
      const buf = Buffer.from(String(leaf.value), 'base64');
      let ranges: [number, number][] = [[0, buf.length]];
      if (leaf.key === 'signedTimestamp') ranges = authenticatedTimestampRanges(buf);
      for (const [a, b] of ranges) {
        for (const p of positions(b - a, exhaustive)) {
          const t = Buffer.from(buf);
          t[a + p]! ^= 1 << (p % 8);
          yield mk(`${where} byte ${a + p} flipped`, setAt(json, leaf.path, t.toString('base64')));
        }
      }
    } else if (INT_FIELDS.has(leaf.key)) {
      const n = BigInt(String(leaf.value));
      yield mk(`${where} + 1`, setAt(json, leaf.path, String(n + 1n)));
      if (n > 0n) yield mk(`${where} - 1`, setAt(json, leaf.path, String(n - 1n)));
    } else if (leaf.key === 'envelope' && typeof leaf.value === 'string') {
      const note = leaf.value;
      const entryIdx = leaf.path[2] as number;
      const logId = ((json.verificationMaterial as Json).tlogEntries as Json[])[entryIdx]!.logId as Json;
      const hint = Buffer.from(String(logId.keyId), 'base64').subarray(0, 4).toString('base64').slice(0, 5);
      for (const [a, b] of authenticatedCheckpointRanges(note, hint)) {
        for (const p of positions(b - a, exhaustive)) {
          const c = note.charCodeAt(a + p);
          const flippedChar = String.fromCharCode(c === 0x0a ? 0x20 : c ^ 1);
          yield mk(`${where} char ${a + p} changed`, setAt(json, leaf.path, note.slice(0, a + p) + flippedChar + note.slice(a + p + 1)));
        }
      }
    } else if (leaf.key === 'payloadType' && typeof leaf.value === 'string') {
      yield mk(`${where} changed`, setAt(json, leaf.path, `${leaf.value}x`));
    }
  }
  // Wrong artifact, digest, identity and issuer.
  yield { genuine: g, what: 'another artifact', bundle: g.bundle, artifact: { data: Buffer.from('not the artifact') }, policy: g.policy };
  const d = createHash('sha256').update(readFileSync(g.artifactPath)).digest();
  d[0]! ^= 1;
  yield { genuine: g, what: 'another digest', bundle: g.bundle, artifact: { digest: { algorithm: 'sha256', value: d } }, policy: g.policy };
  if (g.identity && g.issuer) {
    yield { genuine: g, what: 'another identity', bundle: g.bundle, artifact, policy: new Identity({ identity: `${g.identity}.evil`, issuer: g.issuer }) };
    yield { genuine: g, what: 'another issuer', bundle: g.bundle, artifact, policy: new Identity({ identity: g.identity, issuer: `${g.issuer}.evil` }) };
  }
}

export interface CampaignReport {
  variants: number;
  rejected: number;
  byStep: Record<string, number>;
  accepted: string[];
  wrongError: string[];
}

/** Runs the campaign; `exhaustive` flips every byte, otherwise five positions per field. */
export async function runTamperCampaign({ exhaustive = false, filter }: { exhaustive?: boolean; filter?: RegExp } = {}): Promise<CampaignReport> {
  const report: CampaignReport = { variants: 0, rejected: 0, byStep: {}, accepted: [], wrongError: [] };
  for (const g of await genuineBundles()) {
    if (filter && !filter.test(g.name)) continue;
    const verifier = new Verifier(g.trust);
    for (const v of variantsOf(g, exhaustive)) {
      report.variants++;
      try {
        await verifier.verify(v.bundle, v.artifact, v.policy);
        report.accepted.push(`${g.name}: ${v.what}`);
      } catch (e) {
        if (e instanceof VerificationError) {
          report.rejected++;
          report.byStep[e.step] = (report.byStep[e.step] ?? 0) + 1;
        } else {
          report.wrongError.push(`${g.name}: ${v.what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        }
      }
    }
  }
  return report;
}

export { Der };
