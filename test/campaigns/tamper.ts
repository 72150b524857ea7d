/**
 * Tamper campaign: from genuine bundles, generate variants that change exactly one authenticated
 * thing (a bit of a signature, certificate, SCT, proof hash, root hash, checkpoint body or
 * signature, SET, log index, integrated time, log ID, entry body, DSSE payload or type, timestamp
 * token, message digest), plus wrong identity, issuer, artifact and digest. Every variant must be
 * rejected with a VerificationError naming a step.
 *
 * Genuine bundles: the passing conformance cases, the shipped example bundle, the real PyPI
 * attestations (test/fixtures/pypi, converted to bundles; production and staging), and bundles
 * signed against the local instance once per run (hashedrekord and DSSE x Rekor v1 and v2, each
 * with an RFC 3161 timestamp).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Der } from '../../src/lib/der.js';
import { parseTimeStampToken } from '../../src/lib/cms.js';
import { Certificate, OID } from '../../src/lib/x509.js';
import { startInstance } from '../../src/instance/index.js';
import { parseAttestation } from '../../src/pypi/attestation.js';
import { attestationToBundle } from '../../src/pypi/convert.js';
import { Signer } from '../../src/sign/signer.js';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';
import { embeddedTrustMaterial } from '../../src/trust/load.js';
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
import { forgedVariants } from './tamper-forged.js';

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
  /** The kind of authenticated thing changed (certificate TBS, SCT, root hash, ...). */
  field: string;
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

/** The PyPI attestations of test/fixtures/pypi: file, distribution (or subject digest), identity, instance. */
const PYPI_ATTESTATIONS: { file: string; dist?: string; identity: string; issuer: string; staging: boolean }[] = (() => {
  const gh = 'https://token.actions.githubusercontent.com';
  const pa = 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19';
  const models = 'https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2';
  const william = { identity: 'william@yossarian.net', issuer: 'https://github.com/login/oauth', staging: true };
  return [
    { file: 'pypi_attestations-0.0.19.tar.gz.publish.attestation', dist: 'pypi_attestations-0.0.19.tar.gz', identity: pa, issuer: gh, staging: false },
    { file: 'pypi_attestations-0.0.19.tar.gz.slsa.attestation', dist: 'pypi_attestations-0.0.19.tar.gz', identity: pa, issuer: gh, staging: false },
    { file: 'pypi_attestation_models-0.0.4a2.tar.gz.attestation', dist: 'pypi_attestation_models-0.0.4a2.tar.gz', identity: models, issuer: gh, staging: false },
    {
      file: 'gitlab_oidc_project-0.0.3.tar.gz.publish.attestation',
      dist: 'gitlab_oidc_project-0.0.3.tar.gz',
      identity: 'https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main',
      issuer: 'https://gitlab.com',
      staging: false,
    },
    { file: 'rfc8785-0.1.2-py3-none-any.whl.publish.attestation', dist: 'rfc8785-0.1.2-py3-none-any.whl', ...william },
    { file: 'rfc8785-0.1.2-py3-none-any.whl.attestation', dist: 'rfc8785-0.1.2-py3-none-any.whl', ...william },
    { file: 'spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.publish.attestation', ...william },
  ];
})();

const temporary: string[] = [];
process.on('exit', () => {
  for (const d of temporary) rmSync(d, { recursive: true, force: true });
});

let instanceBundles: Promise<Genuine[]> | undefined;
let instanceTrustConfig: Record<string, unknown> | undefined;

/** The local instance's client trust config (JSON) the instance bundles were signed with. */
export async function localInstanceTrustConfig(): Promise<Record<string, unknown>> {
  await localInstanceBundles();
  return structuredClone(instanceTrustConfig!);
}

/**
 * Bundles signed against the local instance (started in a temporary directory, stopped again):
 * hashedrekord and DSSE, each through Rekor v1 and v2, each with a TSA timestamp. Generated once
 * per process; verified with the instance's trusted root.
 */
