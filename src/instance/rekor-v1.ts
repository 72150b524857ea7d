/**
 * Rekor v1: the transparency log API sigstore clients have used since 2021.
 *
 * - `POST /api/v1/log/entries`: hashedrekord 0.0.1 and dsse 0.0.1, signatures checked; 201 with
 *   the entry (inclusion proof, signed checkpoint, SET), 409 for a duplicate
 * - `GET /api/v1/log/entries/{uuid or entryID}`, `GET /api/v1/log/entries?logIndex=N`
 * - `POST /api/v1/log/entries/retrieve` ({entryUUIDs, logIndexes, entries})
 * - `GET /api/v1/log`, `GET /api/v1/log/publicKey`, `GET /api/v1/log/proof?firstSize&lastSize`
 *
 * The SET (signedEntryTimestamp) is an ECDSA signature over the RFC 8785 canonical JSON of
 * {body, integratedTime, logID, logIndex}; checkpoints are signed notes with origin
 * "<host:port> - <treeID>", signed as "<host:port>" with the first 4 bytes of the log ID as hint.
 */
import { sign as nodeSign, type KeyObject } from 'node:crypto';
import { validateV1 } from './entries.js';
import { leafHash } from './merkle.js';
import { checkpointBody, signNote, spkiLogId } from './note.js';
import { spki } from './keys.js';
import { type Appended, DuplicateEntryError, VerifiableLog } from './tlog.js';
import { badRequest, canonicalJson, HttpError, isObj, toPem } from './util.js';

/** What is stored per entry. */
export interface V1Record {
  /** Canonical body (base64). */
  b: string;
  /** Integrated time (Unix seconds). */
  t: number;
  /** Log ID (hex) of the key that signed the SET. */
  l: string;
  /** SET (base64). */
  s: string;
}

export class RekorV1 {
  private key!: KeyObject;
  private logIdValue!: Buffer;

  private constructor(
    readonly log: VerifiableLog<V1Record>,
    /** Decimal tree ID. */
    readonly treeId: string,
    /** Key name on checkpoint signatures, e.g. "127.0.0.1:3000". */
    readonly hostname: string,
    key: KeyObject,
  ) {
    this.setKey(key);
  }

  static async open(path: string, opts: { key: KeyObject; treeId: string; hostname: string }): Promise<RekorV1> {
    let self: RekorV1 | undefined;
    const log = await VerifiableLog.open<V1Record>(
      path,
      {
        encode: (e) => Buffer.from(JSON.stringify(e)),
        decode: (r) => JSON.parse(r.toString('utf8')) as V1Record,
        leaf: (e) => leafHash(Buffer.from(e.b, 'base64')),
      },
      (size, root) => self!.signCheckpoint(size, root),
    );
    self = new RekorV1(log, opts.treeId, opts.hostname, opts.key);
    return self;
  }

  /** Switches the signing key (key rotation): new SETs and checkpoints use it. */
  setKey(key: KeyObject): void {
    this.key = key;
    this.logIdValue = spkiLogId(key);
    this.log.resign();
  }

  get logId(): Buffer {
    return this.logIdValue;
  }

  get origin(): string {
    return `${this.hostname} - ${this.treeId}`;
  }

  /** 16 hex digits: the tree ID prefix of entry IDs. */
  get treeIdHex(): string {
    return BigInt(this.treeId).toString(16).padStart(16, '0');
  }

  get publicKeyPem(): string {
    return toPem(spki(this.key), 'PUBLIC KEY');
  }

  private signCheckpoint(size: number, root: Buffer): string {
    return signNote(checkpointBody(this.origin, size, root), { name: this.hostname, hint: this.logIdValue.subarray(0, 4), key: this.key });
  }

  /** POST /api/v1/log/entries. Returns the entry ID and the response body. */
  async create(proposed: unknown): Promise<{ entryId: string; response: Record<string, unknown> }> {
    const v = await validateV1(proposed);
    const body = Buffer.from(await canonicalJson(v.body), 'utf8');
    const leaf = leafHash(body);
    const integratedTime = Math.floor(Date.now() / 1000);
    const logId = this.logIdValue;
    const key = this.key;
    const bodyB64 = body.toString('base64');
    // The SET covers the index, which is known only once the log reserves it.
    let appended: Appended<V1Record>;
    try {
      const prepared = await canonicalJson({ body: bodyB64, integratedTime, logID: logId.toString('hex'), logIndex: -1 });
      appended = await this.log.add(leaf, (index) => {
        const payload = prepared.replace('"logIndex":-1', `"logIndex":${index}`);
        return { b: bodyB64, t: integratedTime, l: logId.toString('hex'), s: nodeSign('sha256', Buffer.from(payload), key).toString('base64') };
      });
    } catch (e) {
      if (e instanceof DuplicateEntryError) {
        const entryId = this.entryId(e.index);
        throw new HttpError(409, `an equivalent entry already exists in the transparency log with UUID ${this.uuid(e.index)}`, {
          Location: `/api/v1/log/entries/${entryId}`,
        });
      }
      throw e;
    }
    const entryId = this.entryId(appended.index);
    return { entryId, response: { [entryId]: this.entryJson(appended.index, appended.size, appended.checkpoint) } };
  }

