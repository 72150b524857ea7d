/**
 * A forged Sigstore PKI for crafted-input tests: its own Fulcio CA (root and intermediate), CT
 * log, Rekor log and TSA, with the matching trusted root. {@link ForgedPki.bundle} builds a
 * correctly signed bundle (hashedrekord or DSSE, Rekor v1 entry with SET, inclusion proof and
 * checkpoint, optionally an RFC 3161 timestamp) whose every part can be changed through the
 * spec *before* it is signed, so a structurally wrong input reaches exactly the check under
 * test instead of failing an earlier signature or body comparison.
 *
 * Everything here is built independently of src/verify (its own SET payload, Merkle tree,
 * note signing and SCT encoding), so a broken check there cannot make its own input verify.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/bundle/dsse.js';
import type { Sct } from '../../src/instance/ctlog.js';
import { MerkleTree } from '../../src/instance/merkle.js';
import { signNote } from '../../src/instance/note.js';
import {
  basicConstraintsExt,
  buildTbs,
  caCertificate,
  ext,
  extKeyUsageExt,
  keyUsageExt,
  OIDS,
  randomSerial,
  sanExt,
  signCertificate,
  tbsDer,
  utf8Ext,
} from '../../src/instance/pki.js';
import { encode, Tag } from '../../src/lib/der.js';
import { tlsUint, tlsVector } from '../../src/lib/tls.js';
import { Certificate } from '../../src/lib/x509.js';
import { ctx, int, octets, oid, seq, set } from '../../src/lib/der-write.js';
import { parseTrustedRoot, type TrustMaterial } from '../../src/trust/trusted-root.js';
import { Identity } from '../../src/verify/policy.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into bundle and trusted root JSON freely
export type Json = Record<string, any>;
type Ext = ReturnType<typeof ext>;

export const FORGED_IDENTITY = 'forged@example.com';
export const FORGED_ISSUER = 'https://issuer.forged.test';
export const REKOR_URL = 'https://rekor.forged.test';
export const REKOR_ORIGIN = 'rekor.forged.test - 4242';

const p256 = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const spki = (k: KeyObject): Buffer => Buffer.from(createPublicKey(k).export({ format: 'der', type: 'spki' }) as Buffer);
const sha256 = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest();
const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const pem = (der: Buffer, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
const pae = (type: string, payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);


/** What a leaf certificate looks like; every field has a valid default. */
/** An SCT as the forge encodes it (RFC 6962 3.2); algorithms as TLS codes. */
export interface ForgedSct extends Sct {
  version?: number;
  hashAlgorithm?: number;
  signatureAlgorithm?: number;
}

/** The SCT list extension value: OCTET STRING { u16 list length, (u16 length, SCT)* }. */
export function sctList(scts: ForgedSct[]): Buffer {
  const items = scts.map((t) => {
    const b = Buffer.concat([
      Buffer.from([t.version ?? 0]),
      t.logId,
      tlsUint(t.timestamp, 8),
      tlsVector(t.extensions, 2),
      Buffer.from([t.hashAlgorithm ?? 4, t.signatureAlgorithm ?? 3]),
      tlsVector(t.signature, 2),
    ]);
    return tlsVector(b, 2);
  });
  return encode(Tag.OCTET_STRING, tlsVector(Buffer.concat(items), 2));
}

export interface LeafSpec {
  notBefore: Date;
  notAfter: Date;
  /** Replaces the default extension list (before the SCT list is appended). */
  extensions: (defaults: Ext[]) => Ext[];
  /** No SCT list extension at all. */
  noSct: boolean;
  /** Changes the SCT after it is signed, before it is encoded. */
  sct: (s: ForgedSct) => void;
  /** Replaces the SCT list extension value (DER OCTET STRING). */
  sctValue: (v: Buffer) => Buffer;
  /** The SCT's time (default: the leaf's notBefore). */
  sctTime: Date;
  /** The issuing key and name (default: the forged intermediate). */
  issuerKey: KeyObject;
  issuerName: { organization?: string; commonName?: string };
}