export function localInstanceBundles(): Promise<Genuine[]> {
  instanceBundles ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-tamper-'));
    temporary.push(dir);
    const inst = await startInstance({ dataDir: join(dir, 'instance'), port: 0 });
    try {
      instanceTrustConfig = inst.trustConfig;
      const trustConfig = parseClientTrustConfig(inst.trustConfig, 'local instance');
      const artifactPath = join(dir, 'artifact.txt');
      writeFileSync(artifactPath, 'a genuine artifact, signed against the local instance\n');
      const sha256 = createHash('sha256').update(readFileSync(artifactPath)).digest('hex');
      const identity = inst.identity;
      const issuer = inst.issuer;
      const out: Genuine[] = [];
      for (const version of [1, 2] as const) {
        const signer = new Signer({ trustConfig, tokenProvider: () => inst.token(), rekorVersion: version });
        const hashed = await signer.sign({ path: artifactPath });
        const dsse = await signer.attest({
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ name: 'artifact.txt', digest: { sha256 } }],
          predicateType: 'https://sigstore-ts.local/tamper/v1',
          predicate: { campaign: 'tamper' },
        });
        for (const [kind, b] of [['hashedrekord', hashed], ['dsse', dsse]] as const) {
          out.push({
            name: `instance/${kind}-rekor-v${version}-tsa`,
            bundle: JSON.stringify(b),
            artifactPath,
            trust: trustConfig.trustedRoot,
            policy: new Identity({ identity, issuer }),
            identity,
            issuer,
          });
        }
      }
      return out;
    } finally {
      await inst.stop();
    }
  })();
  return instanceBundles;
}

/** The real PyPI attestations, converted to bundles (no distribution: its digest from the statement). */
export function pypiBundles(): Genuine[] {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'pypi');
  return PYPI_ATTESTATIONS.map((a) => {
    const att = parseAttestation(readFileSync(join(dir, a.file)));
    const bundle = attestationToBundle(att);
    let artifactPath = a.dist ? join(dir, a.dist) : '';
    if (!a.dist) {
      // The distribution is not shipped: a file is not needed, the statement's digest is the artifact.
      const st = JSON.parse(att.envelope.statement.toString('utf8')) as { subject: { digest: { sha256: string } }[] };
      artifactPath = `sha256:${st.subject[0]!.digest.sha256}`;
    }
    return {
      name: `pypi/${a.file}`,
      bundle: JSON.stringify(bundle.json),
      artifactPath,
      trust: embeddedTrustMaterial(a.staging ? 'staging' : 'production'),
      policy: new Identity({ identity: a.identity, issuer: a.issuer }),
      identity: a.identity,
      issuer: a.issuer,
    };
  });
}

/** The artifact of a genuine bundle: a file, or `sha256:HEX` for a digest. */
export function artifactOf(g: Genuine): Artifact {
  if (g.artifactPath.startsWith('sha256:')) return { digest: { algorithm: 'sha256', value: Buffer.from(g.artifactPath.slice(7), 'hex') } };
  return { path: g.artifactPath };
}

function artifactDigest(g: Genuine): Buffer {
  if (g.artifactPath.startsWith('sha256:')) return Buffer.from(g.artifactPath.slice(7), 'hex');
  return createHash('sha256').update(readFileSync(g.artifactPath)).digest();
}

/**
 * Loads the genuine bundles: the passing conformance cases, the shipped example bundle, the PyPI
 * attestations and (unless `instance: false`) bundles signed against the local instance.
 */
export async function genuineBundles({ instance = true }: { instance?: boolean } = {}): Promise<Genuine[]> {
  const out: Genuine[] = [];
  for (const c of conformanceCases()) {
    if (c.shouldFail) continue;
    const trust = await loadTrustMaterial({ trustedRoot: c.trustedRootPath, offline: true, onWarning: () => {} });
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
    trust: await loadTrustMaterial({ offline: true, onWarning: () => {} }),
    policy: new Identity({ identity, issuer }),
    identity,
    issuer,
  });
  out.push(...pypiBundles());
  if (instance) out.push(...(await localInstanceBundles()));
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
  // By content: parseTimeStampToken parses a private copy, so its values are not views of der.
  return ranges.map((b) => {
    const start = der.indexOf(b);
    if (start < 0 || der.indexOf(b, start + 1) >= 0) throw new Error('an authenticated part of the timestamp is not found exactly once');
    return [start, start + b.length] as [number, number];
  });
}

