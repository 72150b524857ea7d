/**
 * The `sct` verification step: embedded SCTs of the conformance leaves (real Fulcio
 * certificates and CT logs), bit-flip tampering of them, and leaves re-issued here with SCTs
 * from throwaway CT logs (ECDSA P-256/P-384, RSA; SHA-384 and Ed25519 ones refused) for the edge cases.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { Der, encode } from '../../src/lib/der.js';
import { Certificate, OID } from '../../src/lib/x509.js';
import { parseTrustedRoot, type TransparencyLog, type TrustMaterial } from '../../src/trust/trusted-root.js';
import { parseSCTList, precertificateTBS, verifySCTs } from '../../src/verify/sct.js';
import { flip, rejectsAt } from '../helpers/tamper.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'conformance');
const PRODUCTION_ROOT = join(import.meta.dirname, '..', '..', 'trust', 'production', 'trusted_root.json');

interface Case {
  leaf: Certificate;
  issuer: Certificate;
  trust: TrustMaterial;
}

/** A conformance case's leaf, its issuing CA certificate and trust material; undefined without a leaf. */
function load(name: string): Case | undefined {
  const dir = join(FIXTURES, name);
  let bundle: ReturnType<typeof parseBundle>;
  try {
    bundle = parseBundle(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (bundle.material.kind !== 'certificate') return undefined;
  const rootPath = existsSync(join(dir, 'trusted_root.json')) ? join(dir, 'trusted_root.json') : PRODUCTION_ROOT;
  let trust: TrustMaterial;
  try {
    trust = parseTrustedRoot(readFileSync(rootPath, 'utf8'), rootPath);
  } catch {
    return undefined; // trust-root-tlog-missing-validity-start_fail: refused before this step
  }
  const leaf = bundle.material.certificate;
  const candidates = [...bundle.material.chain, ...trust.certificateAuthorities.flatMap((a) => a.certs)];
  const issuer = candidates.find((c) => leaf.isIssuedBy(c));
  return issuer ? { leaf, issuer, trust } : undefined;
}

function must(name: string): Case {
  const c = load(name);
  assert.ok(c, `${name} has a leaf certificate and a trusted issuer`);
  return c;
}

/** Asserts `f` throws a VerificationError at the sct step, with `code` when given. */
const rejects = (f: () => unknown, code?: string, message?: RegExp) => rejectsAt('sct', f, code, message);

function offsetIn(outer: Buffer, view: Buffer): number {
  const off = view.byteOffset - outer.byteOffset;
  assert.ok(outer.buffer === view.buffer && off >= 0 && off + view.length <= outer.length, 'view is inside the buffer');
  return off;
}

/** The leaf with one byte flipped, re-parsed (its CA signature is not this step's concern). */
function tamperedLeaf(leaf: Certificate, offset: number, mask = 0x01): Certificate {
  return new Certificate(flip(leaf.raw, offset, mask));
}

function sctExt(leaf: Certificate): Buffer {
  return leaf.extension(OID.sctList)!.value;
}

describe('verifySCTs: conformance leaves', () => {
  const names = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'bundle.sigstore.json'))).sort();

  for (const name of ['happy-path-v0.1', 'happy-path-v0.2', 'happy-path-v0.3', 'happy-path-v0.3-new-mediaType', 'happy-path-intoto-in-dsse-v3', 'rekor2-happy-path', 'intoto-with-custom-trust-root']) {
    it(`${name} verifies`, () => {
      const c = must(name);
      assert.equal(verifySCTs(c.leaf, c.issuer, c.trust), undefined);
    });
  }

  it('bundle-with-sct-with-extensions: an SCT with non-empty extensions verifies', () => {
    const c = must('bundle-with-sct-with-extensions');
    const [sct] = parseSCTList(sctExt(c.leaf));
    assert.ok(sct!.extensions.length > 0);
    verifySCTs(c.leaf, c.issuer, c.trust);
  });

  it('invalid-ct-key_fail: the SCT is from a CT log the trusted root does not list', () => {
    const c = must('invalid-ct-key_fail');
    rejects(() => verifySCTs(c.leaf, c.issuer, c.trust), 'SCT_UNTRUSTED_LOG', /not in the trusted root \(log ID dd3d306a/);
  });

  it('every other conformance leaf with a trusted issuer verifies', () => {
    let verified = 0;
    for (const name of names) {
      if (name === 'invalid-ct-key_fail') continue;
      const c = load(name);
      if (!c) continue;
      verifySCTs(c.leaf, c.issuer, c.trust);
      verified++;
    }
    assert.ok(verified >= 55, `verified ${verified} leaves`);
  });
});