/** What a bundle looks like; every field has a valid default. */
export interface BundleSpec {
  kind: 'message' | 'dsse';
  artifact: Buffer;
  /** The DSSE payload (default: an in-toto v1 statement over the artifact) and type. */
  payload: Buffer;
  payloadType: string;
  leaf: Partial<LeafSpec>;
  /** The signing key (default: a fresh P-256 key). */
  signingKey: KeyObject;
  /** Changes (or, by returning one, replaces) the canonicalized body before it is logged and the SET signed. */
  // biome-ignore lint/suspicious/noConfusingVoidType: hooks that only change the body return nothing
  body: (b: Json, signed: SignedParts) => Json | void;
  /** The exact body bytes (overrides `body`). */
  bodyBytes: Buffer;
  set: boolean;
  proof: boolean;
  checkpoint: boolean;
  /** Changes the checkpoint body text before it is signed. */
  checkpointBody: (body: string) => string;
  /** Replaces the whole signed note. */
  note: (signed: string) => string;
  integratedTime: Date;
  logIndex: number;
  /** Leaves in the tree (default 5; the entry is at `logIndex` % size). */
  treeSize: number;
  tsa: boolean;
  /** The TSA's time (default: integratedTime). */
  tsaTime: Date;
  /** Rekor entry kind (default hashedrekord 0.0.1 or dsse 0.0.1). */
  entryKind: { kind: string; version: string };
  /** Replaces the leaf certificate DER before anything names it (the body, SET and proof cover the result). */
  leafDer: (der: Buffer) => Buffer;
  /** Builds the RFC 3161 token over the signature (default: the forged TSA's; implies `tsa`). */
  token: (signature: Buffer, time: Date) => Buffer;
  /** Changes the bundle JSON after everything is signed. */
  json: (b: Json) => void;
}

/** What a body hook may need to describe the bundle. */
export interface SignedParts {
  leaf: Buffer;
  signature: Buffer;
  artifact: Buffer;
  /** DSSE only. */
  payload: Buffer | undefined;
  payloadType: string | undefined;
}

export interface Forged {
  json: Json;
  text: string;
  artifact: Buffer;
  leaf: Buffer;
  signature: Buffer;
  policy: Identity;
}

/** A forged PKI. `now` is the time its certificates and logs are valid around. */
export class ForgedPki {
  readonly now: Date;
  readonly rootKey = p256();
  readonly interKey = p256();
  readonly ctKey = p256();
  readonly rekorKey = p256();
  readonly tsaRootKey = p256();
  readonly tsaKey = p256();
  readonly root: Buffer;
  readonly inter: Buffer;
  readonly tsaRoot: Buffer;
  readonly tsaLeaf: Buffer;
  readonly ctLogId: Buffer;
  readonly rekorLogId: Buffer;
  readonly start: Date;

  constructor(now = new Date()) {
    this.now = new Date(Math.floor(now.getTime() / 1000) * 1000);
    this.start = new Date(this.now.getTime() - 86_400_000);
    const end = new Date(this.now.getTime() + 365 * 86_400_000);
    const rootDn = { organization: 'forged', commonName: 'forged-root' };
    const interDn = { organization: 'forged', commonName: 'forged-intermediate' };
    this.root = caCertificate({ subject: rootDn, issuer: rootDn, key: this.rootKey, issuerKey: this.rootKey, notBefore: this.start, notAfter: end, pathLen: 1 });
    this.inter = caCertificate({ subject: interDn, issuer: rootDn, key: this.interKey, issuerKey: this.rootKey, notBefore: this.start, notAfter: end, pathLen: 0 });
    const tsaRootDn = { organization: 'forged', commonName: 'forged-tsa-root' };
    this.tsaRoot = caCertificate({ subject: tsaRootDn, issuer: tsaRootDn, key: this.tsaRootKey, issuerKey: this.tsaRootKey, notBefore: this.start, notAfter: end });
    this.tsaLeaf = this.tsaCert({});
    this.ctLogId = sha256(spki(this.ctKey));
    this.rekorLogId = sha256(spki(this.rekorKey));
  }

