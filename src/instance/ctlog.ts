/**
 * The certificate transparency log (RFC 6962): takes precertificate chains, appends the
 * MerkleTreeLeaf to its own durable tree and returns a signed certificate timestamp (SCT).
 *
 * HTTP (RFC 6962 §4): POST /ct/v1/add-pre-chain {"chain": [base64 DER, ...]} and
 * GET /ct/v1/get-sth. Fulcio calls {@link CtLog.addPreChain} in-process with the same checks.
 */
import { createHash, sign as nodeSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { tlsUint, tlsVector } from '../lib/tls.js';
import { Certificate } from '../lib/x509.js';
import { leafHash } from './merkle.js';
import { spki } from './keys.js';
import { OIDS } from './pki.js';
import { VerifiableLog } from './tlog.js';
import { badRequest, fromB64, isObj } from './util.js';

/** A signed certificate timestamp, RFC 6962 §3.2. */
export interface Sct {
  logId: Buffer;
  timestamp: bigint;
  extensions: Buffer;
  /** DER ECDSA signature over the digitally-signed struct. */
  signature: Buffer;
}

interface CtEntry {
  /** MerkleTreeLeaf bytes. */
  leaf: Buffer;
}

/** TLS serialization of one SCT. */
export function serializeSct(sct: Sct): Buffer {
  return Buffer.concat([
    Buffer.from([0]), // v1
    sct.logId,
    tlsUint(sct.timestamp, 8),
    tlsVector(sct.extensions, 2),
    Buffer.from([4, 3]), // sha256, ecdsa
    tlsVector(sct.signature, 2),
  ]);
}

/** The X.509 SCT list extension value: DER OCTET STRING of the TLS SignedCertificateTimestampList. */
export function sctListExtensionValue(scts: Sct[]): Buffer {
  const list = Buffer.concat(scts.map((s) => tlsVector(serializeSct(s), 2)));
  return Buffer.from(new asn1js.OctetString({ valueHex: tlsVector(list, 2) }).toBER(false));
}

export class CtLog {
  readonly logId: Buffer;
  private constructor(
    private readonly key: KeyObject,
    private readonly log: VerifiableLog<CtEntry>,
  ) {
    this.logId = createHash('sha256').update(spki(key)).digest();
  }

  static async open(path: string, key: KeyObject): Promise<CtLog> {
    const log = await VerifiableLog.open<CtEntry>(
      path,
      {
        encode: (e) => e.leaf,
        decode: (r) => ({ leaf: r }),
        leaf: (e) => leafHash(e.leaf),
      },
      // The CT log publishes RFC 6962 STHs, not notes: nothing to sign per commit.
      () => '',
    );
    return new CtLog(key, log);
  }

  get publicKey(): Buffer {
    return spki(this.key);
  }

  get size(): number {
    return this.log.size;
  }

  /**
   * Checks a precertificate chain (precertificate first, then its issuer, ...), logs it and
   * returns the SCT. The precertificate must carry the critical poison extension and be signed
   * by the next certificate in the chain.
   */
  async addPreChain(chain: Buffer[]): Promise<Sct> {
    if (chain.length < 2) badRequest('chain must hold the precertificate and its issuer');
    let pre: Certificate;
    let issuer: Certificate;
    try {
      pre = new Certificate(chain[0]!);
      issuer = new Certificate(chain[1]!);
    } catch (e) {
      badRequest(`chain holds a malformed certificate: ${(e as Error).message}`);
    }
    const poison = pre.extension(OIDS.ctPoison);
    if (!poison?.critical) badRequest('the first certificate is not a precertificate (no critical poison extension)');
    if (pre.extension(OIDS.sctList)) badRequest('a precertificate must not carry an SCT list');
    if (!pre.isIssuedBy(issuer)) badRequest('the precertificate is not signed by the next certificate in the chain');

    // The signed entry is the TBSCertificate without the poison extension.
    const parsed = pkijs.Certificate.fromBER(chain[0]!);
    parsed.extensions = (parsed.extensions ?? []).filter((e) => e.extnID !== OIDS.ctPoison);
    const tbs = Buffer.from(parsed.encodeTBS().toBER(false));
    const issuerKeyHash = createHash('sha256').update(issuer.spki).digest();
    const timestamp = BigInt(Date.now());
    const extensions = Buffer.alloc(0);
    const preCert = Buffer.concat([issuerKeyHash, tlsVector(tbs, 3)]);
    const entry = Buffer.concat([tlsUint(timestamp, 8), tlsUint(1, 2), preCert, tlsVector(extensions, 2)]);
    const signed = Buffer.concat([Buffer.from([0, 0]), entry]); // sct_version v1, certificate_timestamp
    const signature = nodeSign('sha256', signed, this.key);
    const leaf = Buffer.concat([Buffer.from([0, 0]), entry]); // MerkleTreeLeaf: v1, timestamped_entry
    await this.log.add(leafHash(leaf), () => ({ leaf }));
    return { logId: this.logId, timestamp, extensions, signature };
  }

  /** HTTP handler body for POST /ct/v1/add-pre-chain. */
  async handleAddPreChain(body: unknown): Promise<Record<string, unknown>> {
    if (!isObj(body) || !Array.isArray(body.chain)) badRequest('request must be {"chain": [base64 DER certificates]}');
    const chain = (body.chain as unknown[]).map((c, i) => fromB64(c, `chain[${i}]`));
    const sct = await this.addPreChain(chain);
    return {
      sct_version: 0,
      id: sct.logId.toString('base64'),
      timestamp: Number(sct.timestamp),
      extensions: sct.extensions.toString('base64'),
      signature: Buffer.concat([Buffer.from([4, 3]), tlsVector(sct.signature, 2)]).toString('base64'),
    };
  }

  /** RFC 6962 §4.3 signed tree head. */
  sth(): Record<string, unknown> {
    const size = this.log.size;
    const root = this.log.tree.root(size);
    const timestamp = BigInt(Date.now());
    // TreeHeadSignature: version v1, signature_type tree_hash(1), timestamp, tree_size, root.
    const data = Buffer.concat([Buffer.from([0, 1]), tlsUint(timestamp, 8), tlsUint(size, 8), root]);
    const sig = nodeSign('sha256', data, this.key);
    return {
      tree_size: size,
      timestamp: Number(timestamp),
      sha256_root_hash: root.toString('base64'),
      tree_head_signature: Buffer.concat([Buffer.from([4, 3]), tlsVector(sig, 2)]).toString('base64'),
    };
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}