/** The checkpoint's authenticated characters: the body, and the log's own signature lines. */
function authenticatedCheckpointRanges(note: string, keyHintB64Prefix: string): [number, number][] {
  const split = note.indexOf('\n\n');
  const ranges: [number, number][] = [[0, split + 1]];
  let off = split + 2;
  const sigLines: [number, number][] = [];
  for (const line of note.slice(split + 2).split('\n')) {
    const sig = line.split(' ').at(-1) ?? '';
    if (line.startsWith('\u2014 ')) sigLines.push([off + line.length - sig.length, off + line.length]);
    if (Buffer.from(sig, 'base64').subarray(0, 4).toString('base64').slice(0, 5) === keyHintB64Prefix) {
      ranges.push([off + line.length - sig.length, off + line.length]);
    }
    off += line.length + 1;
  }
  // A log whose key hint is not its log ID's prefix (Rekor v2: a note key ID) and signs alone.
  if (ranges.length === 1 && sigLines.length === 1) ranges.push(sigLines[0]!);
  return ranges;
}

function offsetIn(whole: Buffer, part: Buffer): [number, number] {
  let start = part.byteOffset - whole.byteOffset;
  if (part.buffer !== whole.buffer || start < 0 || start + part.length > whole.length) start = whole.indexOf(part);
  return [start, start + part.length];
}

/**
 * Named byte ranges of a certificate, most specific first (a byte is counted under the first
 * range holding it): its SCT list, its signature, its TBS, then the rest (outer header,
 * signature algorithm).
 */