  /** A TSA leaf certificate issued by the forged TSA root. */
  tsaCert(o: { eku?: string[]; notBefore?: Date; notAfter?: Date; key?: KeyObject }): Buffer {
    return signCertificate(
      buildTbs({
        serial: randomSerial(),
        subject: { organization: 'forged', commonName: 'forged-tsa' },
        issuer: { organization: 'forged', commonName: 'forged-tsa-root' },
        notBefore: o.notBefore ?? this.start,
        notAfter: o.notAfter ?? new Date(this.now.getTime() + 300 * 86_400_000),
        spki: spki(o.key ?? this.tsaKey),
        extensions: [keyUsageExt([0]), extKeyUsageExt(o.eku ?? [OIDS.timeStamping], true)],
        signer: this.tsaRootKey,
      }),
      this.tsaRootKey,
    );
  }

  /** The trusted root JSON; `change` edits it before it is returned. */
  trustedRootJson(change?: (r: Json) => void): Json {
    const window = { start: iso(this.start) };
    const log = (url: string, key: KeyObject, id: Buffer) => ({
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: spki(key).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { ...window } },
      logId: { keyId: id.toString('base64') },
    });
    const r = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [log(REKOR_URL, this.rekorKey, this.rekorLogId)],
      certificateAuthorities: [
        {
          subject: { organization: 'forged', commonName: 'forged-root' },
          uri: 'https://fulcio.forged.test',
          certChain: { certificates: [this.inter, this.root].map((c) => ({ rawBytes: c.toString('base64') })) },
          validFor: { ...window },
        },
      ],
      ctlogs: [log('https://ct.forged.test', this.ctKey, this.ctLogId)],
      timestampAuthorities: [
        {
          subject: { organization: 'forged', commonName: 'forged-tsa' },
          uri: 'https://tsa.forged.test',
          certChain: { certificates: [this.tsaLeaf, this.tsaRoot].map((c) => ({ rawBytes: c.toString('base64') })) },
          validFor: { ...window },
        },
      ],
    } as Json;
    change?.(r);
    return r;
  }

  trust(change?: (r: Json) => void): TrustMaterial {
    return parseTrustedRoot(JSON.stringify(this.trustedRootJson(change)), 'forged trusted root');
  }

  /** A Fulcio-style leaf for `key`, with an SCT from the forged CT log. */
  leaf(key: KeyObject, o: Partial<LeafSpec> = {}): Buffer {
    const notBefore = o.notBefore ?? new Date(this.now.getTime() - 120_000);
    const notAfter = o.notAfter ?? new Date(notBefore.getTime() + 600_000);
    const defaults = [
      keyUsageExt([0]),
      extKeyUsageExt([OIDS.codeSigning], false),
      sanExt('email', FORGED_IDENTITY, true),
      utf8Ext('1.3.6.1.4.1.57264.1.8', FORGED_ISSUER),
    ];
    const exts = o.extensions ? o.extensions(defaults) : defaults;
    const issuerKey = o.issuerKey ?? this.interKey;
    const spec = {
      serial: randomSerial(),
      subject: {},
      issuer: o.issuerName ?? { organization: 'forged', commonName: 'forged-intermediate' },
      notBefore,
      notAfter,
      spki: spki(key),
      extensions: exts,
      signer: issuerKey,
    };
    if (o.noSct) return signCertificate(buildTbs(spec), issuerKey);
    // The precertificate TBS: the leaf's TBS without the SCT list (which goes last).
    const preTbs = tbsDer(buildTbs(spec));
    const timestamp = BigInt((o.sctTime ?? notBefore).getTime());
    const signed = Buffer.concat([
      Buffer.from([0, 0]),
      tlsUint(timestamp, 8),
      tlsUint(1, 2),
      sha256(spki(issuerKey)),
      tlsVector(preTbs, 3),
      tlsUint(0, 2),
    ]);
    const sct: ForgedSct = { logId: this.ctLogId, timestamp, extensions: Buffer.alloc(0), signature: nodeSign('sha256', signed, this.ctKey) };
    o.sct?.(sct);
    let value = sctList([sct]);
    if (o.sctValue) value = o.sctValue(value);
    return signCertificate(buildTbs({ ...spec, extensions: [...exts, ext(OIDS.sctList, false, value)] }), issuerKey);
  }

  /**
   * An RFC 3161 TimeStampResp over `signature`, signed by the forged TSA (or `signer`), with every
   * part changeable before it is signed: the TSTInfo DER, the signed attributes, the certificate.
   */
  token(o: {
    signature: Buffer;
    time: Date;
    tstInfo?: (der: Buffer) => Buffer;
    /** Each signed attribute's values (DER), or null to leave it out. */
    attributes?: (attrs: { contentType: Buffer[] | null; messageDigest: Buffer[] | null; signingCertificate: Buffer[] | null }) => void;
    /** The SignerInfo signature AlgorithmIdentifier (DER). */
    signatureAlgorithm?: Buffer;
    cert?: Buffer;
    key?: KeyObject;
    embed?: boolean;
  }): Buffer {
    const cert = o.cert ?? this.tsaLeaf;
    const key = o.key ?? this.tsaKey;
    const leafTbs = new Certificate(cert).tbs.children;
    const serial = leafTbs[leafTbs[0]!.tag === 0xa0 ? 1 : 0]!.raw;
    const issuer = new Certificate(cert).issuerRaw;
    const genTime = encode(Tag.GENERALIZED_TIME, Buffer.from(`${o.time.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
    let tst = seq(int(1), oid('1.3.6.1.4.1.57264.2'), seq(seq(oid(OIDS.sha256)), octets(sha256(o.signature))), int(42), genTime, seq(int(1)));
    if (o.tstInfo) tst = o.tstInfo(tst);
    const attrs: { contentType: Buffer[] | null; messageDigest: Buffer[] | null; signingCertificate: Buffer[] | null } = {
      contentType: [oid('1.2.840.113549.1.9.16.1.4')],
      messageDigest: [octets(sha256(tst))],
      signingCertificate: [seq(seq(seq(octets(sha256(cert)))))],
    };
    o.attributes?.(attrs);
    const attribute = (type: string, values: Buffer[] | null): Buffer[] => (values ? [seq(oid(type), set(...values))] : []);
    const list = [
      ...attribute('1.2.840.113549.1.9.3', attrs.contentType),
      ...attribute('1.2.840.113549.1.9.4', attrs.messageDigest),
      ...attribute('1.2.840.113549.1.9.16.2.47', attrs.signingCertificate),
    ].sort(Buffer.compare);
    const signatureValue = nodeSign('sha256', set(...list), key);
    const sha = seq(oid(OIDS.sha256));
    const signerInfo = seq(int(1), seq(issuer, serial), sha, ctx(0, ...list), o.signatureAlgorithm ?? seq(oid(OIDS.ecdsaSha256)), octets(signatureValue));
    const signedData = seq(int(3), set(sha), seq(oid('1.2.840.113549.1.9.16.1.4'), ctx(0, octets(tst))), ...(o.embed === false ? [] : [ctx(0, cert)]), set(signerInfo));
    return seq(seq(int(0)), seq(oid('1.2.840.113549.1.7.2'), ctx(0, signedData)));
  }

  /** A signed bundle and everything needed to verify it. */
  bundle(o: Partial<BundleSpec> = {}): Forged {
    const kind = o.kind ?? 'message';
    const artifact = o.artifact ?? Buffer.from('forged artifact\n');
    const key = o.signingKey ?? p256();
    const leaf = o.leafDer ? o.leafDer(this.leaf(key, o.leaf)) : this.leaf(key, o.leaf);
    const leafPem = pem(leaf);
    let content: Json;
    let signature: Buffer;
    let body: Json;
    let dssePayload: Buffer | undefined;
    let dsseType: string | undefined;
    if (kind === 'message') {
      const digest = sha256(artifact);
      signature = nodeSign('sha256', artifact, key);
      content = { messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') }, signature: signature.toString('base64') } };
      body = {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
          signature: { content: signature.toString('base64'), publicKey: { content: Buffer.from(leafPem).toString('base64') } },
        },
      };
    } else {
      const payload =
        o.payload ??
        Buffer.from(
          JSON.stringify({
            _type: 'https://in-toto.io/Statement/v1',
            subject: [{ name: 'artifact', digest: { sha256: sha256(artifact).toString('hex') } }],
            predicateType: 'https://example.com/predicate/v1',
            predicate: {},
          }),
        );
      const payloadType = o.payloadType ?? IN_TOTO_PAYLOAD_TYPE;
      dssePayload = payload;
      dsseType = payloadType;
      signature = nodeSign('sha256', pae(payloadType, payload), key);
      content = { dsseEnvelope: { payload: payload.toString('base64'), payloadType, signatures: [{ sig: signature.toString('base64'), keyid: '' }] } };
      body = {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
          signatures: [{ signature: signature.toString('base64'), verifier: Buffer.from(leafPem).toString('base64') }],
        },
      };
    }
    if (o.entryKind) {
      body.kind = o.entryKind.kind;
      body.apiVersion = o.entryKind.version;
    }
    body = o.body?.(body, { leaf, signature, artifact, payload: dssePayload, payloadType: dsseType }) ?? body;
    const bodyBytes = o.bodyBytes ?? Buffer.from(JSON.stringify(body));
    const integratedTime = Math.floor((o.integratedTime ?? new Date(this.now.getTime() - 60_000)).getTime() / 1000);
    const size = o.treeSize ?? 5;
    const logIndex = o.logIndex ?? 3;
    const at = logIndex % size;
    const tree = new MerkleTree();
    for (let i = 0; i < size; i++) tree.append(i === at ? sha256(Buffer.concat([Buffer.from([0]), bodyBytes])) : sha256(`other leaf ${i}`));
    const root = tree.root();
    const entry: Json = {
      logIndex: String(logIndex),
      logId: { keyId: this.rekorLogId.toString('base64') },
      kindVersion: { kind: body.kind, version: body.apiVersion },
      integratedTime: String(integratedTime),
      canonicalizedBody: bodyBytes.toString('base64'),
    };
    if (o.set !== false) {
      const payload = `{"body":${JSON.stringify(bodyBytes.toString('base64'))},"integratedTime":${integratedTime},"logID":${JSON.stringify(this.rekorLogId.toString('hex'))},"logIndex":${logIndex}}`;
      entry.inclusionPromise = { signedEntryTimestamp: nodeSign('sha256', Buffer.from(payload), this.rekorKey).toString('base64') };
    }
    if (o.proof !== false) {
      const proof: Json = {
        logIndex: String(at),
        rootHash: root.toString('base64'),
        treeSize: String(size),
        hashes: tree.inclusionProof(at).map((h) => h.toString('base64')),
      };
      if (o.checkpoint !== false) {
        let cpBody = `${REKOR_ORIGIN}\n${size}\n${root.toString('base64')}\n`;
        if (o.checkpointBody) cpBody = o.checkpointBody(cpBody);
        let note = signNote(cpBody, { name: REKOR_ORIGIN.split(' - ')[0]!, hint: this.rekorLogId.subarray(0, 4), key: this.rekorKey });
        if (o.note) note = o.note(note);
        proof.checkpoint = { envelope: note };
      }
      entry.inclusionProof = proof;
    }
    const vm: Json = { certificate: { rawBytes: leaf.toString('base64') }, tlogEntries: [entry] };
    if (o.tsa || o.token) {
      const time = o.tsaTime ?? new Date(integratedTime * 1000);
      const token = o.token ? o.token(signature, time) : this.token({ signature, time });
      vm.timestampVerificationData = { rfc3161Timestamps: [{ signedTimestamp: token.toString('base64') }] };
    }
    const json: Json = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: vm, ...content };
    o.json?.(json);
    return { json, text: JSON.stringify(json), artifact, leaf, signature, policy: new Identity({ identity: FORGED_IDENTITY, issuer: FORGED_ISSUER }) };
  }
}

export { basicConstraintsExt, ext, extKeyUsageExt, keyUsageExt, OIDS, pem, sanExt, utf8Ext };