describe('verifySCTs: tampered conformance leaves fail at this step', () => {
  const c = must('happy-path-v0.3');
  const ext = sctExt(c.leaf);
  const [sct] = parseSCTList(ext);
  const sigAt = offsetIn(c.leaf.raw, sct!.signature);
  const logIdAt = offsetIn(c.leaf.raw, sct!.logId);
  const timestampAt = logIdAt + 32;

  it('the SCT signature', () => {
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, sigAt + sct!.signature.length - 1), c.issuer, c.trust), 'SCT_SIGNATURE_INVALID');
  });
  it('the SCT timestamp (every bit)', () => {
    for (let bit = 0; bit < 64; bit++) {
      const at = timestampAt + Math.floor(bit / 8);
      rejects(() => verifySCTs(tamperedLeaf(c.leaf, at, 1 << bit % 8), c.issuer, c.trust), 'SCT_SIGNATURE_INVALID');
    }
  });
  it('the SCT log ID', () => {
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, logIdAt + 3), c.issuer, c.trust), 'SCT_UNTRUSTED_LOG');
  });
  it('the SCT hash and signature algorithms', () => {
    const hashAt = sigAt - 4;
    assert.deepEqual([...c.leaf.raw.subarray(hashAt, hashAt + 2)], [4, 3]);
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, hashAt, 0x01), c.issuer, c.trust), 'SCT_UNSUPPORTED_ALGORITHM', /hash algorithm 5/); // SHA-384
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, hashAt, 0x06), c.issuer, c.trust), 'SCT_UNSUPPORTED_ALGORITHM', /hash algorithm 2/);
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, hashAt + 1, 0x02), c.issuer, c.trust), 'SCT_SIGNATURE_INVALID', /\(rsa\) does not match the log key \(ec\)/);
  });
  it('the SCT extensions', () => {
    const e = must('bundle-with-sct-with-extensions');
    const [s] = parseSCTList(sctExt(e.leaf));
    rejects(() => verifySCTs(tamperedLeaf(e.leaf, offsetIn(e.leaf.raw, s!.extensions) + 2), e.issuer, e.trust), 'SCT_SIGNATURE_INVALID');
  });
  it('the leaf TBSCertificate: subject alternative name', () => {
    const at = c.leaf.raw.indexOf(Buffer.from('extremely-dangerous-public-oidc-beacon'));
    assert.ok(at > 0);
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, at + 3), c.issuer, c.trust), 'SCT_SIGNATURE_INVALID');
  });
  it('the leaf TBSCertificate: serial number and validity', () => {
    const serialAt = c.leaf.tbs.child(1).value.byteOffset - c.leaf.raw.byteOffset;
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, serialAt + 4), c.issuer, c.trust), 'SCT_SIGNATURE_INVALID');
    const notAfterAt = c.leaf.tbs.child(4).child(1).value.byteOffset - c.leaf.raw.byteOffset;
    rejects(() => verifySCTs(tamperedLeaf(c.leaf, notAfterAt + 9), c.issuer, c.trust), 'SCT_SIGNATURE_INVALID');
  });
  it('every single-bit flip of the leaf TBSCertificate fails here (or already when parsing the certificate)', () => {
    const tbsAt = offsetIn(c.leaf.raw, c.leaf.tbsRaw);
    let checked = 0;
    for (let off = tbsAt; off < tbsAt + c.leaf.tbsRaw.length; off++) {
      let leaf: Certificate;
      try {
        leaf = tamperedLeaf(c.leaf, off);
      } catch {
        continue; // no longer a parseable certificate: refused before this step
      }
      rejects(() => verifySCTs(leaf, c.issuer, c.trust));
      checked++;
    }
    assert.ok(checked > c.leaf.tbsRaw.length * 0.8, `checked ${checked} of ${c.leaf.tbsRaw.length} flips`);
  });
  it('the wrong issuer (another CA key)', () => {
    const other = must('intoto-with-custom-trust-root').issuer;
    rejects(() => verifySCTs(c.leaf, other, c.trust), 'SCT_SIGNATURE_INVALID');
  });
  it('the untampered leaf still verifies', () => {
    verifySCTs(c.leaf, c.issuer, c.trust);
  });
});