  uuid(index: number): string {
    return this.log.tree.leaf(index).toString('hex');
  }

  entryId(index: number): string {
    return this.treeIdHex + this.uuid(index);
  }

  /** The entry JSON with an inclusion proof for tree `size` (the current tree by default). */
  entryJson(index: number, size = this.log.size, checkpoint = this.log.checkpoint()): Record<string, unknown> {
    const rec = this.log.entries[index]!;
    return {
      body: rec.b,
      integratedTime: rec.t,
      logID: rec.l,
      logIndex: index,
      verification: {
        inclusionProof: {
          checkpoint,
          hashes: this.log.tree.inclusionProof(index, size).map((h) => h.toString('hex')),
          logIndex: index,
          rootHash: this.log.tree.root(size).toString('hex'),
          treeSize: size,
        },
        signedEntryTimestamp: rec.s,
      },
    };
  }

  /** Index of an entry by UUID (64 hex) or entry ID (80 hex), or undefined. */
  indexOf(id: string): number | undefined {
    const s = id.toLowerCase();
    let uuid: string;
    if (/^[0-9a-f]{64}$/.test(s)) uuid = s;
    else if (/^[0-9a-f]{80}$/.test(s)) {
      if (s.slice(0, 16) !== this.treeIdHex) return undefined;
      uuid = s.slice(16);
    } else {
      badRequest(`${JSON.stringify(id)} is neither a UUID (64 hex digits) nor an entry ID (80 hex digits)`);
    }
    const index = this.log.indexOfLeaf(Buffer.from(uuid, 'hex'));
    return index !== undefined && index < this.log.size ? index : undefined;
  }

  /** GET /api/v1/log/entries/{id} */
  getByUuid(id: string): Record<string, unknown> {
    const index = this.indexOf(id);
    if (index === undefined) throw new HttpError(404, `no entry with UUID ${id} in the log`);
    return { [this.entryId(index)]: this.entryJson(index) };
  }

  /** GET /api/v1/log/entries?logIndex=N */
  getByIndex(value: string | null): Record<string, unknown> {
    if (value === null || !/^\d+$/.test(value)) badRequest('logIndex must be a non-negative integer');
    const index = Number(value);
    if (!Number.isSafeInteger(index) || index >= this.log.size) throw new HttpError(404, `no entry at log index ${value} (the log has ${this.log.size} entries)`);
    return { [this.entryId(index)]: this.entryJson(index) };
  }

  /** POST /api/v1/log/entries/retrieve */
  async retrieve(body: unknown): Promise<Record<string, unknown>[]> {
    if (!isObj(body)) badRequest('request must be a JSON object with entryUUIDs, logIndexes or entries');
    const out: Record<string, unknown>[] = [];
    const indexes: number[] = [];
    const list = (k: string) => {
      const v = body[k];
      if (v === undefined) return [];
      if (!Array.isArray(v)) badRequest(`${k} must be an array`);
      if (v.length > 10) badRequest(`${k} may hold at most 10 items`);
      return v as unknown[];
    };
    for (const u of list('entryUUIDs')) {
      if (typeof u !== 'string') badRequest('entryUUIDs must hold strings');
      const i = this.indexOf(u);
      if (i !== undefined) indexes.push(i);
    }
    for (const n of list('logIndexes')) {
      if (!Number.isSafeInteger(n) || (n as number) < 0) badRequest('logIndexes must hold non-negative integers');
      if ((n as number) < this.log.size) indexes.push(n as number);
    }
    for (const p of list('entries')) {
      const v = await validateV1(p);
      const i = this.log.indexOfLeaf(leafHash(Buffer.from(await canonicalJson(v.body), 'utf8')));
      if (i !== undefined && i < this.log.size) indexes.push(i);
    }
    for (const i of indexes) out.push({ [this.entryId(i)]: this.entryJson(i) });
    return out;
  }

  /** GET /api/v1/log */
  info(): Record<string, unknown> {
    const size = this.log.size;
    return {
      rootHash: this.log.tree.root(size).toString('hex'),
      treeSize: size,
      signedTreeHead: this.log.checkpoint(),
      treeID: this.treeId,
      inactiveShards: [],
    };
  }

  /** GET /api/v1/log/proof?firstSize=&lastSize= */
  consistency(q: URLSearchParams): Record<string, unknown> {
    const parse = (k: string, dflt?: number): number => {
      const v = q.get(k);
      if (v === null && dflt !== undefined) return dflt;
      if (v === null || !/^\d+$/.test(v)) badRequest(`${k} must be a non-negative integer`);
      return Number(v);
    };
    const first = parse('firstSize', 1);
    const last = parse('lastSize', this.log.size);
    if (first < 1 || first > last) badRequest('firstSize must be between 1 and lastSize');
    if (last > this.log.size) badRequest(`lastSize ${last} is larger than the tree (${this.log.size})`);
    return {
      rootHash: this.log.tree.root(last).toString('hex'),
      hashes: this.log.tree.consistencyProof(first, last).map((h) => h.toString('hex')),
    };
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}