function certificateRanges(der: Buffer): [string, number, number][] {
  const whole: [string, number, number] = ['certificate', 0, der.length];
  let c: Certificate;
  try {
    c = new Certificate(der);
  } catch {
    return [whole];
  }
  const out: [string, number, number][] = [];
  const sct = c.extension(OID.sctList);
  if (sct) out.push(['SCT', ...offsetIn(der, sct.value)]);
  out.push(['certificate signature', ...offsetIn(der, c.signature)]);
  out.push(['certificate TBS', ...offsetIn(der, c.tbsRaw)]);
  out.push(whole);
  return out.filter(([, x]) => x >= 0);
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

/** What a variant changed, for the report: the kind of authenticated thing. */
function fieldOf(where: string, key: string): string {
  if (key === 'hashes') return 'inclusion proof hashes';
  if (key === 'rootHash') return 'root hash';
  if (key === 'signedEntryTimestamp') return 'SET';
  if (key === 'canonicalizedBody') return 'entry body';
  if (key === 'keyId') return 'log id';
  if (key === 'signedTimestamp') return 'timestamp token';
  if (key === 'logIndex') return 'log index';
  if (key === 'integratedTime') return 'integrated time';
  if (key === 'treeSize') return 'tree size';
  if (key === 'payload') return 'DSSE payload';
  if (key === 'payloadType') return 'DSSE payload type';
  if (key === 'sig') return 'DSSE signature';
  if (key === 'digest' && where.includes('messageDigest')) return 'message digest';
  if (key === 'signature') return 'signature';
  if (key === 'rawBytes') return where.includes('publicKey') ? 'public key' : 'certificate';
  return key;
}

/** Every single-change variant of one genuine bundle. */
export function* variantsOf(g: Genuine, exhaustive: boolean): Generator<Variant> {
  const json = JSON.parse(g.bundle) as Json;
  const artifact: Artifact = artifactOf(g);
  const mk = (field: string, what: string, j: Json): Variant => ({ genuine: g, field, what, bundle: JSON.stringify(j), artifact, policy: g.policy });
  for (const leaf of leaves(json)) {
    const where = leaf.path.join('.');
    const field = fieldOf(where, leaf.key);
    if (leaf.key === 'hashes' || BYTE_FIELDS.has(leaf.key)) {
      const buf = Buffer.from(String(leaf.value), 'base64');
      let ranges: [string, number, number][] = [[field, 0, buf.length]];
      if (leaf.key === 'signedTimestamp') ranges = authenticatedTimestampRanges(buf).map(([a, b]) => [field, a, b]);
      if (leaf.key === 'rawBytes' && field === 'certificate') ranges = certificateRanges(buf);
      // Sampled: five positions in each range (the TBS, signature and SCT of a certificate get
      // their own); exhaustive: every byte once.
      const done = new Set<number>();
      for (const [name, a, b] of ranges) {
        for (const p of positions(b - a, exhaustive)) {
          if (done.has(a + p)) continue;
          done.add(a + p);
          const t = Buffer.from(buf);
          t[a + p]! ^= 1 << (p % 8);
          yield mk(name, `${where} byte ${a + p} flipped (${name})`, setAt(json, leaf.path, t.toString('base64')));
        }
      }
      if (leaf.key === 'canonicalizedBody') yield* bodyFieldVariants(json, leaf, mk);
    } else if (INT_FIELDS.has(leaf.key)) {
      // An entry's own log index is authenticated only by its SET: without one it is not
      // compared with the inclusion proof's (sharded logs), so changing it is no tampering.
      const entry = leaf.path[1] === 'tlogEntries' && leaf.path.length === 4 ? (((json.verificationMaterial as Json).tlogEntries as Json[])[leaf.path[2] as number] as Json) : undefined;
      if (leaf.key === 'logIndex' && entry && entry.inclusionPromise === undefined) continue;
      const n = BigInt(String(leaf.value));
      yield mk(field, `${where} + 1`, setAt(json, leaf.path, String(n + 1n)));
      if (n > 0n) yield mk(field, `${where} - 1`, setAt(json, leaf.path, String(n - 1n)));
    } else if (leaf.key === 'envelope' && typeof leaf.value === 'string') {
      const note = leaf.value;
      const entryIdx = leaf.path[2] as number;
      const logId = ((json.verificationMaterial as Json).tlogEntries as Json[])[entryIdx]!.logId as Json;
      const hint = Buffer.from(String(logId.keyId), 'base64').subarray(0, 4).toString('base64').slice(0, 5);
      for (const [i, [a, b]] of authenticatedCheckpointRanges(note, hint).entries()) {
        if (i === 0) {
          // The body is authenticated text: change one character.
          for (const p of positions(b - a, exhaustive)) {
            const c = note.charCodeAt(a + p);
            const flippedChar = String.fromCharCode(c === 0x0a ? 0x20 : c ^ 1);
            yield mk('checkpoint body', `${where} char ${a + p} changed (checkpoint body)`, setAt(json, leaf.path, note.slice(0, a + p) + flippedChar + note.slice(a + p + 1)));
          }
          continue;
        }
        // A signature line holds base64 (key hint and signature): change one decoded byte (a
        // character flip could touch only base64 padding bits, which decode to the same bytes).
        const sig = Buffer.from(note.slice(a, b), 'base64');
        for (const p of positions(sig.length, exhaustive)) {
          const t = Buffer.from(sig);
          t[p]! ^= 1 << (p % 8);
          yield mk('checkpoint signature', `${where} signature byte ${p} flipped (checkpoint signature)`, setAt(json, leaf.path, note.slice(0, a) + t.toString('base64') + note.slice(b)));
        }
      }
    } else if (leaf.key === 'payloadType' && typeof leaf.value === 'string') {
      yield mk(field, `${where} changed`, setAt(json, leaf.path, `${leaf.value}x`));
    }
  }
  // Wrong artifact, digest, identity and issuer.
  const same = { genuine: g, bundle: g.bundle, policy: g.policy };
  yield { ...same, field: 'artifact', what: 'another artifact', artifact: { data: Buffer.from('not the artifact') } };
  const d = artifactDigest(g);
  d[0]! ^= 1;
  yield { ...same, field: 'artifact digest', what: 'another digest', artifact: { digest: { algorithm: 'sha256', value: d } } };
  if (g.identity && g.issuer) {
    yield { ...same, field: 'identity', what: 'another identity', artifact, policy: new Identity({ identity: `${g.identity}.evil`, issuer: g.issuer }) };
    yield { ...same, field: 'issuer', what: 'another issuer', artifact, policy: new Identity({ identity: g.identity, issuer: `${g.issuer}.evil` }) };
  }
}

/**
 * Field-level variants of a log entry body (JSON): each leaf changed while the body stays valid
 * JSON (a bit of a base64 value, a character of a string, a number plus one).
 */
function* bodyFieldVariants(json: Json, leaf: Leaf, mk: (field: string, what: string, j: Json) => Variant): Generator<Variant> {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(String(leaf.value), 'base64').toString('utf8'));
  } catch {
    return;
  }
  for (const f of leaves(body)) {
    let changed: unknown;
    if (typeof f.value === 'number') changed = f.value + 1;
    else if (typeof f.value === 'string' && f.value.length > 0) {
      const raw = Buffer.from(f.value, 'base64');
      if (/^[A-Za-z0-9+/]+=*$/.test(f.value) && f.value.length % 4 === 0 && raw.length > 0) {
        raw[Math.floor(raw.length / 2)]! ^= 1;
        changed = raw.toString('base64');
      } else if (/^[0-9a-f]+$/.test(f.value)) {
        changed = (f.value[0] === '0' ? '1' : '0') + f.value.slice(1);
      } else changed = `${f.value}x`;
    } else continue;
    const copy = setAt({ b: body } as Json, ['b', ...f.path], changed).b;
    const where = `${leaf.path.join('.')}{${f.path.join('.')}}`;
    yield mk('entry body field', `${where} changed`, setAt(json, leaf.path, Buffer.from(JSON.stringify(copy)).toString('base64')));
  }
}