describe('verifySCTs: the log key validity window', () => {
  const c = must('happy-path-v0.3');
  const [sct] = parseSCTList(sctExt(c.leaf));
  const time = new Date(Number(sct!.timestamp));
  const log = c.trust.ctlogs.find((l) => l.logId.equals(sct!.logId))!;
  const withWindow = (start: Date, end: Date | undefined): TrustMaterial => ({
    ...c.trust,
    ctlogs: c.trust.ctlogs.map((l) => (l === log ? { ...l, validFor: { start, end } } : l)),
  });
  const ms = (n: number) => new Date(time.getTime() + n);

  it('both ends are inclusive', () => {
    verifySCTs(c.leaf, c.issuer, withWindow(time, time));
  });
  it('an SCT after the end fails', () => {
    rejects(() => verifySCTs(c.leaf, c.issuer, withWindow(ms(-1000), ms(-1))), 'SCT_OUTSIDE_LOG_VALIDITY', /outside the log key's validity window/);
  });
  it('an SCT before the start fails', () => {
    rejects(() => verifySCTs(c.leaf, c.issuer, withWindow(ms(1), undefined)), 'SCT_OUTSIDE_LOG_VALIDITY', /open-ended/);
  });
  it('no CT logs at all', () => {
    rejects(() => verifySCTs(c.leaf, c.issuer, { ...c.trust, ctlogs: [] }), 'SCT_UNTRUSTED_LOG');
  });
});

// ---------------------------------------------------------------------------------------------
// Leaves re-issued with SCTs from throwaway CT logs.

const seq = (...xs: Buffer[]) => encode(0x30, xs);
const u = (n: number | bigint, width: number) => {
  const b = Buffer.alloc(width);
  if (width === 8) b.writeBigUInt64BE(BigInt(n));
  else b.writeUIntBE(Number(n), 0, width);
  return b;
};
const vec = (b: Buffer, width: number) => Buffer.concat([u(b.length, width), b]);
const SCT_OID_DER = Buffer.from('060a2b06010401d679020402', 'hex');

const base = must('happy-path-v0.3');

/** The base leaf's TBSCertificate children, with its SCT list extension removed (built independently of the module). */
function precertParts(): { parts: Buffer[]; extIndex: number; exts: Buffer[] } {
  const parts = base.leaf.tbs.children.map((c) => c.raw);
  const extIndex = base.leaf.tbs.children.findIndex((c) => c.tag === 0xa3);
  const exts = Der.parse(base.leaf.tbs.children[extIndex]!.value)
    .children.filter((e) => !e.child(0).raw.equals(SCT_OID_DER))
    .map((e) => e.raw);
  return { parts, extIndex, exts };
}

function tbsWith(exts: Buffer[]): Buffer {
  const { parts, extIndex } = precertParts();
  const out = [...parts];
  out[extIndex] = encode(0xa3, seq(...exts));
  return seq(...out);
}

interface Log {
  key: KeyObject;
  entry: TransparencyLog;
  hash: number;
  sig: number;
  nodeHash: string | null;
}

function makeLog(kind: 'p256' | 'p384' | 'p384sha384' | 'rsa' | 'ed25519', baseUrl = `https://ct.test/${kind}`): Log {
  const pair =
    kind === 'p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : kind === 'p384' || kind === 'p384sha384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : kind === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ed25519');
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const [hash, sig, nodeHash] = { p256: [4, 3, 'sha256'], p384: [4, 3, 'sha256'], p384sha384: [5, 3, 'sha384'], rsa: [4, 1, 'sha256'], ed25519: [8, 7, null] }[kind] as [number, number, string | null];
  return {
    key: pair.privateKey,
    hash,
    sig,
    nodeHash,
    entry: {
      baseUrl,
      logId: createHash('sha256').update(spki).digest(),
      checkpointKeyId: undefined,
      key: pair.publicKey,
      keyDetails: 'test',
      validFor: { start: new Date('2020-01-01T00:00:00Z'), end: undefined },
    },
  };
}

interface SctOptions {
  timestamp?: bigint;
  extensions?: Buffer;
  version?: number;
  /** Sign over this precertificate TBS instead of the real one. */
  tbs?: Buffer;
  issuerSpki?: Buffer;
  corrupt?: boolean;
}

const PRECERT_TBS = tbsWith(precertParts().exts);
const T0 = 1_700_000_000_123n;

function makeSct(log: Log, o: SctOptions = {}): Buffer {
  const ts = o.timestamp ?? T0;
  const extensions = o.extensions ?? Buffer.alloc(0);
  const issuerKeyHash = createHash('sha256').update(o.issuerSpki ?? base.issuer.spki).digest();
  const signed = Buffer.concat([u(0, 1), u(0, 1), u(ts, 8), u(1, 2), issuerKeyHash, vec(o.tbs ?? PRECERT_TBS, 3), vec(extensions, 2)]);
  let signature: Buffer = nodeSign(log.nodeHash, signed, log.key);
  if (o.corrupt) signature = flip(signature, signature.length - 1);
  return Buffer.concat([u(o.version ?? 0, 1), log.entry.logId, u(ts, 8), vec(extensions, 2), u(log.hash, 1), u(log.sig, 1), vec(signature, 2)]);
}

/** The base leaf with its SCT list replaced by `scts` (at `position` among the extensions). */
function leafWith(scts: Buffer[] | Buffer, position: 'end' | 'start' | 'middle' = 'end'): Certificate {
  const list = Array.isArray(scts) ? vec(Buffer.concat(scts.map((s) => vec(s, 2))), 2) : scts;
  const extension = seq(SCT_OID_DER, encode(0x04, encode(0x04, list)));
  const exts = [...precertParts().exts];
  const at = position === 'end' ? exts.length : position === 'start' ? 0 : Math.floor(exts.length / 2);
  exts.splice(at, 0, extension);
  const outer = Der.parse(base.leaf.raw);
  return new Certificate(seq(tbsWith(exts), outer.child(1).raw, outer.child(2).raw));
}

function trustWith(...logs: Log[]): TrustMaterial {
  return { ...base.trust, ctlogs: logs.map((l) => l.entry) };
}

const p256 = makeLog('p256');
const p384 = makeLog('p384');
const rsa = makeLog('rsa');
const ed25519 = makeLog('ed25519');
const p384sha384 = makeLog('p384sha384');

describe('verifySCTs: synthetic SCTs', () => {
  it('the rebuilt precertificate TBS is the leaf TBS without the SCT extension, wherever it sits', () => {
    for (const position of ['start', 'middle', 'end'] as const) {
      const leaf = leafWith([makeSct(p256)], position);
      assert.ok(precertificateTBS(leaf).equals(PRECERT_TBS), position);
      verifySCTs(leaf, base.issuer, trustWith(p256));
    }
  });
  it('a leaf with only the SCT extension: the precertificate has no extensions field', () => {
    const { parts, extIndex } = precertParts();
    const extension = seq(SCT_OID_DER, encode(0x04, encode(0x04, vec(vec(Buffer.from([0]), 2), 2))));
    const withExt = [...parts];
    withExt[extIndex] = encode(0xa3, seq(extension));
    const outer = Der.parse(base.leaf.raw);
    const leaf = new Certificate(seq(seq(...withExt), outer.child(1).raw, outer.child(2).raw));
    const without = parts.filter((_, i) => i !== extIndex);
    assert.ok(precertificateTBS(leaf).equals(seq(...without)));
  });
  it('ECDSA P-256 and P-384, and RSA PKCS#1 v1.5 logs, all with SHA-256', () => {
    for (const log of [p256, p384, rsa]) {
      verifySCTs(leafWith([makeSct(log)]), base.issuer, trustWith(log));
    }
  });
  it('SHA-256 only (RFC 6962): SCTs with another hash algorithm byte (SHA-384, intrinsic Ed25519) are refused', () => {
    for (const log of [p384sha384, ed25519]) {
      rejects(() => verifySCTs(leafWith([makeSct(log)]), base.issuer, trustWith(log)), 'SCT_UNSUPPORTED_ALGORITHM', /not SHA-256/);
    }
    // The same SCT with the hash byte rewritten to SHA-512 is refused before any signature check.
    const sha512 = Buffer.from(makeSct(p256));
    sha512[1 + 32 + 8 + 2] = 6;
    rejects(() => verifySCTs(leafWith([sha512]), base.issuer, trustWith(p256)), 'SCT_UNSUPPORTED_ALGORITHM');
  });
  it('an SCT timestamp after the verification time is refused, and a verified leaf is not reused across times', () => {
    const soon = BigInt(Date.now() + 3600_000);
    const leaf = leafWith([makeSct(p256, { timestamp: soon })]);
    rejects(() => verifySCTs(leaf, base.issuer, trustWith(p256)), 'SCT_TIME_IN_FUTURE');
    const trust = trustWith(p256);
    verifySCTs(leaf, base.issuer, trust, new Date(Number(soon) + 1000));
    // The answer remembered for a later time does not hold at an earlier one.
    rejects(() => verifySCTs(leaf, base.issuer, trust, new Date(Number(soon) - 120_000)), 'SCT_TIME_IN_FUTURE');
    // Within the clock skew it is fine.
    verifySCTs(leaf, base.issuer, trust, new Date(Number(soon) - 30_000));
  });
  it('SCT extensions are part of the signed data', () => {
    const ext = Buffer.from('00000500001fb2c1', 'hex');
    verifySCTs(leafWith([makeSct(p256, { extensions: ext })]), base.issuer, trustWith(p256));
    const sct = makeSct(p256, { extensions: ext });
    const tampered = flip(sct, 1 + 32 + 8 + 2 + 3); // inside the extensions
    rejects(() => verifySCTs(leafWith([tampered]), base.issuer, trustWith(p256)), 'SCT_SIGNATURE_INVALID');
  });
  it('an SCT over another TBS or issuer key fails', () => {
    rejects(() => verifySCTs(leafWith([makeSct(p256, { tbs: tbsWith([]) })]), base.issuer, trustWith(p256)), 'SCT_SIGNATURE_INVALID');
    const otherSpki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    rejects(() => verifySCTs(leafWith([makeSct(p256, { issuerSpki: otherSpki })]), base.issuer, trustWith(p256)), 'SCT_SIGNATURE_INVALID');
  });
  it('at least one SCT must verify: others may be from unknown logs, or bad', () => {
    const other = makeLog('p256', 'https://ct.test/unknown');
    verifySCTs(leafWith([makeSct(other), makeSct(p256)]), base.issuer, trustWith(p256));
    verifySCTs(leafWith([makeSct(p256, { corrupt: true }), makeSct(rsa)]), base.issuer, trustWith(p256, rsa));
    verifySCTs(leafWith([Buffer.from([1, 2, 3]), makeSct(p256)]), base.issuer, trustWith(p256)); // an SCT v2 is skipped
  });
  it('when none verifies, reports the failure that got furthest and every reason', () => {
    const other = makeLog('p256', 'https://ct.test/unknown');
    const e = rejects(() => verifySCTs(leafWith([makeSct(other), makeSct(p256, { corrupt: true })]), base.issuer, trustWith(p256)), 'SCT_SIGNATURE_INVALID');
    assert.match(e.message, /SCT #1 is from a CT log not in the trusted root/);
    assert.match(e.message, /SCT #2 from https:\/\/ct\.test\/p256: its signature does not verify/);
    const late = { ...p256, entry: { ...p256.entry, validFor: { start: new Date('2030-01-01T00:00:00Z'), end: undefined } } };
    rejects(() => verifySCTs(leafWith([makeSct(rsa, { corrupt: true }), makeSct(p256)]), base.issuer, trustWith(rsa, late)), 'SCT_OUTSIDE_LOG_VALIDITY');
  });
  it('only SCT v1 is understood', () => {
    rejects(() => verifySCTs(leafWith([makeSct(p256, { version: 1 })]), base.issuer, trustWith(p256)), 'SCT_UNSUPPORTED_VERSION');
  });
  it('a log key of another type than the SCT says', () => {
    const asRsa = { ...rsa, entry: { ...rsa.entry, logId: p256.entry.logId } };
    rejects(() => verifySCTs(leafWith([makeSct(p256)]), base.issuer, trustWith(asRsa)), 'SCT_SIGNATURE_INVALID', /does not match the log key/);
    const edWithHash = Buffer.from(makeSct(ed25519));
    edWithHash[1 + 32 + 8 + 2] = 4; // SHA-256 with Ed25519
    rejects(() => verifySCTs(leafWith([edWithHash]), base.issuer, trustWith(ed25519)), 'SCT_SIGNATURE_INVALID', /unsupported signature algorithm 7/);
  });
  it('an SCT timestamp beyond what a Date can hold', () => {
    rejects(() => verifySCTs(leafWith([makeSct(p256, { timestamp: 0xffffffffffffffffn })]), base.issuer, trustWith(p256)), 'SCT_OUTSIDE_LOG_VALIDITY');
  });
  it('a leaf without the SCT extension', () => {
    const { parts, extIndex } = precertParts();
    const noSct = [...parts];
    noSct[extIndex] = encode(0xa3, seq(...precertParts().exts));
    const outer = Der.parse(base.leaf.raw);
    const leaf = new Certificate(seq(seq(...noSct), outer.child(1).raw, outer.child(2).raw));
    rejects(() => verifySCTs(leaf, base.issuer, base.trust), 'SCT_MISSING');
  });
  const good = makeSct(p256);
  const malformed: [string, Buffer][] = [
    ['an empty list', vec(Buffer.alloc(0), 2)],
    ['an empty SCT', vec(vec(Buffer.alloc(0), 2), 2)],
    ['a list length too long', Buffer.concat([u(good.length + 3, 2), vec(good, 2)])],
    ['a list length too short', Buffer.concat([u(good.length + 1, 2), vec(good, 2)])],
    ['trailing bytes after the list', Buffer.concat([vec(vec(good, 2), 2), Buffer.from([0])])],
    ['trailing bytes inside an SCT', vec(vec(Buffer.concat([good, Buffer.from([0])]), 2), 2)],
    ['a truncated SCT', vec(vec(good.subarray(0, 40), 2), 2)],
    ['a truncated list header', Buffer.alloc(1)],
  ];
  for (const [what, list] of malformed) {
    it(`a malformed SCT list: ${what}`, () => {
      rejects(() => verifySCTs(leafWith(list), base.issuer, trustWith(p256)), 'SCT_MALFORMED');
    });
  }
  it('an SCT extension value that is not an OCTET STRING', () => {
    const extension = seq(SCT_OID_DER, encode(0x04, encode(0x03, vec(vec(good, 2), 2))));
    const exts = [...precertParts().exts, extension];
    const outer = Der.parse(base.leaf.raw);
    const leaf = new Certificate(seq(tbsWith(exts), outer.child(1).raw, outer.child(2).raw));
    rejects(() => verifySCTs(leaf, base.issuer, trustWith(p256)), 'SCT_MALFORMED', /OCTET STRING|expected tag/);
  });
});