export interface CampaignReport {
  variants: number;
  rejected: number;
  /** Rejections by the verification step that failed. */
  byStep: Record<string, number>;
  /** Variants by what they changed: [tried, rejected]. */
  byField: Record<string, [number, number]>;
  /** Rejections of each kind of variant, by the step that refused it (which checks a change reaches). */
  byFieldStep: Record<string, Record<string, number>>;
  /** Variants by genuine bundle source (conformance, examples, pypi, instance). */
  bySource: Record<string, number>;
  genuine: number;
  accepted: string[];
  wrongError: string[];
}

/** Runs the campaign; `exhaustive` flips every byte, otherwise five positions per field. */
export async function runTamperCampaign({
  exhaustive = false,
  filter,
  instance = true,
  forged = true,
  verifier: makeVerifier = (t) => new Verifier(t),
  onProgress,
}: {
  exhaustive?: boolean;
  filter?: RegExp;
  instance?: boolean;
  /** Also the forged PKI's bundles, with certificate and timestamp variants re-signed (tamper-forged.ts). */
  forged?: boolean;
  /** The verifier under test (the self-test disables a check in it). */
  verifier?: (trust: Genuine['trust']) => Pick<Verifier, 'verify'>;
  onProgress?: (name: string, r: CampaignReport) => void;
} = {}): Promise<CampaignReport> {
  const report: CampaignReport = { variants: 0, rejected: 0, byStep: {}, byField: {}, byFieldStep: {}, bySource: {}, genuine: 0, accepted: [], wrongError: [] };
  const resigned = forged ? forgedVariants(exhaustive) : undefined;
  for (const g of [...(await genuineBundles({ instance })), ...(resigned?.genuine ?? [])]) {
    if (filter && !filter.test(g.name)) continue;
    report.genuine++;
    // The genuine bundle itself must verify (with the real verifier), or its variants prove nothing.
    await new Verifier(g.trust).verify(g.bundle, artifactOf(g), g.policy);
    const verifier = makeVerifier(g.trust);
    const source = g.name.split('/')[0]!;
    const all = g.name.startsWith('forged/') ? [variantsOf(g, exhaustive), resigned!.variants(g)] : [variantsOf(g, exhaustive)];
    for (const v of all.flatMap((it) => [...it])) {
      report.variants++;
      report.bySource[source] = (report.bySource[source] ?? 0) + 1;
      report.byField[v.field] ??= [0, 0];
      const f = report.byField[v.field]!;
      f[0]++;
      try {
        await verifier.verify(v.bundle, v.artifact, v.policy);
        report.accepted.push(`${g.name}: ${v.what}`);
      } catch (e) {
        if (e instanceof VerificationError && e.step) {
          report.rejected++;
          f[1]++;
          report.byStep[e.step] = (report.byStep[e.step] ?? 0) + 1;
          report.byFieldStep[v.field] ??= {};
          const fs = report.byFieldStep[v.field]!;
          fs[e.step] = (fs[e.step] ?? 0) + 1;
        } else {
          report.wrongError.push(`${g.name}: ${v.what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        }
      }
    }
    onProgress?.(g.name, report);
  }
  return report;
}

export { Der };
